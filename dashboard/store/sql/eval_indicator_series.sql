-- name: eval_indicator_series
-- title: Chỉ số kết quả theo xã và tháng (mọi tháng)
-- description: Monthly values of one indicator per commune for every month reported, without the date: the evaluation page reads it once per data version and indicator and keeps the months up to the month of as_of (evaluation.panel_at, the rows of eval_indicator_panel). Values reported for villages are added to their commune (reports_count = rows added).
-- params: indicator (text, required); communes (list of commune codes, default NULL = all)
-- columns: commune_code, period, indicator, value, reports_count
WITH r AS (
  SELECT CASE WHEN u.level = 'village' THEN u.parent_code ELSE u.unit_code END AS commune_code,
         i.period, i.indicator, i.value
  FROM indicators i JOIN units u USING (unit_code)
  WHERE i.indicator = $indicator
    AND u.level IN ('commune', 'village'))
SELECT commune_code, period, indicator, sum(value) AS value, count(*) AS reports_count
FROM r
WHERE $communes IS NULL OR list_contains($communes, commune_code)
GROUP BY ALL
ORDER BY commune_code, period;
