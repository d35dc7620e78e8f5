"""A file's valid rows compared with what is stored: new, updated or unchanged, with the
stored rows (before-images) an undo needs."""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from dashboard.contract import Dataset
from dashboard.ingest.checks import _by_unique
from dashboard.store.database import Database, to_json_row


def _json_key(values_: list) -> str:
    return json.dumps([str(v) for v in values_], ensure_ascii=False)


def _row_dict(ds: Dataset, r) -> dict:
    return {c: (None if (isinstance(getattr(r, c), float) and getattr(r, c) != getattr(r, c))
                else getattr(r, c)) for c in ds.names}


def _normal(v):
    """One comparable Python value per cell: None for every kind of missing (None, NaN, NaT,
    pd.NA), dates as datetime.date, integral floats as int."""
    if v is None or v is pd.NaT or v is pd.NA:
        return None
    if isinstance(v, float) and v != v:
        return None
    if isinstance(v, pd.Timestamp):
        return v.date()
    if isinstance(v, dt.datetime):
        return v.date() if v.time() == dt.time(0) else v
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


class StoredRows(Sequence):
    """The stored version of each incoming row (None for a new row), aligned with the rows
    given to `compare`. Item i is the row as a dict of normalised values (built on demand);
    `json(mask)` gives the before-images of many rows at once. Only the updated rows' stored
    values are kept (an unchanged row's stored version is the incoming row itself: every
    column compared equal); `incoming` is the compared rows as typed Arrow columns, which the
    commit writes as they are."""

    def __init__(self, ds: Dataset, stored: pd.DataFrame, found: np.ndarray,
                 same: np.ndarray | None = None, incoming: pa.Table | None = None):
        self.ds, self.stored, self.found = ds, stored, found
        self.same = np.zeros(len(found), dtype=bool) if same is None else same
        self.incoming = incoming
        self._updated = np.flatnonzero(found & ~self.same)

    def __len__(self) -> int:
        return len(self.found)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if not self.found[i]:
            return None
        if self.same[i]:
            row = self.incoming.slice(int(i), 1).to_pylist()[0]
            return {c: _normal(row[c]) for c in self.ds.names}
        row = self.stored.iloc[int(np.searchsorted(self._updated, i))]
        return {c: _normal(row[c]) for c in self.ds.names}

    def json(self, mask: np.ndarray) -> np.ndarray:
        mask = np.asarray(mask, dtype=bool)
        out = np.full(int(mask.sum()), None, dtype=object)
        updated = (self.found & ~self.same)[mask]
        if updated.any():
            keep = np.isin(self._updated, np.flatnonzero(mask))
            out[updated] = _json_rows(self.stored[keep], self.ds.names)
        same = (self.found & self.same)[mask]
        if same.any():
            out[same] = _json_rows(_to_pandas(self.incoming.filter(
                pa.array(self.found & self.same & mask))), self.ds.names)
        return out


def _arrow_table(ds: Dataset, frame: pd.DataFrame) -> pa.Table:
    """The parsed rows as typed Arrow columns (text, BIGINT, DOUBLE, DATE): DuckDB scans them
    without converting one Python object at a time. Text columns are dictionary-encoded
    (an index per row into the distinct texts: 4 bytes a cell, whatever the text)."""
    types = {"integer": pa.int64(), "decimal": pa.float64(), "date": pa.date32()}
    out = {}
    for c in ds.columns:
        values = pa.array(frame[c.name].to_numpy(dtype=object),
                          type=types.get(c.type, pa.string()), from_pandas=True)
        out[c.name] = values.dictionary_encode() if c.type not in types else values
    return pa.table(out)


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    """Arrow rows as Python values (integers stay integers, dates are datetime.date)."""
    return table.to_pandas(integer_object_nulls=True, date_as_object=True)


def compare(db: Database, ds: Dataset, good: pd.DataFrame):
    """Split valid rows into new / updated / unchanged against the stored table, in one join
    over whole columns (a row is unchanged when every column is equal, missing = missing).
    Only the stored values of updated rows leave the database."""
    incoming = _arrow_table(ds, good)
    cur = db.cursor()
    try:
        cur.register("_incoming", incoming.append_column(
            "_pos", pa.array(np.arange(len(incoming), dtype=np.int64))))
        join = " AND ".join(f"t.{k} = i.{k}" for k in ds.key)
        same = " AND ".join(f"t.{c} IS NOT DISTINCT FROM i.{c}" for c in ds.names)
        result = cur.sql(
            f"WITH j AS (SELECT i._pos, t.{ds.key[0]} IS NOT NULL AS _found, "
            f"coalesce({same}, FALSE) AS _same, "
            + ", ".join(f"t.{c} AS _t_{c}" for c in ds.names)
            + f" FROM _incoming i LEFT JOIN {ds.name} t ON {join}) "
            "SELECT _found, _same, "
            + ", ".join(f"CASE WHEN _found AND NOT _same THEN _t_{c} END AS {c}"
                        for c in ds.names)
            + " FROM j ORDER BY _pos").to_arrow_table()
        cur.unregister("_incoming")
    finally:
        cur.close()
    found = result.column("_found").to_numpy(zero_copy_only=False).astype(bool)
    same = found & result.column("_same").to_numpy(zero_copy_only=False).astype(bool)
    updated = found & ~same
    stored = _to_pandas(result.select(list(ds.names)).filter(pa.array(updated))) \
        if updated.any() else pd.DataFrame(columns=list(ds.names))
    labels = np.array(["new", "updated", "unchanged"], dtype=object)
    status = labels[np.where(found, np.where(same, 2, 1), 0)].tolist()
    return status, StoredRows(ds, stored.reset_index(drop=True), found, same, incoming)


def _json_values(values: pd.Series) -> np.ndarray:
    """json.dumps of each cell's normalised value (as to_json_row writes it), computed once
    per distinct value."""
    if not len(values):
        return np.empty(0, dtype=object)
    codes, uniques = _by_unique(values)
    frag = np.empty(len(uniques), dtype=object)
    frag[:] = [json.loads(to_json_row({"v": _normal(u)}))["v"] for u in uniques]
    frag[:] = [json.dumps(v, ensure_ascii=False) for v in frag]
    return frag[codes]


def _json_rows(frame: pd.DataFrame, columns) -> np.ndarray:
    """to_json_row of every row of frame (sorted keys), built column by column."""
    names = sorted(columns)
    template = "{" + ", ".join(json.dumps(c).replace("%", "%%") + ": %s" for c in names) + "}"
    out = np.empty(len(frame), dtype=object)
    out[:] = [template % r for r in zip(*(_json_values(frame[c]) for c in names))]
    return out
