-- name: pilot_vs_rollout
-- title: Thí điểm và nhân rộng
-- description: Figures of the communes in each phase at a date; one row per phase that has communes.
-- params: as_of (date, default today); communes (list of commune codes, default NULL = all)
-- columns: phase, communes, cells, members, members_per_cell, households, households_covered, coverage_pct, households_per_member
-- A commune's phase (commune_phase macro): pilot if any of its cells established by as_of
-- had phase pilot, else rollout if it had any cell, else none. Every figure in a row is that
-- of the communes in that phase (a rollout cell in a pilot commune counts in the pilot row).
SELECT p.phase,
       count(*) AS communes,
       sum(c.cells)::BIGINT AS cells,
       sum(c.members)::BIGINT AS members,
       CASE WHEN sum(c.cells) = 0 THEN NULL
            ELSE round(sum(c.members) / sum(c.cells), 2) END AS members_per_cell,
       sum(c.households)::BIGINT AS households,
       sum(c.households_covered)::BIGINT AS households_covered,
       coverage_pct(sum(c.households_covered), sum(c.households))
         AS coverage_pct,
       CASE WHEN sum(c.members) = 0 THEN NULL
            ELSE round(sum(c.households_covered_raw) / sum(c.members), 2) END
         AS households_per_member
FROM an_commune_coverage($as_of) c
JOIN an_commune_phase($as_of) p ON p.commune_code = c.unit_code
WHERE $communes IS NULL OR list_contains($communes, c.unit_code)
GROUP BY p.phase
ORDER BY CASE p.phase WHEN 'pilot' THEN 1 WHEN 'rollout' THEN 2 ELSE 3 END;
