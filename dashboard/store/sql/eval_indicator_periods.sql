-- name: eval_indicator_periods
-- title: Các chỉ số kết quả theo kỳ (không theo ngày)
-- description: Per indicator and period reported for communes or villages: the rows and the communes reporting the indicator for the first time, without the date: the evaluation page reads it once per data version and adds up the periods up to the month of as_of (evaluation.indicators_at, the rows of eval_indicators at as_of).
-- params: communes (list of commune codes, default NULL = all)
-- columns: indicator, period, rows, new_communes
WITH r AS (
  SELECT CASE WHEN u.level = 'village' THEN u.parent_code ELSE u.unit_code END AS commune_code,
         i.period, i.indicator
  FROM indicators i JOIN units u USING (unit_code)
  WHERE u.level IN ('commune', 'village')),
kept AS (
  SELECT * FROM r WHERE $communes IS NULL OR list_contains($communes, commune_code)),
firsts AS (
  SELECT indicator, period, count(*) AS new_communes
  FROM (SELECT indicator, commune_code, min(period) AS period FROM kept GROUP BY ALL)
  GROUP BY ALL)
SELECT p.indicator, p.period, p.rows, coalesce(f.new_communes, 0) AS new_communes
FROM (SELECT indicator, period, count(*) AS rows FROM kept GROUP BY ALL) p
LEFT JOIN firsts f USING (indicator, period)
ORDER BY p.indicator, p.period;
