-- name: reporting_completeness
-- title: Tình hình báo cáo chỉ số của các xã trong một tháng
-- description: One row per commune for the month `period`: how many of the expected
--   indicators arrived (expected set per province: reporting_expected, else every indicator
--   the province has ever reported), the status (complete | partial | missing |
--   none_expected), the batch that completed the report and its time, the due date (day
--   due_day of the following month), whether on time and how many days late, whether the
--   month is approved, whom to remind and the last month the commune reported anything.
-- params: period (YYYY-MM, default the previous month); communes (list, default all); due_day (day, default the report_due_day setting)
-- columns: period, commune_code, commune_name, province_code, expected, received, status, missing_indicators, batch_id, reported_at, due_on, on_time, days_late, approved, contact_unit, contact_person, contact_phone, last_reported_period
WITH last_report AS (
    SELECT coalesce(v.parent_code, u.unit_code) AS commune_code, max(i.period) AS period
    FROM indicators i
    JOIN units u ON u.unit_code = i.unit_code AND u.level IN ('commune', 'village')
    LEFT JOIN units v ON v.unit_code = u.unit_code AND v.level = 'village'
    GROUP BY ALL
)
SELECT s.period, s.commune_code, s.commune_name, s.province_code, s.expected, s.received,
       s.status, s.missing_indicators, s.batch_id, s.reported_at, s.due_on, s.on_time,
       s.days_late, s.approved,
       coalesce(ct.contact_unit,
                'UBND ' || lower(left(s.commune_name, 1)) || substr(s.commune_name, 2))
           AS contact_unit,
       ct.contact_person, ct.phone AS contact_phone, lr.period AS last_reported_period
FROM reporting_status($period, $period, $due_day) s
LEFT JOIN reporting_contacts ct ON ct.unit_code = s.commune_code
LEFT JOIN last_report lr ON lr.commune_code = s.commune_code
WHERE ($communes IS NULL OR list_contains($communes, s.commune_code))
ORDER BY CASE s.status WHEN 'missing' THEN 0 WHEN 'partial' THEN 1 ELSE 2 END,
         s.on_time NULLS FIRST, s.commune_name, s.commune_code;
