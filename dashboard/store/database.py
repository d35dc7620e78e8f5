"""DuckDB storage: where the file is, the schema, connections, transactions and batches.

DuckDB 2.0 rules this module follows: a connection refuses concurrent calls, so every query
runs on its own `cursor()`; results stream, so they are fetched fully before the next
statement; a file is opened in one mode per process, so one `Database` object per path is
shared by the whole process (the app caches it with st.cache_resource).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import threading
import weakref
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd

from dashboard import config

SYSTEM_DDL = [
    """CREATE SEQUENCE IF NOT EXISTS batch_seq START 1""",
    """CREATE TABLE IF NOT EXISTS batches (
  batch_id BIGINT PRIMARY KEY,
  created_at TIMESTAMP NOT NULL,
  dataset VARCHAR NOT NULL,
  file_name VARCHAR,
  sha256 VARCHAR,
  rows_new BIGINT, rows_updated BIGINT, rows_unchanged BIGINT, rows_rejected BIGINT,
  status VARCHAR NOT NULL DEFAULT 'committed',   -- committed | rolled_back
  mode VARCHAR,                                   -- all_or_nothing | valid_rows_only
  created_by VARCHAR,
  note VARCHAR,
  archive_path VARCHAR
)""",
    # One row per row the batch inserted or changed: enough to undo it exactly.
    """CREATE TABLE IF NOT EXISTS batch_changes (
  batch_id BIGINT NOT NULL,
  dataset VARCHAR NOT NULL,
  row_key VARCHAR NOT NULL,        -- JSON array of the key values
  before_json VARCHAR,             -- NULL when the batch inserted the row
  after_json VARCHAR
)""",
    """CREATE TABLE IF NOT EXISTS app_meta (key VARCHAR PRIMARY KEY, value VARCHAR)""",
]


# Functions run inside every write transaction just before COMMIT, each called with the
# transaction's cursor (register with `before_commit`). Order of registration is order of run.
BEFORE_COMMIT: list[Callable[[duckdb.DuckDBPyConnection], None]] = []


_WRITES = [0]      # write transactions this process has ended (committed or rolled back)


def writes() -> int:
    """How many write transactions this process has ended: an answer remembered for a while
    (the data version of a script run) is asked again once this moves."""
    return _WRITES[0]


def before_commit(fn: Callable[[duckdb.DuckDBPyConnection], None]):
    """Decorator: run `fn(cur)` inside every write transaction before it commits."""
    if fn not in BEFORE_COMMIT:
        BEFORE_COMMIT.append(fn)
    return fn


# DuckDB's "compressed materialization" optimizer narrows a column to a smaller integer type
# from its statistics; on some plans (a scalar subquery's sum beside an empty LEFT JOIN, as in
# models_field_share before any model is active) the statistics are wrong and the figure is
# either refused ("INT128 … out of range for INT8") or silently wrapped (238.586 households
# read as -6). Every connection this app opens turns it off.
DISABLED_OPTIMIZERS = "compressed_materialization"


def engine_settings(con) -> None:
    """Settings every DuckDB connection of the app carries (the database instance's)."""
    con.execute(f"SET GLOBAL disabled_optimizers = '{DISABLED_OPTIMIZERS}'")


def default_db_path() -> Path:
    return Path(config.get("db_path"))


class Reading:
    """The reading API shared by a Database and its scoped views (access/scope.py): each
    statement on its own cursor, fully fetched."""

    def cursor(self) -> duckdb.DuckDBPyConnection:
        raise NotImplementedError

    def df(self, sql: str, params: dict | list | None = None) -> pd.DataFrame:
        cur = self.cursor()
        try:
            return cur.execute(sql, params).df() if params is not None else cur.execute(sql).df()
        finally:
            cur.close()

    def scalar(self, sql: str, params: dict | list | None = None):
        cur = self.cursor()
        try:
            row = (cur.execute(sql, params) if params is not None else cur.execute(sql)).fetchone()
            return row[0] if row else None
        finally:
            cur.close()

    def units(self) -> pd.DataFrame:
        """The stored units (code, name, level, parent), ordered by code: what the checks,
        the templates and the boundary matcher look codes up in."""
        return self.df("SELECT unit_code, unit_name, level, parent_code FROM units "
                       "ORDER BY unit_code")

    def table_count(self, table: str) -> int:
        return int(self.scalar(f"SELECT count(*) FROM {table}"))


class Database(Reading):
    """One DuckDB database file shared by the process."""

    def __init__(self, path: str | os.PathLike | None = None, read_only: bool = False):
        self.path = Path(path) if path else default_db_path()
        self.read_only = read_only
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.ConnectionException as exc:
            # DuckDB opens a file in one mode per process: a second Database on a file this
            # process already holds in the other mode shares that connection instead.
            other = _live_database(self.path)
            if other is None or "different configuration" not in str(exc):
                raise
            self.con = other.con.cursor()
        engine_settings(self.con)
        first = _live_database(self.path) is None
        _LIVE.setdefault(str(self.path.resolve()), weakref.WeakSet()).add(self)
        self.write_lock = threading.RLock()
        if not read_only:
            self.ensure_schema()
            if first:   # archive copies of writes a crash interrupted (store/batches.py)
                from dashboard.store import batches

                batches.sweep_archives(self)

    # -- reading ---------------------------------------------------------------------------
    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self.con.cursor()

    # -- schema ----------------------------------------------------------------------------
    def ensure_schema(self) -> None:
        from dashboard.access import DDL as ACCESS_DDL
        from dashboard.store import analytics, migrations, queries, reference

        with self.write_lock:
            cur = self.cursor()
            try:
                migrations.upgrade(cur)   # dataset tables and boundaries, versioned
                for stmt in SYSTEM_DDL:
                    cur.execute(stmt)
                cur.execute(queries.macros_sql())
                for stmt in ACCESS_DDL:   # accounts, sessions, audit log (dashboard/access)
                    cur.execute(stmt)
                from dashboard.reporting import schema as reporting_schema  # reporting cycle
                for stmt in reporting_schema.DDL:
                    cur.execute(stmt)
            finally:
                cur.close()
            reference.ensure_loaded(self)
            analytics.ensure(self)

    @contextlib.contextmanager
    def transaction(self):
        """One write transaction under the process write lock, on its own cursor: commits
        when the block ends, rolls back and re-raises on any exception (a killed process
        leaves no trace either: DuckDB never makes an uncommitted transaction durable).
        Before COMMIT every hook in BEFORE_COMMIT runs on the same cursor, in order (derived
        tables are refreshed, then integrity is checked); a hook that raises aborts the write."""
        with self.write_lock:
            cur = self.cursor()
            try:
                cur.execute("BEGIN TRANSACTION")
                yield cur
                for hook in BEFORE_COMMIT:
                    hook(cur)
                cur.execute("COMMIT")
            except BaseException:
                try:
                    cur.execute("ROLLBACK")
                except Exception:
                    pass
                raise
            finally:
                _WRITES[0] += 1
                cur.close()

    # -- metadata --------------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        value = self.scalar("SELECT value FROM app_meta WHERE key = ?", [key])
        return default if value is None else value

    def set_meta(self, key: str, value: str | None, cur=None) -> None:
        own = cur is None
        cur = cur or self.cursor()
        try:
            cur.execute("DELETE FROM app_meta WHERE key = ?", [key])
            if value is not None:
                cur.execute("INSERT INTO app_meta VALUES (?, ?)", [key, value])
        finally:
            if own:
                cur.close()

    def data_version(self) -> int:
        """Changes whenever committed data changes: a cache key for results."""
        return int(self.scalar(   # a reset (store/province.py) leaves a mark above every id
            "SELECT greatest(coalesce(max(batch_id), 0), (SELECT coalesce(max(value::BIGINT), 0) "
            "FROM app_meta WHERE key = 'reset_batch_mark')) * 1000 "
            "+ count(*) FILTER (status = 'rolled_back') FROM batches"))

    def is_demo(self) -> bool:
        return self.get_meta("demo") == "1"

    def batches(self) -> pd.DataFrame:
        return self.df("SELECT * FROM batches ORDER BY batch_id DESC")

    def next_batch_id(self, cur) -> int:
        return int(cur.execute("SELECT nextval('batch_seq')").fetchone()[0])

    closed = False

    def close(self) -> None:
        self.closed = True
        self.con.close()


_LIVE: dict[str, weakref.WeakSet[Database]] = {}


def _live_database(path: Path) -> Database | None:
    for db in list(_LIVE.get(str(Path(path).resolve()), ())):
        if not db.closed:
            return db
    return None


_OPEN: dict[tuple[str, bool], Database] = {}
_OPEN_LOCK = threading.Lock()


def open_db(path: str | os.PathLike | None = None, read_only: bool = False) -> Database:
    """The process-wide Database for a path (opened once)."""
    p = str(Path(path) if path else default_db_path())
    with _OPEN_LOCK:
        db = _OPEN.get((p, read_only))
        if db is None:
            db = Database(p, read_only=read_only)
            _OPEN[(p, read_only)] = db
        return db


def close_db(path: str | os.PathLike | None = None) -> None:
    p = str(Path(path) if path else default_db_path())
    with _OPEN_LOCK:
        for key in [k for k in _OPEN if k[0] == p]:
            _OPEN.pop(key).close()


def to_json_row(values: dict) -> str:
    def conv(v):
        if v is None:
            return None
        if isinstance(v, float) and v != v:
            return None
        if isinstance(v, (dt.date, dt.datetime, pd.Timestamp)):
            return v.isoformat()[:10]
        if hasattr(v, "item"):
            return v.item()
        return v
    return json.dumps({k: conv(v) for k, v in values.items()}, ensure_ascii=False, sort_keys=True)
