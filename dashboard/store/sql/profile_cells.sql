-- name: profile_cells
-- title: Hồ sơ xã — các tổ
-- description: Every cell of one commune established by as_of (attached to its villages or to the commune itself), with whether it is active at as_of.
-- params: commune (commune code, required); as_of (date, default today)
-- columns: cell_id, cell_name, cell_type, unit_code, unit_name, phase, established_on, ended_on, active, members, households_covered, tasks
-- active: established_on <= as_of and (ended_on empty or ended_on > as_of), as in active_cells.
SELECT c.cell_id,
       c.cell_name,
       c.cell_type,
       c.unit_code,
       u.unit_name,
       c.phase,
       c.established_on,
       c.ended_on,
       (c.ended_on IS NULL OR c.ended_on > $as_of) AS active,
       c.members,
       c.households_covered,
       c.tasks
FROM cells_with_commune() c
JOIN units u ON u.unit_code = c.unit_code
WHERE c.commune_code = $commune AND c.established_on <= $as_of
ORDER BY active DESC, c.unit_code, c.established_on, c.cell_id;
