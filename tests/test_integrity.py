"""The database as the last check: constraints generated from contract.py reject bad rows
even when the Python checks are bypassed; the integrity check inside every write
transaction refuses orphans, wrong hierarchy levels and cycles, naming the rows; an existing
file is upgraded in place by a versioned migration; archive copies never outlive a failed
write."""
import dataclasses
import datetime as dt
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dashboard import contract, ingest, store
from dashboard.ingest import checks as validate_stage
from dashboard.ingest import pipeline
from dashboard.store import batches, history, integrity, migrations

ROOT = Path(__file__).resolve().parent.parent

GOOD = {
    "units": {"unit_code": "u1", "unit_name": "Thôn A", "level": "village",
              "parent_code": "07210", "households": 0, "population": None},
    "cells": {"cell_id": "c1", "cell_name": "Tổ A", "cell_type": None, "unit_code": "07210",
              "phase": "pilot", "established_on": dt.date(2024, 1, 1),
              "ended_on": dt.date(2024, 1, 1), "members": 1, "households_covered": 0,
              "tasks": None},
    "models": {"model_id": "m1", "model_name": "Mô hình", "field": "economy",
               "level": "commune", "unit_code": "07210", "owner": None,
               "started_on": dt.date(2024, 1, 1), "ended_on": dt.date(2024, 1, 1),
               "recognized_level": None, "households_reached": 0, "latitude": 6.0,
               "longitude": 118.0, "description": None},
    "indicators": {"unit_code": "07210", "period": "2024-12", "indicator": "x", "value": 0.0},
}

# (dataset, column, bad value) — each breaks exactly one generated constraint
BAD = [
    ("units", "unit_name", None), ("units", "unit_name", " "), ("units", "level", "hamlet"),
    ("units", "households", -1), ("units", "population", -1), ("units", "parent_code", None),
    ("units", "parent_code", "u1"),
    ("cells", "cell_name", None), ("cells", "phase", None), ("cells", "phase", "trial"),
    ("cells", "members", 0), ("cells", "households_covered", -1),
    ("cells", "established_on", None), ("cells", "ended_on", dt.date(2023, 12, 31)),
    ("cells", "unit_code", None),
    ("models", "field", "sport"), ("models", "recognized_level", "village"),
    ("models", "households_reached", -1), ("models", "latitude", 5.99),
    ("models", "latitude", 24.01), ("models", "longitude", 101.99),
    ("models", "longitude", None), ("models", "ended_on", dt.date(2023, 12, 31)),
    ("indicators", "period", "2024-13"), ("indicators", "period", "12/2024"),
    ("indicators", "value", None), ("indicators", "indicator", ""),
]


@pytest.fixture
def db(demo_copy):
    d = store.Database(demo_copy)
    yield d
    d.close()


def _insert(db, dataset: str, row: dict) -> None:
    ds = contract.DATASETS[dataset]
    cols = ", ".join(ds.names)
    with db.transaction() as cur:
        cur.execute(f"INSERT INTO {dataset} ({cols}) VALUES ({', '.join('?' * len(ds.names))})",
                    [row[c] for c in ds.names])


@pytest.mark.parametrize("dataset", list(GOOD))
def test_a_row_on_every_limit_is_accepted(db, dataset):
    _insert(db, dataset, GOOD[dataset])   # 0 households, 1 member, equal dates, 6 °N, 118 °E
    key = contract.DATASETS[dataset].key
    assert db.scalar(f"SELECT count(*) FROM {dataset} WHERE "
                     + " AND ".join(f"{k} = ?" for k in key),
                     [GOOD[dataset][k] for k in key]) == 1


@pytest.mark.parametrize("dataset,column,value", BAD)
def test_database_rejects_rows_the_contract_forbids(db, dataset, column, value):
    row = {**GOOD[dataset], column: value}
    before = history.table_snapshot(db, dataset)
    with pytest.raises(duckdb.ConstraintException):
        _insert(db, dataset, row)
    pd.testing.assert_frame_equal(history.table_snapshot(db, dataset), before)


def test_duplicate_key_rejected(db):
    with pytest.raises(duckdb.ConstraintException):
        with db.transaction() as cur:
            cur.execute("INSERT INTO units SELECT * FROM units LIMIT 1")


def test_every_declared_rule_is_a_constraint():
    for ds in contract.DATASETS.values():
        ddl = ds.ddl()
        for c in ds.columns:
            if c.required:
                assert f"{c.name} {c.sql_type} NOT NULL" in ddl
            if c.min is not None:
                assert f"{c.name} >= {c.min:g}" in ddl
        for check in ds.checks:
            if check in contract.ROW_CHECK_SQL:
                assert f"{ds.name}_{check} CHECK" in ddl


def test_import_with_python_check_removed_still_writes_nothing(db, monkeypatch):
    """A cells file with empty names and phases: the Python required-value check is taken
    away, the database refuses the rows."""
    loose = dataclasses.replace(contract.CELLS, columns=tuple(
        dataclasses.replace(c, required=False) for c in contract.CELLS.columns))
    monkeypatch.setattr(pipeline, "get_dataset", lambda name: loose)
    before = history.table_snapshot(db, "cells")
    n = db.table_count("batches")
    data = ("Mã tổ,Tên tổ,Mã thôn/xã,Giai đoạn,Ngày thành lập,Số thành viên,Số hộ phụ trách\n"
            "TZ1,,07210,,01/02/2024,5,40\n").encode()
    r = ingest.import_bytes(db, "cells", data, "thieu.csv")
    assert not r.committed and r.errors
    assert "Cơ sở dữ liệu từ chối ghi" in r.errors[0].message
    pd.testing.assert_frame_equal(history.table_snapshot(db, "cells"), before)
    assert db.table_count("batches") == n


# --- integrity check ------------------------------------------------------------------------

def test_commune_turned_district_with_villages_refused_with_rows_named(db, demo_copy):
    kpi = db.df("SELECT * FROM units ORDER BY unit_code")
    data = "Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên,Số hộ\n07498,Xã Bắc Lũng,Huyện,24,\n"
    n = db.table_count("batches")
    for dry in (True, False):
        r = ingest.import_bytes(db, "units", data.encode(), "huyen.csv", dry_run=dry)
        assert not r.committed and len(r.errors) >= 1
        p = r.errors[0]
        assert (p.row, p.column, p.value) == (2, "Cấp", "Huyện")
        assert "14 đơn vị cấp dưới thuộc «Xã Bắc Lũng» (07498)" in p.message
        assert "07498-01 «Thôn Đông»" in p.message
    pd.testing.assert_frame_equal(db.df("SELECT * FROM units ORDER BY unit_code"), kpi)
    assert db.table_count("batches") == n
    db.close()
    path = ROOT / "t_huyen.csv"
    try:
        path.write_text(data, encoding="utf-8")
        out = subprocess.run([sys.executable, "-m", "dashboard", "import", "units", str(path),
                              "--db", str(demo_copy)], cwd=ROOT, capture_output=True,
                             text=True)
    finally:
        path.unlink()
    assert out.returncode == 1 and "14 đơn vị cấp dưới" in out.stdout, out.stdout


def test_same_level_parent_refused_both_ways(db):
    # the import's check (a village under a village; a commune under a commune)
    for row in ("07210-90,Thôn X,Thôn,07210-01,10", "07299,Xã X,Xã,07210,"):
        r = ingest.import_bytes(db, "units", ("Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên,"
                                              f"Số hộ\n{row}\n").encode(), "x.csv")
        assert not r.committed and r.errors[0].column == "Mã đơn vị cấp trên"
    # one level up is fine
    r = ingest.import_bytes(db, "units", ("Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên,Số hộ\n"
                                          "07210-90,Thôn X,Thôn,07210,0\n").encode(), "ok.csv")
    assert r.committed, r.summary_text()
    # and the database's own check, with the Python one bypassed
    with pytest.raises(integrity.IntegrityError) as e:
        with db.transaction() as cur:
            cur.execute("UPDATE units SET parent_code = '07210-01' WHERE unit_code = '07210-90'")
    assert e.value.findings[0].rule == "parent_level" and "07210-90" in str(e.value)


@pytest.mark.parametrize("sql,rule", [
    ("INSERT INTO cells SELECT * REPLACE ('TZ' AS cell_id, 'khong-co' AS unit_code) "
     "FROM cells LIMIT 1", "missing_unit"),
    ("INSERT INTO models SELECT * REPLACE ('MZ' AS model_id, 'khong-co' AS unit_code) "
     "FROM models LIMIT 1", "missing_unit"),
    ("INSERT INTO indicators VALUES ('khong-co', '2024-01', 'x', 1)", "missing_unit"),
    ("INSERT INTO boundaries SELECT * REPLACE ('khong-co' AS unit_code) FROM boundaries "
     "LIMIT 1", "missing_unit"),
    ("INSERT INTO units VALUES ('07210-90', 'Thôn', 'village', 'khong-co', 1, NULL)",
     "missing_parent"),
    ("INSERT INTO cells SELECT * REPLACE ('TZ' AS cell_id, '24' AS unit_code) FROM cells "
     "LIMIT 1", "cell_unit_level"),
    ("UPDATE units SET parent_code = '07210' WHERE unit_code = '24'", "parent_level"),
    ("UPDATE units SET level = 'district' WHERE unit_code = '07498'", "parent_level"),
    ("DELETE FROM units WHERE unit_code = '07498-01'", "missing_unit"),
])
def test_integrity_check_aborts_the_transaction(db, sql, rule):
    before = {t: history.table_snapshot(db, t) for t in ("units", "cells", "indicators")}
    with pytest.raises(integrity.IntegrityError) as e:
        with db.transaction() as cur:
            cur.execute(sql)
    assert rule in {f.rule for f in e.value.findings}
    for t, snap in before.items():
        pd.testing.assert_frame_equal(history.table_snapshot(db, t), snap)
    assert integrity.verify(db) == []


def test_parent_cycle_found(db):
    with pytest.raises(integrity.IntegrityError) as e:
        with db.transaction() as cur:
            cur.execute("INSERT INTO units VALUES ('A', 'Xã A', 'commune', 'B', 1, NULL), "
                        "('B', 'Xã B', 'commune', 'A', 1, NULL)")
    cycle = [f for f in e.value.findings if f.rule == "cycle"]
    assert cycle and set(cycle[0].samples) == {"A", "B"}
    assert "vòng lặp" in str(e.value)


def test_demo_is_consistent(db):
    assert integrity.verify(db) == []


# --- migrations -----------------------------------------------------------------------------

OLD_DDL = [   # the schema as versions before migrations wrote it: no constraints
    "CREATE TABLE units (unit_code VARCHAR, unit_name VARCHAR, level VARCHAR, parent_code "
    "VARCHAR, households BIGINT, population BIGINT, PRIMARY KEY (unit_code))",
    "CREATE TABLE cells (cell_id VARCHAR, cell_name VARCHAR, cell_type VARCHAR, unit_code "
    "VARCHAR, phase VARCHAR, established_on DATE, ended_on DATE, members BIGINT, "
    "households_covered BIGINT, tasks VARCHAR, PRIMARY KEY (cell_id))",
    "CREATE TABLE models (model_id VARCHAR, model_name VARCHAR, field VARCHAR, level VARCHAR, "
    "unit_code VARCHAR, owner VARCHAR, started_on DATE, ended_on DATE, recognized_level "
    "VARCHAR, households_reached BIGINT, latitude DOUBLE, longitude DOUBLE, description "
    "VARCHAR, PRIMARY KEY (model_id))",
    "CREATE TABLE indicators (unit_code VARCHAR, period VARCHAR, indicator VARCHAR, value "
    "DOUBLE, PRIMARY KEY (unit_code, period, indicator))",
    "CREATE SEQUENCE batch_seq START 1",
    "CREATE TABLE batches (batch_id BIGINT PRIMARY KEY, created_at TIMESTAMP NOT NULL, dataset "
    "VARCHAR NOT NULL, file_name VARCHAR, sha256 VARCHAR, rows_new BIGINT, rows_updated BIGINT,"
    " rows_unchanged BIGINT, rows_rejected BIGINT, status VARCHAR NOT NULL DEFAULT 'committed',"
    " mode VARCHAR, created_by VARCHAR, note VARCHAR, archive_path VARCHAR)",
    "CREATE TABLE batch_changes (batch_id BIGINT NOT NULL, dataset VARCHAR NOT NULL, row_key "
    "VARCHAR NOT NULL, before_json VARCHAR, after_json VARCHAR)",
    "CREATE TABLE boundaries (unit_code VARCHAR PRIMARY KEY, geometry_wkb BLOB, "
    "display_geojson VARCHAR, approximate BOOLEAN DEFAULT FALSE, source VARCHAR, "
    "batch_id BIGINT)",
    "CREATE TABLE app_meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
]


def _old_file(path: Path, extra: list[str] = ()) -> None:
    con = duckdb.connect(str(path))
    for stmt in OLD_DDL:
        con.execute(stmt)
    con.execute("INSERT INTO units VALUES ('24', 'Tỉnh Bắc Ninh', 'province', NULL, NULL, NULL),"
                " ('07210', 'Phường Bắc Giang', 'commune', '24', 0, 10),"
                " ('07210-01', 'Tổ dân phố 1', 'village', '07210', 120, NULL)")
    con.execute("INSERT INTO cells VALUES ('T1', 'Tổ 1', NULL, '07210-01', 'pilot', "
                "'2024-01-01', '2024-01-01', 1, 0, NULL)")
    con.execute("INSERT INTO indicators VALUES ('07210', '2024-01', 'x', 2.5)")
    con.execute("INSERT INTO boundaries VALUES ('07210', '\\x01\\x02'::BLOB, '{}', TRUE, "
                "'approximate', 1)")
    for stmt in extra:
        con.execute(stmt)
    con.close()


def test_old_file_upgraded_in_place(tmp_path):
    path = tmp_path / "old.duckdb"
    _old_file(path)
    con = duckdb.connect(str(path))
    old = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").df()
           for t in ("units", "cells", "indicators", "boundaries")}
    con.close()
    db = store.Database(path)
    assert db.get_meta("schema_version") == str(migrations.LATEST)
    for t, frame in old.items():
        pd.testing.assert_frame_equal(db.df(f"SELECT * FROM {t} ORDER BY ALL"), frame, obj=t)
    checks = db.df("SELECT table_name, constraint_text FROM duckdb_constraints() "
                   "WHERE constraint_type = 'CHECK'")
    assert {"units", "cells", "models", "indicators"} <= set(checks.table_name)
    with pytest.raises(duckdb.ConstraintException):
        _insert(db, "cells", {**GOOD["cells"], "cell_id": "T2", "members": 0})
    # the upgraded file works as a new one does: import and undo
    r = ingest.import_bytes(db, "units", "Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên,Số hộ\n"
                            "07210-02,Tổ 2,Thôn,07210,5\n".encode(), "u.csv")
    assert r.committed
    history.rollback(db, r.batch_id)
    db.close()
    again = store.Database(path)   # opening again runs nothing
    assert again.get_meta("schema_version") == str(migrations.LATEST)
    again.close()


def test_old_file_with_bad_rows_is_left_as_it_was(tmp_path):
    path = tmp_path / "bad.duckdb"
    _old_file(path, ["INSERT INTO cells VALUES ('T9', '', NULL, '07210-01', 'pilot', "
                     "'2024-01-01', NULL, 0, 5, NULL)"])
    with pytest.raises(migrations.MigrationError) as e:
        store.Database(path)
    assert "T9" in str(e.value) and "members_min" in str(e.value)
    con = duckdb.connect(str(path))
    assert con.execute("SELECT count(*) FROM duckdb_constraints() WHERE constraint_type = "
                       "'CHECK'").fetchall()[0][0] == 0
    assert con.execute("SELECT count(*) FROM cells").fetchall()[0][0] == 2
    con.close()


def test_new_file_is_created_at_the_latest_version(empty_db):
    assert empty_db.get_meta("schema_version") == str(migrations.LATEST)
    assert migrations.upgrade(empty_db.cursor()) == []


# --- archive copies -------------------------------------------------------------------------

def test_archive_written_only_for_committed_batches(db, monkeypatch):
    folder = batches.archive_dir(db)
    before = set(folder.iterdir()) if folder.exists() else set()
    data = "Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên,Số hộ\n07498,Xã Bắc Lũng,Huyện,24,\n"
    r = ingest.import_bytes(db, "units", data.encode(), "huyen.csv")
    assert not r.committed
    assert set(folder.iterdir() if folder.exists() else ()) == before
    ok = ingest.import_bytes(db, "indicators", "Mã đơn vị,Kỳ,Chỉ số,Giá trị\n"
                             "07210,2030-01,x,1\n".encode(), "chi_so.csv")
    assert ok.committed
    assert history.archived_file(db, ok.batch_id)[0] == "chi_so.csv"
    assert [p.name for p in set(folder.iterdir()) - before] == [
        batches.archive_name(ok.batch_id, "chi_so.csv")]


def test_sweep_deletes_orphans_and_finishes_committed_renames(db, demo_copy):
    b = ingest.import_bytes(db, "indicators", "Mã đơn vị,Kỳ,Chỉ số,Giá trị\n"
                            "07210,2031-01,x,1\n".encode(), "a.csv")
    final = db.path.parent / db.scalar("SELECT archive_path FROM batches WHERE batch_id = ?",
                                       [b.batch_id])
    # a crash between COMMIT and the rename: only the temporary exists
    temp = batches._temp_path(db, final)
    final.rename(temp)
    orphan = batches._temp_path(db, final.parent / batches.archive_name(9999, "x.csv"))
    orphan.write_bytes(b"never committed")
    db.close()
    reopened = store.Database(demo_copy)
    assert final.read_bytes().startswith(b"M") and not temp.exists()
    assert not orphan.exists()
    reopened.close()


@pytest.mark.parametrize("dataset,data", [
    ("cells", "Mã tổ,Tên tổ,Mã thôn/xã,Giai đoạn,Ngày thành lập,Số thành viên,Số hộ phụ trách\n"
              "TZ1,Tổ Z,khong-co,Thí điểm,01/02/2024,5,40\n"),
    ("models", "Mã mô hình,Tên mô hình,Lĩnh vực,Cấp,Mã đơn vị,Ngày bắt đầu\n"
               "MZ1,Mô hình Z,Kinh tế,Xã,khong-co,01/01/2024\n"),
    ("indicators", "Mã đơn vị,Kỳ,Chỉ số,Giá trị\nkhong-co,2024-01,x,1\n"),
])
def test_import_with_reference_check_removed_is_refused_by_integrity(db, monkeypatch, dataset,
                                                                   data):
    monkeypatch.setattr(validate_stage, "_check_rows", lambda *a, **k: None)
    before = history.table_snapshot(db, dataset)
    r = ingest.import_bytes(db, dataset, data.encode(), "x.csv")
    assert not r.committed
    assert "«khong-co» không còn trong danh mục đơn vị" in r.errors[0].message
    assert r.errors[0].row == 2
    pd.testing.assert_frame_equal(history.table_snapshot(db, dataset), before)


def test_a_units_check_takes_no_batch_number(db):
    data = "Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên,Số hộ\n07210-90,Thôn X,Thôn,07210,5\n"
    last = db.scalar("SELECT max(batch_id) FROM batches")
    for _ in range(3):
        assert ingest.import_bytes(db, "units", data.encode(), "u.csv", dry_run=True).ok
    r = ingest.import_bytes(db, "units", data.encode(), "u.csv")
    assert r.batch_id == last + 1
