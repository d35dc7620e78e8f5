-- name: map_units
-- title: Số liệu bản đồ theo xã/phường hoặc thôn/tổ dân phố
-- description: One row per commune or village of the selected communes: coverage figures, active models and the place to draw it (official centroid for communes; whether it has a boundary).
-- params: level (commune|village, default commune); as_of (date, default today); communes (list of commune codes, default NULL = all)
-- columns: unit_code, unit_name, parent_code, commune_code, households, cells, members, households_covered, coverage_pct, uncovered_households, cells_per_1000_households, households_per_cell, households_per_member, models, latitude, longitude, has_boundary, approximate
-- Coverage as in coverage_by_unit (village_coverage / commune_coverage macros).
-- cells_per_1000_households = 1000 x active cells / households (NULL when households is 0).
-- models: models active at as_of attached to the unit (for a commune: to it or its villages).
-- latitude/longitude: the official commune centroid (ref_communes), for a village its commune's.
WITH base AS (
  SELECT unit_code, unit_name, parent_code, unit_code AS commune_code, households, cells,
         members, households_covered_raw, households_covered
  FROM commune_coverage($as_of) WHERE $level = 'commune'
  UNION ALL
  SELECT unit_code, unit_name, parent_code, parent_code AS commune_code, households, cells,
         members, households_covered_raw, households_covered
  FROM village_coverage($as_of) WHERE $level = 'village'),
m AS (
  SELECT CASE WHEN $level = 'commune' AND u.level = 'village' THEN u.parent_code
              ELSE m.unit_code END AS unit_code,
         count(*) AS models
  FROM models m JOIN units u USING (unit_code)
  WHERE u.level IN ('commune', 'village')
    AND m.started_on <= $as_of AND (m.ended_on IS NULL OR m.ended_on > $as_of)
  GROUP BY ALL)
SELECT b.unit_code, b.unit_name, b.parent_code, b.commune_code, b.households, b.cells,
       b.members, b.households_covered,
       coverage_pct(b.households_covered, b.households) AS coverage_pct,
       b.households - b.households_covered AS uncovered_households,
       CASE WHEN b.households > 0 THEN round(1000.0 * b.cells / b.households, 2) END
         AS cells_per_1000_households,
       CASE WHEN b.cells = 0 THEN NULL
            ELSE round(b.households_covered_raw / b.cells, 2) END AS households_per_cell,
       CASE WHEN b.members = 0 THEN NULL
            ELSE round(b.households_covered_raw / b.members, 2) END AS households_per_member,
       coalesce(m.models, 0) AS models,
       r.latitude, r.longitude,
       g.unit_code IS NOT NULL AS has_boundary,
       coalesce(g.approximate, FALSE) AS approximate
FROM base b
LEFT JOIN m ON m.unit_code = b.unit_code
LEFT JOIN ref_communes r ON r.commune_code = b.commune_code
LEFT JOIN boundaries g ON g.unit_code = b.unit_code
WHERE $communes IS NULL OR list_contains($communes, b.commune_code)
ORDER BY b.unit_code;
