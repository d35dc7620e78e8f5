-- name: eval_indicators
-- title: Các chỉ số kết quả có trong dữ liệu
-- description: Indicators reported for communes or villages up to the month of as_of, with how many communes and months they cover.
-- params: as_of (date, default today); communes (list of commune codes, default NULL = all)
-- columns: indicator, communes, periods, first_period, last_period, rows
WITH r AS (
  SELECT CASE WHEN u.level = 'village' THEN u.parent_code ELSE u.unit_code END AS commune_code,
         i.period, i.indicator
  FROM indicators i JOIN units u USING (unit_code)
  WHERE u.level IN ('commune', 'village')
    AND i.period <= strftime($as_of::DATE, '%Y-%m'))
SELECT indicator,
       count(DISTINCT commune_code) AS communes,
       count(DISTINCT period) AS periods,
       min(period) AS first_period,
       max(period) AS last_period,
       count(*) AS rows
FROM r
WHERE $communes IS NULL OR list_contains($communes, commune_code)
GROUP BY indicator
ORDER BY indicator;
