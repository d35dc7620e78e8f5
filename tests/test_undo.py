"""Undo as a user relies on it: any batch (new rows, updated rows, both; every dataset and
boundaries) returns every table exactly to its state before — compared table by table, with
types — and a batch others depend on is refused with the dependants listed, or undone with
them (newest first) when asked."""
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from dashboard import ingest, store
from dashboard.output import geo
from dashboard.store import history, integrity

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "dashboard/demo/files"
TABLES = ("units", "cells", "models", "indicators", "boundaries")


@pytest.fixture
def db(demo_copy):
    d = store.Database(demo_copy)
    yield d
    d.close()


def snapshot(db) -> dict[str, pd.DataFrame]:
    return {t: history.table_snapshot(db, t) for t in TABLES}


def assert_same(db, before: dict[str, pd.DataFrame]) -> None:
    for t, snap in before.items():
        pd.testing.assert_frame_equal(history.table_snapshot(db, t), snap, obj=t)
    assert integrity.verify(db) == []


def demo_rows(name: str, n: int) -> pd.DataFrame:
    return pd.read_csv(DEMO / f"{name}.csv", dtype=str, keep_default_na=False).head(n)


def csv(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False).encode("utf-8")


def mixed_file(name: str) -> tuple[bytes, int, int]:
    """A re-upload of corrected rows plus new rows -> (file, rows updated, rows new)."""
    if name == "units":
        df = demo_rows("units", 110)
        villages = df.index[df["Cấp"] == "Thôn"][:2]
        df.loc[villages, "Số hộ"] = ["1", "0"]
        new = pd.DataFrame([{"Mã đơn vị": "07210-97", "Tên đơn vị": "Thôn Mới A", "Cấp": "Thôn",
                             "Mã đơn vị cấp trên": "07210", "Số hộ": "85",
                             "Số nhân khẩu": ""},
                            {"Mã đơn vị": "07210-98", "Tên đơn vị": "Thôn Mới B", "Cấp": "Thôn",
                             "Mã đơn vị cấp trên": "07210", "Số hộ": "0",
                             "Số nhân khẩu": "310"}])
        return csv(pd.concat([df, new])), 2, 2
    if name == "cells":
        df = demo_rows("cells", 10)
        df.loc[0, "Số thành viên"] = "1"
        df.loc[1, "Ngày giải thể"] = df.loc[1, "Ngày thành lập"]   # ended the day it started
        new = df.iloc[[2]].assign(**{"Mã tổ": "TX9001", "Loại tổ": "", "Nhiệm vụ": "",
                                     "Số hộ phụ trách": "0"})
        return csv(pd.concat([df, new])), 2, 1
    if name == "models":
        df = demo_rows("models", 10)
        df.loc[0, "Số hộ hưởng lợi"] = "12"          # MH0001's empty field filled
        df.loc[1, ["Vĩ độ", "Kinh độ", "Số hộ hưởng lợi"]] = ["", "", ""]   # emptied
        new = df.iloc[[0]].assign(**{"Mã mô hình": "MH9001", "Số hộ hưởng lợi": "",
                                     "Vĩ độ": "6", "Kinh độ": "118", "Mô tả": ""})
        return csv(pd.concat([df, new])), 2, 1
    df = demo_rows("indicators", 10)
    df.loc[0, "Giá trị"] = "21,5"
    df.loc[1, "Giá trị"] = "0.1"
    new = df.iloc[[0]].assign(**{"Kỳ": "2099-12", "Giá trị": "1e-7"})
    return csv(pd.concat([df, new])), 2, 1


@pytest.mark.parametrize("name", ["units", "cells", "models", "indicators"])
def test_mixed_batch_undone_exactly(db, name):
    before = snapshot(db)
    data, n_upd, n_new = mixed_file(name)
    r = ingest.import_bytes(db, name, data, f"{name}_sua.csv")
    assert r.committed, r.summary_text()
    assert (r.updated, r.new) == (n_upd, n_new)
    res = history.rollback(db, r.batch_id)
    assert (res.rows_restored, res.rows_deleted) == (n_upd, n_new)
    assert_same(db, before)


def test_mixed_boundaries_batch_undone_exactly(db):
    with db.transaction() as cur:   # three polygons missing: the next batch adds them
        cur.execute("DELETE FROM boundaries WHERE unit_code IN (SELECT unit_code FROM "
                    "boundaries ORDER BY unit_code LIMIT 3)")
    before = snapshot(db)
    batch = geo.approximate_polygons(db, replace_uploaded=True)["batch_id"]
    changes = db.df("SELECT before_json IS NULL AS new FROM batch_changes WHERE batch_id = ?",
                    [batch])
    assert changes.new.sum() == 3 and (~changes.new).sum() > 1000
    res = history.rollback(db, batch)
    assert res.rows_deleted == 3
    assert_same(db, before)


def test_cascade_of_four_dependants_newest_first(db):
    before = snapshot(db)
    ids = []
    for members in ("11", "12", "13", "14", "15"):
        df = demo_rows("cells", 5)
        df["Số thành viên"] = members
        if members == "13":   # one in the middle also adds a row
            df = pd.concat([df, df.iloc[[0]].assign(**{"Mã tổ": "TX13"})])
        r = ingest.import_bytes(db, "cells", csv(df), f"c{members}.csv")
        assert r.committed
        ids.append(r.batch_id)
    deps = history.dependents(db, ids[0])
    assert deps.batches == deps.later_same_rows == ids[1:]
    assert deps.shared_rows == 5
    with pytest.raises(history.RollbackConflict) as e:
        history.rollback(db, ids[0])
    assert history.batch_list(ids[1:]) in str(e.value)          # «lô 2–5», a run
    dry = history.rollback(db, ids[0], cascade=True, dry_run=True)
    assert dry.batches == ids[::-1] and dry.dry_run
    assert db.scalar("SELECT members FROM cells WHERE cell_id = 'T00001'") == 15
    res = history.rollback(db, ids[0], cascade=True)
    assert res.batches == ids[::-1]
    assert_same(db, before)
    statuses = db.df("SELECT status FROM batches WHERE list_contains(?, batch_id)", [ids])
    assert set(statuses.status) == {"rolled_back"}


def _units_with_dependants(db) -> tuple[int, list[int]]:
    """A units batch adding a commune's new village, then one batch in every other dataset
    referring to it (and a second units batch hanging a village under it)."""
    units = ("Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên,Số hộ\n"
             "07210-90,Thôn Phụ Thuộc,Thôn,07210,200\n"
             "07210-01,Thôn Đổi Tên,Thôn,07210,150\n").encode()
    u = ingest.import_bytes(db, "units", units, "u.csv")
    assert u.committed and (u.new, u.updated) == (1, 1), u.summary_text()
    cells = ("Mã tổ,Tên tổ,Mã thôn/xã,Giai đoạn,Ngày thành lập,Số thành viên,Số hộ phụ trách\n"
             "TD1,Tổ A,07210-90,Thí điểm,01/02/2024,5,40\n"
             "TD2,Tổ B,07210-90,Nhân rộng,01/03/2024,6,45\n").encode()
    models = ("Mã mô hình,Tên mô hình,Lĩnh vực,Cấp,Mã đơn vị,Ngày bắt đầu\n"
              "MD1,Mô hình A,Kinh tế,Thôn,07210-90,01/01/2024\n").encode()
    indicators = ("Mã đơn vị,Kỳ,Chỉ số,Giá trị\n07210-90,2024-01,feedback_received,3\n"
                  "07210-90,2024-02,feedback_received,4\n07210-90,2024-03,antt_incidents,0\n"
                  ).encode()
    later = []
    for name, data in (("cells", cells), ("models", models), ("indicators", indicators)):
        r = ingest.import_bytes(db, name, data, f"{name}.csv")
        assert r.committed, r.summary_text()
        later.append(r.batch_id)
    b = geo.approximate_polygons(db, replace_uploaded=True)
    later.append(b["batch_id"])
    assert db.scalar("SELECT count(*) FROM boundaries WHERE unit_code = '07210-90'") == 1
    return u.batch_id, later


def test_units_batch_with_dependants_in_every_dataset(db):
    before = snapshot(db)
    units_batch, later = _units_with_dependants(db)
    deps = history.dependents(db, units_batch)
    assert deps.referrers == {"cells": 2, "models": 1, "indicators": 3, "boundaries": 1}
    assert deps.batches == later and deps.can_cascade
    text = deps.text()
    assert "2 tổ, 1 mô hình, 3 dòng chỉ số và 1 ranh giới thuộc các đơn vị của lô này" in text
    snap = snapshot(db)
    with pytest.raises(history.RollbackConflict) as e:
        history.rollback(db, units_batch)
    assert "2 tổ" in str(e.value)
    assert_same(db, snap)   # refused: nothing changed
    history.rollback(db, units_batch, cascade=True)
    assert_same(db, before)


def test_rows_no_batch_wrote_block_the_undo_even_with_cascade(db):
    units_batch, _ = _units_with_dependants(db)
    with db.transaction() as cur:   # a row written outside any import
        cur.execute("INSERT INTO indicators VALUES ('07210-90', '2030-01', 'x', 1)")
    deps = history.dependents(db, units_batch)
    assert deps.unbatched == {"indicators": 1} and not deps.can_cascade
    snap = snapshot(db)
    with pytest.raises(history.RollbackConflict, match="không do lô nhập nào ghi"):
        history.rollback(db, units_batch, cascade=True)
    assert_same(db, snap)


def test_undo_that_would_break_the_hierarchy_is_refused(db):
    # batch A turns a village into a commune; batch B hangs a village under it; undoing A
    # alone would put a village under a village: the integrity check refuses it
    a = ingest.import_bytes(db, "units", ("Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên,Số hộ\n"
                                          "07210-90,Xã Tạm,Xã,24,100\n").encode(), "a.csv")
    a2 = ingest.import_bytes(db, "units", ("Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên,Số hộ\n"
                                           "07210-90,Thôn Tạm,Thôn,07210,100\n").encode(),
                             "a2.csv")
    assert a.committed and a2.committed
    history.rollback(db, a2.batch_id)   # back to a commune
    b = ingest.import_bytes(db, "units", ("Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên,Số hộ\n"
                                          "07210-91,Thôn Con,Thôn,07210-90,50\n").encode(),
                            "b.csv")
    assert b.committed, b.summary_text()
    deps = history.dependents(db, a.batch_id)
    assert deps.referrers == {"units": 1} and deps.batches == [b.batch_id]
    history.rollback(db, a.batch_id, cascade=True)
    assert db.scalar("SELECT count(*) FROM units WHERE unit_code LIKE '07210-9%'") == 0


def test_demo_units_batch_refused_then_cascade_empties_every_table(db):
    units_batch = int(db.scalar("SELECT batch_id FROM batches WHERE dataset = 'units'"))
    deps = history.dependents(db, units_batch)
    assert set(deps.referrers) == {"cells", "models", "indicators", "boundaries"}
    assert deps.referrers["cells"] == db.table_count("cells") == 2166
    assert deps.referrers["models"] == 1900
    assert deps.referrers["indicators"] == db.table_count("indicators") == 16649
    assert len(deps.batches) == db.table_count("batches") - 1 == 61   # monthly indicator batches
    with pytest.raises(history.RollbackConflict, match="2.166 tổ, 1.900 mô hình"):
        history.rollback(db, units_batch)
    assert db.table_count("cells") == 2166
    res = history.rollback(db, units_batch, cascade=True)
    assert res.batches == sorted(res.batches, reverse=True) and len(res.batches) == 62
    assert {t: db.table_count(t) for t in TABLES} == dict.fromkeys(TABLES, 0)
    assert integrity.verify(db) == []


def test_cli_history_and_rollback(demo_copy):
    def run(*args):
        return subprocess.run([sys.executable, "-m", "dashboard", *args, "--db",
                               str(demo_copy)], cwd=ROOT, capture_output=True, text=True)

    h = run("history")
    assert h.returncode == 0
    lines = h.stdout.strip().splitlines()
    assert lines[0].startswith("batch_id,created_at,dataset,file_name")
    assert len(lines) == 63 and lines[-1].startswith("1,") and ",units,units.csv," in lines[-1]
    refused = run("rollback", "1")
    assert refused.returncode == 1
    assert "Không thể hoàn tác riêng lô 1" in refused.stdout and "16.649 dòng chỉ số" in \
        refused.stdout and "--cascade" in refused.stdout
    dry = run("rollback", "1", "--cascade", "--dry-run")
    assert dry.returncode == 0 and "Chạy thử" in dry.stdout
    assert run("rollback", "abc").returncode == 2
    assert run("rollback", "999").returncode == 1
    done = run("rollback", "1", "--cascade")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Đã hoàn tác lô 62–1" in done.stdout
    again = run("rollback", "1")
    assert again.returncode == 1 and "đã được hoàn tác" in again.stdout
    d = store.Database(demo_copy)
    assert {t: d.table_count(t) for t in TABLES} == dict.fromkeys(TABLES, 0)
    d.close()


def test_batch_lists_join_consecutive_runs():
    from dashboard.store.history import batch_list

    assert batch_list([3, 2, 4, 7, 9, 10]) == "lô 2–4, lô 7, lô 9, lô 10"
    assert batch_list([2, 3, 4, 7], newest_first=True) == "lô 7, lô 4–2"
    assert batch_list([5]) == "lô 5"
