-- name: reporting_rate_by_month
-- title: Tỷ lệ báo cáo theo tháng
-- description: Per month from start_period to end_period, over the communes in scope that
--   are expected to report: how many reported completely, partly or not at all, how many
--   complete reports arrived on time, the reporting rate (100 × complete / expected
--   communes), the on-time rate (100 × on time / expected communes) and how many communes
--   have the month approved.
-- params: start_period (YYYY-MM, default 11 months before end_period); end_period (YYYY-MM, default the previous month); communes (list, default all); due_day (day, default the report_due_day setting)
-- columns: period, communes, complete, partial, missing, on_time, late, reporting_rate, on_time_rate, approved
SELECT period,
       count(*) AS communes,
       count(*) FILTER (status = 'complete') AS complete,
       count(*) FILTER (status = 'partial') AS partial,
       count(*) FILTER (status = 'missing') AS missing,
       count(*) FILTER (on_time) AS on_time,
       count(*) FILTER (NOT on_time) AS late,
       round(100.0 * count(*) FILTER (status = 'complete') / count(*), 1) AS reporting_rate,
       round(100.0 * count(*) FILTER (on_time) / count(*), 1) AS on_time_rate,
       count(*) FILTER (approved) AS approved
FROM reporting_status($start_period, $end_period, $due_day)
WHERE status <> 'none_expected'
  AND ($communes IS NULL OR list_contains($communes, commune_code))
GROUP BY period
ORDER BY period;
