-- name: eval_indicator_panel
-- title: Chỉ số kết quả theo xã và tháng
-- description: Monthly values of one indicator per commune up to the month of as_of; values reported for villages are added to their commune (reports_count = rows added).
-- params: indicator (text, required); as_of (date, default today); communes (list of commune codes, default NULL = all)
-- columns: commune_code, period, indicator, value, reports_count
WITH r AS (
  SELECT CASE WHEN u.level = 'village' THEN u.parent_code ELSE u.unit_code END AS commune_code,
         i.period, i.indicator, i.value
  FROM indicators i JOIN units u USING (unit_code)
  WHERE i.indicator = $indicator
    AND u.level IN ('commune', 'village')
    AND i.period <= strftime($as_of::DATE, '%Y-%m'))
SELECT commune_code, period, indicator, sum(value) AS value, count(*) AS reports_count
FROM r
WHERE $communes IS NULL OR list_contains($communes, commune_code)
GROUP BY ALL
ORDER BY commune_code, period;
