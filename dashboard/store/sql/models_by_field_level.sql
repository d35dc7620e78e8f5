-- name: models_by_field_level
-- title: Mô hình theo lĩnh vực và cấp
-- description: Models per field and level (every field x level pair, zero included).
-- params: as_of (date, default today); communes (list of commune codes, default NULL = all)
-- columns: field, level, models, active_models
-- Same counting rules as models_by_field: models counts all models, active_models those
-- started by as_of and not ended (ended_on empty or after as_of); summed over levels the
-- rows equal models_by_field.
WITH f(field, ford) AS (VALUES ('economy', 1), ('culture_society', 2),
                               ('defense_security', 3), ('political_system', 4)),
l(level, lord) AS (VALUES ('province', 1), ('district', 2), ('commune', 3), ('village', 4)),
m AS (
  SELECT m.* FROM models m LEFT JOIN units u USING (unit_code)
  WHERE $communes IS NULL
     OR list_contains($communes, CASE WHEN u.level = 'village' THEN u.parent_code
                                      ELSE m.unit_code END))
SELECT f.field, l.level,
       count(m.model_id) AS models,
       count(m.model_id) FILTER (m.started_on <= $as_of
                                 AND (m.ended_on IS NULL OR m.ended_on > $as_of)) AS active_models
FROM f CROSS JOIN l
LEFT JOIN m ON m.field = f.field AND m.level = l.level
GROUP BY f.field, f.ford, l.level, l.lord
ORDER BY f.ford, l.lord;
