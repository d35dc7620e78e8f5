-- name: models_field_share
-- title: Tỷ lệ xã/phường có mô hình theo lĩnh vực
-- description: Per field: communes with at least one active model of that field, and their share.
-- params: as_of (date, default today); communes (list of commune codes, default NULL = all)
-- columns: field, communes, communes_with_model, share_pct, households, households_with_model
-- A commune has a model in a field when the commune or one of its villages has a model of
-- that field active at as_of. share_pct = 100 x communes_with_model / communes (0 when none).
-- households / households_with_model: households of all communes / of those communes.
WITH f(field, ford) AS (VALUES ('economy', 1), ('culture_society', 2),
                               ('defense_security', 3), ('political_system', 4)),
c AS (
  SELECT unit_code, households FROM an_commune_coverage($as_of)
  WHERE $communes IS NULL OR list_contains($communes, unit_code)),
a AS (
  SELECT DISTINCT
         CASE WHEN u.level = 'village' THEN u.parent_code ELSE m.unit_code END AS commune_code,
         m.field
  FROM models m JOIN units u USING (unit_code)
  WHERE u.level IN ('village', 'commune')
    AND m.started_on <= $as_of AND (m.ended_on IS NULL OR m.ended_on > $as_of))
SELECT f.field,
       (SELECT count(*) FROM c) AS communes,
       count(c.unit_code) AS communes_with_model,
       CASE WHEN (SELECT count(*) FROM c) = 0 THEN 0
            ELSE round(100.0 * count(c.unit_code) / (SELECT count(*) FROM c), 2) END
         AS share_pct,
       (SELECT coalesce(sum(households), 0) FROM c) AS households,
       coalesce(sum(c.households), 0) AS households_with_model
FROM f
LEFT JOIN a ON a.field = f.field
LEFT JOIN c ON c.unit_code = a.commune_code
GROUP BY f.field, f.ford
ORDER BY f.ford;
