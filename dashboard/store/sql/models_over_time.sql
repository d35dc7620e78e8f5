-- name: models_over_time
-- title: Mô hình đang hoạt động theo thời gian
-- description: Per month and field: models started and ended in the month, and active at its end.
-- params: as_of (date, default today); communes (list of commune codes, default NULL = all)
-- columns: period, field, started, ended, active_models
-- Months run from the first started_on to as_of. active_models counts models active on the
-- month's last day (or on as_of for the last month): started_on <= that day and (ended_on
-- empty or after it) — the rule of models_by_field, so the last month equals its active_models.
WITH m AS (
  SELECT m.* FROM models m LEFT JOIN units u USING (unit_code)
  WHERE $communes IS NULL
     OR list_contains($communes, CASE WHEN u.level = 'village' THEN u.parent_code
                                      ELSE m.unit_code END)),
months AS (
  SELECT CAST(ms AS DATE) AS month_start,
         least(CAST(ms + INTERVAL 1 MONTH - INTERVAL 1 DAY AS DATE), CAST($as_of AS DATE))
           AS month_end
  FROM (SELECT min(started_on) AS first FROM m) b,
       generate_series(CAST(date_trunc('month', b.first) AS TIMESTAMP),
                       CAST(date_trunc('month', CAST($as_of AS DATE)) AS TIMESTAMP),
                       INTERVAL 1 MONTH) AS g(ms)
  WHERE b.first IS NOT NULL),
f(field, ford) AS (VALUES ('economy', 1), ('culture_society', 2),
                          ('defense_security', 3), ('political_system', 4))
SELECT strftime(mo.month_start, '%Y-%m') AS period, f.field,
       count(m.model_id) FILTER (m.started_on BETWEEN mo.month_start AND mo.month_end)
         AS started,
       count(m.model_id) FILTER (m.ended_on BETWEEN mo.month_start AND mo.month_end) AS ended,
       count(m.model_id) FILTER (m.started_on <= mo.month_end
                                 AND (m.ended_on IS NULL OR m.ended_on > mo.month_end))
         AS active_models
FROM months mo CROSS JOIN f
LEFT JOIN m ON m.field = f.field AND m.started_on <= mo.month_end
GROUP BY mo.month_start, f.field, f.ford
ORDER BY mo.month_start, f.ford;
