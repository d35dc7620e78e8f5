-- name: cells_over_time
-- title: Tổ và thành viên theo tháng, thí điểm và nhân rộng
-- description: At each month end up to as_of, active cells and their members by cell phase.
-- params: as_of (date, default today); communes (list of commune codes, default NULL = all)
-- columns: month, phase, cells, members
WITH bounds AS (
  SELECT date_trunc('month', min(established_on)) AS first_month FROM cells),
months AS (
  SELECT (m + INTERVAL 1 MONTH - INTERVAL 1 DAY)::DATE AS month_end
  FROM bounds, range(bounds.first_month, date_trunc('month', $as_of::DATE) + INTERVAL 1 MONTH,
                     INTERVAL 1 MONTH) t(m)
  WHERE bounds.first_month IS NOT NULL),
c AS (
  SELECT * FROM cells_with_commune()
  WHERE $communes IS NULL OR list_contains($communes, commune_code))
SELECT strftime(least(months.month_end, $as_of::DATE), '%Y-%m') AS month, c.phase,
       count(*) AS cells, sum(c.members)::BIGINT AS members
FROM months JOIN c
  ON c.established_on <= least(months.month_end, $as_of::DATE)
 AND (c.ended_on IS NULL OR c.ended_on > least(months.month_end, $as_of::DATE))
GROUP BY ALL
ORDER BY month, c.phase;
