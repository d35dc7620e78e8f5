"""Links into the explorer (?q=, ?sql=, ?p_…) and the example queries with their parameters.
A link only fills the editor: nothing runs before the user presses Run."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pandas as pd

# ---------------------------------------------------------------------------------------------
# Links into the explorer (contract with dashboard/ui.py's "Xem SQL")

EXPLORER_PAGE = "../pages/sql.py"


def explorer_query_params(name: str | None = None, params: dict | None = None,
                          sql: str | None = None) -> dict[str, str]:
    """st.query_params for the explorer: q=<named query> or sql=<text>, plus p_<param>=value.

    Lists are comma-separated, dates ISO, None is left out (the parameter's default applies).
    """
    out: dict[str, str] = {}
    if name:
        out["q"] = name
    elif sql:
        out["sql"] = sql
    for k, v in (params or {}).items():
        if v is None:
            continue
        if isinstance(v, (list, tuple, set)):
            v = ",".join(str(x) for x in v)
        elif isinstance(v, (dt.date, dt.datetime, pd.Timestamp)):
            v = v.isoformat()[:10]
        out["p_" + k] = str(v)
    return out


def parse_explorer_query_params(qp) -> tuple[str | None, str | None, dict[str, str]]:
    """(named query or None, sql text or None, {param: text}) from st.query_params."""
    get = qp.get if hasattr(qp, "get") else dict(qp).get
    keys = list(qp.keys()) if hasattr(qp, "keys") else []
    name = get("q") or None
    sql = get("sql") or None
    params = {k[2:]: get(k) for k in keys if k.startswith("p_") and len(k) > 2}
    return name, sql, params


def link_signature(qp) -> str:
    """A key telling whether the explorer's URL parameters changed since they were applied."""
    name, sql, params = parse_explorer_query_params(qp)
    return json.dumps([name, sql, sorted(params.items())], ensure_ascii=False)


# ---------------------------------------------------------------------------------------------
# Example queries and their parameters (explorer page)


@dataclass(frozen=True)
class Example:
    name: str
    title: str
    sql: str
    params: tuple[str, ...]
    param_doc: str
    description: str


def examples() -> list[Example]:
    """The named queries of queries/, as examples for the explorer (sorted by name)."""
    from dashboard.store import queries

    out = []
    for name in queries.names():
        q = queries.get(name)
        out.append(Example(q.name, q.title, q.sql.strip() + "\n", q.params, q.param_doc,
                           q.description))
    return out


PARAM_LABELS = {
    "as_of": "Tính đến ngày", "start": "Từ ngày", "end": "Đến ngày",
    "communes": "Xã, phường (để trống = tất cả)", "commune": "Xã, phường",
    "level": "Cấp", "indicator": "Chỉ số", "field": "Lĩnh vực", "model_id": "Mã mô hình",
    "unit_code": "Mã đơn vị",
}


def param_kind(name: str) -> str:
    """How the explorer asks for a parameter: date | communes | commune | level | indicator |
    field | text."""
    if name in ("as_of", "start", "end") or name.endswith("_on"):
        return "date"
    if name in ("communes", "commune", "level", "indicator", "field"):
        return name
    return "text"


def param_label(name: str) -> str:
    return PARAM_LABELS.get(name, name)
