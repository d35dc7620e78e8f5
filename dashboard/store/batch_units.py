"""The units each batch touched: what deciding whether a batch is within a scope reads
(dashboard/access/scope.py), instead of parsing every before- and after-image of
`batch_changes` at each scoped snapshot.

`batch_units` holds, per batch, one row per distinct (unit_code, parent_code) of its images
(both the before- and the after-image of every row it changed): unit_code is the image's
unit (NULL when the image names none — such a batch is never within a scope), parent_code the
image's parent for the dataset `units` (NULL for every other dataset).

It derives from `batch_changes` alone, whose rows of a batch are written once, at the batch's
commit (an undo keeps them, a province reset deletes them). So a hook run inside every write
transaction before COMMIT (`database.before_commit`) keeps it exact: it adds the rows of the
batches present in batch_changes but not yet here; when batch_changes changed otherwise (a
reset deleted them, a row was added to an earlier batch behind the hooks' back) it writes
every row again. Migration 3 (store/migrations.py) fills it for existing files. `complete` tells a
reader whether it covers exactly the batches of batch_changes (a database opened read-only
before the upgrade, or written outside `Database.transaction`, may not): when it does not,
the reader uses the images themselves.
"""
from __future__ import annotations

import duckdb

from dashboard.store.database import before_commit

TABLE = "batch_units"
DDL = f"""CREATE TABLE IF NOT EXISTS {TABLE} (
  batch_id BIGINT NOT NULL,
  unit_code VARCHAR,               -- NULL: an image naming no unit
  parent_code VARCHAR              -- the unit's parent, for the dataset units only
)"""

# rows of the batches in `ids` (a SQL set expression), from their images
_ROWS = """
SELECT DISTINCT batch_id, json_extract_string(j, '$.unit_code') AS unit_code,
       CASE WHEN dataset = 'units' THEN json_extract_string(j, '$.parent_code') END
FROM (SELECT batch_id, dataset, before_json AS j FROM batch_changes
      WHERE before_json IS NOT NULL AND batch_id IN ({ids})
      UNION ALL
      SELECT batch_id, dataset, after_json FROM batch_changes
      WHERE after_json IS NOT NULL AND batch_id IN ({ids}))"""

_MISSING = f"SELECT DISTINCT batch_id FROM batch_changes EXCEPT SELECT batch_id FROM {TABLE}"
_GONE = f"SELECT DISTINCT batch_id FROM {TABLE} EXCEPT SELECT batch_id FROM batch_changes"


# what the table was last brought in line with: batch_changes' rows are only ever added (a new
# batch, with ids above every earlier one) or all deleted (a province reset), so their count
# and the sum and maximum of their batch ids change with every such write (a few ms to read)
META_KEY = "batch_units_of"
_SIGNATURE = ("SELECT count(*) || ':' || coalesce(sum(batch_id), 0) || ':' "
              "|| coalesce(max(batch_id), 0) FROM batch_changes")


def _has_tables(cur) -> bool:
    names = {r[0] for r in cur.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND table_name IN ('batch_changes', ?)", [TABLE]).fetchall()}
    return names == {"batch_changes", TABLE}


def ensure(cur) -> None:
    cur.execute(DDL)


def _stored(cur) -> str | None:
    row = cur.execute("SELECT value FROM app_meta WHERE key = ?", [META_KEY]).fetchone()
    return row[0] if row else None


def fill(cur) -> None:
    """Bring the table in line with batch_changes (inside the caller's transaction): rows for
    the batches not yet here when batch_changes only gained those batches' rows since the last
    time (the rows of a batch are written once); else every row again."""
    stored = _stored(cur)
    before = int(stored.split(":")[0]) if stored else None
    missing = cur.execute(f"SELECT count(*) FROM batch_changes WHERE batch_id IN ({_MISSING})"
                          ).fetchone()[0]
    now = cur.execute("SELECT count(*) FROM batch_changes").fetchone()[0]
    gone = cur.execute(f"SELECT EXISTS ({_GONE})").fetchone()[0]
    if before is None or gone or before + missing != now:
        cur.execute(f"DELETE FROM {TABLE}")
    if cur.execute(f"SELECT EXISTS ({_MISSING})").fetchone()[0]:
        cur.execute(f"INSERT INTO {TABLE} {_ROWS.format(ids=_MISSING)}")
        # a batch with change rows but no image: one row naming no unit (never in a scope)
        cur.execute(f"INSERT INTO {TABLE} SELECT batch_id, NULL, NULL FROM ({_MISSING})")
    cur.execute("DELETE FROM app_meta WHERE key = ?", [META_KEY])
    cur.execute("INSERT INTO app_meta VALUES (?, ?)",
                [META_KEY, cur.execute(_SIGNATURE).fetchone()[0]])


@before_commit
def refresh(cur) -> None:
    """Before every COMMIT: rows for new batches, none for batches no longer recorded (one
    signature read when batch_changes did not change)."""
    try:
        if _stored(cur) == cur.execute(_SIGNATURE).fetchone()[0]:
            return
    except duckdb.CatalogException:
        return
    if _has_tables(cur):
        fill(cur)


def complete(cur) -> bool:
    """Whether the table was brought in line with batch_changes as they are now."""
    try:
        stored = _stored(cur)
        return stored is not None and stored == cur.execute(_SIGNATURE).fetchone()[0] \
            and _has_tables(cur)
    except duckdb.CatalogException:
        return False
