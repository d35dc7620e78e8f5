"""The SQL sandbox: analysts' read-only queries over the data, with hard limits.

Used by the "Phân tích SQL" page and by `python -m dashboard sql`, so both follow exactly the
same rules (in the manner of Datasette and Superset's SQL Lab):

1. **Only one read statement.** DuckDB's own parser decides (`duckdb.extract_statements`):
   exactly one statement of type SELECT (this includes `FROM t`, `WITH …`, `VALUES`,
   `DESCRIBE`, `SHOW`, `SUMMARIZE`, `UNPIVOT`). Anything else — INSERT, UPDATE, DELETE,
   CREATE, DROP, ALTER, COPY, EXPORT, ATTACH, DETACH, INSTALL, LOAD, SET, RESET, PRAGMA, CALL,
   CHECKPOINT, VACUUM, transactions, PIVOT statements … — is refused before it runs.
2. **No file, network, extension or nested-SQL functions.** The statement's syntax tree
   (`json_serialize_sql`) is walked and functions that read files or URLs (`read_csv`,
   `read_parquet`, `read_text`, `glob`, …) or run SQL given as text (`query`,
   `json_execute_serialized_sql`) are refused with a clear message.
3. **A separate, locked-down connection** does the work, so even a statement that slipped past
   1–2 could not harm anything: opened `read_only`, `enable_external_access=false` (no files,
   no URLs), extension autoload/autoinstall off, no temporary directory (no spilling to disk),
   `memory_limit` and `threads` bounded, `max_execution_time` (statement timeout) set, and
   `lock_configuration=true` so no statement can change any of it.
4. **Time, rows, memory and concurrency are bounded**: a statement timeout (default 5 s,
   `DASHBOARD_SQL_TIMEOUT`) enforced by DuckDB plus a watchdog that interrupts the cursor;
   at most 10,000 rows fetched for display (the 10,001st only tells that the result was cut);
   the full result for download re-runs under the same limits with a cap of 1,000,000 rows;
   memory limit (default 512MB, `DASHBOARD_SQL_MEMORY`); at most 2 sandbox statements at once
   per process (`DASHBOARD_SQL_CONCURRENCY`). DuckDB releases the GIL while it works, so a slow
   statement never blocks the other sessions of the app.

Which data the sandbox reads: never the database file itself, but a snapshot written by
dashboard/access/scope.py for the analyst's scope (one consistent read transaction; tables,
metric macros), which is then opened read-only with the locked configuration. Rows outside
the scope — batch_changes before-images and batches included — and the accounts, sessions
and audit log are not in it. The snapshot is rebuilt when the data changes (a fingerprint of
batches and table sizes, checked before each statement). Catalogue functions and views that
reveal settings or paths (pg_settings, duckdb_settings, duckdb_databases,
pragma_database_list with or without parentheses, current_setting, …) are refused; a result
is capped in rows and in bytes (sql_max_result_mb); a link (?sql=, ?q=) only fills the editor.

The code is split so that each part is small enough to audit:
limits (settings, errors, locked configuration), check (what may run), runner (running with
limits), snapshot (what data is read), schema_docs, urls (links and examples), cli.
This module gathers their API; `from dashboard import sandbox` gives the same names.
"""
from __future__ import annotations

from dashboard.sandbox.check import READ_ONLY_NOTE, Checked, _denied, _short, check, param_names  # noqa: F401
from dashboard.sandbox.cli import add_arguments, build_parser, cli_main, to_plain_csv, to_records  # noqa: F401
from dashboard.sandbox.limits import Limits, SandboxError, _locked_config  # noqa: F401
from dashboard.sandbox.runner import Result, Sandbox, bind_params, coerce_value  # noqa: F401
from dashboard.sandbox.schema_docs import (  # noqa: F401
    MACRO_DOCS,
    TABLE_DOCS,
    TABLE_LABELS,
    column_label,
    column_meaning,
    search_tables,
    table_doc,
    table_label,
)
from dashboard.sandbox.snapshot import building, close_all, fingerprint, for_database, for_path  # noqa: F401
from dashboard.sandbox.urls import (  # noqa: F401
    EXPLORER_PAGE,
    PARAM_LABELS,
    Example,
    examples,
    explorer_query_params,
    link_signature,
    param_kind,
    param_label,
    parse_explorer_query_params,
)

__all__ = [n for n in dir() if not n.startswith("__") and n != "annotations"]
