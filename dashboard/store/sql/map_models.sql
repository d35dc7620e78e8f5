-- name: map_models
-- title: Vị trí mô hình "Dân vận khéo"
-- description: Models active at as_of in the selected communes with where to draw them: the model's own coordinates, else its commune's official centroid (position = 'model' or 'commune_centroid'; villages are placed on their boundary's centre by the map).
-- params: as_of (date, default today); communes (list of commune codes, default NULL = all)
-- columns: model_id, model_name, field, level, unit_code, unit_name, commune_code, owner, started_on, households_reached, latitude, longitude, position
WITH m AS (
  SELECT m.*, u.unit_name,
         CASE WHEN u.level = 'village' THEN u.parent_code ELSE u.unit_code END AS commune_code
  FROM models m JOIN units u USING (unit_code)
  WHERE u.level IN ('commune', 'village')
    AND m.started_on <= $as_of AND (m.ended_on IS NULL OR m.ended_on > $as_of))
SELECT m.model_id, m.model_name, m.field, m.level, m.unit_code, m.unit_name, m.commune_code,
       m.owner, m.started_on, m.households_reached,
       coalesce(m.latitude, r.latitude) AS latitude,
       coalesce(m.longitude, r.longitude) AS longitude,
       CASE WHEN m.latitude IS NOT NULL THEN 'model'
            WHEN r.latitude IS NOT NULL THEN 'commune_centroid' END AS position
FROM m LEFT JOIN ref_communes r ON r.commune_code = m.commune_code
WHERE $communes IS NULL OR list_contains($communes, m.commune_code)
ORDER BY m.model_id;
