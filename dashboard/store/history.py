"""Import history: the list of batches, the archived original files, and rollback.

Every import (ingest.write_batch, boundaries.store_boundaries) records its batch in `batches` and, for
each row it inserted or changed, the row's before/after image in `batch_changes`. Rolling a
batch back deletes the rows it touched and puts their before-images back, in ONE DuckDB
transaction, so the data is exactly as it was before the batch.

If a later, still committed batch changed some of the same rows, rolling back only the earlier
batch would silently undo part of the later one; `rollback` refuses (RollbackConflict, with the
list of those batches) unless `cascade=True`, in which case the later batches are rolled back
first, newest first.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from dashboard import config
from dashboard.store.database import Database

STATUS_LABELS = {"committed": "Đã ghi", "rolled_back": "Đã hoàn tác"}
MODE_LABELS = {"all_or_nothing": "Tất cả hoặc không", "valid_rows_only": "Chỉ dòng hợp lệ",
               "approximate": "Ranh giới gần đúng"}
DATASET_LABELS = {"units": "Đơn vị", "cells": "Tổ dân vận", "models": "Mô hình",
                  "indicators": "Chỉ số", "boundaries": "Ranh giới"}


class RollbackError(Exception):
    """Rollback not possible; the message is Vietnamese."""


class RollbackConflict(RollbackError):
    def __init__(self, batch_id: int, later: list[int], shared_rows: int):
        self.batch_id = batch_id
        self.later = later
        self.shared_rows = shared_rows
        names = ", ".join(f"số {b}" for b in later)
        super().__init__(
            f"Không thể hoàn tác riêng lô {batch_id}: {shared_rows} dòng của lô này đã được "
            f"lô nhập sau ({names}) thay đổi tiếp. Hoàn tác lô {batch_id} sẽ phải hoàn tác cả "
            f"các lô đó (mới nhất trước).")


@dataclass
class RollbackResult:
    batches: list[int] = field(default_factory=list)   # rolled back, in the order done
    rows_deleted: int = 0      # rows the batches had inserted
    rows_restored: int = 0     # rows put back to their before-image


def list_batches(db: Database) -> pd.DataFrame:
    """All batches, newest first, with Vietnamese labels for dataset, status and mode."""
    from dashboard.store import queries

    df = queries.run(db, "import_batches", {})
    df["dataset_label"] = df["dataset"].map(lambda d: DATASET_LABELS.get(d, d))
    df["status_label"] = df["status"].map(lambda s: STATUS_LABELS.get(s, s))
    df["mode_label"] = df["mode"].map(lambda m: MODE_LABELS.get(m, m or ""))
    df["has_file"] = [isinstance(p, str) and bool(p) and _archive_abs(db, p).is_file()
                      for p in df["archive_path"]]
    return df


HISTORY_COLUMNS = {
    "batch_id": "Lô", "created_at": "Thời gian", "dataset_label": "Bộ dữ liệu",
    "file_name": "Tệp", "sha256_short": "SHA-256", "rows_new": "Mới",
    "rows_updated": "Cập nhật", "rows_unchanged": "Không đổi", "rows_rejected": "Bị từ chối",
    "created_by": "Người nhập", "status_label": "Trạng thái", "note": "Ghi chú"}


def history_table(batches: pd.DataFrame) -> pd.DataFrame:
    """The batch list as shown to users: Vietnamese headers, dd/mm/yyyy HH:MM times."""
    df = batches.copy()
    df["sha256_short"] = [s[:12] + "…" if isinstance(s, str) and s else "" for s in df["sha256"]]
    df["created_at"] = [t.strftime("%d/%m/%Y %H:%M:%S") if pd.notna(t) else ""
                        for t in pd.to_datetime(df["created_at"])]
    df["created_by"] = [c if isinstance(c, str) and c else "—" for c in df["created_by"]]
    df["file_name"] = [f if isinstance(f, str) and f else "—" for f in df["file_name"]]
    df["note"] = [n if isinstance(n, str) else "" for n in df["note"]]
    return df[list(HISTORY_COLUMNS)].rename(columns=HISTORY_COLUMNS)


def batch_label(row) -> str:
    name = row["file_name"] if isinstance(row["file_name"], str) and row["file_name"] else "—"
    when = pd.Timestamp(row["created_at"]).strftime("%d/%m/%Y %H:%M")
    return (f"Lô {row['batch_id']} · {DATASET_LABELS.get(row['dataset'], row['dataset'])} · "
            f"{name} · {when} · {STATUS_LABELS.get(row['status'], row['status'])}")


def get_batch(db: Database, batch_id: int) -> dict | None:
    df = db.df("SELECT * FROM batches WHERE batch_id = ?", [int(batch_id)])
    return None if df.empty else df.iloc[0].to_dict()


def _archive_abs(db: Database, rel: str) -> Path:
    return (db.path.parent / rel).resolve()


def archived_file(db: Database, batch_id: int) -> tuple[str, bytes] | None:
    """(original file name, bytes) of the file a batch imported, or None when not archived."""
    b = get_batch(db, batch_id)
    if not b or not isinstance(b.get("archive_path"), str) or not b["archive_path"]:
        return None
    base = (db.path.parent / config.get("archive_dir_name")).resolve()
    path = _archive_abs(db, b["archive_path"])
    if base not in path.parents or not path.is_file():
        return None
    name = b.get("file_name")
    return (name if isinstance(name, str) and name else path.name), path.read_bytes()


# --- rollback -------------------------------------------------------------------------------

def _changes(cur, batch_ids: list[int]) -> pd.DataFrame:
    return cur.execute(
        "SELECT batch_id, dataset, row_key, before_json, after_json FROM batch_changes "
        "WHERE list_contains(?, batch_id)", [list(batch_ids)]).df()


def dependent_batches(db: Database, batch_id: int, cur=None) -> tuple[list[int], int]:
    """Later committed batches that changed rows this batch changed — transitively (a batch
    depending on a dependant is a dependant). -> (batch ids ascending, rows of `batch_id`
    changed again later)."""
    own = cur is None
    cur = cur or db.cursor()
    try:
        deps = cur.execute("""
            WITH RECURSIVE dep(batch_id) AS (
                SELECT ?::BIGINT
                UNION
                SELECT later.batch_id
                FROM dep
                JOIN batch_changes c0 ON c0.batch_id = dep.batch_id
                JOIN batch_changes later ON later.dataset = c0.dataset
                     AND later.row_key = c0.row_key AND later.batch_id > c0.batch_id
                JOIN batches b ON b.batch_id = later.batch_id AND b.status = 'committed'
            )
            SELECT DISTINCT batch_id FROM dep WHERE batch_id <> ? ORDER BY batch_id""",
                           [int(batch_id), int(batch_id)]).fetchall()
        shared = cur.execute("""
            SELECT count(DISTINCT c0.row_key) FROM batch_changes c0
            JOIN batch_changes later ON later.dataset = c0.dataset
                 AND later.row_key = c0.row_key AND later.batch_id > c0.batch_id
            JOIN batches b ON b.batch_id = later.batch_id AND b.status = 'committed'
            WHERE c0.batch_id = ?""", [int(batch_id)]).fetchone()[0]
    finally:
        if own:
            cur.close()
    return [int(r[0]) for r in deps], int(shared)


def _table_columns(cur, table: str) -> dict[str, str]:
    rows = cur.execute("SELECT column_name, data_type FROM information_schema.columns "
                       "WHERE table_name = ? ORDER BY ordinal_position", [table]).fetchall()
    return {name: dtype for name, dtype in rows}


def _key_columns(dataset: str) -> tuple[str, ...]:
    if dataset == "boundaries":
        return ("unit_code",)
    from dashboard.contract import DATASETS

    return DATASETS[dataset].key


def _text(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str) and v in ("NaT", "nan", "NaN", "<NA>"):
        return None   # missing values written by older versions
    return str(v)


def _undo_dataset(cur, dataset: str, changes: pd.DataFrame, result: RollbackResult) -> None:
    key_cols = _key_columns(dataset)
    columns = _table_columns(cur, dataset)
    keys = pd.DataFrame([json.loads(k) for k in changes["row_key"]], columns=list(key_cols),
                        dtype=object).drop_duplicates()
    cur.register("_undo_keys", keys)
    cond = " AND ".join(f"t.{k}::VARCHAR = k.{k}" for k in key_cols)
    cur.execute(f"DELETE FROM {dataset} t WHERE EXISTS (SELECT 1 FROM _undo_keys k WHERE {cond})")
    cur.unregister("_undo_keys")
    befores = [json.loads(b) for b in changes["before_json"] if b is not None]
    result.rows_deleted += int(changes["before_json"].isna().sum())
    result.rows_restored += len(befores)
    if not befores:
        return
    frame = pd.DataFrame({c: [_text(b.get(c)) for b in befores] for c in columns},
                         dtype=object)
    cur.register("_undo_rows", frame)
    select = ", ".join(
        f"unhex({c})" if t == "BLOB" else f"CAST({c} AS {t})" for c, t in columns.items())
    cur.execute(f"INSERT INTO {dataset} ({', '.join(columns)}) SELECT {select} FROM _undo_rows")
    cur.unregister("_undo_rows")


def rollback(db: Database, batch_id: int, cascade: bool = False,
             by: str | None = None) -> RollbackResult:
    """Undo a batch (and, with cascade, the later batches that built on it) in ONE
    transaction. Raises RollbackError / RollbackConflict; nothing changes when it raises."""
    from dashboard.access import audit, context, require, scope

    principal = context.current()          # editors undo only batches within their scope
    require(principal, "undo")
    by = by or principal.username
    batch_id = int(batch_id)
    result = RollbackResult()
    with db.transaction() as cur:
        row = cur.execute("SELECT status FROM batches WHERE batch_id = ?",
                          [batch_id]).fetchone()
        if row is None:
            raise RollbackError(f"Không có lô nhập số {batch_id}.")
        if row[0] != "committed":
            raise RollbackError(f"Lô {batch_id} đã được hoàn tác trước đó.")
        later, shared = dependent_batches(db, batch_id, cur)
        if later and not cascade:
            raise RollbackConflict(batch_id, later, shared)
        order = sorted(later, reverse=True) + [batch_id]
        scope.check_undo(cur, principal, order)
        now = dt.datetime.now().strftime("%d/%m/%Y %H:%M")
        for b in order:
            changes = _changes(cur, [b])
            for dataset, group in changes.groupby("dataset", sort=False):
                _undo_dataset(cur, dataset, group, result)
            note = f"Hoàn tác lúc {now}" + (f" bởi {by}" if by else "")
            if b != batch_id:
                note += f" (cùng với lô {batch_id})"
            cur.execute("UPDATE batches SET status = 'rolled_back', note = "
                        "CASE WHEN note IS NULL OR note = '' THEN ? ELSE note || ' · ' || ? "
                        "END WHERE batch_id = ?", [note, note, b])
            result.batches.append(b)
        audit.record(db, principal, "undo", {"batches": result.batches}, cur=cur)
    return result


def table_snapshot(db: Database, table: str) -> pd.DataFrame:
    """The whole table sorted by all its columns (for before/after comparisons)."""
    cur = db.cursor()
    try:
        cols = _table_columns(cur, table)
    finally:
        cur.close()
    select = ", ".join(f"hex({c}) AS {c}" if t == "BLOB" else c for c, t in cols.items())
    df = db.df(f"SELECT {select} FROM {table}")
    return df.sort_values(list(df.columns)).reset_index(drop=True) if len(df) else df
