-- name: cells_over_time
-- title: Tổ và thành viên theo tháng, thí điểm và nhân rộng
-- description: At each month end up to as_of, active cells and their members by cell phase.
-- params: as_of (date, default today); communes (list of commune codes, default NULL = all)
-- columns: month, phase, cells, members
-- From the change events of an_phase_events (a cell adds 1 cell and its members on its
-- established_on and removes them on its ended_on): the active cells at a month end are
-- the running sum of the events up to that day; the last month stops at as_of.
WITH bounds AS (
  SELECT date_trunc('month', min(established_on)) AS first_month FROM cells),
months AS (
  SELECT strftime(least((m + INTERVAL 1 MONTH - INTERVAL 1 DAY)::DATE, $as_of::DATE), '%Y-%m')
           AS month
  FROM bounds, range(bounds.first_month, date_trunc('month', $as_of::DATE) + INTERVAL 1 MONTH,
                     INTERVAL 1 MONTH) t(m)
  WHERE bounds.first_month IS NOT NULL),
ev AS (
  SELECT strftime(day, '%Y-%m') AS month, phase, sum(d_cells) AS dc, sum(d_members) AS dm
  FROM an_phase_events
  WHERE day <= $as_of::DATE
    AND ($communes IS NULL OR list_contains($communes, commune_code))
  GROUP BY ALL),
grid AS (
  SELECT months.month, p.phase FROM months, (SELECT DISTINCT phase FROM ev) p),
running AS (
  SELECT g.month, g.phase,
         sum(coalesce(ev.dc, 0)) OVER w AS cells,
         sum(coalesce(ev.dm, 0)) OVER w AS members
  FROM grid g LEFT JOIN ev ON ev.month = g.month AND ev.phase = g.phase
  WINDOW w AS (PARTITION BY g.phase ORDER BY g.month ROWS UNBOUNDED PRECEDING))
SELECT month, phase, cells::BIGINT AS cells, members::BIGINT AS members
FROM running
WHERE cells > 0
ORDER BY month, phase;
