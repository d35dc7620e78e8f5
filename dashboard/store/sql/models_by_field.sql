-- name: models_by_field
-- title: Mô hình Dân vận khéo theo lĩnh vực
-- description: Models per field (all four fields, zero included).
-- params: as_of (date, default today); communes (list of commune codes, default NULL = all)
-- columns: field, models, active_models, models_started
-- models counts all models; active_models those started by as_of and not ended
-- (ended_on empty or after as_of); models_started (added) those started by as_of, ended or not.
WITH f(field, ord) AS (VALUES ('economy', 1), ('culture_society', 2),
                              ('defense_security', 3), ('political_system', 4)),
m AS (
  SELECT m.* FROM models m LEFT JOIN units u USING (unit_code)
  WHERE $communes IS NULL
     OR list_contains($communes, CASE WHEN u.level = 'village' THEN u.parent_code
                                      ELSE m.unit_code END))
SELECT f.field,
       count(m.model_id) AS models,
       count(m.model_id) FILTER (m.started_on <= $as_of
                                 AND (m.ended_on IS NULL OR m.ended_on > $as_of)) AS active_models,
       count(m.model_id) FILTER (m.started_on <= $as_of) AS models_started
FROM f LEFT JOIN m ON m.field = f.field
GROUP BY f.field, f.ord
ORDER BY f.ord;
