"""The monthly reporting cycle: who has reported (completeness), approval and lock, comments on
figures and saved questions. Streamlit-free; the pages and the CLI call these modules.

- schema: the tables and the `reporting_status` table macro (DDL run by ensure_schema)
- scope: the one place this package narrows data to a principal's scope
- completeness: reporting status, rates, reminder list, the map of reporting rates
- approvals: approve / unlock a month; the before-commit lock on approved months
- comments: interpretations on a figure (tied to the page and its URL state), replies
- questions: saved SQL explorer statements, rerun read-only
"""
