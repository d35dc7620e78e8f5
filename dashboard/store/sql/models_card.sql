-- name: models_card
-- title: Thẻ mô hình
-- description: One model with every field, its unit's chain up to the province, a point to place it and its commune boundary.
-- params: model_id (text)
-- columns: model_id, model_name, field, level, unit_code, owner, started_on, ended_on, recognized_level, households_reached, latitude, longitude, description, unit_name, unit_level, hierarchy, commune_code, commune_name, point_latitude, point_longitude, point_source, boundary_geojson
-- hierarchy: unit names from the province down to the model's unit, joined by ' › '.
-- point: the model's own coordinates, else its commune's official centroid (ref_communes),
-- else NULL; point_source says which (model | commune_centroid). boundary_geojson: the
-- commune's (else the unit's) simplified boundary from table boundaries, when imported.
WITH RECURSIVE chain(unit_code, unit_name, level, parent_code, depth) AS (
  SELECT u.unit_code, u.unit_name, u.level, u.parent_code, 0
  FROM units u JOIN models m ON m.unit_code = u.unit_code WHERE m.model_id = $model_id
  UNION ALL
  SELECT p.unit_code, p.unit_name, p.level, p.parent_code, chain.depth + 1
  FROM units p JOIN chain ON p.unit_code = chain.parent_code
  WHERE chain.depth < 6),
h AS (
  SELECT string_agg(unit_name, ' › ' ORDER BY depth DESC) AS hierarchy,
         max(unit_code) FILTER (level = 'commune') AS commune_code,
         max(unit_name) FILTER (level = 'commune') AS commune_name
  FROM chain)
SELECT m.model_id, m.model_name, m.field, m.level, m.unit_code, m.owner, m.started_on,
       m.ended_on, m.recognized_level, m.households_reached, m.latitude, m.longitude,
       m.description, u.unit_name, u.level AS unit_level, h.hierarchy, h.commune_code,
       h.commune_name,
       coalesce(m.latitude, r.latitude) AS point_latitude,
       coalesce(m.longitude, r.longitude) AS point_longitude,
       CASE WHEN m.latitude IS NOT NULL THEN 'model'
            WHEN r.latitude IS NOT NULL THEN 'commune_centroid' END AS point_source,
       coalesce(b.display_geojson, bu.display_geojson) AS boundary_geojson
FROM models m
LEFT JOIN units u ON u.unit_code = m.unit_code
CROSS JOIN h
LEFT JOIN ref_communes r ON r.commune_code = h.commune_code
LEFT JOIN boundaries b ON b.unit_code = h.commune_code
LEFT JOIN boundaries bu ON bu.unit_code = m.unit_code
WHERE m.model_id = $model_id;
