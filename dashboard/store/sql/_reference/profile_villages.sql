-- name: profile_villages
-- title: Hồ sơ xã — thôn, tổ dân phố
-- description: The villages of one commune at as_of: households, active cells and members, covered households and coverage.
-- params: commune (commune code, required); as_of (date, default today)
-- columns: unit_code, unit_name, households, population, cells, members, households_covered, coverage_pct, uncovered_households, households_per_cell
-- village_coverage macro: households_covered is capped at the village's households;
-- households_per_cell uses the uncapped sum of households_covered of active cells.
SELECT v.unit_code,
       v.unit_name,
       v.households,
       u.population,
       v.cells,
       v.members,
       v.households_covered,
       coverage_pct(v.households_covered, v.households) AS coverage_pct,
       v.households - v.households_covered AS uncovered_households,
       CASE WHEN v.cells = 0 THEN NULL
            ELSE round(v.households_covered_raw / v.cells, 2) END AS households_per_cell
FROM village_coverage($as_of) v
JOIN units u USING (unit_code)
WHERE v.parent_code = $commune
ORDER BY v.unit_code;
