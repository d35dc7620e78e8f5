"""Tables of the reporting cycle and the `reporting_status` table macro.

`Database.ensure_schema` runs DDL (every statement is idempotent). Importing this module also
registers the lock on approved months (approvals.check_locks) as a before-commit hook.
"""
from __future__ import annotations

TABLES = [
    # expected indicators per province; a province with no row expects every indicator it
    # has ever reported
    """CREATE TABLE IF NOT EXISTS reporting_expected (
  province_code VARCHAR NOT NULL, indicator VARCHAR NOT NULL,
  PRIMARY KEY (province_code, indicator))""",
    # whom to remind, per commune (default: the commune's People's Committee)
    """CREATE TABLE IF NOT EXISTS reporting_contacts (
  unit_code VARCHAR PRIMARY KEY, contact_unit VARCHAR, contact_person VARCHAR,
  phone VARCHAR, email VARCHAR)""",
    """CREATE SEQUENCE IF NOT EXISTS approval_seq START 1""",
    # a month approved for a commune or a whole province; active while unlocked_at IS NULL
    """CREATE TABLE IF NOT EXISTS approvals (
  approval_id BIGINT PRIMARY KEY, period VARCHAR NOT NULL, unit_code VARCHAR NOT NULL,
  level VARCHAR NOT NULL,                 -- commune | province
  approved_by VARCHAR, approved_at TIMESTAMP NOT NULL, note VARCHAR,
  unlocked_by VARCHAR, unlocked_at TIMESTAMP, unlock_reason VARCHAR)""",
    # batch states the lock has already inspected (a new batch or a new undo is unseen)
    """CREATE TABLE IF NOT EXISTS approval_seen (
  batch_id BIGINT NOT NULL, status VARCHAR NOT NULL, PRIMARY KEY (batch_id, status))""",
    """CREATE SEQUENCE IF NOT EXISTS comment_seq START 1""",
    """CREATE TABLE IF NOT EXISTS comments (
  comment_id BIGINT PRIMARY KEY, parent_id BIGINT,
  page VARCHAR NOT NULL, figure_key VARCHAR NOT NULL, figure_title VARCHAR,
  view_query VARCHAR,                     -- the page's URL state: opens the exact view
  communes VARCHAR[],                     -- the communes the view is about; NULL = all data
  author VARCHAR NOT NULL, author_role VARCHAR, created_at TIMESTAMP NOT NULL,
  body VARCHAR NOT NULL,
  resolved_by VARCHAR, resolved_at TIMESTAMP,
  in_pack BOOLEAN NOT NULL DEFAULT FALSE, slide_key VARCHAR)""",
    """CREATE SEQUENCE IF NOT EXISTS question_seq START 1""",
    """CREATE TABLE IF NOT EXISTS saved_questions (
  question_id BIGINT PRIMARY KEY, name VARCHAR NOT NULL, description VARCHAR,
  sql VARCHAR NOT NULL, params_json VARCHAR,
  communes VARCHAR[],                     -- the author's scope; NULL = all data
  created_by VARCHAR, created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP,
  on_overview BOOLEAN NOT NULL DEFAULT FALSE,
  display VARCHAR NOT NULL DEFAULT 'table')   -- table | bar | line""",
]

# One row per commune and month from first_period to last_period ('YYYY-MM'): the expected
# indicators, which arrived, when (the batch that first wrote each row), whether on time (by
# due_day of the following month) and whether the month is approved for it.
STATUS_MACRO = r"""
CREATE OR REPLACE MACRO reporting_status(first_period, last_period, due_day) AS TABLE
WITH periods AS (
    SELECT strftime(d, '%Y-%m') AS period
    FROM range(strptime(first_period || '-01', '%Y-%m-%d'),
               strptime(last_period || '-01', '%Y-%m-%d') + INTERVAL 1 MONTH,
               INTERVAL 1 MONTH) t(d)
), communes AS (
    SELECT c.unit_code AS commune_code, c.unit_name AS commune_name,
           CASE WHEN p.level = 'province' THEN p.unit_code
                WHEN pp.level = 'province' THEN pp.unit_code END AS province_code
    FROM units c
    LEFT JOIN units p ON p.unit_code = c.parent_code
    LEFT JOIN units pp ON pp.unit_code = p.parent_code
    WHERE c.level = 'commune'
), reporters AS (      -- a commune reports through its own rows and its villages' rows
    SELECT unit_code, unit_code AS commune_code FROM units WHERE level = 'commune'
    UNION ALL
    SELECT unit_code, parent_code FROM units WHERE level = 'village'
), ever AS (
    SELECT DISTINCT c.province_code, i.indicator
    FROM indicators i JOIN reporters r USING (unit_code) JOIN communes c USING (commune_code)
), expected AS (
    SELECT province_code, indicator FROM reporting_expected
    UNION ALL
    SELECT e.province_code, e.indicator FROM ever e
    WHERE NOT EXISTS (SELECT 1 FROM reporting_expected x WHERE x.province_code = e.province_code)
), n_expected AS (
    SELECT province_code, count(*) AS expected FROM expected GROUP BY province_code
), first_write AS (    -- the committed batch that first wrote each indicator row
    SELECT unit_code, period, indicator, min(batch_id) AS batch_id
    FROM (SELECT json_extract_string(bc.row_key, '$[0]') AS unit_code,
                 json_extract_string(bc.row_key, '$[1]') AS period,
                 json_extract_string(bc.row_key, '$[2]') AS indicator, bc.batch_id
          FROM batch_changes bc
          JOIN batches b ON b.batch_id = bc.batch_id AND b.status = 'committed'
          WHERE bc.dataset = 'indicators')
    WHERE period BETWEEN first_period AND last_period
    GROUP BY ALL
), rows_in AS MATERIALIZED (   -- the months' indicator rows with their commune, first:
    -- unmaterialized, the planner joined every month's rows to `expected` (2-3× slower)
    SELECT i.unit_code, r.commune_code, c.province_code, i.period, i.indicator
    FROM indicators i
    JOIN reporters r USING (unit_code)
    JOIN communes c ON c.commune_code = r.commune_code
    WHERE i.period BETWEEN first_period AND last_period
), arrived AS (        -- each expected indicator of a commune and month, when it first arrived
    SELECT i.commune_code, i.period, i.indicator,
           min(b.created_at) AS arrived_at, arg_min(b.batch_id, b.created_at) AS batch_id
    FROM rows_in i
    JOIN expected e ON e.province_code = i.province_code AND e.indicator = i.indicator
    LEFT JOIN first_write fw ON fw.unit_code = i.unit_code AND fw.period = i.period
                            AND fw.indicator = i.indicator
    LEFT JOIN batches b ON b.batch_id = fw.batch_id
    WHERE i.period BETWEEN first_period AND last_period
    GROUP BY ALL
), received AS (
    SELECT commune_code, period, count(*) AS received, max(arrived_at) AS reported_at,
           arg_max(batch_id, arrived_at) AS batch_id
    FROM arrived GROUP BY ALL
), grid AS (
    SELECT c.*, p.period,
           strptime(p.period || '-01', '%Y-%m-%d')::DATE + INTERVAL 1 MONTH AS next_month
    FROM communes c CROSS JOIN periods p
), missing AS (
    SELECT g.commune_code, g.period,
           string_agg(e.indicator, ', ' ORDER BY e.indicator) AS missing_indicators
    FROM grid g JOIN expected e ON e.province_code = g.province_code
    WHERE NOT EXISTS (SELECT 1 FROM arrived a WHERE a.commune_code = g.commune_code
                      AND a.period = g.period AND a.indicator = e.indicator)
    GROUP BY ALL
), approved AS (
    SELECT g.commune_code, g.period, max(a.approved_at) AS approved_at
    FROM grid g JOIN approvals a ON a.period = g.period AND a.unlocked_at IS NULL
         AND (a.unit_code = g.commune_code OR a.unit_code = g.province_code)
    GROUP BY ALL
), status AS (
    SELECT g.period, g.commune_code, g.commune_name, g.province_code,
           coalesce(n.expected, 0) AS expected, coalesce(r.received, 0) AS received,
           CASE WHEN coalesce(n.expected, 0) = 0 THEN 'none_expected'
                WHEN coalesce(r.received, 0) = 0 THEN 'missing'
                WHEN r.received < n.expected THEN 'partial'
                ELSE 'complete' END AS status,
           m.missing_indicators, r.batch_id, r.reported_at,
           (g.next_month::DATE + (least(due_day::INTEGER,
                                        day(last_day(g.next_month::DATE))) - 1)
                                 * INTERVAL 1 DAY)::DATE AS due_on,
           ap.approved_at IS NOT NULL AS approved, ap.approved_at
    FROM grid g
    LEFT JOIN n_expected n ON n.province_code = g.province_code
    LEFT JOIN received r ON r.commune_code = g.commune_code AND r.period = g.period
    LEFT JOIN missing m ON m.commune_code = g.commune_code AND m.period = g.period
    LEFT JOIN approved ap ON ap.commune_code = g.commune_code AND ap.period = g.period
)
SELECT *,
       CASE WHEN status = 'complete' AND reported_at IS NOT NULL
            THEN reported_at::DATE <= due_on END AS on_time,
       CASE WHEN status = 'complete' AND reported_at IS NOT NULL
            THEN greatest(0, date_diff('day', due_on, reported_at::DATE)) END AS days_late
FROM status
"""

DDL = [*TABLES, STATUS_MACRO]   # audit_log: dashboard/access/audit.py

from dashboard.reporting import approvals  # noqa: E402,F401  (registers the lock hook)
