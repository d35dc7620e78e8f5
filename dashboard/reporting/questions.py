"""Saved questions: an analyst saves a SQL explorer statement (with its parameter values) under
a name and a description; colleagues in scope find it and rerun it — always through the SQL
explorer's read-only sandbox, always scoped; a question can be shown on Tổng quan as a table
or a chart.

Who finds a question: a question is about its author's scope (None = the whole data); a
principal finds it when the two scopes share a commune (a province-wide question is found by
everyone, a question of commune A by A's users and by province-wide users, never by commune
B's users). Running it applies the runner's scope: see `_sandbox`.
"""
from __future__ import annotations

import datetime as dt
import inspect
import json

import pandas as pd

from dashboard import config
from dashboard.access import audit
from dashboard.access.principal import LOCAL, Principal
from dashboard.i18n.text import fold
from dashboard.reporting.scope import codes, scope_communes

DISPLAYS = {"table": "Bảng", "bar": "Biểu đồ cột", "line": "Biểu đồ đường"}
COLUMNS = ["question_id", "name", "description", "sql", "params_json", "communes",
           "created_by", "created_at", "updated_at", "on_overview", "display"]


class QuestionError(Exception):
    """A saved question that cannot be saved, found or run (Vietnamese message)."""


def _plain(v):
    if v is None:
        return None
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()[:10]
    if isinstance(v, (list, tuple)):
        return [str(x) for x in v]
    return str(v)


def _json_params(params: dict | None) -> str:
    return json.dumps({k: _plain(v) for k, v in (params or {}).items()}, ensure_ascii=False,
                      sort_keys=True)


def params_of(row) -> dict:
    """The stored parameter values, typed again for the sandbox."""
    from dashboard import sandbox

    raw = json.loads(row["params_json"] or "{}")
    out = {}
    for k, v in raw.items():
        if isinstance(v, list):
            out[k] = v or None
        else:
            out[k] = sandbox.coerce_value(k, v if v is None else str(v))
    return out


def save(db, principal: Principal, name: str, sql: str, description: str = "",
         params: dict | None = None, on_overview: bool = False, display: str = "table",
         address: str | None = None) -> int:
    """Save a statement the sandbox accepts; returns the question id."""
    from dashboard import sandbox

    if not principal.can("save_question"):
        raise QuestionError("Chỉ người phân tích trở lên được lưu câu hỏi.")
    name = (name or "").strip()
    if not name:
        raise QuestionError("Hãy đặt tên cho câu hỏi.")
    if display not in DISPLAYS:
        raise QuestionError(f"Cách hiển thị «{display}» không có.")
    try:
        checked = sandbox.check(sql)
    except sandbox.SandboxError as exc:
        raise QuestionError(exc.message) from None
    about = scope_communes(db, principal)
    with db.transaction() as cur:
        qid = int(cur.execute("SELECT nextval('question_seq')").fetchone()[0])
        now = dt.datetime.now()
        cur.execute(f"INSERT INTO saved_questions ({', '.join(COLUMNS)}) VALUES "
                    f"({', '.join('?' * len(COLUMNS))})",
                    [qid, name, (description or "").strip() or None, checked.sql,
                     _json_params({k: v for k, v in (params or {}).items()
                                   if k in checked.params}),
                     about, principal.username, now, now, bool(on_overview), display])
        audit.record(db, principal, "save_question", f"Lưu câu hỏi số {qid} «{name}»",
                     address, cur=cur)
    return qid


def _findable(allowed: list[str] | None, about) -> bool:
    if allowed is None or about is None:
        return True
    return bool(set(allowed) & set(about))


def find(db, principal: Principal = LOCAL, search: str = "",
         on_overview: bool | None = None) -> pd.DataFrame:
    """The questions the principal may find, newest first; `search` matches name and
    description without diacritics."""
    df = db.df(f"SELECT {', '.join(COLUMNS)} FROM saved_questions "
               "ORDER BY updated_at DESC, question_id DESC")
    allowed = scope_communes(db, principal)
    if len(df):
        df = df[[_findable(allowed, codes(c)) for c in df["communes"]]]
    if on_overview is not None and len(df):
        df = df[df["on_overview"] == on_overview]
    if search and len(df):
        needle = fold(search)
        df = df[[needle in fold(f"{n} {d or ''}") for n, d in zip(df["name"], df["description"])]]
    return df.reset_index(drop=True)


def get(db, principal: Principal, question_id: int) -> dict:
    df = find(db, principal)
    row = df[df["question_id"] == int(question_id)]
    if row.empty:
        raise QuestionError(f"Không có câu hỏi đã lưu số {question_id} trong phạm vi của bạn.")
    return row.iloc[0].to_dict()


def sandbox_for_database():
    """The SQL explorer's sandbox factory (its signature tells whether it takes a scope)."""
    from dashboard import sandbox

    return sandbox.for_database


def _sandbox(db, principal: Principal):
    """The SQL explorer's sandbox for this principal. When the sandbox takes a principal it
    narrows the data to that scope itself; until then a scoped principal is refused rather
    than shown data outside the scope."""
    from dashboard import sandbox

    if "principal" in inspect.signature(sandbox.for_database).parameters:
        return sandbox.for_database(db, principal=principal)
    if principal.scope is not None:
        raise QuestionError("Câu hỏi đã lưu chỉ chạy được trên dữ liệu trong phạm vi của bạn, "
                            "nhưng môi trường phân tích SQL chưa giới hạn được theo phạm vi. "
                            "Hãy nhờ người có phạm vi toàn bộ dữ liệu chạy câu hỏi này.")
    return sandbox.for_database(db)


def run(db, principal: Principal, question_id: int, params: dict | None = None,
        max_rows: int | None = None, audit_it: bool = True):
    """Rerun a saved question (read-only, scoped) -> the sandbox Result."""
    from dashboard import sandbox

    q = get(db, principal, question_id)
    values = {**params_of(q), **(params or {})}
    try:
        result = _sandbox(db, principal).run(q["sql"], values, max_rows=max_rows)
    except sandbox.SandboxError as exc:
        raise QuestionError(exc.message) from None
    if audit_it:
        audit.record(db, principal, "sql", f"Chạy câu hỏi đã lưu số {question_id} «{q['name']}»")
    return result


def set_overview(db, principal: Principal, question_id: int, on_overview: bool,
                 display: str | None = None) -> None:
    if not principal.can("save_question"):
        raise QuestionError("Chỉ người phân tích trở lên được đổi câu hỏi đã lưu.")
    q = get(db, principal, question_id)
    display = display or q["display"]
    if display not in DISPLAYS:
        raise QuestionError(f"Cách hiển thị «{display}» không có.")
    with db.transaction() as cur:
        cur.execute("UPDATE saved_questions SET on_overview = ?, display = ?, updated_at = ? "
                    "WHERE question_id = ?",
                    [bool(on_overview), display, dt.datetime.now(), int(question_id)])
        audit.record(db, principal, "save_question",
                     f"Câu hỏi số {question_id} {'hiện' if on_overview else 'ẩn'} trên Tổng "
                     f"quan ({DISPLAYS[display]})", cur=cur)


def delete(db, principal: Principal, question_id: int) -> None:
    q = get(db, principal, question_id)
    if q["created_by"] != principal.username and not principal.can("approve"):
        raise QuestionError("Chỉ người lưu câu hỏi hoặc người có quyền duyệt được xóa nó.")
    with db.transaction() as cur:
        cur.execute("DELETE FROM saved_questions WHERE question_id = ?", [int(question_id)])
        audit.record(db, principal, "save_question",
                     f"Xóa câu hỏi số {question_id} «{q['name']}»", cur=cur)


def chart(df: pd.DataFrame, display: str, title: str = ""):
    """A plotly figure of a result for 'bar'/'line': the first column along the x axis, every
    numeric column after it as a series. None when the result has no numeric column."""
    import plotly.express as px

    if df.empty or len(df.columns) < 2:
        return None
    x = df.columns[0]
    ys = [c for c in df.columns[1:] if pd.api.types.is_numeric_dtype(df[c])]
    if not ys:
        return None
    data = df.head(config.get("display_rows"))
    fig = (px.bar(data, x=x, y=ys, barmode="group") if display == "bar"
           else px.line(data, x=x, y=ys, markers=True))
    fig.update_layout(title=title or None, xaxis_title=str(x), yaxis_title="")
    return fig
