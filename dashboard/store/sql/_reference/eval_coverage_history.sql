-- name: eval_coverage_history
-- title: Độ phủ của từng xã theo cuối tháng
-- description: Coverage of every started commune at each month end, from the month of its first cell up to as_of (the last point is as_of itself). commune_coverage macro evaluated at each date of a generated series.
-- params: as_of (date, default today); communes (list of commune codes, default NULL = all)
-- columns: month_end, commune_code, started_on, households, cells, members, households_covered, households_covered_raw, coverage_pct
WITH starts AS (
  SELECT commune_code, started_on FROM commune_phase($as_of)
  WHERE started_on IS NOT NULL
    AND ($communes IS NULL OR list_contains($communes, commune_code))),
month_ends AS (
  SELECT DISTINCT least(last_day(m), $as_of::DATE) AS month_end
  FROM (SELECT unnest(generate_series(
          date_trunc('month', (SELECT min(started_on) FROM starts))::DATE,
          date_trunc('month', $as_of::DATE)::DATE,
          INTERVAL 1 MONTH))::DATE AS m)
  WHERE (SELECT min(started_on) FROM starts) IS NOT NULL)
SELECT e.month_end,
       s.commune_code,
       s.started_on,
       c.households,
       c.cells,
       c.members,
       c.households_covered,
       c.households_covered_raw,
       coverage_pct(c.households_covered, c.households) AS coverage_pct
FROM month_ends e,
     LATERAL commune_coverage(e.month_end) c
JOIN starts s ON s.commune_code = c.unit_code
WHERE e.month_end >= date_trunc('month', s.started_on)
ORDER BY s.commune_code, e.month_end;
