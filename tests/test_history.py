"""History and rollback: tables compared before and after, conflicts, archived files."""

import pandas as pd
import pytest

from dashboard import ingest, store
from dashboard.ingest import pipeline
from dashboard.store import history

DEMO = "dashboard/demo/files"


@pytest.fixture
def db(demo_copy):
    d = store.Database(demo_copy)
    yield d
    d.close()


def _cells_csv(edit: dict[int, str], n: int = 10) -> bytes:
    df = pd.read_csv(f"{DEMO}/cells.csv", dtype=str, keep_default_na=False).head(n)
    for i, members in edit.items():
        df.loc[i, "Số thành viên"] = members
    return df.to_csv(index=False).encode("utf-8")


def test_same_file_twice_is_unchanged(db):
    for name in ("units", "cells", "models", "indicators"):
        r = ingest.import_file(db, name, f"{DEMO}/{name}.csv", dry_run=True)
        assert (r.new, r.updated, r.rejected) == (0, 0, 0), name
        assert r.unchanged == r.rows_total > 0


def test_rollback_restores_exact_state(db):
    before = {t: history.table_snapshot(db, t) for t in ("units", "cells")}
    new_unit = ("Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên,Số hộ\n"
                "07210-99,Thôn Thử Nghiệm,Thôn,07210,120\n").encode()
    r1 = ingest.import_bytes(db, "units", new_unit, "u.csv")
    r2 = ingest.import_bytes(db, "cells", _cells_csv({0: "9", 1: "7"}), "c.csv")
    assert (r1.new, r2.updated, r2.unchanged) == (1, 2, 8)
    assert db.scalar("SELECT members FROM cells WHERE cell_id = 'T00001'") == 9
    res = history.rollback(db, r2.batch_id)
    assert res.batches == [r2.batch_id] and res.rows_restored == 2 and res.rows_deleted == 0
    res = history.rollback(db, r1.batch_id)
    assert res.rows_deleted == 1
    for t, snap in before.items():
        pd.testing.assert_frame_equal(history.table_snapshot(db, t), snap)
    statuses = dict(db.df("SELECT batch_id, status FROM batches").values.tolist())
    assert statuses[r1.batch_id] == statuses[r2.batch_id] == "rolled_back"
    with pytest.raises(history.RollbackError):
        history.rollback(db, r1.batch_id)


def test_conflict_refused_then_cascade(db):
    before = history.table_snapshot(db, "cells")
    a = ingest.import_bytes(db, "cells", _cells_csv({0: "9"}), "a.csv")
    b = ingest.import_bytes(db, "cells", _cells_csv({0: "11", 5: "12"}), "b.csv")
    assert (a.updated, b.updated) == (1, 2)
    later, shared = history.dependent_batches(db, a.batch_id)
    assert later == [b.batch_id] and shared == 1
    snap = history.table_snapshot(db, "cells")
    with pytest.raises(history.RollbackConflict) as e:
        history.rollback(db, a.batch_id)
    assert e.value.later == [b.batch_id]
    pd.testing.assert_frame_equal(history.table_snapshot(db, "cells"), snap)  # nothing changed
    res = history.rollback(db, a.batch_id, cascade=True)
    assert res.batches == [b.batch_id, a.batch_id]
    pd.testing.assert_frame_equal(history.table_snapshot(db, "cells"), before)


def test_rollback_of_insert_batch_deletes_rows_and_demo_batch(db):
    n_models = db.table_count("models")
    batch = int(db.scalar("SELECT batch_id FROM batches WHERE dataset = 'models'"))
    history.rollback(db, batch)
    assert db.table_count("models") == 0
    assert n_models == 1900


def test_boundaries_rollback_restores_geometry(db):
    from dashboard.output import geo

    before = history.table_snapshot(db, "boundaries")
    out = geo.approximate_polygons(db, replace_uploaded=True)
    history.rollback(db, out["batch_id"])
    pd.testing.assert_frame_equal(history.table_snapshot(db, "boundaries"), before)


def test_archived_file_and_list(db):
    data = _cells_csv({0: "9"})
    r = ingest.import_bytes(db, "cells", data, "tổ xã A.csv")
    name, got = history.archived_file(db, r.batch_id)
    assert got == data and name == "tổ xã A.csv"
    # the page lists the archive copy by its path; the bytes are read only on download
    name, path = history.archived_path(db, r.batch_id)
    assert name == "tổ xã A.csv" and path.read_bytes() == data
    path.unlink()                                   # a copy removed by hand: no download
    assert history.archived_path(db, r.batch_id) is None
    assert history.archived_file(db, r.batch_id) is None
    lst = history.list_batches(db)
    row = lst[lst.batch_id == r.batch_id].iloc[0]
    assert row.sha256 == pipeline.hashlib.sha256(data).hexdigest()
    assert (row.rows_updated, row.rows_unchanged, row.status_label) == (1, 9, "Đã ghi")
    shown = history.history_table(lst)
    assert list(shown.columns)[:4] == ["Lô", "Thời gian", "Bộ dữ liệu", "Tệp"]
