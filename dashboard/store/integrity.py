"""The integrity check: what no write may leave behind (README, «Lịch sử nhập và hoàn tác»).

Runs inside every write transaction, just before COMMIT (registered with
`database.before_commit`): imports, boundary imports, approximate polygons, undo. Any
finding aborts the write with IntegrityError, whose Vietnamese message names the rows.

Rules, over the whole stored data (not only the rows of the write):
- every unit's parent exists, and has a level its level may hang under
  (contract.PARENT_LEVELS: village → commune; commune → province or district;
  district → province; a province has no parent);
- no unit is its own ancestor (parent cycles);
- cells, models, indicators and boundaries refer to existing units;
- cells are attached to a village or a commune (contract.CELL_UNIT_LEVELS).

Row-level rules (required values, ≥ bounds, enums, dates in order) are the database's own
CHECK / NOT NULL / key constraints generated from contract.py.
"""
from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass, field

from dashboard.contract import CELL_UNIT_LEVELS, LEVELS, PARENT_LEVELS, enum_label
from dashboard.i18n import fmt
from dashboard.store.database import before_commit

SAMPLES = 5          # rows named per finding
MAX_FINDINGS = 200   # findings listed per rule

TABLE_WORDS = {"units": "đơn vị", "cells": "tổ", "models": "mô hình",
               "indicators": "dòng chỉ số", "boundaries": "ranh giới"}


@dataclass
class Finding:
    """Rows breaking one rule because of one referenced unit code."""
    rule: str
    table: str            # where the offending rows are
    column: str           # the column holding the reference
    ref_code: str | None  # the unit code they refer to
    count: int            # offending rows
    samples: list[str] = field(default_factory=list)   # "key «name»" of the first rows
    ref_name: str | None = None
    ref_level: str | None = None

    @property
    def message(self) -> str:
        what = TABLE_WORDS.get(self.table, self.table)
        rows = ", ".join(self.samples) + ("…" if self.count > len(self.samples) else "")
        level = enum_label(LEVELS, self.ref_level) if self.ref_level else ""
        ref = f"«{self.ref_name}» ({self.ref_code})" if self.ref_name else f"«{self.ref_code}»"
        n = fmt.number(self.count)
        if self.rule == "missing_parent":
            return (f"{n} {what} có đơn vị cấp trên {ref} không còn trong danh mục đơn vị: "
                    f"{rows}")
        if self.rule == "parent_level":
            return (f"{n} đơn vị cấp dưới thuộc {ref}, đơn vị cấp «{level}» — không đúng cấp bậc "
                    f"(thôn/tổ dân phố thuộc xã/phường; xã thuộc tỉnh hoặc huyện; huyện thuộc "
                    f"tỉnh; tỉnh không có cấp trên): {rows}")
        if self.rule == "cycle":
            return f"{n} đơn vị nằm trong vòng lặp cấp trên (là cấp trên của chính mình): {rows}"
        if self.rule == "missing_unit":
            return f"{n} {what} thuộc đơn vị {ref} không còn trong danh mục đơn vị: {rows}"
        if self.rule == "cell_unit_level":
            return (f"{n} tổ thuộc {ref} ở cấp «{level}»; tổ phải thuộc một thôn/tổ dân phố "
                    f"hoặc xã: {rows}")
        return f"{n} {what}: {rows}"


class IntegrityError(Exception):
    """A write would leave data that breaks the integrity rules; nothing was written."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        super().__init__(
            "Không ghi: dữ liệu sau khi ghi sẽ không còn nhất quán — "
            + "; ".join(f.message for f in findings[:20])
            + ("; …" if len(findings) > 20 else "") + ".")


def _key_sql(table: str, alias: str) -> str:
    from dashboard.contract import DATASETS

    if table == "boundaries":
        return f"{alias}.unit_code"
    return " || ' / ' || ".join(f"{alias}.{k}::VARCHAR" for k in DATASETS[table].key)


def _name_sql(table: str, alias: str) -> str:
    col = {"units": "unit_name", "cells": "cell_name", "models": "model_name"}.get(table)
    return f"' «' || {alias}.{col} || '»'" if col else "''"


def _grouped(cur, rule: str, table: str, column: str, from_where: str) -> list[Finding]:
    """Findings grouped by the referenced code; `from_where` binds the offending rows as t and
    (optionally) the referenced unit as p."""
    key, name = _key_sql(table, "t"), _name_sql(table, "t")
    rows = cur.execute(f"""
        SELECT t.{column} AS ref, count(*) AS n,
               list(coalesce({key} || {name}, {key}) ORDER BY {key})[1:{SAMPLES}] AS samples,
               any_value(p.unit_name) AS ref_name, any_value(p.level) AS ref_level
        {from_where}
        GROUP BY t.{column} ORDER BY t.{column} LIMIT {MAX_FINDINGS}""").fetchall()
    return [Finding(rule, table, column, r[0], int(r[1]), list(r[2]), r[3], r[4])
            for r in rows]


def _allowed_pairs() -> str:
    pairs = [f"('{child}', '{parent}')" for child, parents in PARENT_LEVELS.items()
             for parent in parents]
    return ", ".join(pairs)


# The datasets the current write changes, when its writer declares them (`scope`): only the
# rules those datasets can break are checked. Unknown (None) = every rule.
_SCOPE: contextvars.ContextVar[frozenset[str] | None] = contextvars.ContextVar(
    "integrity_scope", default=None)


@contextlib.contextmanager
def scope(tables):
    """Declare the datasets a write changes (batches.write, history.rollback)."""
    token = _SCOPE.set(frozenset(tables))
    try:
        yield
    finally:
        _SCOPE.reset(token)


def findings(cur, tables=None) -> list[Finding]:
    """Every integrity finding of the stored data (empty = consistent). `tables`: only the
    rules that changes to those datasets can break (a change to units can break them all)."""
    if tables is not None and "units" not in tables:
        return _reference_findings(cur, [t for t in ("cells", "models", "indicators",
                                                     "boundaries") if t in tables])
    out: list[Finding] = []
    out += _grouped(cur, "missing_parent", "units", "parent_code", """
        FROM units t LEFT JOIN units p ON p.unit_code = t.parent_code
        WHERE t.parent_code IS NOT NULL AND p.unit_code IS NULL""")
    out += _grouped(cur, "parent_level", "units", "parent_code", f"""
        FROM units t JOIN units p ON p.unit_code = t.parent_code
        LEFT JOIN (VALUES {_allowed_pairs()}) a(child, parent)
               ON a.child = t.level AND a.parent = p.level
        WHERE a.child IS NULL""")
    # cycles: walk up at most as many steps as there are units on a cycle-free path (4 levels)
    out += _cycles(cur)
    return out + _reference_findings(cur, ["cells", "models", "indicators", "boundaries"])


def _reference_findings(cur, tables: list[str]) -> list[Finding]:
    out: list[Finding] = []
    for table in tables:
        out += _grouped(cur, "missing_unit", table, "unit_code", f"""
            FROM {table} t LEFT JOIN units p ON p.unit_code = t.unit_code
            WHERE p.unit_code IS NULL""")
    if "cells" in tables:
        levels = ", ".join(f"'{lv}'" for lv in CELL_UNIT_LEVELS)
        out += _grouped(cur, "cell_unit_level", "cells", "unit_code", f"""
            FROM cells t JOIN units p ON p.unit_code = t.unit_code
            WHERE p.level NOT IN ({levels})""")
    return out


def _cycles(cur) -> list[Finding]:
    depth = len(PARENT_LEVELS) + 1
    rows = cur.execute(f"""
        WITH RECURSIVE up(start, code, steps) AS (
            SELECT unit_code, parent_code, 1 FROM units WHERE parent_code IS NOT NULL
            UNION ALL
            SELECT up.start, u.parent_code, up.steps + 1 FROM up
            JOIN units u ON u.unit_code = up.code
            WHERE u.parent_code IS NOT NULL AND up.steps < {depth} AND up.code <> up.start)
        SELECT DISTINCT start FROM up WHERE code = start ORDER BY start""").fetchall()
    if not rows:
        return []
    codes = [r[0] for r in rows]
    return [Finding("cycle", "units", "parent_code", None, len(codes), codes[:SAMPLES])]


def check(cur) -> None:
    """Raise IntegrityError when the data (as this cursor's transaction sees it) breaks a
    rule (those of the declared `scope`, else all)."""
    found = findings(cur, _SCOPE.get())
    if found:
        raise IntegrityError(found)


@before_commit
def check_before_commit(cur) -> None:
    check(cur)


def verify(db) -> list[Finding]:
    """Findings of a database as committed (for tests and maintenance)."""
    cur = db.cursor()
    try:
        return findings(cur)
    finally:
        cur.close()
