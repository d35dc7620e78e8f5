-- name: map_indicator
-- title: Chỉ số kết quả theo đơn vị (12 tháng đến kỳ chọn)
-- description: Sum of one indicator over the 12 months ending with the month of as_of, per commune (its own values plus its villages') or per village.
-- params: indicator (indicator code); level (commune|village, default commune); as_of (date, default today); communes (list of commune codes, default NULL = all)
-- columns: unit_code, value, periods, first_period, last_period
WITH r AS (
  SELECT CASE WHEN $level = 'commune' AND u.level = 'village' THEN u.parent_code
              ELSE i.unit_code END AS unit_code,
         CASE WHEN u.level = 'village' THEN u.parent_code ELSE u.unit_code END AS commune_code,
         i.period, i.value
  FROM indicators i JOIN units u USING (unit_code)
  WHERE i.indicator = $indicator
    AND u.level IN ('commune', 'village')
    AND ($level = 'commune' OR u.level = 'village')
    AND i.period <= strftime($as_of::DATE, '%Y-%m')
    AND i.period > strftime($as_of::DATE - INTERVAL 12 MONTH, '%Y-%m'))
SELECT unit_code, sum(value) AS value, count(DISTINCT period) AS periods,
       min(period) AS first_period, max(period) AS last_period
FROM r
WHERE $communes IS NULL OR list_contains($communes, commune_code)
GROUP BY unit_code
ORDER BY unit_code;
