"""The audit log: who did what, when, from which address.

Logins (success and failure), logouts, uploads (checked and committed), undos, user changes,
exports and meeting packs, SQL statements run. Entries are only ever inserted: the app has no
way to edit or delete them, and the SQL explorer's snapshot does not contain the table.
"""
from __future__ import annotations

import datetime as dt
import json

import pandas as pd

DDL = [
    "CREATE SEQUENCE IF NOT EXISTS audit_seq START 1",
    """CREATE TABLE IF NOT EXISTS audit_log (
  entry_id BIGINT PRIMARY KEY DEFAULT nextval('audit_seq'),
  happened_at TIMESTAMP NOT NULL,
  username VARCHAR,               -- who ('local' in single-user mode; the name tried for a
                                  -- failed login)
  role VARCHAR,
  action VARCHAR NOT NULL,        -- see ACTION_LABELS
  detail VARCHAR,
  address VARCHAR                 -- client address, or 'cli'
)""",
]

ACTION_LABELS = {
    "login": "Đăng nhập", "login_failed": "Đăng nhập thất bại", "login_locked":
    "Tài khoản bị khóa tạm thời", "logout": "Đăng xuất", "upload_checked": "Kiểm tra tệp tải lên",
    "upload": "Ghi lô nhập", "upload_refused": "Tải lên bị từ chối", "undo": "Hoàn tác lô",
    "user_add": "Thêm người dùng", "user_change": "Sửa người dùng", "export": "Tải xuống",
    "pack": "Tải bộ tài liệu họp", "sql": "Chạy câu lệnh SQL", "forbidden": "Bị từ chối",
    "archive_download": "Tải tệp gốc",
}
COLUMNS = {"entry_id": "Số", "happened_at": "Thời gian", "username": "Người dùng", "role": "Vai trò",
           "action_label": "Hành động", "detail": "Chi tiết", "address": "Địa chỉ"}


def _text(detail) -> str | None:
    if detail is None:
        return None
    if isinstance(detail, str):
        return detail
    return json.dumps(detail, ensure_ascii=False, default=str, sort_keys=True)


def record(db, principal, action: str, detail=None, address: str | None = None,
           cur=None) -> None:
    """Add one audit entry. principal: a Principal (or None for the system); detail: text or
    a JSON-able value. With `cur` the entry joins that transaction (an upload and its entry
    commit together); without, it is one atomic INSERT of its own."""
    if address is None:
        from dashboard.access import context

        address = context.address()
    values = [dt.datetime.now(), getattr(principal, "username", None) or None,
              getattr(principal, "role", None), str(action), _text(detail), address]
    sql = ("INSERT INTO audit_log (happened_at, username, role, action, detail, address) "
           "VALUES (?, ?, ?, ?, ?, ?)")
    if cur is not None:
        cur.execute(sql, values)
        return
    base = getattr(db, "base", db)       # a scoped view writes its entries to the database
    c = base.cursor()
    try:
        c.execute(sql, values)
    finally:
        c.close()


def entries(db, username: str | None = None, actions: list[str] | None = None,
            start: dt.date | None = None, end: dt.date | None = None, text: str | None = None,
            limit: int | None = None) -> pd.DataFrame:
    """Entries newest first, filtered (user, actions, date range inclusive, text in detail)."""
    where, params = [], []
    if username:
        where.append("username = ?")
        params.append(username)
    if actions:
        where.append("list_contains(?, action)")
        params.append(list(actions))
    if start:
        where.append("happened_at >= ?")
        params.append(dt.datetime.combine(start, dt.time(0)))
    if end:
        where.append("happened_at < ?")
        params.append(dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0)))
    if text:
        where.append("strpos(lower(coalesce(detail, '')), lower(?)) > 0")
        params.append(text)
    sql = ("SELECT entry_id, happened_at, username, role, action, detail, address FROM audit_log"
           + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY entry_id DESC"
           + (f" LIMIT {int(limit)}" if limit else ""))
    base = getattr(db, "base", db)
    return base.df(sql, params)


def table(df: pd.DataFrame) -> pd.DataFrame:
    """Entries as shown and downloaded: Vietnamese headers and action names."""
    from dashboard.access.principal import ROLE_LABELS

    out = df.copy()
    out["action_label"] = [ACTION_LABELS.get(a, a) for a in out["action"]]
    out["role"] = [ROLE_LABELS.get(r, r or "") for r in out["role"]]
    out["happened_at"] = [t.strftime("%d/%m/%Y %H:%M:%S") if pd.notna(t) else ""
                 for t in pd.to_datetime(out["happened_at"])]
    return out[list(COLUMNS)].rename(columns=COLUMNS)
