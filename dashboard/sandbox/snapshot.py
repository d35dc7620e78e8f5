"""Which data the explorer reads: always a snapshot file written by dashboard/access/scope.py
for the analyst's scope — rows outside the scope (batch_changes before-images and archived
files included), the accounts, sessions and the audit log are not in it — opened read-only
with the locked configuration, and rebuilt when the data changes.

A snapshot of the whole national data takes seconds to write (it copies every row), so it is
written in a background thread: the page asks without waiting (`wait=False`) and gets the
previous snapshot's schema — the schema does not change with the data — while the new one is
written; a statement always waits for the snapshot of the current data (`wait=True`), which by
then is usually ready.

The explorer never opens the real database file, so no statement can reach a row outside the
snapshot, whatever it is.
"""
from __future__ import annotations

import atexit
import json
import tempfile
import threading
from pathlib import Path

from dashboard.sandbox.limits import Limits
from dashboard.sandbox.runner import Sandbox

_CACHE: dict[str, tuple[str, Sandbox]] = {}
_CACHE_LOCK = threading.Lock()
_JOBS: dict[str, _Job] = {}        # snapshot being written, per key


class _Job:
    """One snapshot being written in the background for (key, fingerprint)."""

    def __init__(self, key: str, fp: str, base, scope, limits: Limits):
        self.key, self.fp = key, fp
        self.done = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(base, scope, limits),
                                       name="sql-snapshot", daemon=True)

    def _run(self, base, scope, limits) -> None:
        old = None
        try:
            sandbox = _make_snapshot(base, scope, limits)
            sandbox.schema()            # read once now; kept with the snapshot
            with _CACHE_LOCK:
                old = _CACHE.get(self.key)
                _CACHE[self.key] = (self.fp, sandbox)
        except BaseException as e:      # noqa: BLE001 - handed to whoever waits
            self.error = e
        finally:
            with _CACHE_LOCK:
                if _JOBS.get(self.key) is self:
                    del _JOBS[self.key]
            self.done.set()
        if old is not None:
            # Statements still running keep their own cursor; the old file goes with the folder.
            old[1].close()


def fingerprint(db) -> str:
    """Changes when the data of a store.Database changes (batches, table sizes, schema)."""
    base = getattr(db, "base", db)
    cur = base.cursor()
    try:
        row = cur.execute(
            "SELECT (SELECT coalesce(max(batch_id), 0) FROM batches), "
            "(SELECT count(*) FROM batches WHERE status <> 'committed'), "
            "(SELECT coalesce(sum(estimated_size), 0) FROM duckdb_tables() "
            " WHERE database_name = current_database() AND table_name NOT IN "
            " ('audit_log', 'app_sessions', 'app_users')), "
            "(SELECT count(*) FROM duckdb_columns() WHERE database_name = current_database()), "
            "(SELECT count(*) FROM duckdb_functions() WHERE function_type = 'table_macro' "
            " AND NOT internal), "
            "(SELECT string_agg(key || '=' || coalesce(value, ''), ';' ORDER BY key) "
            " FROM app_meta)").fetchone()
    finally:
        cur.close()
    return json.dumps([str(v) for v in row])


def _make_snapshot(db, scope, limits: Limits) -> Sandbox:
    from dashboard.access import scope as access_scope

    directory = tempfile.mkdtemp(prefix="sql-", dir=access_scope.snapshot_root())
    target = Path(directory) / "snapshot.duckdb"
    access_scope.write_snapshot(getattr(db, "base", db), scope, target)
    return Sandbox(target, limits, snapshot_dir=directory)


def for_database(db, limits: Limits | None = None, scope="from-db", wait: bool = True):
    """The sandbox over a store.Database (or its scoped view: then the view's scope applies),
    as a snapshot kept up to date.

    wait=True (running a statement): the snapshot of the data as it is now, written first if
    needed. wait=False (drawing the page): the newest snapshot there is, even one of older
    data, while the current one is written in the background; None when there is none yet."""
    limits = limits or Limits.from_env()
    base, scope, key = _key(db, limits, scope)
    fp = fingerprint(base)
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
        if cached and cached[0] == fp:
            return cached[1]
        job = _JOBS.get(key)
        if job is None or job.fp != fp:
            job = _JOBS[key] = _Job(key, fp, base, scope, limits)
            job.thread.start()
    if not wait:
        return cached[1] if cached else None
    job.done.wait()
    if job.error is not None:
        raise job.error
    with _CACHE_LOCK:
        return _CACHE[key][1]


def building(db, limits: Limits | None = None, scope="from-db") -> bool:
    """Whether a snapshot for this database and scope is being written now."""
    key = _key(db, limits or Limits.from_env(), scope)[2]
    with _CACHE_LOCK:
        return key in _JOBS


def _key(db, limits: Limits, scope) -> tuple:
    """(the store.Database, the scope, the cache key) of a database or its scoped view."""
    from dashboard.access import scope as access_scope

    if scope == "from-db":
        scope = getattr(db, "scope", None)
    base = getattr(db, "base", db)
    return base, scope, (str(Path(base.path).resolve()) + "|" + access_scope.scope_key(scope)
                         + "|" + repr(limits))


def for_path(path=None, limits: Limits | None = None, principal=None) -> Sandbox:
    """The sandbox over a database file, for a principal (default: the current one)."""
    import duckdb

    from dashboard.access import context
    from dashboard.sandbox.limits import SandboxError
    from dashboard.store import database as store

    p = Path(path) if path else store.default_db_path()
    held = store._OPEN.get((str(p), False))
    if held is None and not p.exists():
        raise SandboxError(f"Không tìm thấy cơ sở dữ liệu «{p.name}».", "error")
    try:   # a file this process does not hold is only read: it stays byte for byte the same
        db = held if held is not None else store.open_db(p, read_only=True)
    except duckdb.Error as e:
        if "lock" in str(e).lower():
            raise SandboxError(
                "Cơ sở dữ liệu đang được một chương trình khác mở để ghi (ví dụ ứng dụng "
                "đang chạy), nên không mở được để đọc. Hãy dùng trang Phân tích SQL trong "
                "ứng dụng, hoặc chạy lại khi ứng dụng đã dừng.", "error", str(e)) from None
        raise SandboxError("Không mở được cơ sở dữ liệu.", "error", str(e)) from None
    who = principal or context.current()
    return for_database(db, limits, scope=who.scope)


def close_all() -> None:
    """Close every sandbox connection of this process (and the parser's)."""
    from dashboard.sandbox.check import close_parser

    with _CACHE_LOCK:
        jobs = list(_JOBS.values())
    for job in jobs:
        job.done.wait()
    with _CACHE_LOCK:
        items = list(_CACHE.values())
        _CACHE.clear()
    for _, sb in items:
        sb.close()
    close_parser()


atexit.register(close_all)
