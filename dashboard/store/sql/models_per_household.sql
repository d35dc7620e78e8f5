-- name: models_per_household
-- title: Mô hình trên 1.000 hộ theo xã/phường
-- description: Per commune: active models (commune and its villages) per 1,000 households, with centroid.
-- params: as_of (date, default today); communes (list of commune codes, default NULL = all)
-- columns: commune_code, commune_name, households, active_models, models_per_1000_households, latitude, longitude
-- Active at as_of as in models_by_field; households as in commune_coverage;
-- models_per_1000_households = 1000 x active_models / households (NULL when households is 0).
-- latitude/longitude: the official commune centroid (ref_communes), when the code is official.
WITH a AS (
  SELECT CASE WHEN u.level = 'village' THEN u.parent_code ELSE m.unit_code END AS commune_code,
         count(*) AS active_models
  FROM models m JOIN units u USING (unit_code)
  WHERE u.level IN ('village', 'commune')
    AND m.started_on <= $as_of AND (m.ended_on IS NULL OR m.ended_on > $as_of)
  GROUP BY ALL)
SELECT c.unit_code AS commune_code, c.unit_name AS commune_name, c.households,
       coalesce(a.active_models, 0) AS active_models,
       CASE WHEN c.households > 0
            THEN round(1000.0 * coalesce(a.active_models, 0) / c.households, 2) END
         AS models_per_1000_households,
       r.latitude, r.longitude
FROM an_commune_coverage($as_of) c
LEFT JOIN a ON a.commune_code = c.unit_code
LEFT JOIN ref_communes r ON r.commune_code = c.unit_code
WHERE $communes IS NULL OR list_contains($communes, c.unit_code)
ORDER BY models_per_1000_households DESC NULLS LAST, c.unit_code;
