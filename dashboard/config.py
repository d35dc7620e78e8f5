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
    Setting("name_typo_ratio", 80, "similarity 0–100",
            "a unit name this close to its official name is a typo (stored under the official "
            "name without asking to check the code)", group="ingest"),
    # -- tables and exports ---------------------------------------------------------------
    Setting("query_cache_entries", 128, "results",
            "named-query results kept in memory, shared by every session (keyed by the data "
            "version, so a write never serves an old figure)", "DASHBOARD_QUERY_CACHE",
            group="web"),
    Setting("display_rows", 20_000, "rows",
            "rows drawn in an on-screen table; downloads always hold every row", group="web"),
    Setting("models_page_rows", 1000, "rows",
            "models the registry list (Mô hình page) draws per page; its downloads hold "
            "every model found", group="web"),
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
    Setting("sql_max_result_mb", 32, "MB",
            "largest explorer result kept in memory (text, numbers, all columns); a larger "
            "result is cut at the last whole chunk that fits", "DASHBOARD_SQL_MAX_RESULT_MB",
            "sandbox"),
    # -- access: logins, sessions, lockout, serving ---------------------------------------
    Setting("argon2_time_cost", 3, "iterations", "Argon2id password hash: passes over memory",
            "DASHBOARD_ARGON2_TIME_COST", "access"),
    Setting("argon2_memory_kib", 65536, "KiB", "Argon2id password hash: memory per hash",
            "DASHBOARD_ARGON2_MEMORY_KIB", "access"),
    Setting("argon2_parallelism", 1, "lanes", "Argon2id password hash: parallel lanes",
            "DASHBOARD_ARGON2_PARALLELISM", "access"),
    Setting("password_min_length", 10, "characters", "shortest password accepted",
            group="access"),
    Setting("password_min_classes", 3, "classes",
            "kinds of characters a password mixes (lower case, upper case, digits, others)",
            group="access"),
    Setting("session_hours", 12.0, "hours",
            "how long a login lasts (survives reloads and deep links) unless the user logs out",
            "DASHBOARD_SESSION_HOURS", "access"),
    Setting("session_cookie", "danvan_session", "name", "browser cookie holding the session "
            "token (the token itself is kept hashed in the database)", group="access"),
    Setting("login_window_minutes", 15.0, "minutes",
            "failed logins of an account counted over this window", group="access"),
    Setting("login_slowdown_after", 3, "failures",
            "failed logins after which each further attempt waits", group="access"),
    Setting("login_slowdown_s", 2.0, "seconds",
            "wait per failed login beyond login_slowdown_after (grows linearly, capped at 10 s)",
            "DASHBOARD_LOGIN_SLOWDOWN_S", "access"),
    Setting("login_lockout_after", 5, "failures",
            "failed logins within the window that lock the account", group="access"),
    Setting("login_lockout_minutes", 15.0, "minutes", "how long a locked account stays locked",
            "DASHBOARD_LOGIN_LOCKOUT_MINUTES", "access"),
    Setting("trust_forwarded_for", False, "yes/no",
            "take the client address from X-Forwarded-For (only behind your own reverse "
            "proxy)", "DASHBOARD_TRUST_FORWARDED_FOR", "access"),
    Setting("serve_address", "127.0.0.1", "address",
            "address `python -m dashboard serve` listens on; another address than loopback "
            "needs users", "DASHBOARD_ADDRESS", "access"),
    Setting("serve_port", 8501, "port", "port `python -m dashboard serve` listens on",
            "DASHBOARD_PORT", "access"),
    Setting("oidc_enabled", False, "yes/no",
            "offer Streamlit's st.login (OpenID Connect, configured in .streamlit/secrets.toml "
            "[auth]); the user's e-mail must belong to a user created with --email",
            "DASHBOARD_OIDC", "access"),
    Setting("scope_cache_entries", 16, "scopes",
            "scoped views of the data kept at once (one per scope and data version)",
            group="access"),
    Setting("audit_rows_shown", 5000, "rows", "audit entries drawn on the admin page "
            "(the XLSX download holds every entry matching the filter)", group="access"),
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
    # -- written report (Báo cáo sơ kết / tổng kết) -----------------------------------------
    Setting("report_issuer", "BAN DÂN VẬN", "text",
            "issuing body of the Party-format report, under «TỈNH ỦY …» (e.g. BAN TUYÊN GIÁO "
            "VÀ DÂN VẬN where the boards have merged)", "DASHBOARD_REPORT_ISSUER", "report"),
    Setting("report_issuer_symbol", "BDVTU", "text",
            "the issuing body's symbol in the number «Số …-BC/BDVTU»",
            "DASHBOARD_REPORT_SYMBOL", "report"),
    Setting("report_place", "", "text",
            "place in «<place>, ngày … tháng … năm …»; empty = the province's (or commune's) "
            "name from the units", "DASHBOARD_REPORT_PLACE", "report"),
    Setting("report_low_coverage_pct", 50.0, "%",
            "coverage below which a village with cells is called under-covered (also a band "
            "of the report's communes table)", group="report"),
    Setting("report_very_low_coverage_pct", 20.0, "%",
            "lowest band of the report's communes table (communes with cells below it)",
            group="report"),
    Setting("report_names_listed", 10, "units",
            "names listed in a sentence or a priority table before «và … khác»", group="report"),
    Setting("report_font_size", 14, "pt", "body text size (the rules allow 13–14 or 14–15)",
            group="report"),
    # -- monthly reporting cycle ----------------------------------------------------------
    Setting("report_due_day", 5, "day of month",
            "a month's indicators are on time when they arrive by this day of the following "
            "month", "DASHBOARD_REPORT_DUE_DAY", "reporting"),
    Setting("reporting_months", 12, "months",
            "months the reporting-rate chart, map and per-commune rates cover", group="reporting"),
    Setting("comment_max_chars", 1000, "characters", "longest comment on a figure",
            group="reporting"),
    Setting("locked_rows_listed", 20, "rows",
            "locked indicator rows named in a refused write (the count of the rest is given)",
            group="reporting"),
    Setting("question_overview_rows", 20, "rows",
            "rows of a saved question shown on Tổng quan", group="reporting"),
    # -- evaluation (dashboard/analysis/evaluation): inference and evidence labels ------------
    Setting("eval_window_months", 12, "months",
            "k: the effect is the average of the first k months after the start; the event "
            "study runs from ≤ −k to ≥ +k", group="evaluation"),
    Setting("eval_anticipation_months", 0, "months",
            "months before the start left out (anticipation); the base month is 1 + this "
            "before the start", group="evaluation"),
    Setting("eval_min_communes_inference", 5, "communes",
            "fewer started communes than this: no interval and no p-value, descriptive only",
            group="evaluation"),
    Setting("eval_min_communes_bootstrap", 10, "communes",
            "from this many started communes the wild cluster bootstrap is used; below it "
            "randomisation inference", group="evaluation"),
    Setting("eval_permutations", 499, "draws", "randomisation inference draws",
            group="evaluation"),
    Setting("eval_bootstrap_draws", 999, "draws",
            "wild cluster bootstrap draws (Webb weights)", group="evaluation"),
    Setting("eval_survival_bootstrap_draws", 299, "draws",
            "commune bootstrap draws of the cell survival interval", group="evaluation"),
    Setting("eval_prepare_after_write", True, "on/off",
            "after every write, read the evaluation's date-free rows for the whole data in a "
            "background thread, so the first visit of Thí điểm or of its slide does not wait "
            "for them", "DASHBOARD_EVAL_PREPARE", group="evaluation"),
    Setting("eval_seed", 20250701, "seed", "random seed of every draw (results reproducible)",
            group="evaluation"),
    Setting("eval_alpha", 0.05, "probability",
            "significance level: intervals are 1 − alpha; an effect needs p (Holm-adjusted "
            "across cohorts) below it", group="evaluation"),
    Setting("eval_design_communes_good", 10, "communes",
            "design quality 'tốt' needs at least this many communes on each side",
            group="evaluation"),
    Setting("eval_design_communes_fair", 5, "communes",
            "fewer communes on a side than this: design quality 'yếu'", group="evaluation"),
    Setting("eval_design_pre_months_good", 6, "months",
            "months of data before the start (median) for design quality 'tốt'",
            group="evaluation"),
    Setting("eval_design_pre_months_fair", 3, "months",
            "fewer months before the start than this: design quality 'yếu'",
            group="evaluation"),
    Setting("eval_design_missing_good", 0.10, "share",
            "largest share of missing months for design quality 'tốt'", group="evaluation"),
    Setting("eval_design_missing_fair", 0.30, "share",
            "more missing months than this share: design quality 'yếu'", group="evaluation"),
    Setting("eval_pretrend_pass_p", 0.10, "probability",
            "joint pre-trend test passes when its p-value is at least this",
            group="evaluation"),
    Setting("eval_pretrend_fail_p", 0.05, "probability",
            "joint pre-trend test fails when its p-value is below this", group="evaluation"),
    Setting("eval_agreement_share", 0.66, "share",
            "cohorts agree when at least this share of their estimates have the sign of the "
            "estimate and none is significant the other way", group="evaluation"),
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

