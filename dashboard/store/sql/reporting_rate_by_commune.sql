-- name: reporting_rate_by_commune
-- title: Tỷ lệ báo cáo của từng xã
-- description: Per commune in scope, over the months start_period to end_period in which it
--   was expected to report: complete, partial and missing months, complete months on time,
--   the reporting rate (100 × complete / months), the on-time rate (100 × on time / months)
--   and the last month it reported completely.
-- params: start_period (YYYY-MM, default 11 months before end_period); end_period (YYYY-MM, default the previous month); communes (list, default all); due_day (day, default the report_due_day setting)
-- columns: commune_code, commune_name, months, complete, partial, missing, on_time, reporting_rate, on_time_rate, last_complete_period
SELECT commune_code, commune_name,
       count(*) AS months,
       count(*) FILTER (status = 'complete') AS complete,
       count(*) FILTER (status = 'partial') AS partial,
       count(*) FILTER (status = 'missing') AS missing,
       count(*) FILTER (on_time) AS on_time,
       round(100.0 * count(*) FILTER (status = 'complete') / count(*), 1) AS reporting_rate,
       round(100.0 * count(*) FILTER (on_time) / count(*), 1) AS on_time_rate,
       max(period) FILTER (status = 'complete') AS last_complete_period
FROM reporting_status($start_period, $end_period, $due_day)
WHERE status <> 'none_expected'
  AND ($communes IS NULL OR list_contains($communes, commune_code))
GROUP BY commune_code, commune_name
ORDER BY reporting_rate, on_time_rate, commune_name;
