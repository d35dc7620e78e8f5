"""Scoped snapshots at national scale: the two shortcuts a snapshot takes, each checked against
the computation it replaces.

- which batches are within a scope is read from `batch_units` (store/batch_units.py, kept in
  every write transaction) instead of the images of batch_changes: same batches for every
  scope after imports, an undo and a province reset, and for a file upgraded from version 2;
- the derived analytics tables of a province or commune scope are the base's rows for the
  communes in scope, copied instead of rebuilt: equal to the rebuild on the snapshot's own
  rows for several scopes; a scope below a commune (a village) is rebuilt.
"""
from __future__ import annotations

import json
import os

import duckdb
import pandas as pd
import pytest

os.environ.setdefault("DASHBOARD_ARGON2_MEMORY_KIB", "1024")
os.environ.setdefault("DASHBOARD_ARGON2_TIME_COST", "1")

from dashboard import ingest, store  # noqa: E402
from dashboard.access import Principal, context, scope  # noqa: E402
from dashboard.store import analytics, batch_units, history, migrations, province  # noqa: E402

A, B = "07774", "07696"


@pytest.fixture
def db(demo_copy):
    d = store.Database(demo_copy)
    yield d
    scope.clear_cache()
    d.close()


def _images_reference(db) -> pd.DataFrame:
    """batch_units as the images say, in Python (distinct rows per batch)."""
    rows = set()
    changes = db.df("SELECT batch_id, dataset, before_json, after_json FROM batch_changes")
    for b, ds, before, after in changes.itertuples(index=False, name=None):
        for img in (before, after):
            if img is None:
                continue
            d = json.loads(img)
            rows.add((int(b), d.get("unit_code"), d.get("parent_code") if ds == "units" else None))
    return _sorted(pd.DataFrame(sorted(rows, key=str),
                                columns=["batch_id", "unit_code", "parent_code"]))


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.astype({"batch_id": "int64"}).astype(object).where(frame.notna(), None)
    return frame.sort_values(list(frame.columns), key=lambda s: s.astype(str)) \
        .reset_index(drop=True)


def _stored(db) -> pd.DataFrame:
    return _sorted(db.df("SELECT batch_id, unit_code, parent_code FROM batch_units"))


def _in_scope_by_images(db, units) -> list[int]:
    cur = db.cursor()
    try:
        return [int(r[0]) for r in cur.execute(scope._BATCHES_IN_SCOPE_IMAGES,
                                               {"su": units}).fetchall()]
    finally:
        cur.close()


def _scopes(db) -> list[tuple[str, ...]]:
    villages = list(db.df("SELECT unit_code FROM units WHERE level = 'village' "
                          "ORDER BY unit_code LIMIT 2").unit_code)
    return [(A,), (B,), (A, B), ("24",), tuple(villages[:1]), tuple(villages), ()]


def _check_batches(db) -> None:
    cur = db.cursor()
    try:
        assert batch_units.complete(cur)
    finally:
        cur.close()
    pd.testing.assert_frame_equal(_stored(db), _images_reference(db))
    for sc in _scopes(db):
        units = scope.units_in_scope(db, sc)
        fast = scope.batches_in_scope(db, sc)
        assert fast == _in_scope_by_images(db, units), sc


def _cells(rows: list[tuple[str, str]]) -> bytes:
    from tests.test_access import _cells as cells

    return cells(rows)


def test_batch_units_follow_imports_undo_and_reset(db):
    _check_batches(db)
    editor = Principal("soan", "editor", (A,))
    with context.acting(editor):
        mine = ingest.import_bytes(db, "cells", _cells([("NEW1", f"{A}-01")]), "a.csv")
    assert mine.committed
    both = ingest.import_bytes(db, "cells", _cells([("NEW2", f"{A}-01"), ("NEW3", f"{B}-01")]),
                               "b.csv")
    assert both.committed
    units = ingest.import_bytes(db, "units", "Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên,Số hộ\n"
                                f"{A}-99,Thôn mới,Thôn,{A},40\n".encode(), "u.csv")
    assert units.committed
    _check_batches(db)
    sa = scope.batches_in_scope(db, (A,))
    assert mine.batch_id in sa and units.batch_id in sa and both.batch_id not in sa
    assert both.batch_id in scope.batches_in_scope(db, (A, B))
    # an undo keeps the batch's change rows (and the units it touched): still in scope, even
    # the new village the undo removed (its parent is in scope)
    history.rollback(db, units.batch_id)
    assert units.batch_id in scope.batches_in_scope(db, (A,))
    _check_batches(db)
    province.reset(db, "24")
    _check_batches(db)
    assert db.scalar("SELECT count(*) FROM batch_units WHERE batch_id < ?",
                     [int(db.scalar("SELECT min(batch_id) FROM batches"))]) == 0


def _batch(db, images: list[tuple[str, dict | None]]) -> int:
    """A batch written as batches.write writes one: its row and its change rows, together."""
    with db.transaction() as cur:
        b = db.next_batch_id(cur)
        cur.execute("INSERT INTO batches (batch_id, created_at, dataset) VALUES "
                    "(?, now()::TIMESTAMP, 'units')", [b])
        for k, (ds, img) in enumerate(images):
            cur.execute("INSERT INTO batch_changes VALUES (?, ?, ?, NULL, ?)",
                        [b, ds, json.dumps([str(k)]), None if img is None else json.dumps(img)])
    return b


def test_an_image_naming_no_unit_or_a_province_row_is_outside_a_commune(db):
    """Deny by default: a batch with an image that names no unit, or that changed a unit
    above the scope (the province row, whose parent is empty), is outside the scope."""
    village = {"unit_code": f"{A}-98", "parent_code": A, "level": "village"}
    prov = {"unit_code": "24", "parent_code": None, "level": "province"}
    ok = _batch(db, [("units", village)])
    with_prov = _batch(db, [("units", village), ("units", prov)])
    no_unit = _batch(db, [("units", village), ("cells", {"cell_id": "X"})])
    _check_batches(db)
    assert ok in scope.batches_in_scope(db, (A,))
    assert with_prov not in scope.batches_in_scope(db, (A,))
    assert with_prov in scope.batches_in_scope(db, ("24",))
    assert no_unit not in scope.batches_in_scope(db, ("24",))


def test_a_write_outside_a_transaction_falls_back_to_the_images(db):
    rep = ingest.import_bytes(db, "cells", _cells([("NEW5", f"{B}-01")]), "c.csv")
    cur = db.cursor()
    try:
        # a change row written behind the hooks' back names a unit of A: the table no longer
        # matches batch_changes, so the images decide (the batch is no longer wholly B's)
        cur.execute("INSERT INTO batch_changes VALUES (?, 'cells', '[\"Y\"]', NULL, ?)",
                    [rep.batch_id, json.dumps({"unit_code": f"{A}-01"})])
        assert not batch_units.complete(cur)
    finally:
        cur.close()
    assert rep.batch_id not in scope.batches_in_scope(db, (B,))
    assert rep.batch_id in scope.batches_in_scope(db, (A, B))
    with db.transaction():
        pass                      # the next write brings the table in line
    _check_batches(db)


def test_a_version_2_file_is_filled_by_the_migration(demo_copy):
    con = duckdb.connect(str(demo_copy))
    con.execute("DROP TABLE batch_units")
    con.execute("DELETE FROM app_meta WHERE key IN (?, ?)",
                [migrations.META_KEY, batch_units.META_KEY])
    con.execute("INSERT INTO app_meta VALUES (?, '2')", [migrations.META_KEY])
    con.close()
    db = store.Database(demo_copy)
    try:
        assert db.get_meta(migrations.META_KEY) == str(migrations.LATEST)
        assert db.table_count("batch_units") > 0
        _check_batches(db)
    finally:
        db.close()


# --- derived analytics: copied for a province or commune scope, else rebuilt -------------------

def _derived(path) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").df() for t in analytics.TABLES}
        assert analytics.stored_fingerprint(con) == analytics.fingerprint(con)
        return out
    finally:
        con.close()


def _rebuilt(path) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(path))
    try:
        analytics.rebuild(con)
    finally:
        con.close()
    return _derived(path)


@pytest.mark.parametrize("which", ["A", "B", "A+B", "province", "none", "all"])
def test_copied_derived_tables_equal_the_rebuild_on_the_scoped_rows(db, tmp_path, which):
    # a change first, so the base's tables are those its write transaction rebuilt
    assert ingest.import_bytes(db, "cells", _cells([("NEW7", f"{A}-01"), ("NEW8", f"{B}-02")]),
                               "d.csv").committed
    sc = {"A": (A,), "B": (B,), "A+B": (A, B), "province": ("24",), "none": (),
          "all": None}[which]
    cur = db.cursor()
    try:
        su = scope.units_in_scope(cur, sc)
        assert scope._can_copy_derived(db, cur, su)
    finally:
        cur.close()
    target = tmp_path / "snap.duckdb"
    scope.write_snapshot(db, sc, target)
    copied = _derived(target)
    rebuilt = _rebuilt(target)
    for t in analytics.TABLES:
        pd.testing.assert_frame_equal(copied[t], rebuilt[t], obj=t)
    if sc:
        assert set(copied["an_communes"].commune_code) == \
            set(db.df("SELECT unit_code FROM units WHERE level = 'commune' AND unit_code IN "
                      "(SELECT unnest(?::VARCHAR[]))", [su]).unit_code)


def test_a_scope_below_a_commune_is_rebuilt(db, tmp_path):
    village = db.scalar("SELECT min(unit_code) FROM units WHERE level = 'village' AND "
                        "parent_code = ?", [A])
    cur = db.cursor()
    try:
        su = scope.units_in_scope(cur, (village,))
        assert not scope._can_copy_derived(db, cur, su)
    finally:
        cur.close()
    target = tmp_path / "v.duckdb"
    scope.write_snapshot(db, (village,), target)
    got = _derived(target)
    # the commune's figures hold only that village (not the base's whole commune)
    assert got["an_communes"].villages.tolist() == [1]
    base = db.df("SELECT villages FROM an_communes WHERE commune_code = ?", [A]).villages
    assert base.iloc[0] > 1


def test_a_derived_table_not_known_to_be_per_commune_or_stale_is_rebuilt(db, monkeypatch):
    cur = db.cursor()
    try:
        assert scope._can_copy_derived(db, cur, None)
        monkeypatch.setattr(scope, "_PER_COMMUNE", scope._PER_COMMUNE - {"an_communes"})
        assert not scope._can_copy_derived(db, cur, None)
        monkeypatch.undo()
        # a cell written behind the hooks' back: the base's tables are stale, not copied (the
        # same signature `analytics.ready` trusts for every named query)
        cur.execute(f"INSERT INTO cells SELECT * REPLACE ('ZZ9' AS cell_id) FROM cells "
                    f"WHERE cell_id = (SELECT min(cell_id) FROM cells WHERE unit_code LIKE "
                    f"'{A}-%')")
        assert not scope._can_copy_derived(db, cur, scope.units_in_scope(cur, (A,)))
    finally:
        cur.close()
