"""Every limit and setting of the product, in one place, with its unit and default.

A setting is read as `config.get("display_rows")` (or the module constant of the same name in
upper case, for code that needs it at import time). Where a setting has an environment
variable, that variable overrides the default for the whole process; a value that does not
parse falls back to the default. `python -m dashboard docs` writes docs/settings.md from this
list, so the documentation cannot drift from the code.

Add a setting: append a `Setting` below (name, default, unit, meaning, optional env var), then
read it with `config.get(name)` where it is used. No other module defines a limit of its own.
"""
from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    unit: str
    meaning: str
    env: str | None = None
    group: str = "chung"

    def value(self):
        raw = os.environ.get(self.env) if self.env else None
        if raw is None or raw == "":
            return self.default
        try:
            if isinstance(self.default, bool):
                return raw.strip().lower() in ("1", "true", "yes", "có")
            if isinstance(self.default, int):
                return int(raw)
            if isinstance(self.default, float):
                return float(raw)
        except ValueError:
            return self.default
        return raw


SETTINGS: tuple[Setting, ...] = (
    # -- store ----------------------------------------------------------------------------
    Setting("db_path", "data/dashboard.duckdb", "path",
            "database file, relative to the working directory", "DASHBOARD_DB", "store"),
    Setting("archive_dir_name", "archive", "folder name",
            "folder beside the database holding the original uploaded files", group="store"),
    Setting("log_dir_name", "logs", "folder name",
            "folder beside the database holding the error log", group="store"),
    Setting("error_log_max_bytes", 1_000_000, "bytes",
            "size at which the error log is rotated", group="store"),
    Setting("error_log_backups", 3, "files", "rotated error logs kept", group="store"),
    # -- ingest ---------------------------------------------------------------------------
    Setting("upload_max_mb", 200, "MB",
            "largest upload the browser accepts (also .streamlit/config.toml maxUploadSize)",
            group="ingest"),
    Setting("max_problems_listed", 100_000, "problems",
            "problems kept in one import report; the count of the rest is still given",
            group="ingest"),
    Setting("template_validated_rows", 5000, "rows",
            "rows of an Excel template that carry drop-down lists", group="ingest"),
    # -- tables and exports ---------------------------------------------------------------
    Setting("query_cache_entries", 128, "results",
            "named-query results kept in memory, shared by every session (keyed by the data "
            "version, so a write never serves an old figure)", "DASHBOARD_QUERY_CACHE",
            group="web"),
    Setting("display_rows", 20_000, "rows",
            "rows drawn in an on-screen table; downloads always hold every row", group="web"),
    Setting("styled_cells", 250_000, "cells",
            "cells formatted with a Styler (below pandas' styler.render.max_elements)",
            group="web"),
    Setting("styled_rows", 2000, "rows",
            "tables up to this many rows keep numeric columns as numbers (exact sorting) "
            "with a Vietnamese display format; longer tables show the same text, formatted "
            "once per distinct value", group="web"),
    Setting("xlsx_max_rows", 1_048_575, "rows", "Excel's row limit minus the header row",
            group="output"),
    # -- SQL explorer ---------------------------------------------------------------------
    Setting("sql_timeout_s", 5.0, "seconds", "time limit of one explorer statement",
            "DASHBOARD_SQL_TIMEOUT", "sandbox"),
    Setting("sql_max_rows", 10_000, "rows", "rows an explorer result shows", group="sandbox"),
    Setting("sql_download_rows", 1_000_000, "rows",
            "rows in an explorer download or CLI output", group="sandbox"),
    Setting("sql_memory_limit", "512MB", "DuckDB size", "memory one explorer statement may use",
            "DASHBOARD_SQL_MEMORY", "sandbox"),
    Setting("sql_threads", 1, "threads", "DuckDB threads of one explorer statement",
            group="sandbox"),
    Setting("sql_max_concurrent", 2, "statements", "explorer statements at once per process",
            "DASHBOARD_SQL_CONCURRENCY", "sandbox"),
    # -- planner and norms ----------------------------------------------------------------
    Setting("households_per_cell", 40, "households",
            "households one cell looks after (the norm the planner uses)", group="analysis"),
    Setting("members_min", 5, "members", "fewest members of a typical cell", group="analysis"),
    Setting("members_max", 8, "members", "most members of a typical cell", group="analysis"),
    Setting("target_coverage_pct", 100.0, "%", "planner's default coverage target",
            group="analysis"),
    Setting("overload_households", 60, "households",
            "households per cell above which a cell is overloaded", group="analysis"),
    Setting("good_coverage_pct", 80, "%", "coverage the slides call good", group="analysis"),
    Setting("top_gaps", 10, "communes", "communes listed as the largest gaps", group="analysis"),
    Setting("evaluation_horizons", (6, 12, 24), "months",
            "months since start at which coverage is compared", group="analysis"),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def setting(name: str) -> Setting:
    return _BY_NAME[name]


def get(name: str):
    """The value in force: the environment variable when set and valid, else the default."""
    return _BY_NAME[name].value()


def markdown() -> str:
    """docs/settings.md, generated."""
    lines = ["# Settings", "",
             "Generated from `dashboard/config.py` by `python -m dashboard docs`; do not edit.",
             ""]
    groups: dict[str, list[Setting]] = {}
    for s in SETTINGS:
        groups.setdefault(s.group, []).append(s)
    for group, items in groups.items():
        lines += [f"## {group}", "", "| setting | default | unit | environment | meaning |",
                  "|---|---|---|---|---|"]
        for s in items:
            lines.append(f"| `{s.name}` | `{s.default}` | {s.unit} | "
                         f"{'`' + s.env + '`' if s.env else '—'} | {s.meaning} |")
        lines.append("")
    return "\n".join(lines)

