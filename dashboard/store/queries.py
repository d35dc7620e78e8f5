"""Named SQL queries: one file per question in queries/, run with named parameters.

Each file opens with a header comment that the code reads:

    -- name: coverage_by_unit
    -- title: Độ phủ hộ gia đình theo đơn vị
    -- params: level (commune|village, default commune), as_of (date, default today)
    -- columns: unit_code, unit_name, ...

Parameters are DuckDB named parameters (`$as_of`). A parameter a file does not use is dropped,
so callers may pass the page's whole filter state.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

QUERY_DIR = Path(__file__).resolve().parent / "sql"
_HEADER = re.compile(r"^--\s*(\w+):\s*(.*)$")
_PARAM = re.compile(r"\$([A-Za-z_]\w*)")


@dataclass(frozen=True)
class NamedQuery:
    name: str
    title: str
    sql: str
    params: tuple[str, ...]          # names used in the SQL, in order of first use
    param_doc: str
    columns: tuple[str, ...]
    description: str

    @property
    def path(self) -> Path:
        return QUERY_DIR / f"{self.name}.sql"


def _parse(path: Path) -> NamedQuery:
    return _parse_text(path.stem, path.read_text(encoding="utf-8"))


def _parse_text(name: str, text: str) -> NamedQuery:
    header: dict[str, str] = {}
    for line in text.splitlines():
        m = _HEADER.match(line.strip())
        if m:
            header.setdefault(m.group(1).lower(), m.group(2).strip())
        elif line.strip() and not line.strip().startswith("--"):
            break
    used = tuple(dict.fromkeys(_PARAM.findall(re.sub(r"--[^\n]*", "", text))))
    return NamedQuery(
        name=name,
        title=header.get("title", name),
        sql=text,
        params=used,
        param_doc=header.get("params", ""),
        columns=tuple(c.strip() for c in header.get("columns", "").split(",") if c.strip()),
        description=header.get("description", ""),
    )


@cache
def _load(name: str, mtime: float) -> NamedQuery:
    return _parse(QUERY_DIR / f"{name}.sql")


def get(name: str) -> NamedQuery:
    path = QUERY_DIR / f"{name}.sql"
    if not re.fullmatch(r"[a-z0-9_]+", name) or not path.exists():
        raise KeyError(name)
    return _load(name, path.stat().st_mtime)


def names() -> list[str]:
    """Named queries (files starting with '_' hold shared macros, not questions)."""
    return sorted(p.stem for p in QUERY_DIR.glob("*.sql") if not p.stem.startswith("_"))


def macros_sql() -> str:
    return (QUERY_DIR / "_macros.sql").read_text(encoding="utf-8")


# Optional parameters and their defaults; NULL means "no filter".
OPTIONAL = {"communes": None, "level": "commune"}


def defaults() -> dict[str, object]:
    from dashboard import config

    # the reporting cycle: the month being reported is the previous one; rates cover the
    # reporting_months months ending there
    today = dt.date.today()
    last = (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    y, m = divmod(int(last[:4]) * 12 + int(last[5:]) - config.get("reporting_months"), 12)
    return {"as_of": today, **OPTIONAL, "due_day": config.get("report_due_day"),
            "overload": config.get("overload_households"),
            "period": last, "end_period": last, "start_period": f"{y:04d}-{m + 1:02d}"}


def coerce_param(name: str, value):
    """CLI and URL parameters arrive as text."""
    if value is None:
        return None
    if name == "communes" and isinstance(value, str):
        return [c.strip() for c in value.split(",") if c.strip()] or None
    if name == "communes":
        return list(value) or None
    if name == "period" or name.endswith("_period"):      # months: YYYY-MM or MM/YYYY
        from dashboard.ingest.values import parse_month

        return parse_month(value.isoformat() if isinstance(value, dt.date) else str(value))
    if name == "due_day":
        return int(value)
    if name in ("as_of", "start", "end") or name.endswith("_on"):
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        return dt.date.fromisoformat(str(value)[:10])
    return value


def bind(q: NamedQuery, params: dict | None) -> dict:
    merged = {**defaults(), **{k: v for k, v in (params or {}).items()
                               if v is not None or k in OPTIONAL}}
    missing = [p for p in q.params if p not in merged]
    if missing:
        raise ValueError(f"Thiếu tham số cho truy vấn {q.name}: {', '.join(missing)}")
    return {p: coerce_param(p, merged[p]) for p in q.params}


REFERENCE_DIR = QUERY_DIR / "_reference"    # only where the reference differs in shape
_ANALYTICS = re.compile(r"\ban_[a-z_]+\b")
# an analytics table macro an_X(d) answers what the reference macro X(d) of _macros.sql does
_AN_MACRO = re.compile(r"\ban_([a-z_]+)\(")


def uses_analytics(q: NamedQuery) -> bool:
    return bool(_ANALYTICS.search(re.sub(r"--[^\n]*", "", q.sql)))


def reference_sql(name: str) -> str | None:
    """The query as written over the reference macros of _macros.sql (section 4 computed
    from every cell), for queries that read the precomputed analytics tables: the file in
    sql/_reference/ where the question is written differently, else the query itself with
    each an_X(…) read as the macro X(…)."""
    path = REFERENCE_DIR / f"{name}.sql"
    if path.exists():
        return path.read_text(encoding="utf-8")
    q = get(name)
    return _AN_MACRO.sub(r"\1(", q.sql) if uses_analytics(q) else None


def rewritten() -> list[str]:
    """Named queries that read the analytics tables (each has a reference form)."""
    return [n for n in names() if uses_analytics(get(n))]


def run(db, name: str, params: dict | None = None, reference: bool = False,
        **kw) -> pd.DataFrame:
    """Run queries/NAME.sql on a store.Database and return a DataFrame.
    reference=True (or analytics tables stale on a read-only database): the same question
    over the reference macros."""
    from dashboard.store import analytics

    q = get(name)
    bound = bind(q, {**(params or {}), **kw})
    sql = q.sql
    if uses_analytics(q) and (reference or not analytics.ready(db)):
        sql = reference_sql(name) or sql
    cur = db.cursor()
    try:
        return cur.execute(sql, bound).df()
    finally:
        cur.close()


def rendered_params(name: str, params: dict | None = None, **kw) -> dict:
    """The parameter values actually used (for 'Xem SQL')."""
    return bind(get(name), {**(params or {}), **kw})
