-- name: coverage_cells_flagged
-- title: Các tổ quá tải hoặc cần kiểm tra số liệu
-- description: The rows of coverage_cells (as_of, communes) that «Khoảng trống» can list: cells looking after more than overload households, cells whose households (alone or with the other cells of their unit) exceed their unit's, and cells with an empty figure.
-- params: as_of (date, default today); communes (list of commune codes, default NULL = all); overload (households above which a cell is overloaded, default the setting overload_households)
-- columns: cell_id, cell_name, unit_code, unit_name, unit_level, commune_code, commune_name, phase, established_on, members, households_covered, households_per_member, unit_households, unit_households_covered_raw
-- Written as coverage_cells, then filtered. Rows with an empty unit_households or
-- households_per_member are kept, so each column has the same type as in coverage_cells.
WITH a AS (
  SELECT c.*, u.unit_name, u.level AS unit_level, u.households AS own_households,
         CASE WHEN u.level = 'village' THEN u.parent_code ELSE u.unit_code END AS commune_code
  FROM active_cells($as_of) c JOIN units u USING (unit_code)),
hh AS (
  SELECT unit_code, households FROM an_village_coverage($as_of)
  UNION ALL
  SELECT unit_code, households FROM an_commune_coverage($as_of)),
cc AS (
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
  WHERE $communes IS NULL OR list_contains($communes, a.commune_code))
SELECT * FROM cc
WHERE households_covered > CAST($overload AS DOUBLE)
   OR households_covered > unit_households
   OR unit_households_covered_raw > unit_households
   OR unit_households IS NULL OR households_per_member IS NULL
ORDER BY commune_code, unit_code, cell_id;
