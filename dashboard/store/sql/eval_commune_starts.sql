-- name: eval_commune_starts
-- title: Thời điểm bắt đầu và số liệu của từng xã
-- description: One row per commune: its phase and start date at as_of (commune_phase macro) and its coverage figures at as_of (commune_coverage macro). The evaluation page builds the cohorts from it.
-- params: as_of (date, default today); communes (list of commune codes, default NULL = all)
-- columns: commune_code, commune_name, phase, started_on, households, cells, members, households_covered, households_covered_raw, coverage_pct
-- phase: pilot if any cell established by as_of had phase pilot, else rollout if it had any
-- cell, else none; started_on = earliest established_on (NULL for none).
SELECT c.unit_code AS commune_code,
       c.unit_name AS commune_name,
       p.phase,
       p.started_on,
       c.households,
       c.cells,
       c.members,
       c.households_covered,
       c.households_covered_raw,
       coverage_pct(c.households_covered, c.households) AS coverage_pct
FROM an_commune_coverage($as_of) c
JOIN an_commune_phase($as_of) p ON p.commune_code = c.unit_code
WHERE $communes IS NULL OR list_contains($communes, c.unit_code)
ORDER BY p.started_on NULLS LAST, c.unit_code;
