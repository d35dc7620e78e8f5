"""Recording a batch: the one place an import (table files, boundary files, approximate
polygons) writes its `batches` row, its `batch_changes` (before/after image of every row it
inserted or changed: what an undo needs) and the archive copy of the uploaded file.

    with batches.write(db, dataset="cells", file_name=..., sha256=..., data=raw) as batch:
        batch.cur.execute(...)                    # the rows, on the transaction's cursor
        batch.changes(row_keys, befores, afters)  # JSON texts; before None = inserted
        batch.counts(rows_new=..., rows_updated=...)
    batch.batch_id

Everything is ONE transaction (integrity checked before COMMIT by the database's hooks).
The archive copy never outlives a failed write: the bytes go to a hidden temporary name in
the archive folder, which is renamed to its final name only after COMMIT; `sweep_archives`
(run when a database file is opened) deletes temporaries of writes that never committed and
finishes the rename of those that did (a crash between COMMIT and rename).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from dashboard import config

PART = ".part"


def archive_dir(db) -> Path:
    return db.path.parent / config.get("archive_dir_name")


def _tag(db) -> str:
    """Temporaries are named per database file (several files may share a folder)."""
    return hashlib.sha256(db.path.name.encode()).hexdigest()[:8]


def archive_name(batch_id: int, file_name: str | None) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "_"
                   for ch in Path(file_name or "").name)
    return f"{batch_id:06d}_{safe or 'file'}"


def archive_rel(db, final: Path) -> str:
    return str(final.relative_to(db.path.parent))


def _temp_path(db, final: Path) -> Path:
    return final.parent / f"{PART}.{_tag(db)}.{final.name}"


def stage_archive(db, batch_id: int, file_name: str | None, data: bytes) -> tuple[Path, Path]:
    """Write the bytes under a temporary name -> (temporary path, final path)."""
    folder = archive_dir(db)
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / archive_name(batch_id, file_name)
    temp = _temp_path(db, final)
    with open(temp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return temp, final


def sweep_archives(db) -> dict[str, int]:
    """Temporaries of this database file: finished when their batch committed with that
    archive path, deleted otherwise. -> {'finished': n, 'deleted': m}."""
    folder = archive_dir(db)
    out = {"finished": 0, "deleted": 0}
    if not folder.is_dir():
        return out
    prefix = f"{PART}.{_tag(db)}."
    temps = [p for p in folder.iterdir() if p.name.startswith(prefix)]
    if not temps:
        return out
    committed = {r[0] for r in db.con.cursor().execute(
        "SELECT archive_path FROM batches WHERE archive_path IS NOT NULL").fetchall()}
    for temp in temps:
        final = folder / temp.name[len(prefix):]
        if archive_rel(db, final) in committed and not final.exists():
            os.replace(temp, final)
            out["finished"] += 1
        else:
            temp.unlink(missing_ok=True)
            out["deleted"] += 1
    return out


@dataclass
class BatchWriter:
    cur: object
    batch_id: int
    dataset: str
    _frames: list[pd.DataFrame] = field(default_factory=list)
    _counts: dict = field(default_factory=dict)

    def changes(self, row_keys: list[str], befores: list[str | None],
                afters: list[str | None], dataset: str | None = None) -> None:
        """Before/after images (JSON text, None before = the batch inserted the row)."""
        if not len(row_keys):
            return
        self._frames.append(pd.DataFrame({
            "batch_id": pd.array([self.batch_id] * len(row_keys), dtype="Int64"),
            "dataset": dataset or self.dataset,
            "row_key": pd.Series(list(row_keys), dtype=object),
            "before_json": pd.Series(list(befores), dtype=object),
            "after_json": pd.Series(list(afters), dtype=object)}))

    def counts(self, **counts: int) -> None:
        self._counts.update(counts)

    def _flush(self) -> None:
        for frame in self._frames:
            self.cur.register("_batch_changes", frame)
            self.cur.execute("INSERT INTO batch_changes (batch_id, dataset, row_key, "
                             "before_json, after_json) SELECT batch_id, dataset, row_key, "
                             "before_json, after_json FROM _batch_changes")
            self.cur.unregister("_batch_changes")
        if self._counts:
            sets = ", ".join(f"{k} = ?" for k in self._counts)
            self.cur.execute(f"UPDATE batches SET {sets} WHERE batch_id = ?",
                             [*map(int, self._counts.values()), self.batch_id])


@contextlib.contextmanager
def write(db, *, dataset: str, file_name: str | None = None, sha256: str | None = None,
          data: bytes | None = None, mode: str | None = "all_or_nothing",
          created_by: str | None = None, note: str | None = None, rows_new: int = 0,
          rows_updated: int = 0, rows_unchanged: int = 0, rows_rejected: int = 0,
          trial: bool = False):
    """One write transaction that records its batch (see the module docstring). trial: a
    write its caller rolls back (a check): it takes no number from the batch sequence."""
    from dashboard.store import integrity

    temp = final = None
    try:
        with integrity.scope({dataset}), db.transaction() as cur:
            batch_id = -1 if trial else db.next_batch_id(cur)
            if data is not None:
                temp, final = stage_archive(db, batch_id, file_name, data)
            cur.execute(
                "INSERT INTO batches (batch_id, created_at, dataset, file_name, sha256, "
                "rows_new, rows_updated, rows_unchanged, rows_rejected, status, mode, "
                "created_by, note, archive_path) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'committed', ?, ?, ?, ?)",
                [batch_id, dt.datetime.now(), dataset, file_name, sha256, rows_new,
                 rows_updated, rows_unchanged, rows_rejected, mode, created_by, note,
                 archive_rel(db, final) if final is not None else None])
            writer = BatchWriter(cur, batch_id, dataset)
            yield writer
            writer._flush()
    except BaseException:
        if temp is not None:
            temp.unlink(missing_ok=True)
        raise
    if temp is not None:
        os.replace(temp, final)   # after COMMIT: the archive exists iff its batch does


def row_key(values: list) -> str:
    """batch_changes.row_key: JSON array of the key values as text."""
    return json.dumps([str(v) for v in values], ensure_ascii=False)
