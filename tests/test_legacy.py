"""Pre-2025 commune codes: merged communes converted, split communes chosen by the user."""
import pytest

from dashboard import ingest, store
from dashboard.ingest import legacy
from dashboard.store import reference


@pytest.fixture
def db92(tmp_path):
    """A province with an old commune split between two new ones (Cần Thơ, code 92)."""
    db = store.Database(tmp_path / "t.duckdb")
    frame = reference.units_frame("92")
    path = tmp_path / "units.csv"
    frame.to_csv(path, index=False)
    assert ingest.import_file(db, "units", path).committed
    yield db
    db.close()


IND = "Mã đơn vị,Kỳ,Chỉ số,Giá trị\n"


def test_lookup_split_commune(db92):
    found = legacy.lookup(db92, ["31268"], {"31288", "31666"})
    lc = found["31268"]
    assert lc.divided
    assert {t.code for t in lc.targets} == {"31288", "31666"}
    assert lc.default_target().code == "31288"


def test_split_commune_is_never_assigned_silently(db92):
    data = (IND + "31268,2024-03,feedback_received,4\n").encode()
    r = ingest.import_bytes(db92, "indicators", data, "x.csv")
    assert not r.committed and r.rejected == 1
    assert [lc.old_code for lc in r.splits] == ["31268"]
    assert "chia cho nhiều xã mới" in r.errors[0].message
    assert db92.table_count("indicators") == 0
    r = ingest.import_bytes(db92, "indicators", data, "x.csv",
                            legacy_choices={"31268": "31666"})
    assert r.committed and r.new == 1 and not r.splits
    assert r.conversions[0].chosen and r.conversions[0].new_code == "31666"
    assert db92.scalar("SELECT unit_code FROM indicators") == "31666"


def test_choice_outside_targets_is_ignored(db92):
    data = (IND + "31268,2024-03,feedback_received,4\n").encode()
    r = ingest.import_bytes(db92, "indicators", data, "x.csv", dry_run=True,
                            legacy_choices={"31268": "31150"})
    assert r.rejected == 1 and r.splits


def test_merged_communes_converted_and_summed(demo_copy):
    db = store.Database(demo_copy)
    # 07201, 07207, 07213 (old Bắc Giang city wards) all became Phường Bắc Giang (07210)
    data = (IND + "7201,2019-01,feedback_received,3\n07207,2019-01,feedback_received,4\n"
            "07216,2019-01,feedback_received,5\n").encode()
    r = ingest.import_bytes(db, "indicators", data, "old.csv")
    assert r.committed and r.new == 2 and r.rejected == 0
    assert [w.row for w in r.warnings] == [3]
    got = dict(db.df("SELECT unit_code, value FROM indicators WHERE period = '2019-01' AND "
                     "indicator = 'feedback_received' AND unit_code IN ('07210', '07228')"
                     ).values.tolist())
    assert got == {"07210": 7.0, "07228": 5.0}
    table = legacy.conversions_frame(r.conversions)
    assert list(table["Mã cũ"]) == ["07201", "07207", "07216"]
    assert list(table["Mã mới (2025)"]) == ["07210", "07210", "07228"]
    assert set(table["Cách chuyển"]) == {"sáp nhập nguyên xã"}
    db.close()


def test_current_codes_untouched_and_force(demo_copy):
    db = store.Database(demo_copy)
    # 07210 is both a 2025 code and an old ward code (Phường Hoàng Văn Thụ → 07210)
    data = (IND + "07210,2019-02,feedback_received,1\n").encode()
    r = ingest.import_bytes(db, "indicators", data, "x.csv", dry_run=True)
    assert r.conversions == [] and r.new == 1
    r = ingest.import_bytes(db, "indicators", data, "x.csv", dry_run=True, legacy_codes=True)
    assert [c.old_code for c in r.conversions] == ["07210"]
    db.close()


def test_parent_code_of_village_converted(demo_copy):
    db = store.Database(demo_copy)
    data = ("Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên,Số hộ\n"
            "X-1,Thôn Cũ,Thôn,07216,100\n").encode()
    r = ingest.import_bytes(db, "units", data, "u.csv")
    assert r.committed
    assert db.scalar("SELECT parent_code FROM units WHERE unit_code = 'X-1'") == "07228"
    db.close()
