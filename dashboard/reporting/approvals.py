"""Approving a month and the lock on approved months.

An approver approves a month (`YYYY-MM`) for one commune or for a whole province. While the
approval is active, the month's indicator rows of that commune (its own and its villages'
rows; for a province, every commune's and the province's own rows) are locked: a write that
would change one of them — an upload, an undo, or any future write path — is refused, naming
the rows, until an admin unlocks the approval with a reason.

The lock is a before-commit hook (`check_locks`): inside every write transaction it looks at
the batches this transaction created or rolled back (those whose state it has not seen yet, in
`approval_seen`) and at their `batch_changes` rows for the dataset `indicators`. Approving,
unlocking and every refusal are written to the audit log.
"""
from __future__ import annotations

import datetime as dt
import json

import pandas as pd

from dashboard import config
from dashboard.access import audit
from dashboard.access.principal import LOCAL, Principal
from dashboard.i18n import fmt
from dashboard.reporting.scope import scope_communes
from dashboard.store.database import before_commit
from dashboard.store.history import RollbackError


class ApprovalError(Exception):
    """An approval or unlock that cannot be done; the message is Vietnamese."""


class PeriodLocked(RollbackError):
    """A write that would change indicator rows of an approved month (message in Vietnamese).
    A RollbackError, so an undo refused by the lock is reported like any refused undo."""

    def __init__(self, rows: pd.DataFrame, action: str):
        self.rows = rows
        self.action = action
        limit = config.get("locked_rows_listed")
        months = ", ".join(fmt.month(p) for p in sorted(rows["period"].unique()))
        units = rows.drop_duplicates("commune_code")
        where = ", ".join(f"{n} ({c})" for c, n in zip(units.commune_code.head(5),
                                                        units.commune_name.head(5)))
        if len(units) > 5:
            where += f" và {fmt.number(len(units) - 5)} xã khác"
        listed = [f"{r.unit_code} · {fmt.month(r.period)} · {r.indicator}"
                  for r in rows.head(limit).itertuples(index=False)]
        more = len(rows) - len(listed)
        super().__init__(
            f"Không thể {action}: số liệu tháng {months} của {where} đã được duyệt và khóa. "
            f"Thao tác này sẽ thay đổi {fmt.number(len(rows))} dòng chỉ số đã khóa: "
            + "; ".join(listed) + (f"; và {fmt.number(more)} dòng khác" if more > 0 else "")
            + ". Quản trị viên cần mở khóa tháng đó (ghi rõ lý do) trước khi ghi.")


# --- reading ---------------------------------------------------------------------------------

def _province_of(db, commune: str) -> str | None:
    return db.scalar("""
        SELECT CASE WHEN p.level = 'province' THEN p.unit_code
                    WHEN pp.level = 'province' THEN pp.unit_code END
        FROM units c LEFT JOIN units p ON p.unit_code = c.parent_code
        LEFT JOIN units pp ON pp.unit_code = p.parent_code WHERE c.unit_code = ?""", [commune])


def active(db, communes: list[str] | None = None) -> pd.DataFrame:
    """Active approvals (period, unit_code, level, approved_by, approved_at)."""
    from dashboard.store import queries

    df = queries.run(db, "reporting_approvals", communes=communes)
    return df[df["active"]].reset_index(drop=True)


HISTORY_LABELS = {"period": "Tháng", "unit_name": "Xã, phường / tỉnh", "unit_code": "Mã",
                  "approved_by": "Người duyệt", "approved_at": "Lúc duyệt", "note": "Ghi chú",
                  "state": "Trạng thái", "unlocked_by": "Người mở khóa",
                  "unlocked_at": "Lúc mở khóa", "unlock_reason": "Lý do mở khóa"}


def version(db) -> str:
    """Changes whenever an approval is made or lifted (a cache key for footers)."""
    return str(db.scalar("SELECT count(*) || '.' || count(unlocked_at) FROM approvals"))


def history_table(db, communes: list[str] | None = None) -> pd.DataFrame:
    """Every approval as shown to users (Vietnamese headers, months as MM/YYYY)."""
    from dashboard.store import queries

    df = queries.run(db, "reporting_approvals", communes=communes)
    df["period"] = df["period"].map(fmt.month)
    df["state"] = ["Đang khóa" if a else "Đã mở khóa" for a in df["active"]]
    return df[list(HISTORY_LABELS)].rename(columns=HISTORY_LABELS)


def approved_through(db, communes: list[str] | None = None) -> str | None:
    """The latest month approved for every commune in `communes` (None = all communes)."""
    return db.scalar("""
        WITH c AS (
            SELECT c.unit_code,
                   CASE WHEN p.level = 'province' THEN p.unit_code
                        WHEN pp.level = 'province' THEN pp.unit_code END AS province_code
            FROM units c LEFT JOIN units p ON p.unit_code = c.parent_code
            LEFT JOIN units pp ON pp.unit_code = p.parent_code
            WHERE c.level = 'commune' AND ($communes IS NULL OR list_contains($communes, c.unit_code))
        ), per AS (
            SELECT a.period, count(DISTINCT c.unit_code) AS n
            FROM approvals a JOIN c ON a.unit_code IN (c.unit_code, c.province_code)
            WHERE a.unlocked_at IS NULL GROUP BY a.period
        )
        SELECT max(period) FROM per WHERE n = (SELECT count(*) FROM c) AND n > 0""",
                     {"communes": communes})


def footer_text(db, communes: list[str] | None = None, principal: Principal = LOCAL) -> str:
    """'Số liệu đã duyệt đến tháng 10/2026' for a figure or slide about these communes
    (None = all in the principal's scope); '' while no month is approved for all of them."""
    if communes is None:
        communes = scope_communes(db, principal)
    if communes is not None and not communes:
        return ""
    try:
        period = approved_through(db, communes)
    except Exception:     # a database from before the reporting cycle (read-only, no table)
        return ""
    return f"Số liệu đã duyệt đến tháng {fmt.month(period)}" if period else ""


# --- approving and unlocking -------------------------------------------------------------

def _check_period(period: str) -> str:
    from dashboard.ingest.values import parse_month

    try:
        return parse_month(str(period))
    except ValueError as exc:
        raise ApprovalError(f"Kỳ «{period}» không hợp lệ: {exc}.") from None


def approve(db, period: str, unit_code: str, principal: Principal = LOCAL,
            note: str | None = None, address: str | None = None) -> int:
    """Approve `period` for a commune or a province; returns the approval id."""
    if not principal.can("approve"):
        raise ApprovalError("Bạn không có quyền duyệt số liệu.")
    period = _check_period(period)
    unit = db.df("SELECT unit_code, unit_name, level FROM units WHERE unit_code = ?",
                 [unit_code])
    if unit.empty or unit.level[0] not in ("commune", "province"):
        raise ApprovalError(f"«{unit_code}» không phải mã xã, phường hay tỉnh trong danh sách "
                            "đơn vị.")
    level, name = unit.level[0], unit.unit_name[0]
    allowed = scope_communes(db, principal)
    if allowed is not None:
        inside = (unit_code in allowed) if level == "commune" else \
            unit_code in (principal.scope or ())
        if not inside:
            raise ApprovalError(f"{name} ({unit_code}) nằm ngoài phạm vi của bạn.")
    with db.transaction() as cur:
        dup = cur.execute("""SELECT approval_id FROM approvals WHERE period = ? AND unlocked_at
                             IS NULL AND unit_code = ?""", [period, unit_code]).fetchone()
        if dup:
            raise ApprovalError(f"Tháng {fmt.month(period)} của {name} đã được duyệt.")
        aid = int(cur.execute("SELECT nextval('approval_seq')").fetchone()[0])
        cur.execute("INSERT INTO approvals VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL)",
                    [aid, period, unit_code, level, principal.username, dt.datetime.now(),
                     note])
        audit.record(db, principal, "approve",
                     f"Duyệt số liệu tháng {fmt.month(period)} của {name} ({unit_code})"
                     + (f": {note}" if note else ""), address, cur=cur)
    return aid


def unlock(db, approval_id: int, reason: str, principal: Principal = LOCAL,
           address: str | None = None) -> None:
    """Lift an approval (admins only, with a reason): the month can change again."""
    if not principal.can("unlock"):
        raise ApprovalError("Chỉ quản trị viên được mở khóa số liệu đã duyệt.")
    reason = (reason or "").strip()
    if not reason:
        raise ApprovalError("Hãy ghi lý do mở khóa.")
    with db.transaction() as cur:
        row = cur.execute("""SELECT a.period, a.unit_code, u.unit_name, a.unlocked_at
                             FROM approvals a LEFT JOIN units u USING (unit_code)
                             WHERE approval_id = ?""", [int(approval_id)]).fetchone()
        if row is None:
            raise ApprovalError(f"Không có lần duyệt số {approval_id}.")
        if row[3] is not None:
            raise ApprovalError(f"Lần duyệt số {approval_id} đã được mở khóa trước đó.")
        cur.execute("UPDATE approvals SET unlocked_by = ?, unlocked_at = ?, unlock_reason = ? "
                    "WHERE approval_id = ?",
                    [principal.username, dt.datetime.now(), reason, int(approval_id)])
        audit.record(db, principal, "unlock",
                     f"Mở khóa số liệu tháng {fmt.month(row[0])} của {row[2] or row[1]} "
                     f"({row[1]}): {reason}", address, cur=cur)


# --- the lock -------------------------------------------------------------------------------

_UNSEEN = """SELECT b.batch_id, b.status FROM batches b
             WHERE NOT EXISTS (SELECT 1 FROM approval_seen s
                               WHERE s.batch_id = b.batch_id AND s.status = b.status)"""


def locked_rows(cur, batch_ids: list[int]) -> pd.DataFrame:
    """Indicator rows the given batches wrote (or, undone, restore) that lie in an approved
    month of their commune or province."""
    return cur.execute("""
        WITH ch AS (
            SELECT DISTINCT json_extract_string(row_key, '$[0]') AS unit_code,
                   json_extract_string(row_key, '$[1]') AS period,
                   json_extract_string(row_key, '$[2]') AS indicator
            FROM batch_changes WHERE dataset = 'indicators' AND list_contains(?, batch_id)
        ), placed AS (
            SELECT ch.*, u.level,
                   CASE u.level WHEN 'village' THEN p.unit_code WHEN 'commune' THEN u.unit_code
                   END AS commune_code,
                   CASE WHEN u.level = 'province' THEN u.unit_code
                        WHEN p.level = 'province' THEN p.unit_code
                        WHEN pp.level = 'province' THEN pp.unit_code
                        WHEN ppp.level = 'province' THEN ppp.unit_code END AS province_code
            FROM ch LEFT JOIN units u ON u.unit_code = ch.unit_code
            LEFT JOIN units p ON p.unit_code = u.parent_code
            LEFT JOIN units pp ON pp.unit_code = p.parent_code
            LEFT JOIN units ppp ON ppp.unit_code = pp.parent_code
        )
        SELECT DISTINCT pl.unit_code, pl.period, pl.indicator,
               coalesce(pl.commune_code, pl.province_code, pl.unit_code) AS commune_code,
               coalesce(c.unit_name, pr.unit_name, pl.unit_code) AS commune_name
        FROM placed pl
        JOIN approvals a ON a.period = pl.period AND a.unlocked_at IS NULL
             AND (a.unit_code = pl.commune_code OR a.unit_code = pl.province_code)
        LEFT JOIN units c ON c.unit_code = pl.commune_code
        LEFT JOIN units pr ON pr.unit_code = pl.province_code
        ORDER BY pl.period, commune_code, pl.unit_code, pl.indicator""",
                       [list(batch_ids)]).df()


@before_commit
def check_locks(cur) -> None:
    """Refuse this transaction when a batch it wrote or undid changes a locked row."""
    unseen = cur.execute(_UNSEEN).fetchall()
    if not unseen:
        return
    if cur.execute("SELECT count(*) FROM approvals WHERE unlocked_at IS NULL").fetchone()[0]:
        written = [int(b) for b, s in unseen if s == "committed"]
        undone = [int(b) for b, s in unseen if s != "committed"]
        for ids, action in ((written, "ghi lô nhập này"), (undone, "hoàn tác lô nhập này")):
            if ids:
                rows = locked_rows(cur, ids)
                if len(rows):
                    exc = PeriodLocked(rows, action)
                    _audit_refusal(cur, ids, exc)
                    raise exc
    cur.executemany("INSERT OR IGNORE INTO approval_seen VALUES (?, ?)",
                    [[int(b), s] for b, s in unseen])


def _audit_refusal(cur, batch_ids: list[int], exc: PeriodLocked) -> None:
    """Audit the refusal on a cursor of its own (auto-commit): the refused transaction rolls
    back, its audit entry stays. The user is the one the batch is written as."""
    from dashboard.access import audit, context
    from dashboard.access.principal import Principal

    who = cur.execute("SELECT string_agg(DISTINCT created_by, ', ') FROM batches "
                      "WHERE list_contains(?, batch_id)", [batch_ids]).fetchone()[0]
    current = context.current()
    actor = Principal(who or current.username, current.role, current.scope)
    keys = json.dumps(exc.rows[["unit_code", "period", "indicator"]].head(
        config.get("locked_rows_listed")).values.tolist(), ensure_ascii=False)
    own = cur.cursor()
    try:
        audit.record(None, actor, "lock_refused",
                     f"Từ chối {exc.action} (lô {', '.join(map(str, batch_ids))}): "
                     f"{len(exc.rows)} dòng chỉ số đã khóa {keys}", cur=own)
    finally:
        own.close()
