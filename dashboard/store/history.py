"""Import history: the list of batches, the archived original files, and undo (rollback).

Every write (ingest.pipeline.write_batch, store.boundaries.store_boundaries, through
store.batches) records its batch in `batches` and, for each row it inserted or changed, the
row's before/after image in `batch_changes`. Undoing a batch deletes the rows it touched and
puts their before-images back (every column, with its type), in ONE transaction whose
integrity check runs before COMMIT, so the data is exactly as it was before the batch.

What depends on a batch (`dependents`):
- later committed batches that changed some of the same rows — undoing only the earlier one
  would silently undo part of the later one;
- rows of other datasets (and child units) that refer to units the batch added — undoing it
  would leave them pointing at nothing; the batches that wrote them depend on it.
Both are followed transitively. `rollback` refuses (RollbackConflict, listing them) unless
`cascade=True`, in which case every dependant is undone too, newest first. Rows that refer to
the batch's units but that no batch wrote cannot be undone with it: refused even with cascade.
The page (Dữ liệu → Lịch sử nhập) and `python -m dashboard rollback` call the same code.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from dashboard import config
from dashboard.i18n import fmt, labels
from dashboard.store.database import Database

STATUS_LABELS = {"committed": "Đã ghi", "rolled_back": "Đã hoàn tác"}
MODE_LABELS = {"all_or_nothing": "Tất cả hoặc không", "valid_rows_only": "Chỉ dòng hợp lệ",
               "approximate": "Ranh giới gần đúng"}
DATASET_LABELS = labels.DATASET_LABELS
# what a row of each dataset is called in a count ("382 tổ, 12 mô hình")
ROW_WORDS = {"units": "đơn vị cấp dưới", "cells": "tổ", "models": "mô hình",
             "indicators": "dòng chỉ số", "boundaries": "ranh giới"}
REFERRING = ("units", "cells", "models", "indicators", "boundaries")



def batch_list(ids, newest_first: bool = False) -> str:
    """Batch numbers as a user reads them, consecutive runs joined: «lô 2–62, lô 64»."""
    ids = sorted({int(b) for b in ids})
    runs: list[list[int]] = []
    for b in ids:
        if runs and b == runs[-1][-1] + 1:
            runs[-1].append(b)
        else:
            runs.append([b])
    if newest_first:
        runs = [r[::-1] for r in reversed(runs)]
    return ", ".join(f"lô {r[0]}" if len(r) == 1 else
                     f"lô {r[0]}–{r[-1]}" if len(r) > 2 else f"lô {r[0]}, lô {r[1]}"
                     for r in runs)

class RollbackError(Exception):
    """Rollback not possible; the message is Vietnamese."""


def _join_words(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " và " + parts[-1]


@dataclass
class Dependents:
    """What must be undone together with a batch."""
    batch_id: int
    batches: list[int] = field(default_factory=list)     # every dependant, ascending
    later_same_rows: list[int] = field(default_factory=list)  # changed the same rows later
    shared_rows: int = 0        # rows of the batch changed again by later batches
    referrers: dict[str, int] = field(default_factory=dict)   # dataset -> rows referring
    referrer_batches: list[int] = field(default_factory=list)  # batches that wrote them
    unbatched: dict[str, int] = field(default_factory=dict)   # referring rows of no batch

    @property
    def empty(self) -> bool:
        return not self.batches and not self.unbatched

    @property
    def can_cascade(self) -> bool:
        return not self.unbatched

    def lines(self) -> list[str]:
        """The dependants in Vietnamese, one fact a line."""
        out = []
        if self.later_same_rows:
            out.append(f"{fmt.number(self.shared_rows)} dòng của lô này đã được lô nhập sau "
                       "thay đổi tiếp: " + batch_list(self.later_same_rows)
                       + ".")
        if self.referrers:
            parts = [f"{fmt.number(n)} {ROW_WORDS[d]}" for d, n in self.referrers.items()]
            out.append(_join_words(parts) + " thuộc các đơn vị của lô này" + (
                " (ghi bởi " + batch_list(self.referrer_batches) + ")"
                if self.referrer_batches else "") + ".")
        if self.unbatched:
            parts = [f"{fmt.number(n)} {ROW_WORDS[d]}" for d, n in self.unbatched.items()]
            out.append(_join_words(parts) + " thuộc các đơn vị của lô này nhưng không do lô "
                       "nhập nào ghi, nên không thể hoàn tác cùng.")
        if self.batches:
            out.append(f"Hoàn tác lô {self.batch_id} phải hoàn tác cả "
                       f"{fmt.number(len(self.batches))} lô: "
                       + batch_list(self.batches, newest_first=True)
                       + " (mới nhất trước).")
        return out

    def text(self) -> str:
        return " ".join(self.lines())


class RollbackConflict(RollbackError):
    def __init__(self, batch_id: int, deps: Dependents):
        self.batch_id = batch_id
        self.dependents = deps
        self.later = deps.batches
        self.shared_rows = deps.shared_rows
        tail = ("" if deps.can_cascade else
                " Không thể hoàn tác lô này khi các dòng đó còn trong dữ liệu.")
        super().__init__(f"Không thể hoàn tác riêng lô {batch_id}: " + deps.text() + tail)


@dataclass
class RollbackResult:
    batches: list[int] = field(default_factory=list)   # rolled back, in the order done
    rows_deleted: int = 0      # rows the batches had inserted
    rows_restored: int = 0     # rows put back to their before-image
    dry_run: bool = False
    dependents: Dependents | None = None

    def summary_text(self) -> str:
        done = batch_list(self.batches, newest_first=True)
        head = ("Chạy thử — chưa thay đổi gì. Sẽ hoàn tác " if self.dry_run
                else "Đã hoàn tác ")
        return (f"{head}{done}: xóa {fmt.number(self.rows_deleted)} dòng đã thêm, khôi phục "
                f"{fmt.number(self.rows_restored)} dòng về giá trị trước.")


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


def archived_path(db: Database, batch_id: int) -> tuple[str, Path] | None:
    """(original file name, path of its archive copy) of the file a batch imported, or None
    when not archived: the bytes are read only when someone downloads them."""
    b = get_batch(db, batch_id)
    if not b or not isinstance(b.get("archive_path"), str) or not b["archive_path"]:
        return None
    base = (db.path.parent / config.get("archive_dir_name")).resolve()
    path = _archive_abs(db, b["archive_path"])
    if base not in path.parents or not path.is_file():
        return None
    name = b.get("file_name")
    return (name if isinstance(name, str) and name else path.name), path


def archived_file(db: Database, batch_id: int) -> tuple[str, bytes] | None:
    """(original file name, bytes) of the file a batch imported, or None when not archived."""
    found = archived_path(db, batch_id)
    return None if found is None else (found[0], found[1].read_bytes())


# --- rollback -------------------------------------------------------------------------------

def _changes(cur, batch_id: int) -> list[tuple[str, str, str | None]]:
    """(dataset, row_key, before_json) of a batch; before_json None = the batch inserted it."""
    return cur.execute(
        "SELECT dataset, row_key, before_json FROM batch_changes WHERE batch_id = ? "
        "ORDER BY dataset, row_key", [int(batch_id)]).fetchall()


def _later_same_rows(cur, batch_ids: set[int]) -> set[int]:
    """Committed batches after one of `batch_ids` that changed one of its rows."""
    rows = cur.execute("""
        SELECT DISTINCT later.batch_id
        FROM batch_changes c0
        JOIN batch_changes later ON later.dataset = c0.dataset
             AND later.row_key = c0.row_key AND later.batch_id > c0.batch_id
        JOIN batches b ON b.batch_id = later.batch_id AND b.status = 'committed'
        WHERE list_contains(?, c0.batch_id)""", [sorted(batch_ids)]).fetchall()
    return {int(r[0]) for r in rows} - batch_ids


def _gone_units(cur, batch_ids: set[int]) -> list[str]:
    """Units the batches inserted: undoing them removes those units."""
    rows = cur.execute("""
        SELECT DISTINCT json_extract_string(row_key, '$[0]') FROM batch_changes
        WHERE dataset = 'units' AND before_json IS NULL AND list_contains(?, batch_id)""",
                       [sorted(batch_ids)]).fetchall()
    return [r[0] for r in rows]


def _key_match(dataset: str, change: str, row: str) -> str:
    return " AND ".join(f"json_extract_string({change}.row_key, '$[{i}]') = {row}.{k}::VARCHAR"
                        for i, k in enumerate(_key_columns(dataset)))


def _referrers(cur, gone: list[str], own: list[str]):
    """Rows referring to the `gone` units (child units not in `own`, the units the batch
    itself removes) -> ({dataset: rows}, batches that wrote them, {dataset: rows no batch
    wrote})."""
    counts, writers, unbatched = {}, set(), {}
    if not gone:
        return counts, writers, unbatched
    cur.register("_gone", pd.DataFrame({"code": pd.Series(gone, dtype=object)}))
    cur.register("_own", pd.DataFrame({"code": pd.Series(own, dtype=object)}))
    try:
        for table in REFERRING:
            if table == "units":
                where = ("t.parent_code IN (SELECT code FROM _gone) "
                         "AND t.unit_code NOT IN (SELECT code FROM _own)")
            else:
                where = "t.unit_code IN (SELECT code FROM _gone)"
            n = cur.execute(f"SELECT count(*) FROM {table} t WHERE {where}").fetchall()[0][0]
            if not n:
                continue
            counts[table] = int(n)
            match = _key_match(table, "c", "t")
            writers |= {int(r[0]) for r in cur.execute(f"""
                SELECT DISTINCT c.batch_id FROM {table} t
                JOIN batch_changes c ON c.dataset = '{table}' AND {match}
                JOIN batches b ON b.batch_id = c.batch_id AND b.status = 'committed'
                WHERE {where}""").fetchall()}
            orphan = cur.execute(f"""
                SELECT count(*) FROM {table} t WHERE {where} AND NOT EXISTS (
                    SELECT 1 FROM batch_changes c
                    JOIN batches b ON b.batch_id = c.batch_id AND b.status = 'committed'
                    WHERE c.dataset = '{table}' AND {match})""").fetchall()[0][0]
            if orphan:
                unbatched[table] = int(orphan)
    finally:
        cur.unregister("_gone")
        cur.unregister("_own")
    return counts, writers, unbatched


def dependents(db: Database, batch_id: int, cur=None) -> Dependents:
    """Everything that must be undone with `batch_id` (see the module docstring)."""
    own_cur = cur is None
    cur = cur or db.cursor()
    batch_id = int(batch_id)
    try:
        deps = Dependents(batch_id)
        deps.later_same_rows = sorted(_later_same_rows(cur, {batch_id}))
        deps.shared_rows = int(cur.execute("""
            SELECT count(DISTINCT c0.dataset || c0.row_key) FROM batch_changes c0
            JOIN batch_changes later ON later.dataset = c0.dataset
                 AND later.row_key = c0.row_key AND later.batch_id > c0.batch_id
            JOIN batches b ON b.batch_id = later.batch_id AND b.status = 'committed'
            WHERE c0.batch_id = ?""", [batch_id]).fetchall()[0][0])
        own = _gone_units(cur, {batch_id})
        group = {batch_id}
        while True:   # follow both kinds of dependency until nothing new turns up
            more = _later_same_rows(cur, group)
            counts, writers, unbatched = _referrers(cur, _gone_units(cur, group | more), own)
            more |= writers - group
            if not more:
                break
            group |= more
        deps.referrers, deps.unbatched = counts, unbatched
        deps.referrer_batches = sorted(writers - {batch_id})
        deps.batches = sorted(group - {batch_id})
        return deps
    finally:
        if own_cur:
            cur.close()


def dependent_batches(db: Database, batch_id: int, cur=None) -> tuple[list[int], int]:
    """-> (every dependant batch ascending, rows of `batch_id` changed again later)."""
    deps = dependents(db, batch_id, cur)
    return deps.batches, deps.shared_rows


def _table_columns(cur, table: str) -> dict[str, str]:
    rows = cur.execute("SELECT column_name, data_type FROM information_schema.columns "
                       "WHERE table_name = ? AND table_schema = 'main' "
                       "ORDER BY ordinal_position", [table]).fetchall()
    return {name: dtype for name, dtype in rows}


def _key_columns(dataset: str) -> tuple[str, ...]:
    if dataset == "boundaries":
        return ("unit_code",)
    from dashboard.contract import DATASETS

    return DATASETS[dataset].key


def _text(v, sql_type: str):
    """A before-image value as text for CAST to its column's type."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)   # shortest text that reads back as the same double
    if sql_type != "VARCHAR" and isinstance(v, str) and v in ("NaT", "nan", "NaN", "<NA>"):
        return None   # missing values written by older versions
    return str(v)


def _undo_dataset(cur, dataset: str, changes: list[tuple], result: RollbackResult) -> None:
    key_cols = _key_columns(dataset)
    columns = _table_columns(cur, dataset)
    keys = pd.DataFrame([json.loads(k) for _, k, _ in changes], columns=list(key_cols),
                        dtype=object).drop_duplicates()
    cur.register("_undo_keys", keys)
    cond = " AND ".join(f"t.{k}::VARCHAR = k.{k}" for k in key_cols)
    cur.execute(f"DELETE FROM {dataset} t WHERE EXISTS (SELECT 1 FROM _undo_keys k WHERE {cond})")
    cur.unregister("_undo_keys")
    befores = [json.loads(b) for _, _, b in changes if b is not None]
    result.rows_deleted += sum(1 for _, _, b in changes if b is None)
    result.rows_restored += len(befores)
    if not befores:
        return
    frame = pd.DataFrame({c: pd.Series([_text(b.get(c), t) for b in befores], dtype=object)
                          for c, t in columns.items()})
    cur.register("_undo_rows", frame)
    select = ", ".join(
        f"unhex({c})" if t == "BLOB" else f"CAST({c} AS {t})" for c, t in columns.items())
    cur.execute(f"INSERT INTO {dataset} ({', '.join(columns)}) SELECT {select} FROM _undo_rows")
    cur.unregister("_undo_rows")


class _DryRun(Exception):
    pass


def rollback(db: Database, batch_id: int, cascade: bool = False, by: str | None = None,
             dry_run: bool = False) -> RollbackResult:
    """Undo a batch (and, with cascade, everything that depends on it, newest first) in ONE
    transaction whose integrity check runs before COMMIT. Raises RollbackError /
    RollbackConflict; nothing changes when it raises. dry_run: do it all, check integrity,
    then roll the transaction back (the result says what would be undone)."""
    from dashboard.access import audit, context, require, scope
    from dashboard.store.integrity import IntegrityError, check

    principal = context.current()          # editors undo only batches within their scope
    require(principal, "undo")
    by = by or principal.username
    batch_id = int(batch_id)
    result = RollbackResult(dry_run=dry_run)
    try:
        with db.transaction() as cur:   # every rule: an undo may remove units
            found = cur.execute("SELECT status FROM batches WHERE batch_id = ?",
                                [batch_id]).fetchall()
            row = found[0] if found else None
            if row is None:
                raise RollbackError(f"Không có lô nhập số {batch_id}.")
            if row[0] != "committed":
                raise RollbackError(f"Lô {batch_id} đã được hoàn tác trước đó.")
            deps = dependents(db, batch_id, cur)
            result.dependents = deps
            if not deps.can_cascade or (deps.batches and not cascade):
                raise RollbackConflict(batch_id, deps)
            order = sorted([*deps.batches, batch_id], reverse=True)
            scope.check_undo(cur, principal, order)
            now = dt.datetime.now().strftime("%d/%m/%Y %H:%M")
            for b in order:
                changes = _changes(cur, b)
                for dataset in dict.fromkeys(d for d, _, _ in changes):
                    _undo_dataset(cur, dataset, [c for c in changes if c[0] == dataset],
                                  result)
                note = f"Hoàn tác lúc {now}" + (f" bởi {by}" if by else "")
                if b != batch_id:
                    note += f" (cùng với lô {batch_id})"
                cur.execute("UPDATE batches SET status = 'rolled_back', note = "
                            "CASE WHEN note IS NULL OR note = '' THEN ? ELSE note || ' · ' || ? "
                            "END WHERE batch_id = ?", [note, note, b])
                result.batches.append(b)
            if dry_run:
                check(cur)
                raise _DryRun
            audit.record(db, principal, "undo", {"batches": result.batches}, cur=cur)
    except _DryRun:
        pass
    except IntegrityError as exc:
        raise RollbackError(f"Không hoàn tác được lô {batch_id}: {exc}") from exc
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
