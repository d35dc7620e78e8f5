-- name: map_boundaries
-- title: Ranh giới để vẽ bản đồ
-- description: The display geometry (simplified once at import, GeoJSON in EPSG:4326) of the communes or villages of the selected communes.
-- params: level (commune|village, default commune); communes (list of commune codes, default NULL = all)
-- columns: unit_code, unit_name, commune_code, approximate, source, batch_id, display_geojson
SELECT u.unit_code, u.unit_name,
       CASE WHEN u.level = 'village' THEN u.parent_code ELSE u.unit_code END AS commune_code,
       g.approximate, g.source, g.batch_id, g.display_geojson
FROM boundaries g JOIN units u USING (unit_code)
WHERE u.level = $level
  AND ($communes IS NULL
       OR list_contains($communes,
                        CASE WHEN u.level = 'village' THEN u.parent_code ELSE u.unit_code END))
ORDER BY u.unit_code;
