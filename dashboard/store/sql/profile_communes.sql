-- name: profile_communes
-- title: Danh sách xã, phường (hồ sơ xã)
-- description: Every commune with its phase, start date and coverage at as_of: the list to pick a commune profile from.
-- params: as_of (date, default today)
-- columns: commune_code, commune_name, phase, started_on, households, cells, coverage_pct
-- phase and started_on from the commune_phase macro; coverage from commune_coverage.
SELECT c.unit_code AS commune_code,
       c.unit_name AS commune_name,
       p.phase,
       p.started_on,
       c.households,
       c.cells,
       coverage_pct(c.households_covered, c.households) AS coverage_pct
FROM an_commune_coverage($as_of) c
JOIN an_commune_phase($as_of) p ON p.commune_code = c.unit_code
ORDER BY c.unit_name, c.unit_code;
