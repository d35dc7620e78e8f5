-- name: coverage_cell_counts
-- title: Số tổ đang hoạt động theo số thành viên và số hộ phụ trách
-- description: The active cells of coverage_cells (as_of, communes) counted per (members, households_covered): the distributions of Độ phủ hộ gia đình without reading every cell.
-- params: as_of (date, default today); communes (list of commune codes, default NULL = all)
-- columns: members, households_covered, households_per_member, cells
-- Same rows as coverage_cells (its other joins are LEFT joins) and the same
-- households_per_member; cells: how many active cells have these two figures.
SELECT c.members, c.households_covered,
       round(c.households_covered / c.members, 2) AS households_per_member,
       count(*) AS cells
FROM active_cells($as_of) c JOIN units u USING (unit_code)
WHERE $communes IS NULL
   OR list_contains($communes, CASE WHEN u.level = 'village' THEN u.parent_code
                                    ELSE u.unit_code END)
GROUP BY ALL
ORDER BY c.members, c.households_covered;
