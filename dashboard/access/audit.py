"""The audit log: who did what, when, from where (DESIGN.md section 7).

    record(db, principal, action, detail, address=None, cur=None)

writes one row to `audit_log`. Inside a write that already has a transaction, pass its cursor
(`cur`) so the row commits or rolls back with it; otherwise the row is its own transaction.
"""
from __future__ import annotations

import datetime as dt

DDL = [
    """CREATE TABLE IF NOT EXISTS audit_log (
  "at" TIMESTAMP NOT NULL,          -- quoted: AT is a keyword in DuckDB
  username VARCHAR NOT NULL,
  role VARCHAR NOT NULL,
  action VARCHAR NOT NULL,
  detail VARCHAR,
  address VARCHAR
)""",
]


def record(db, principal, action: str, detail: str, address: str | None = None,
           cur=None) -> None:
    row = [dt.datetime.now().replace(microsecond=0), principal.username, principal.role,
           action, detail, address]
    sql = "INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?)"
    if cur is not None:
        cur.execute(sql, row)
        return
    with db.transaction() as own:
        own.execute(sql, row)
