"""Writing one batch: the rows, their before/after images and the batch record in ONE
transaction whose integrity check runs before COMMIT."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dashboard import contract
from dashboard.contract import Dataset
from dashboard.ingest.compare import StoredRows, _arrow_table, _json_key, _normal
from dashboard.ingest.report import ImportReport, Problem
from dashboard.store.database import Database, to_json_row

_HISTORY_CHUNK = 1_000_000   # history rows written per statement (bounds their memory)


def _fragments(column: pa.ChunkedArray | pa.Array, fn) -> pa.DictionaryArray:
    """fn (value -> JSON text) applied once per distinct value: the column as indices into
    those texts (DuckDB reads it as a dictionary vector, nothing is copied per row)."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column)
    values = column.dictionary.to_pylist()
    texts = pa.array([fn(v) for v in values] + [fn(None)], type=pa.string())
    indices = pc.fill_null(column.indices, pa.scalar(len(values), column.indices.type))
    return pa.DictionaryArray.from_arrays(indices, texts)


def _key_fragment(v) -> str:
    return json.dumps(str(v), ensure_ascii=False)


def _value_fragment(v) -> str:
    return json.dumps(json.loads(to_json_row({"v": _normal(v)}))["v"], ensure_ascii=False)


def _insert_changes(cur, ds: Dataset, batch_id: int, rows: pd.DataFrame,
                    status: list[str], before, typed: pa.Table | None = None) -> None:
    """Record the batch_changes rows of a batch (key, before-image, after-image of each changed
    row). rows: the batch's valid rows, status: new / updated / unchanged for each; typed:
    the changed rows as Arrow columns (built from rows when not given). Each column's
    distinct values are serialised once in Python (json.dumps, as to_json_row writes them);
    DuckDB assembles the texts of each row. The first row is checked against the row
    serialiser, so both always write the same text."""
    mask = np.asarray(status, dtype=object) != "unchanged"
    if isinstance(before, StoredRows):
        before_json = before.json(mask)
        first_before = before[int(np.flatnonzero(mask)[0])] if mask.any() else None
    else:
        befores = [b for b, m in zip(before, mask) if m]
        before_json = np.array([to_json_row(b) if b is not None else None for b in befores],
                               dtype=object)
        first_before = befores[0] if befores else None
    if typed is None:
        typed = _arrow_table(ds, rows[mask])
    names = sorted(ds.names)
    parts = {f"k{i}": _fragments(typed.column(k), _key_fragment) for i, k in enumerate(ds.key)}
    parts.update({f"v{i}": _fragments(typed.column(c), _value_fragment)
                  for i, c in enumerate(names)})
    frags = pa.table(parts)
    key_sql = ", ', ', ".join(f"k{i}" for i in range(len(ds.key)))
    row_sql = ", ".join(f"'{', ' if i else ''}{json.dumps(c)}: ', v{i}"
                        for i, c in enumerate(names))
    for start in range(0, typed.num_rows, _HISTORY_CHUNK):
        chunk = frags.slice(start, _HISTORY_CHUNK).append_column(
            "before_json", pa.array(before_json[start:start + _HISTORY_CHUNK],
                                    type=pa.string(), from_pandas=True))
        cur.register("_changes", chunk)
        cur.execute(f"""INSERT INTO batch_changes SELECT ?, ?, concat('[', {key_sql}, ']'),
            before_json, concat('{{', {row_sql}, '}}') FROM _changes""", [batch_id, ds.name])
        cur.unregister("_changes")
        del chunk
    if mask.any():
        r = rows.iloc[int(np.flatnonzero(mask)[0])]
        key = _json_key([r[k] for k in ds.key])
        got = cur.execute("SELECT before_json, after_json FROM batch_changes "
                          "WHERE batch_id = ? AND row_key = ?", [batch_id, key]).fetchone()
        want = (to_json_row(first_before) if first_before is not None else None,
                to_json_row({c: _normal(r[c]) for c in ds.names}))
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

    mask = np.asarray(status, dtype=object) != "unchanged"
    incoming = before.incoming if isinstance(before, StoredRows) else None
    if incoming is not None and incoming.num_rows == len(rows):
        typed = incoming.filter(pa.array(mask)) if not mask.all() else incoming
    else:
        typed = _arrow_table(ds, rows[mask])
    try:
        with batches.write(db, dataset=ds.name, file_name=report.file_name,
                           sha256=report.sha256, data=None if check_only else (data or None),
                           mode=report.mode, created_by=created_by, rows_new=report.new,
                           rows_updated=report.updated, rows_unchanged=report.unchanged,
                           rows_rejected=report.rejected, trial=check_only) as batch:
            cur = batch.cur
            if typed.num_rows:
                if progress:
                    progress(0.5, "Đang ghi dữ liệu…")
                # new keys by plain INSERT (several times faster on a primary key than OR
                # REPLACE), updated keys by INSERT OR REPLACE
                new = np.asarray(status, dtype=object)[mask] == "new"
                cur.register("_typed", typed.append_column("_new", pa.array(new)))
                cols = ", ".join(ds.names)
                cur.execute(f"INSERT INTO {ds.name} ({cols}) SELECT {cols} FROM _typed "
                            "WHERE _new")
                if not new.all():
                    cur.execute(f"INSERT OR REPLACE INTO {ds.name} ({cols}) "
                                f"SELECT {cols} FROM _typed WHERE NOT _new")
                cur.unregister("_typed")
                _insert_changes(cur, ds, batch.batch_id, rows, status, before, typed)
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
