-- name: eval_coverage_history
-- title: Độ phủ của từng xã theo cuối tháng
-- description: Coverage of every started commune at each month end, from the month of its first cell up to as_of (the last point is as_of itself). Same figures as the commune_coverage macro at each month end, read from the precomputed month ends (an_commune_months: a commune's figures at the last day of every month from its first change to its last; later months keep the last row) and, for the month of as_of, from the change interval that holds as_of (an_commune_state); the reference form (sql/_reference/) computes the same rows from every cell.
-- params: as_of (date, default today); communes (list of commune codes, default NULL = all)
-- columns: month_end, commune_code, started_on, households, cells, members, households_covered, households_covered_raw, coverage_pct
WITH starts AS (
  SELECT p.commune_code, p.started_on,
         CASE WHEN coalesce(a.villages, 0) > 0 THEN a.village_households
              ELSE coalesce(u.households, 0) END::BIGINT AS households,
         year(p.started_on) * 12 + month(p.started_on) AS m_start
  FROM an_commune_phase($as_of) p
  JOIN units u ON u.unit_code = p.commune_code
  LEFT JOIN an_communes a ON a.commune_code = p.commune_code
  WHERE p.started_on IS NOT NULL
    AND ($communes IS NULL OR list_contains($communes, p.commune_code))),
last_month AS (
  SELECT commune_code, max(m) AS m_last FROM an_commune_months GROUP BY commune_code),
ended_months AS (
  -- month number m = year·12 + month, every month before the month of as_of: its last day
  SELECT s.commune_code, s.started_on, s.households,
         last_day(make_date(((r.m - 1) // 12)::BIGINT, ((r.m - 1) % 12 + 1)::BIGINT, 1))
           AS month_end,
         least(r.m, coalesce(l.m_last, r.m)) AS m_read
  FROM starts s
  LEFT JOIN last_month l USING (commune_code),
  range(s.m_start, year($as_of::DATE) * 12 + month($as_of::DATE)) r(m)),
points AS (
  SELECT e.month_end, e.commune_code, e.started_on, e.households,
         c.cells, c.members, c.covered, c.hh_raw
  FROM ended_months e
  LEFT JOIN an_commune_months c ON c.commune_code = e.commune_code AND c.m = e.m_read
  UNION ALL
  SELECT $as_of::DATE, s.commune_code, s.started_on, s.households,
         c.cells, c.members, c.village_covered + c.direct_raw, c.hh_raw
  FROM starts s
  LEFT JOIN an_commune_state c
    ON c.commune_code = s.commune_code AND c.valid_from <= $as_of AND c.valid_to > $as_of),
state AS (
  SELECT month_end, commune_code, started_on, households,
         coalesce(cells, 0)::BIGINT AS cells,
         coalesce(members, 0)::BIGINT AS members,
         least(coalesce(covered, 0), households)::BIGINT AS households_covered,
         coalesce(hh_raw, 0)::BIGINT AS households_covered_raw
  FROM points)
SELECT month_end, commune_code, started_on, households, cells, members, households_covered,
       households_covered_raw, coverage_pct(households_covered, households) AS coverage_pct
FROM state
ORDER BY commune_code, month_end;
