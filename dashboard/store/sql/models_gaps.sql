-- name: models_gaps
-- title: Xã/phường chưa có mô hình
-- description: Per commune: households, active models in total and per field, models per 1,000 households.
-- params: as_of (date, default today); communes (list of commune codes, default NULL = all)
-- columns: commune_code, commune_name, households, active_models, economy, culture_society, defense_security, political_system, fields_missing, models_per_1000_households
-- A commune's models are those of the commune and of its villages, active at as_of
-- (started_on <= as_of, ended_on empty or after as_of). households as in commune_coverage
-- (sum of its villages' households, else its own). fields_missing counts the four fields
-- with no active model; models_per_1000_households is NULL when households is 0.
WITH a AS (
  SELECT CASE WHEN u.level = 'village' THEN u.parent_code ELSE m.unit_code END AS commune_code,
         m.field
  FROM models m JOIN units u USING (unit_code)
  WHERE u.level IN ('village', 'commune')
    AND m.started_on <= $as_of AND (m.ended_on IS NULL OR m.ended_on > $as_of)),
per AS (
  SELECT commune_code, count(*) AS active_models,
         count(*) FILTER (field = 'economy') AS economy,
         count(*) FILTER (field = 'culture_society') AS culture_society,
         count(*) FILTER (field = 'defense_security') AS defense_security,
         count(*) FILTER (field = 'political_system') AS political_system
  FROM a GROUP BY commune_code)
SELECT c.unit_code AS commune_code, c.unit_name AS commune_name, c.households,
       coalesce(p.active_models, 0) AS active_models,
       coalesce(p.economy, 0) AS economy,
       coalesce(p.culture_society, 0) AS culture_society,
       coalesce(p.defense_security, 0) AS defense_security,
       coalesce(p.political_system, 0) AS political_system,
       (coalesce(p.economy, 0) = 0)::INT + (coalesce(p.culture_society, 0) = 0)::INT
         + (coalesce(p.defense_security, 0) = 0)::INT
         + (coalesce(p.political_system, 0) = 0)::INT AS fields_missing,
       CASE WHEN c.households > 0
            THEN round(1000.0 * coalesce(p.active_models, 0) / c.households, 2) END
         AS models_per_1000_households
FROM an_commune_coverage($as_of) c
LEFT JOIN per p ON p.commune_code = c.unit_code
WHERE $communes IS NULL OR list_contains($communes, c.unit_code)
ORDER BY c.unit_code;
