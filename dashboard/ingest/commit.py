"""Writing one batch: the rows, their before/after images and the batch record in ONE
transaction whose integrity check runs before COMMIT."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from dashboard import contract
from dashboard.contract import Dataset
from dashboard.ingest.checks import _by_unique
from dashboard.ingest.compare import StoredRows, _json_key, _normal, _typed_frame
from dashboard.ingest.report import ImportReport, Problem
from dashboard.store.database import Database, to_json_row


def _insert_changes(cur, ds: Dataset, batch_id: int, changed: pd.DataFrame,
                    status: list[str], before) -> None:
    """Record the batch_changes rows of a batch (key, before-image, after-image of each changed
    row). Each column's distinct values are serialised once in Python (json.dumps, as
    to_json_row writes them); DuckDB assembles the rows. The first row is checked against
    the row serialiser, so both always write the same text."""
    mask = np.asarray(status, dtype=object) != "unchanged"
    if isinstance(before, StoredRows):
        before_json = before.json(mask)
        first_before = before[int(np.flatnonzero(mask)[0])] if mask.any() else None
    else:
        befores = [b for b, m in zip(before, mask) if m]
        before_json = np.array([to_json_row(b) if b is not None else None for b in befores],
                               dtype=object)
        first_before = befores[0] if befores else None
    names = sorted(ds.names)
    frame = {"_pos": np.arange(len(changed)), "_before": before_json}
    tables = []
    for prefix, cols, fn in (
            ("k", list(ds.key), lambda v: json.dumps(str(v), ensure_ascii=False)),
            ("v", names, lambda v: json.dumps(json.loads(to_json_row({"v": _normal(v)}))["v"],
                                              ensure_ascii=False))):
        for i, c in enumerate(cols):
            codes, uniques = _by_unique(changed[c])
            frame[f"{prefix}{i}"] = codes
            table = f"_{prefix}{i}"
            cur.register(table, pd.DataFrame({"code": np.arange(len(uniques)),
                                              "f": [fn(u) for u in uniques]}))
            tables.append((table, f"{prefix}{i}"))
    cur.register("_codes", pd.DataFrame(frame))
    key_sql = " || ', ' || ".join(f"_k{i}.f" for i in range(len(ds.key)))
    row_sql = " || ', ' || ".join(f"'{json.dumps(c)}: ' || _v{i}.f" for i, c in enumerate(names))
    joins = " ".join(f"JOIN {t} ON {t}.code = d.{col}" for t, col in tables)
    cur.execute(f"""INSERT INTO batch_changes
        SELECT ?, ?, '[' || {key_sql} || ']', d._before, '{{' || {row_sql} || '}}'
        FROM _codes d {joins}""", [batch_id, ds.name])
    for t, _ in tables:
        cur.unregister(t)
    cur.unregister("_codes")
    if len(changed):
        r = next(changed.itertuples(index=False))
        key = _json_key([getattr(r, k) for k in ds.key])
        got = cur.execute("SELECT before_json, after_json FROM batch_changes "
                          "WHERE batch_id = ? AND row_key = ?", [batch_id, key]).fetchone()
        want = (to_json_row(first_before) if first_before is not None else None,
                to_json_row({c: _normal(getattr(r, c)) for c in ds.names}))
        if got is None or tuple(got) != want:
            raise RuntimeError(f"batch_changes serialisation differs: {got} != {want}")


class _CheckOnly(Exception):
    """Ends a trial write (its transaction rolls back)."""


def write_batch(db: Database, ds: Dataset, rows: pd.DataFrame, status: list[str],
                before: list, report: ImportReport, data: bytes, created_by: str | None = None,
                progress=None, check_only: bool = False) -> int | None:
    """Insert/replace rows and record the batch with its before-images, in ONE transaction
    (store/batches.py; the integrity check runs before COMMIT and raises IntegrityError).
    check_only: write, run the integrity check, roll back (-> None)."""
    from dashboard.store import batches, integrity

    changed = rows[[s != "unchanged" for s in status]]
    typed = _typed_frame(ds, changed)
    try:
        with batches.write(db, dataset=ds.name, file_name=report.file_name,
                           sha256=report.sha256, data=None if check_only else (data or None),
                           mode=report.mode, created_by=created_by, rows_new=report.new,
                           rows_updated=report.updated, rows_unchanged=report.unchanged,
                           rows_rejected=report.rejected, trial=check_only) as batch:
            cur = batch.cur
            if len(typed):
                if progress:
                    progress(0.5, "Đang ghi dữ liệu…")
                # new keys by plain INSERT (several times faster on a primary key than OR
                # REPLACE), updated keys by INSERT OR REPLACE
                typed["_new"] = [s == "new" for s in status if s != "unchanged"]
                cur.register("_typed", typed)
                cols = ", ".join(ds.names)
                cur.execute(f"INSERT INTO {ds.name} ({cols}) SELECT {cols} FROM _typed "
                            "WHERE _new")
                if "updated" in status:
                    cur.execute(f"INSERT OR REPLACE INTO {ds.name} ({cols}) "
                                f"SELECT {cols} FROM _typed WHERE NOT _new")
                cur.unregister("_typed")
                _insert_changes(cur, ds, batch.batch_id, changed, status, before)
            if check_only:
                integrity.check(cur)
                raise _CheckOnly
    except _CheckOnly:
        return None
    if progress:
        progress(1.0, "Đã ghi xong.")
    return batch.batch_id


def integrity_problems(exc, ds: Dataset, good: pd.DataFrame) -> list[Problem]:
    """An IntegrityError as report problems: on the file's row that caused each finding
    (the unit whose level or parent it changes, or the row itself), else on no row."""
    rows_by_key = {}
    if len(good):
        keys = [good[k].astype(str) for k in ds.key]
        for *key, row in zip(*keys, good["_row"]):
            rows_by_key[" / ".join(key)] = int(row)
    out = []
    for f in exc.findings:
        row, column, value = None, None, ""
        if ds.name == "units" and f.ref_code in rows_by_key:
            row, column, value = rows_by_key[f.ref_code], ds.column("level").label, \
                contract.enum_label(contract.LEVELS, f.ref_level)
        else:
            for sample in f.samples:
                k = sample.split(" «")[0]
                if f.table == ds.name and k in rows_by_key:
                    row, column = rows_by_key[k], ds.column(f.column).label \
                        if f.column in ds.names else None
                    break
        out.append(Problem(row, column, value, "dữ liệu đã lưu sẽ không còn nhất quán: "
                           + f.message, "Không dòng nào được ghi. Sửa tệp (hoặc chuyển các "
                           "đơn vị phụ thuộc sang đơn vị cấp trên đúng cấp trước) rồi nhập lại."))
    return out
