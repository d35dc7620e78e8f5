"""Scope, enforced in one place: the scoped view of the database.

Everything a user reads goes through a `Database`-like object obtained for their principal
(`database_for`): for the whole data it is the database itself; for a scope it is a
*snapshot* holding only the rows within the scope — a read-only DuckDB file built from the
declarations below, with the metric macros. Named queries, KPIs, maps, tables, downloads,
profiles, model cards, slides and the meeting pack all run on it unchanged, so a page cannot
forget the scope, and a scope that matches nothing sees nothing (deny by default). The SQL
explorer reads the same kind of snapshot (`write_snapshot`), which for every scope leaves out
the accounts, sessions and audit log.

Every table must be declared here: SCOPED (copied with a row filter), PUBLIC (official
reference lists, copied whole) or PRIVATE (never copied). A table declared nowhere is not
copied, and tests/test_access.py fails until it is declared.

A unit is in scope when it is one of the scope's units or below one of them. The units above
them (province of a commune) are copied with their names only (no figures), so headings can
say where the data belongs. A batch is in scope when every row it changed is (both the
before- and the after-image): only those batches are listed, downloadable (archived original)
or undoable by an editor of that scope.
"""
from __future__ import annotations

import collections
import hashlib
import itertools
import os
import shutil
import tempfile
import threading
from pathlib import Path

import duckdb
import pandas as pd

from dashboard import config
from dashboard.access.principal import Forbidden, Principal
from dashboard.store.database import Reading, engine_settings

# table -> WHERE clause; $su = unit codes in scope, $sb = batch ids in scope
_BY_UNIT = "unit_code IN (SELECT unnest($su::VARCHAR[]))"
SCOPED = {
    "cells": _BY_UNIT,
    "models": _BY_UNIT,
    "indicators": _BY_UNIT,
    "boundaries": _BY_UNIT,
    "batches": "batch_id IN (SELECT unnest($sb::BIGINT[]))",
    "batch_changes": "batch_id IN (SELECT unnest($sb::BIGINT[]))",
    "batch_units": "batch_id IN (SELECT unnest($sb::BIGINT[]))",
    "app_meta": "key IN ('demo', 'demo_province', 'reference_version')",
    # the reporting cycle: a comment or saved question is seen only when everything it is
    # about is in scope (about the whole data = only the whole-data scope)
    "comments": "communes IS NOT NULL AND len(communes) > 0 "
                "AND list_has_all($su::VARCHAR[], communes)",
    "saved_questions": "communes IS NOT NULL AND len(communes) > 0 "
                       "AND list_has_all($su::VARCHAR[], communes)",
    "reporting_contacts": _BY_UNIT,
    "approvals": "unit_code IN (SELECT unnest($su::VARCHAR[])) OR level = 'province'",
    # units: handled apart (in-scope units whole, units above them by name only)
}
PUBLIC = {"ref_provinces", "ref_communes", "ref_legacy_communes", "ref_crosswalk",
          "reporting_expected", "approval_seen"}
PRIVATE = {"app_users", "app_sessions", "audit_log"}
# not copied but rebuilt in the snapshot from its own rows (dashboard/store/analytics.py), so
# they hold exactly the scope's figures
DERIVED = {"an_unit_state", "an_commune_state", "an_communes", "an_phase_events",
           "an_commune_months"}
# Derived tables whose rows for a commune depend only on that commune's own units (itself, its
# villages: codes, levels, parents, households) and their cells. When every village in scope
# has its commune in scope too (a province or commune scope), a snapshot's rebuild of these
# tables gives exactly the base's rows for the communes in scope, so they are copied with that
# filter instead of rebuilt (tests/test_access_scale.py compares both on several scopes). A
# derived table not listed here makes every snapshot rebuild them all.
_PER_COMMUNE = {"an_unit_state", "an_commune_state", "an_communes", "an_phase_events",
                "an_commune_months"}
_BY_COMMUNE = "commune_code IN (SELECT unnest($su::VARCHAR[]))"
# villages in scope whose commune is not (a scope below a commune): derived rows would differ
_OPEN_VILLAGES = """
WITH su AS (SELECT unnest($su::VARCHAR[]) AS unit_code)
SELECT count(*) FROM units
WHERE level = 'village' AND unit_code IN (SELECT unit_code FROM su)
  AND NOT coalesce(parent_code IN (SELECT unit_code FROM su), FALSE)"""

_SCOPE_UNITS = """
WITH RECURSIVE s(unit_code) AS (
    SELECT unit_code FROM units WHERE list_contains($scope::VARCHAR[], unit_code)
    UNION
    SELECT u.unit_code FROM units u JOIN s ON u.parent_code = s.unit_code
)
SELECT unit_code FROM s"""

_ANCESTORS = """
WITH RECURSIVE su AS (SELECT unnest($su::VARCHAR[]) AS unit_code),
a(unit_code) AS (
    SELECT DISTINCT parent_code FROM units WHERE unit_code IN (SELECT unit_code FROM su)
                                             AND parent_code IS NOT NULL
    UNION
    SELECT u.parent_code FROM units u JOIN a ON u.unit_code = a.unit_code
    WHERE u.parent_code IS NOT NULL
)
SELECT unit_code FROM a WHERE unit_code NOT IN (SELECT unit_code FROM su)"""

# A change row is in scope when each of its images belongs to a unit in scope (for units
# themselves: the unit or its parent). An image naming no unit is in no scope.
# The reference form reads the images themselves (json-parses every before- and after-image);
# the fast form reads what store/batch_units.py keeps of them (the same units, per batch).
_BATCHES_IN_SCOPE_IMAGES = """
WITH img AS (
    SELECT batch_id, dataset, j FROM (
        SELECT batch_id, dataset, before_json AS j FROM batch_changes WHERE before_json IS NOT NULL
        UNION ALL
        SELECT batch_id, dataset, after_json FROM batch_changes WHERE after_json IS NOT NULL)
), su AS (SELECT unnest($su::VARCHAR[]) AS unit_code),
bad AS (
    SELECT DISTINCT batch_id FROM img
    WHERE json_extract_string(j, '$.unit_code') IS NULL
       OR NOT (json_extract_string(j, '$.unit_code') IN (SELECT unit_code FROM su)
               OR coalesce(dataset = 'units' AND json_extract_string(j, '$.parent_code')
                           IN (SELECT unit_code FROM su), FALSE))
)
SELECT b.batch_id FROM batches b
WHERE EXISTS (SELECT 1 FROM batch_changes c WHERE c.batch_id = b.batch_id)
  AND b.batch_id NOT IN (SELECT batch_id FROM bad)
ORDER BY b.batch_id"""

_BATCHES_IN_SCOPE = """
WITH su AS (SELECT unnest($su::VARCHAR[]) AS unit_code),
bad AS (
    SELECT DISTINCT batch_id FROM batch_units
    WHERE unit_code IS NULL
       OR NOT (unit_code IN (SELECT unit_code FROM su)
               OR coalesce(parent_code IN (SELECT unit_code FROM su), FALSE))
)
SELECT b.batch_id FROM batches b
WHERE b.batch_id IN (SELECT batch_id FROM batch_units)
  AND b.batch_id NOT IN (SELECT batch_id FROM bad)
ORDER BY b.batch_id"""


def _tables(cur) -> list[str]:
    return [r[0] for r in cur.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' ORDER BY table_name").fetchall()]


def undeclared_tables(db) -> list[str]:
    """Tables of the database that this module does not declare (not copied anywhere)."""
    cur = db.cursor()
    try:
        return [t for t in _tables(cur)
                if t not in SCOPED and t not in PUBLIC and t not in PRIVATE
                and t not in DERIVED and t != "units"]
    finally:
        cur.close()


def units_in_scope(db_or_cur, scope: tuple[str, ...] | None) -> list[str] | None:
    """Unit codes within a scope (None = the whole data)."""
    if scope is None:
        return None
    own = not hasattr(db_or_cur, "fetchall")
    cur = db_or_cur.cursor() if own else db_or_cur
    try:
        return [r[0] for r in cur.execute(_SCOPE_UNITS, {"scope": list(scope)}).fetchall()]
    finally:
        if own:
            cur.close()


def batches_in_scope(db_or_cur, scope: tuple[str, ...] | None,
                     units: list[str] | None = None) -> list[int] | None:
    """Batch ids entirely within a scope (None = every batch)."""
    if scope is None:
        return None
    own = not hasattr(db_or_cur, "fetchall")
    cur = db_or_cur.cursor() if own else db_or_cur
    try:
        from dashboard.store import batch_units

        su = units if units is not None else units_in_scope(cur, scope)
        sql = _BATCHES_IN_SCOPE if batch_units.complete(cur) else _BATCHES_IN_SCOPE_IMAGES
        return [int(r[0]) for r in cur.execute(sql, {"su": su}).fetchall()]
    finally:
        if own:
            cur.close()


def write_snapshot(db, scope: tuple[str, ...] | None, target: Path) -> None:
    """Write the rows within `scope` (None = all rows) of every declared table, and the
    metric macros, into a new DuckDB file. Private tables are never written. One read
    transaction on the source, so the snapshot is consistent."""
    from dashboard.store import analytics, queries

    target = Path(target)
    alias = f"scope_snapshot_{os.getpid()}_{next(_COUNTER)}"
    cur = db.cursor()
    cur.execute(f"ATTACH '{_sql_str(str(target))}' AS {alias} (READ_WRITE)")
    try:
        cur.execute("BEGIN TRANSACTION")
        tables = _tables(cur)
        su = units_in_scope(cur, scope)
        sb = batches_in_scope(cur, scope, su)
        anc = [r[0] for r in cur.execute(_ANCESTORS, {"su": su}).fetchall()] if su is not None \
            else []
        copy_derived = _can_copy_derived(db, cur, su)
        if copy_derived:
            for stmt in analytics.DDL:
                cur.execute(stmt.replace("CREATE TABLE IF NOT EXISTS ",
                                         f"CREATE TABLE {alias}.", 1))
            for t in analytics.TABLES:
                cur.execute(f"INSERT INTO {alias}.{t} SELECT * FROM {t}"
                            + (f" WHERE {_BY_COMMUNE}" if su is not None else ""),
                            {"su": su} if su is not None else None)
        for t in tables:
            if t in PRIVATE or t in DERIVED or (t not in SCOPED and t not in PUBLIC
                                                 and t != "units"):
                continue
            if t == "units" and su is not None:
                cur.execute(f"CREATE TABLE {alias}.units AS SELECT * FROM units "
                            f"WHERE {_BY_UNIT}", {"su": su})
                cols = [r[0] for r in cur.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE database_name = "
                    "current_database() AND table_name = 'units' ORDER BY column_index"
                ).fetchall()]
                names_only = ", ".join(c if c in ("unit_code", "unit_name", "level",
                                                  "parent_code") else f"NULL AS {c}"
                                       for c in cols)
                cur.execute(f"INSERT INTO {alias}.units SELECT {names_only} FROM units "
                            f"WHERE {_BY_UNIT}", {"su": anc})
                continue
            where = SCOPED.get(t) if (su is not None or t == "app_meta") else None
            params = {k: v for k, v in (("su", su), ("sb", sb))
                      if where and f"${k}" in where}
            cur.execute(f"CREATE TABLE {alias}.{t} AS SELECT * FROM {t}"
                        + (f" WHERE {where}" if where else ""), params or None)
        cur.execute("COMMIT")
    except BaseException:
        try:
            cur.execute("ROLLBACK")
        except duckdb.Error:
            pass
        raise
    finally:
        try:
            cur.execute(f"DETACH {alias}")
        finally:
            cur.close()
    from dashboard.reporting import schema as reporting_schema

    con = duckdb.connect(str(target))
    engine_settings(con)
    try:
        con.execute(queries.macros_sql())
        analytics.ensure_schema(con)
        if copy_derived:    # the copied rows are the rebuild's: mark them exact for these rows
            con.execute("INSERT INTO app_meta VALUES (?, ?)",
                        [analytics.META_KEY, analytics.fingerprint(con)])
        else:
            analytics.rebuild(con)
        con.execute(reporting_schema.STATUS_MACRO)
        con.execute("CHECKPOINT")
    finally:
        con.close()


def _can_copy_derived(db, cur, su: list[str] | None) -> bool:
    """Whether the snapshot's derived tables may be copied from the base's (filtered to the
    communes in scope) rather than rebuilt: every derived table is per commune, the base's are
    exact for the data this transaction reads (checked as `analytics.ready` checks, without
    writing) and the scope holds each of its villages' communes."""
    from dashboard.store import analytics

    if not set(analytics.TABLES) <= _PER_COMMUNE or set(analytics.TABLES) != DERIVED:
        return False
    try:
        sig = analytics._signature(cur)
        if getattr(db, "_analytics_signature", None) != sig:
            if analytics.stored_fingerprint(cur) != analytics.fingerprint(cur):
                return False
            db._analytics_signature = sig
    except duckdb.Error:
        return False
    return su is None or cur.execute(_OPEN_VILLAGES, {"su": su}).fetchone()[0] == 0


def _sql_str(s: str) -> str:
    return s.replace("'", "''")


_COUNTER = itertools.count(1)
_ROOT: str | None = None


def snapshot_root() -> str:
    global _ROOT
    if _ROOT is None:
        import atexit

        _ROOT = tempfile.mkdtemp(prefix="danvan-scope-")
        atexit.register(shutil.rmtree, _ROOT, True)
    return _ROOT


def scope_key(scope: tuple[str, ...] | None) -> str:
    if scope is None:
        return "all"
    return hashlib.sha256(",".join(sorted(scope)).encode()).hexdigest()[:16]


class ScopedDatabase(Reading):
    """A read-only view of a Database limited to a scope (same reading API as Database).
    Writes go to the real database through the checks of the data layer, never through
    this object."""

    scoped = True
    read_only = True
    closed = False

    def __init__(self, base, scope: tuple[str, ...] | None):
        self.base = base
        self.scope = scope
        self.version = base.data_version()
        self._dir = tempfile.mkdtemp(prefix="scope-", dir=snapshot_root())
        file = Path(self._dir) / "scoped.duckdb"
        write_snapshot(base, scope, file)
        self.con = duckdb.connect(str(file), read_only=True)
        engine_settings(self.con)
        # Distinct per scope: caches keyed by the path never mix two scopes' results. The
        # parent is the real data folder (archived originals are looked up beside it).
        self.path = base.path.with_name(f"{base.path.name}#scope-{scope_key(scope)}")
        self.write_lock = base.write_lock

    def cursor(self):
        return self.con.cursor()

    def ensure_schema(self) -> None:
        pass

    def transaction(self):
        raise Forbidden("Dữ liệu trong phạm vi của bạn chỉ để đọc ở đây; hãy ghi qua trang "
                        "Dữ liệu.")

    def set_meta(self, key, value, cur=None):
        raise Forbidden("Không được đổi thiết lập.")

    def next_batch_id(self, cur):
        raise Forbidden("Không được ghi dữ liệu.")

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        value = self.scalar("SELECT value FROM app_meta WHERE key = ?", [key])
        return default if value is None else value

    def data_version(self) -> int:
        return self.base.data_version()

    def is_demo(self) -> bool:
        return self.get_meta("demo") == "1"

    def batches(self) -> pd.DataFrame:
        return self.df("SELECT * FROM batches ORDER BY batch_id DESC")

    def close(self) -> None:
        self.closed = True
        try:
            self.con.close()
        except duckdb.Error:
            pass
        shutil.rmtree(self._dir, ignore_errors=True)


_CACHE: collections.OrderedDict = collections.OrderedDict()
_LOCK = threading.Lock()


def database_for(db, principal: Principal):
    """What `principal` reads: the database itself for the whole data, else the scoped
    snapshot (built once per scope and data version, shared by every session)."""
    base = getattr(db, "base", db)
    if principal.scope is None:
        return base
    key = (str(base.path), principal.scope)
    version = base.data_version()
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None and hit.version == version and not hit.closed:
            _CACHE.move_to_end(key)
            return hit
    fresh = ScopedDatabase(base, principal.scope)
    old = []
    with _LOCK:
        if key in _CACHE:
            old.append(_CACHE.pop(key))
        _CACHE[key] = fresh
        while len(_CACHE) > int(config.get("scope_cache_entries")):
            old.append(_CACHE.popitem(last=False)[1])
    for o in old:       # queries still running on an old view keep their cursor
        if o is not fresh:
            threading.Timer(30.0, o.close).start()
    return fresh


def scoped_by_path(path: str):
    """The cached ScopedDatabase whose (pseudo) path is `path`, or None."""
    with _LOCK:
        for v in _CACHE.values():
            if str(v.path) == path and not v.closed:
                return v
    return None


def clear_cache() -> None:
    with _LOCK:
        items = list(_CACHE.values())
        _CACHE.clear()
    for v in items:
        v.close()


# --- writes: uploads and undo within the scope ------------------------------------------

OUTSIDE = "đơn vị ngoài phạm vi dữ liệu của tài khoản «{user}»"


def upload_problems(db, principal: Principal, dataset: str,
                    parsed: pd.DataFrame) -> list[tuple[object, str, str, str]]:
    """Rows of an upload that touch a unit outside the principal's scope:
    [(frame index, column, value, Vietnamese message)]. Checked against the real database:
    the unit a row names must be in scope, and a row that already exists (same key) must
    belong to a unit in scope too (nobody moves another commune's cell into theirs)."""
    base = getattr(db, "base", db)
    if principal.scope is None or parsed is None or not len(parsed):
        return []
    su = set(units_in_scope(base, principal.scope))
    msg = OUTSIDE.format(user=principal.username)
    out = []
    if dataset == "units":
        existing = dict(base.df("SELECT unit_code, parent_code FROM units").itertuples(
            index=False, name=None))
        new_in_file = {}
        for idx, code, parent in zip(parsed.index, parsed["unit_code"], parsed["parent_code"]):
            if code in existing:
                if code not in su:
                    out.append((idx, "unit_code", code, msg))
                    continue
            elif parent is not None and parent in su | set(new_in_file):
                new_in_file[code] = parent
            if parent is None or (parent not in su and parent not in new_in_file):
                out.append((idx, "parent_code", parent or "", msg))
        return out
    key = {"cells": "cell_id", "models": "model_id"}.get(dataset)
    owners = {}
    if key:
        owners = dict(base.df(f"SELECT {key}, unit_code FROM {dataset} WHERE "
                              f"{key} IN (SELECT unnest(?::VARCHAR[]))",
                              [[str(v) for v in parsed[key] if v is not None]]
                              ).itertuples(index=False, name=None))
    for idx, row in parsed.iterrows():
        code = row.get("unit_code")
        if code is None or code not in su:
            out.append((idx, "unit_code", code or "", msg))
        elif key and row.get(key) in owners and owners[row.get(key)] not in su:
            out.append((idx, key, row.get(key), msg + " (dòng này đang thuộc đơn vị "
                        + "khác)"))
    return out


def check_undo(cur, principal: Principal, batch_ids: list[int]) -> None:
    """Refuse undoing batches that are not entirely within the principal's scope."""
    if principal.scope is None:
        return
    inside = set(batches_in_scope(cur, principal.scope))
    outside = [b for b in batch_ids if b not in inside]
    if outside:
        raise Forbidden("Không được hoàn tác " + ", ".join(f"lô {b}" for b in outside)
                        + f": lô có dòng dữ liệu ngoài phạm vi của tài khoản "
                          f"«{principal.username}».")
