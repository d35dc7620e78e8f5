-- name: profile_models
-- title: Hồ sơ xã — mô hình "Dân vận khéo"
-- description: Models registered for one commune or its villages, with whether each is active at as_of.
-- params: commune (commune code, required); as_of (date, default today)
-- columns: model_id, model_name, field, level, unit_code, unit_name, owner, started_on, ended_on, active, recognized_level, households_reached, description
-- active: started_on <= as_of and (ended_on empty or ended_on > as_of).
SELECT m.model_id,
       m.model_name,
       m.field,
       m.level,
       m.unit_code,
       u.unit_name,
       m.owner,
       m.started_on,
       m.ended_on,
       (m.started_on <= $as_of AND (m.ended_on IS NULL OR m.ended_on > $as_of)) AS active,
       m.recognized_level,
       m.households_reached,
       m.description
FROM models m
JOIN units u ON u.unit_code = m.unit_code
WHERE m.unit_code = $commune
   OR (u.level = 'village' AND u.parent_code = $commune)
ORDER BY active DESC, m.started_on, m.model_id;
