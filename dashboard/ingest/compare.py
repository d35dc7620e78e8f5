"""A file's valid rows compared with what is stored: new, updated or unchanged, with the
stored rows (before-images) an undo needs."""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

import numpy as np
import pandas as pd

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
    `json(mask)` gives the before-images of many rows at once."""

    def __init__(self, ds: Dataset, stored: pd.DataFrame, found: np.ndarray):
        self.ds, self.stored, self.found = ds, stored, found

    def __len__(self) -> int:
        return len(self.found)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if not self.found[i]:
            return None
        row = self.stored.iloc[i]
        return {c: _normal(row[c]) for c in self.ds.names}

    def json(self, mask: np.ndarray) -> np.ndarray:
        found = self.found[mask]
        out = np.full(int(mask.sum()), None, dtype=object)
        if found.any():
            out[found] = _json_rows(self.stored[mask][found], self.ds.names)
        return out


def compare(db: Database, ds: Dataset, good: pd.DataFrame):
    """Split valid rows into new / updated / unchanged against the stored table, in one join
    over whole columns (a row is unchanged when every column is equal, missing = missing)."""
    typed = _typed_frame(ds, good).reset_index(drop=True)
    typed["_pos"] = np.arange(len(typed))
    cur = db.cursor()
    try:
        cur.register("_incoming", typed)
        join = " AND ".join(f"t.{k} = i.{k}" for k in ds.key)
        same = " AND ".join(f"t.{c} IS NOT DISTINCT FROM i.{c}" for c in ds.names)
        stored = cur.execute(
            f"SELECT i._pos, t.{ds.key[0]} IS NOT NULL AS _found, "
            f"coalesce({same}, FALSE) AS _same, "
            + ", ".join(f"t.{c}" for c in ds.names)
            + f" FROM _incoming i LEFT JOIN {ds.name} t ON {join} ORDER BY i._pos").df()
        cur.unregister("_incoming")
    finally:
        cur.close()
    found = stored["_found"].to_numpy(dtype=bool)
    unchanged = found & stored["_same"].to_numpy(dtype=bool)
    status = np.where(found, np.where(unchanged, "unchanged", "updated"), "new").tolist()
    return status, StoredRows(ds, stored[list(ds.names)], found)


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


def _typed_frame(ds: Dataset, frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for c in ds.columns:
        s = frame[c.name]
        if c.type == "integer":
            out[c.name] = pd.array(s.tolist(), dtype="Int64")
        elif c.type == "decimal":
            out[c.name] = pd.array(s.tolist(), dtype="Float64")
        elif c.type == "date":
            out[c.name] = pd.to_datetime(pd.Series(s.tolist(), index=frame.index, dtype=object))
        else:
            out[c.name] = pd.Series(s.tolist(), index=frame.index, dtype=object)
    return out
