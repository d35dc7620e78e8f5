-- name: eval_coverage_history
-- title: Độ phủ của từng xã theo cuối tháng
-- description: Coverage of every started commune at each month end, from the month of its first cell up to as_of (the last point is as_of itself). Same figures as the commune_coverage macro at each month end, computed in one pass: each cell adds its households, members and itself in the month it is founded and removes them in the month it ends; running sums per village (capped at the village's households) and per commune (capped at the commune's households).
-- params: as_of (date, default today); communes (list of commune codes, default NULL = all)
-- columns: month_end, commune_code, started_on, households, cells, members, households_covered, households_covered_raw, coverage_pct
WITH starts AS (
  SELECT commune_code, started_on, year(started_on) * 12 + month(started_on) AS m_start
  FROM commune_phase($as_of)
  WHERE started_on IS NOT NULL
    AND ($communes IS NULL OR list_contains($communes, commune_code))),
months AS (
  -- month number m = year·12 + month; its month end, or as_of for the month of as_of
  SELECT r.m,
         CASE WHEN r.m = year($as_of::DATE) * 12 + month($as_of::DATE) THEN $as_of::DATE
              ELSE last_day(make_date(((r.m - 1) // 12)::BIGINT, ((r.m - 1) % 12 + 1)::BIGINT, 1))
         END AS month_end
  FROM range((SELECT min(m_start) FROM starts),
             year($as_of::DATE) * 12 + month($as_of::DATE) + 1) r(m)),
cells AS (
  -- active at a month end d: established_on <= d and (ended_on empty or ended_on > d)
  SELECT w.commune_code,
         CASE WHEN w.unit_level = 'village' THEN w.unit_code END AS village,
         w.members, w.households_covered,
         year(w.established_on) * 12 + month(w.established_on) AS m_from,
         CASE WHEN w.ended_on <= $as_of THEN year(w.ended_on) * 12 + month(w.ended_on) END AS m_to
  FROM cells_with_commune() w JOIN starts s USING (commune_code)
  WHERE w.established_on <= $as_of),
changes AS (
  SELECT commune_code, village, m, sum(dc) AS dc, sum(dm) AS dm, sum(dh) AS dh
  FROM (SELECT commune_code, village, m_from AS m, 1 AS dc, members AS dm,
               households_covered AS dh FROM cells
        UNION ALL
        SELECT commune_code, village, m_to, -1, -members, -households_covered
        FROM cells WHERE m_to IS NOT NULL)
  GROUP BY ALL),
grid AS (
  SELECT u.commune_code, u.village, mo.m, mo.month_end
  FROM (SELECT DISTINCT commune_code, village FROM cells) u
  JOIN starts s USING (commune_code)
  JOIN months mo ON mo.m >= s.m_start),
running AS (
  SELECT g.commune_code, g.village, g.month_end,
         sum(coalesce(c.dc, 0)) OVER w AS cells,
         sum(coalesce(c.dm, 0)) OVER w AS members,
         sum(coalesce(c.dh, 0)) OVER w AS raw
  FROM grid g
  LEFT JOIN changes c ON c.commune_code = g.commune_code AND c.m = g.m
                     AND c.village IS NOT DISTINCT FROM g.village
  WINDOW w AS (PARTITION BY g.commune_code, g.village ORDER BY g.m
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)),
village_hh AS (
  SELECT unit_code AS village, coalesce(households, 0) AS hh FROM units WHERE level = 'village'),
commune_hh AS (
  SELECT c.unit_code AS commune_code,
         CASE WHEN count(v.unit_code) > 0 THEN sum(coalesce(v.households, 0))
              ELSE coalesce(c.households, 0) END::BIGINT AS households
  FROM units c
  LEFT JOIN units v ON v.parent_code = c.unit_code AND v.level = 'village'
  WHERE c.level = 'commune' AND c.unit_code IN (SELECT commune_code FROM starts)
  GROUP BY c.unit_code, c.households),
per_commune AS (
  SELECT r.month_end, r.commune_code, h.households,
         sum(r.cells)::BIGINT AS cells,
         sum(r.members)::BIGINT AS members,
         least(sum(CASE WHEN r.village IS NULL THEN r.raw ELSE least(r.raw, vh.hh) END),
               h.households)::BIGINT AS households_covered,
         sum(r.raw)::BIGINT AS households_covered_raw
  FROM running r
  JOIN commune_hh h USING (commune_code)
  LEFT JOIN village_hh vh ON vh.village = r.village
  GROUP BY r.month_end, r.commune_code, h.households)
SELECT p.month_end, p.commune_code, s.started_on, p.households, p.cells, p.members,
       p.households_covered, p.households_covered_raw,
       coverage_pct(p.households_covered, p.households) AS coverage_pct
FROM per_commune p JOIN starts s USING (commune_code)
ORDER BY p.commune_code, p.month_end;
