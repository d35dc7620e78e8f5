-- name: coverage_cells
-- title: Các tổ đang hoạt động và địa bàn phụ trách
-- description: One row per cell active at as_of in the selected communes, with its village's households and the village's total of households_covered: the base of the distributions, overloaded cells and the data-to-check list.
-- params: as_of (date, default today); communes (list of commune codes, default NULL = all)
-- columns: cell_id, cell_name, unit_code, unit_name, unit_level, commune_code, commune_name, phase, established_on, members, households_covered, households_per_member, unit_households, unit_households_covered_raw
-- unit_households: households of the cell's village (or commune, for a cell attached to a commune).
-- unit_households_covered_raw: sum of households_covered of the active cells of that unit.
WITH a AS (
  SELECT c.*, u.unit_name, u.level AS unit_level, u.households AS own_households,
         CASE WHEN u.level = 'village' THEN u.parent_code ELSE u.unit_code END AS commune_code
  FROM active_cells($as_of) c JOIN units u USING (unit_code)),
hh AS (
  SELECT unit_code, households FROM an_village_coverage($as_of)
  UNION ALL
  SELECT unit_code, households FROM an_commune_coverage($as_of))
SELECT a.cell_id, a.cell_name, a.unit_code, a.unit_name, a.unit_level, a.commune_code,
       cm.unit_name AS commune_name, a.phase, a.established_on, a.members,
       a.households_covered,
       round(a.households_covered / a.members, 2) AS households_per_member,
       hh.households AS unit_households,
       (sum(a.households_covered) OVER (PARTITION BY a.unit_code))::BIGINT
         AS unit_households_covered_raw
FROM a
LEFT JOIN hh ON hh.unit_code = a.unit_code
LEFT JOIN units cm ON cm.unit_code = a.commune_code
WHERE $communes IS NULL OR list_contains($communes, a.commune_code)
ORDER BY a.commune_code, a.unit_code, a.cell_id;
