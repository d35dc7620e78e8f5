-- name: report_reporting
-- title: Xã đã gửi số liệu chỉ số trong kỳ báo cáo gần nhất
-- description: The reporting period is the latest month up to the month of as_of in which any commune (or one of its villages) reported an indicator; one row per selected commune with the rows it reported in that period and the last period it ever reported. period is NULL when no indicator has been reported at all.
-- params: as_of (date, default today); communes (list of commune codes, default NULL = all)
-- columns: commune_code, commune_name, period, reports_in_period, last_period
WITH r AS (
  SELECT CASE WHEN u.level = 'village' THEN u.parent_code ELSE u.unit_code END AS commune_code,
         i.period
  FROM indicators i JOIN units u USING (unit_code)
  WHERE u.level IN ('commune', 'village')
    AND i.period <= strftime($as_of::DATE, '%Y-%m')),
p AS (SELECT max(period) AS period FROM r)
SELECT c.unit_code AS commune_code, c.unit_name AS commune_name, p.period,
       count(r.period) FILTER (r.period = p.period) AS reports_in_period,
       max(r.period) AS last_period
FROM units c CROSS JOIN p
LEFT JOIN r ON r.commune_code = c.unit_code
WHERE c.level = 'commune'
  AND ($communes IS NULL OR list_contains($communes, c.unit_code))
GROUP BY c.unit_code, c.unit_name, p.period
ORDER BY c.unit_code;
