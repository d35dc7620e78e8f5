"""The `boundaries` table: its schema and how a set of boundary rows is stored as a batch.

Reading and repairing boundary files is dashboard.ingest.boundary_files; simplifying for
display and approximate polygons are dashboard.output.geo. Both end here.
"""
from __future__ import annotations

import json

import pandas as pd

from dashboard.store import batches
from dashboard.store.database import to_json_row

DATASET = "boundaries"
COLUMNS = ["unit_code", "geometry_wkb", "display_geojson", "approximate", "source", "batch_id"]


def constraints() -> list[tuple[str, str]]:
    return [("unit_code_not_blank", "trim(unit_code) <> ''")]


def ddl(table: str = DATASET) -> str:
    checks = "".join(f",\n  CONSTRAINT {DATASET}_{n} CHECK ({c})" for n, c in constraints())
    return f"""CREATE TABLE IF NOT EXISTS {table} (
  unit_code VARCHAR NOT NULL PRIMARY KEY,
  geometry_wkb BLOB NOT NULL,      -- full geometry, EPSG:4326
  display_geojson VARCHAR NOT NULL, -- simplified once per import, for drawing
  approximate BOOLEAN NOT NULL DEFAULT FALSE,
  source VARCHAR,
  batch_id BIGINT{checks}
)"""


def _row_json(row: dict) -> str:
    """batch_changes before/after: the whole boundary row, geometry as hex WKB."""
    r = dict(row)
    if isinstance(r.get("geometry_wkb"), (bytes, bytearray, memoryview)):
        r["geometry_wkb"] = bytes(r["geometry_wkb"]).hex()
    return to_json_row(r)


def store_boundaries(db, frame: pd.DataFrame, *, file_name: str | None, sha256: str | None,
                     note: str | None = None, mode: str = "all_or_nothing",
                     created_by: str | None = None,
                     data: bytes | None = None) -> tuple[int, int, int]:
    """Upsert rows (unit_code, geometry_wkb, display_geojson, approximate, source) in one
    transaction with its batch -> (batch_id, rows_new, rows_updated). Only the whole-data
    scope may write boundaries (a file replaces drawings across units)."""
    from dashboard.access import context, require
    from dashboard.ingest.boundary_files import _refuse_scoped

    principal = context.current()
    require(principal, "upload")
    _refuse_scoped(principal)
    created_by = created_by or principal.username
    codes = list(frame["unit_code"])
    with batches.write(db, dataset=DATASET, file_name=file_name, sha256=sha256, data=data,
                       mode=mode, created_by=created_by, note=note) as batch:
        cur = batch.cur
        before = {r[0]: dict(zip(COLUMNS, r)) for r in cur.execute(
            f"SELECT {', '.join(COLUMNS)} FROM boundaries WHERE list_contains(?, unit_code)",
            [codes]).fetchall()}
        rows_updated = sum(1 for c in codes if c in before)
        rows_new = len(codes) - rows_updated
        out = frame.assign(batch_id=batch.batch_id)[COLUMNS]
        cur.execute("DELETE FROM boundaries WHERE list_contains(?, unit_code)", [codes])
        cur.register("_b_rows", out)
        cur.execute(f"INSERT INTO boundaries ({', '.join(COLUMNS)}) "
                    f"SELECT {', '.join(COLUMNS)} FROM _b_rows")
        cur.unregister("_b_rows")
        batch.changes([json.dumps([c], ensure_ascii=False) for c in codes],
                      [_row_json(before[c]) if c in before else None for c in codes],
                      [_row_json(r) for r in out.to_dict("records")])
        batch.counts(rows_new=rows_new, rows_updated=rows_updated)
    return batch.batch_id, rows_new, rows_updated
