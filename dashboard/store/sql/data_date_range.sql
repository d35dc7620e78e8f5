-- name: data_date_range
-- title: Khoảng ngày của dữ liệu
-- description: The earliest and latest dates the data holds (cells established or ended,
--   models started or ended, indicator months): the range a date filter is kept within.
-- params: (none)
-- columns: first_date, last_date
WITH d(day) AS (
  SELECT established_on FROM cells UNION ALL SELECT ended_on FROM cells
  UNION ALL SELECT started_on FROM models UNION ALL SELECT ended_on FROM models
  UNION ALL SELECT CAST(period || '-01' AS DATE) FROM indicators
)
SELECT min(day) AS first_date, max(day) AS last_date FROM d;
