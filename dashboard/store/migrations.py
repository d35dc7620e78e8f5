"""Versioned schema migrations: an existing database file is upgraded in place.

`app_meta.schema_version` holds the number of the last migration applied. A new file is
created at the latest version directly (the DDL of contract.py and database.SYSTEM_DDL);
a file written by an earlier version runs every later migration, in order, each in ONE
transaction with its new version number (a crash leaves the previous version, never half a
migration). A migration that meets rows the new schema cannot hold stops with
MigrationError naming them, and the file stays as it was.

Files without `schema_version` were written before versioning: version 1 (the tables of
contract.py without constraints).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from dashboard.contract import DATASETS
from dashboard.store import batch_units  # registers its before_commit hook

META_KEY = "schema_version"


class MigrationError(Exception):
    """The file cannot be upgraded as it is; the message (Vietnamese) names the rows."""


@dataclass(frozen=True)
class Migration:
    version: int
    title: str
    run: Callable[[duckdb.DuckDBPyConnection], None]


def _tables(cur) -> set[str]:
    return {r[0] for r in cur.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
    ).fetchall()}


def _columns(cur, table: str) -> list[str]:
    return [r[0] for r in cur.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "AND table_schema = 'main' ORDER BY ordinal_position", [table]).fetchall()]


def boundaries_ddl(table: str = "boundaries") -> str:
    from dashboard.store import boundaries

    return boundaries.ddl(table)


def table_rules(table: str) -> tuple[tuple[str, ...], list[tuple[str, str]]]:
    """(key columns, [(rule name, SQL condition)]) the schema enforces on a table."""
    if table == "boundaries":
        from dashboard.store import boundaries

        return ("unit_code",), boundaries.constraints()
    ds = DATASETS[table]
    return ds.key, ds.constraints()


def violations(cur, table: str, limit: int = 20) -> list[str]:
    """Rows of `table` that break its schema rules (Vietnamese, at most `limit` per rule)."""
    key, rules = table_rules(table)
    have = set(_columns(cur, table))
    key_sql = " || ' / ' || ".join(f"coalesce({k}::VARCHAR, '∅')" for k in key)
    out = []
    for name, cond in rules:
        needed = [c for c in have if c in cond]
        if not needed:
            continue
        try:
            rows = cur.execute(f"SELECT {key_sql} FROM {table} WHERE NOT coalesce(({cond}), "
                               f"TRUE) LIMIT {limit}").fetchall()
        except duckdb.Error:
            continue   # a column the old table does not have yet
        if rows:
            out.append(f"bảng {table}, quy tắc «{name}» ({cond}): "
                       + ", ".join(r[0] for r in rows))
    dup = cur.execute(f"SELECT {key_sql}, count(*) FROM {table} GROUP BY ALL "
                      f"HAVING count(*) > 1 LIMIT {limit}").fetchall()
    if dup:
        out.append(f"bảng {table}: trùng khóa ({', '.join(key)}): "
                   + ", ".join(f"{r[0]} ({r[1]} dòng)" for r in dup))
    return out


def _rebuild(cur, table: str, ddl: Callable[[str], str]) -> None:
    """Recreate `table` under its current DDL (constraints included), keeping every row."""
    if table not in _tables(cur):
        cur.execute(ddl(table))
        return
    problems = violations(cur, table)
    if problems:
        raise MigrationError(
            "Không nâng cấp được cơ sở dữ liệu: có dòng không thỏa quy tắc dữ liệu — "
            + "; ".join(problems) + ". Sửa các dòng này (nhập lại tệp đúng) rồi mở lại.")
    new = f"{table}__migrating"
    cur.execute(f"DROP TABLE IF EXISTS {new}")
    cur.execute(ddl(new))
    keep = [c for c in _columns(cur, new) if c in set(_columns(cur, table))]
    cols = ", ".join(keep)
    cur.execute(f"INSERT INTO {new} ({cols}) SELECT {cols} FROM {table}")
    cur.execute(f"DROP TABLE {table}")
    cur.execute(f"ALTER TABLE {new} RENAME TO {table}")


def _v2_constraints(cur) -> None:
    """Keys, NOT NULL and CHECK constraints generated from contract.py on every dataset
    table and on boundaries (DuckDB cannot add a CHECK to an existing table: rebuilt)."""
    for ds in DATASETS.values():
        _rebuild(cur, ds.name, ds.ddl)
    _rebuild(cur, "boundaries", boundaries_ddl)


def _v3_batch_units(cur) -> None:
    """The units each batch touched (store/batch_units.py), filled from batch_changes."""
    batch_units.ensure(cur)
    batch_units.refresh(cur)


MIGRATIONS: list[Migration] = [
    Migration(2, "Ràng buộc khóa, NOT NULL và CHECK sinh từ contract.py", _v2_constraints),
    Migration(3, "Bảng batch_units: đơn vị mà mỗi lô nhập đã chạm tới", _v3_batch_units),
]
LATEST = max(m.version for m in MIGRATIONS)


def current_version(cur) -> int | None:
    """The file's schema version; None for a new, empty file."""
    tables = _tables(cur)
    if "app_meta" in tables:
        rows = cur.execute("SELECT value FROM app_meta WHERE key = ?", [META_KEY]).fetchall()
        row = rows[0] if rows else None
        if row:
            return int(row[0])
    return 1 if "units" in tables else None


def _set_version(cur, version: int) -> None:
    cur.execute("CREATE TABLE IF NOT EXISTS app_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    cur.execute("DELETE FROM app_meta WHERE key = ?", [META_KEY])
    cur.execute("INSERT INTO app_meta VALUES (?, ?)", [META_KEY, str(version)])


def upgrade(cur) -> list[int]:
    """Bring the file to LATEST: a new file is created at LATEST, an older one runs each later
    migration in its own transaction. -> versions applied (empty when already current)."""
    version = current_version(cur)
    if version is None:
        cur.execute("BEGIN TRANSACTION")
        try:
            for ds in DATASETS.values():
                cur.execute(ds.ddl())
            cur.execute(boundaries_ddl())
            batch_units.ensure(cur)
            _set_version(cur, LATEST)
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        return []
    done = []
    for m in MIGRATIONS:
        if m.version <= version:
            continue
        cur.execute("BEGIN TRANSACTION")
        try:
            m.run(cur)
            _set_version(cur, m.version)
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        done.append(m.version)
    return done
