-- name: profile_indicators
-- title: Hồ sơ xã — chỉ số kết quả theo tháng
-- description: Monthly indicator values of one commune up to the month of as_of: the commune's own values plus those of its villages.
-- params: commune (commune code, required); as_of (date, default today)
-- columns: period, indicator, value, units
-- units = how many units (the commune and/or its villages) reported the value that month.
SELECT i.period,
       i.indicator,
       sum(i.value) AS value,
       count(DISTINCT i.unit_code) AS units
FROM indicators i
JOIN units u ON u.unit_code = i.unit_code
WHERE (i.unit_code = $commune OR (u.level = 'village' AND u.parent_code = $commune))
  AND i.period <= strftime($as_of::DATE, '%Y-%m')
GROUP BY i.period, i.indicator
ORDER BY i.indicator, i.period;
