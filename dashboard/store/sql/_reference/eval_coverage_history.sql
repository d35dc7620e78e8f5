-- name: eval_coverage_history
-- title: Độ phủ của từng xã theo cuối tháng
-- description: Reference form (computed from every cell): coverage of every started commune at each month end, from the month of its first cell up to as_of (the last point is as_of itself). Same figures as the commune_coverage macro at each month end, computed in one pass: each cell adds its households, members and itself in the month it is founded and removes them in the month it ends; a village's capped coverage changes only in its own change months, so running sums per village run over those months only and the commune's running sums over its months (capped at its households).
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
  -- per village (or the commune itself for cells attached to it) and month: what changes
  SELECT commune_code, village, m, sum(dc) AS dc, sum(dm) AS dm, sum(dh) AS dh
  FROM (SELECT commune_code, village, m_from AS m, 1 AS dc, members AS dm,
               households_covered AS dh FROM cells
        UNION ALL
        SELECT commune_code, village, m_to, -1, -members, -households_covered
        FROM cells WHERE m_to IS NOT NULL)
  GROUP BY ALL),
village_hh AS (
  SELECT unit_code AS village, coalesce(households, 0) AS hh FROM units WHERE level = 'village'),
capped AS (
  -- the village's capped coverage only changes at its own change months: its change there
  SELECT c.commune_code, c.m, c.dc, c.dm, c.dh,
         CASE WHEN c.village IS NULL THEN c.dh
              ELSE least(sum(c.dh) OVER w, vh.hh)
                   - coalesce(least(sum(c.dh) OVER w - c.dh, vh.hh), 0) END AS dcap
  FROM changes c LEFT JOIN village_hh vh ON vh.village = c.village
  WINDOW w AS (PARTITION BY c.commune_code, c.village ORDER BY c.m
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)),
commune_changes AS (
  SELECT commune_code, m, sum(dc) AS dc, sum(dm) AS dm, sum(dh) AS dh, sum(dcap) AS dcap
  FROM capped GROUP BY ALL),
commune_hh AS (
  SELECT c.unit_code AS commune_code,
         CASE WHEN count(v.unit_code) > 0 THEN sum(coalesce(v.households, 0))
              ELSE coalesce(c.households, 0) END::BIGINT AS households
  FROM units c
  LEFT JOIN units v ON v.parent_code = c.unit_code AND v.level = 'village'
  WHERE c.level = 'commune' AND c.unit_code IN (SELECT commune_code FROM starts)
  GROUP BY c.unit_code, c.households),
per_commune AS (
  -- running sums over every month end of every started commune
  SELECT s.commune_code, mo.month_end, h.households,
         sum(coalesce(c.dc, 0)) OVER w AS cells,
         sum(coalesce(c.dm, 0)) OVER w AS members,
         sum(coalesce(c.dh, 0)) OVER w AS raw,
         sum(coalesce(c.dcap, 0)) OVER w AS capped
  FROM starts s
  JOIN months mo ON mo.m >= s.m_start
  JOIN commune_hh h USING (commune_code)
  LEFT JOIN commune_changes c ON c.commune_code = s.commune_code AND c.m = mo.m
  WINDOW w AS (PARTITION BY s.commune_code ORDER BY mo.m
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW))
SELECT p.month_end, p.commune_code, s.started_on, p.households,
       p.cells::BIGINT AS cells, p.members::BIGINT AS members,
       least(p.capped, p.households)::BIGINT AS households_covered,
       p.raw::BIGINT AS households_covered_raw,
       coverage_pct(least(p.capped, p.households), p.households) AS coverage_pct
FROM per_commune p JOIN starts s USING (commune_code)
ORDER BY p.commune_code, p.month_end;
