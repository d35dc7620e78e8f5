"""The audit log: who did what, when, from where (one row per action)."""
from __future__ import annotations

import datetime as dt

DDL = ["""CREATE TABLE IF NOT EXISTS audit_log (
  "at" TIMESTAMP NOT NULL, username VARCHAR, role VARCHAR, action VARCHAR NOT NULL,
  detail VARCHAR, address VARCHAR)"""]


def record(db, principal, action: str, detail: str, address: str | None = None,
           cur=None) -> None:
    """Append one entry; inside the caller's transaction when `cur` is given."""
    row = [dt.datetime.now(), principal.username, principal.role, action, detail, address]
    sql = "INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?)"
    if cur is not None:
        cur.execute(sql, row)
        return
    with db.transaction() as own:
        own.execute(sql, row)
