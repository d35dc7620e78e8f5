"""Starting with one's own province: reset (page and CLI share store/province.py), the check
that an upload belongs to another province, header aliases and official unit names."""
import io
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from dashboard import contract, ingest, store
from dashboard.store import province, queries

ROOT = Path(__file__).resolve().parent.parent

CAO_BANG_VILLAGES = """Mã ĐV,Tên ĐV,Cấp,Mã cấp trên,Số hộ,Số khẩu
01294-01,Thôn Nà Pồng,Thôn,01294,85,340
01294-02,Thôn Khuổi Lầy,Thôn,01294,60,250
"""


def cli(*args, db=None):
    cmd = [sys.executable, "-m", "dashboard", *args] + (["--db", str(db)] if db else [])
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_reset_demo_to_cao_bang_leaves_only_its_official_units(demo_copy):
    db = store.Database(demo_copy)
    before = db.data_version()
    assert db.is_demo() and province.demo_text(db).count("Bắc Ninh") == 1
    result = province.reset(db, "04")
    assert result.ok and result.rows_deleted["cells"] > 1000
    assert not db.is_demo() and province.demo_text(db) is None
    for t in ("cells", "models", "indicators", "boundaries"):
        assert db.table_count(t) == 0, t
    units = db.df("SELECT unit_code, unit_name, level, parent_code FROM units")
    assert len(units) == 57                        # Tỉnh Cao Bằng + 56 official communes
    assert set(units.parent_code.dropna()) == {"04"}
    assert province.title(db) == "Tỉnh Cao Bằng"
    assert db.table_count("batches") == 1          # the reference units: one ordinary batch
    # the data version moves forward (caches keyed by it never serve the demo again)
    assert db.data_version() > before
    kpi = queries.run(db, "kpi_overview", {"as_of": "2026-11-30"}).iloc[0]
    assert kpi.communes == 56 and kpi.cells == 0
    # archived demo files are gone
    arch = demo_copy.parent / "archive"
    assert not arch.exists() or all("danh_muc" in p.name for p in arch.iterdir())
    db.close()


def test_reset_without_province_empties_and_version_is_new(empty_db):
    db = empty_db
    province.create_from_reference(db, "04")
    v = db.data_version()
    province.reset(db)
    assert db.table_count("units") == 0 and db.table_count("batches") == 0
    assert db.data_version() > v
    assert province.title(db) == ""


def test_reset_refuses_an_unknown_province_before_deleting(demo_copy):
    db = store.Database(demo_copy)
    n = db.table_count("cells")
    with pytest.raises(KeyError):
        province.reset(db, "99")
    assert db.table_count("cells") == n
    db.close()


def test_cli_reset_exit_codes(demo_copy):
    assert cli("reset", "--province", "99", db=demo_copy).returncode == 2
    r = cli("reset", "--province", "04", db=demo_copy)      # the demo may go without --force
    assert r.returncode == 0, r.stderr
    assert "Tỉnh Cao Bằng" in r.stdout and "56" in r.stdout
    r = cli("reset", db=demo_copy)                          # real data: needs --force
    assert r.returncode == 1 and "--force" in r.stderr
    assert cli("reset", "--force", db=demo_copy).returncode == 0
    out = cli("query", "kpi_overview", db=demo_copy).stdout
    assert pd.read_csv(io.StringIO(out)).communes.iloc[0] == 0


def test_upload_of_another_province_asks_first(demo_copy, tmp_path):
    db = store.Database(demo_copy)
    frame = province.reference.units_frame("04").to_csv(index=False).encode()
    r = ingest.import_bytes(db, "units", frame, "cao_bang.csv")
    assert not r.committed and r.needs_confirmation and r.ok
    assert r.other_provinces == [("04", "Tỉnh Cao Bằng")]
    assert any("Cao Bằng" in p.message and "Bắc Ninh" in p.message for p in r.warnings)
    assert db.scalar("SELECT count(*) FROM units WHERE unit_code = '04'") == 0
    r = ingest.import_bytes(db, "units", frame, "cao_bang.csv", allow_other_province=True)
    assert r.committed
    # the same province again: nothing to ask
    r = ingest.import_bytes(db, "units", CAO_BANG_VILLAGES.encode(), "thon.csv")
    assert r.committed and not r.other_provinces, r.summary_text()
    # a Bắc Ninh file into the same data is not asked either
    bn = "Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên,Số hộ\n07210-99,Thôn Mới,Thôn,07210,10\n"
    assert ingest.import_bytes(db, "units", bn.encode(), "bn.csv").committed
    p = province.provinces(db)
    assert list(p.province_code) == ["04", "24"]
    # one place maps a province choice to its communes
    fc = queries.run(db, "filter_communes", {})
    assert set(province.communes_in(fc, "04").unit_code) == set(
        province.reference.communes_of("04").commune_code)
    assert len(province.communes_in(fc, None)) == len(fc)
    assert province.title(db) == "2 tỉnh, thành phố" and province.title(db, "04") == "Tỉnh Cao Bằng"
    db.close()


def test_cli_import_of_another_province_needs_the_flag(demo_copy, tmp_path):
    path = tmp_path / "cb.csv"
    province.reference.units_frame("04").to_csv(path, index=False)
    r = cli("import", "units", str(path), db=demo_copy)
    assert r.returncode == 1 and "--other-province" in r.stdout
    assert cli("import", "units", str(path), "--other-province", db=demo_copy).returncode == 0


def test_first_upload_into_an_empty_database_is_not_asked(empty_db):
    frame = province.reference.units_frame("04").to_csv(index=False).encode()
    r = ingest.import_bytes(empty_db, "units", frame, "cb.csv")
    assert r.committed and not r.other_provinces


def _xlsx(rows) -> bytes:
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_natural_headers_are_accepted(empty_db):
    province.create_from_reference(empty_db, "04")
    r = ingest.import_bytes(empty_db, "units", CAO_BANG_VILLAGES.encode(), "thon.csv")
    assert r.committed, r.summary_text()
    assert not r.warnings
    got = empty_db.df("SELECT * FROM units WHERE level = 'village' ORDER BY unit_code")
    assert list(got.parent_code) == ["01294", "01294"] and list(got.population) == [340, 250]
    cells = _xlsx([["Mã số tổ", "Tên tổ dân vận", "Mã ĐV", "Giai đoạn triển khai", "Ngày TL",
                    "Số TV", "Hộ được phụ trách"],
                   ["CB1", "Tổ 1", "01294-01", "Thí điểm", "05/03/2024", 6, 40]])
    r = ingest.import_bytes(empty_db, "cells", cells, "to.xlsx")
    assert r.committed, r.summary_text()


def test_the_apps_own_table_headers_are_accepted():
    """A table downloaded from the app uploads again: its headers are aliases."""
    from dashboard.i18n.text import fold

    units = {k for c in contract.UNITS.columns for k in c.header_keys()}
    for label in ("Mã", "Tên", "Mã cấp trên", "Số hộ"):
        assert fold(label) in units, label


def test_aliases_are_documented_once():
    rules = contract.UNITS.column("parent_code").rules()
    assert "«Mã cấp trên»" in rules
    docs = contract.markdown_docs()
    assert "«Số khẩu»" in docs and "«Mã ĐV»" in docs


def test_a_typo_in_an_official_name_is_stored_as_the_official_name(empty_db):
    province.create_from_reference(empty_db, "04")
    data = "Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên\n01294,Xã Lý Bônh,Xã,04\n"
    r = ingest.import_bytes(empty_db, "units", data.encode(), "x.csv")
    assert r.committed
    w = [p for p in r.warnings if p.column == "Tên đơn vị"]
    assert len(w) == 1 and "«Xã Lý Bôn»" in w[0].message and w[0].row == 2
    assert "kiểm tra lại mã" not in w[0].suggestion
    assert empty_db.scalar("SELECT unit_name FROM units WHERE unit_code = '01294'") == "Xã Lý Bôn"


def test_a_far_name_points_at_the_code(empty_db):
    province.create_from_reference(empty_db, "04")
    data = "Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên\n01294,Xã Nam Quang,Xã,04\n"
    r = ingest.import_bytes(empty_db, "units", data.encode(), "x.csv")
    w = [p for p in r.warnings if p.column == "Tên đơn vị"][0]
    assert "kiểm tra lại mã" in w.suggestion and "01297" in w.suggestion


def test_same_name_in_other_case_is_stored_official_without_warning(empty_db):
    province.create_from_reference(empty_db, "04")
    data = "Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên\n01294,xã lý bôn,Xã,04\n"
    r = ingest.import_bytes(empty_db, "units", data.encode(), "x.csv")
    assert r.committed and not r.warnings and r.unchanged == 1


# --- the pages: the Data page's province block and the shared province filter ---------------

@pytest.fixture
def two_provinces(demo_copy, monkeypatch):
    """The demo (Bắc Ninh) plus Cao Bằng's official units: a national board's database."""
    db = store.Database(demo_copy)
    province.create_from_reference(db, "04")
    db.close()
    monkeypatch.setenv("DASHBOARD_DB", str(demo_copy))
    return demo_copy


def test_sidebar_offers_a_province_choice_kept_in_the_url(two_provinces):
    from conftest import run_page

    at = run_page("../pages/overview.py", province="04")
    box = at.selectbox(key="f_province")
    assert box.value == "04" and len(box.options) == 3          # all, Bắc Ninh, Cao Bằng
    assert at.query_params["province"] == ["04"] or at.query_params["province"] == "04"
    assert any("Tỉnh Cao Bằng" in c.value for c in at.caption)
    values = {m.label: m.value for m in at.metric}
    assert values["Xã có tổ"] == "0 / 56"                       # Cao Bằng's communes only
    commune_choices = at.multiselect(key="f_communes").options
    assert len(commune_choices) == 56
    at = run_page("../pages/overview.py")
    assert {m.label: m.value for m in at.metric}["Xã có tổ"].endswith("/ 155")
    # the demo banner says the data is mixed and where to clear it
    assert any("Cao Bằng" in w.value and "Bắt đầu với tỉnh của bạn" in w.value
               for w in at.warning)


def test_one_province_shows_no_province_choice(demo_copy, monkeypatch):
    from conftest import run_page

    monkeypatch.setenv("DASHBOARD_DB", str(demo_copy))
    at = run_page("../pages/overview.py")
    assert not [s for s in at.selectbox if s.key == "f_province"]


def test_data_page_clears_the_demo_and_starts_cao_bang(demo_copy, monkeypatch):
    from conftest import run_page

    monkeypatch.setenv("DASHBOARD_DB", str(demo_copy))
    at = run_page("../pages/data.py")
    assert at.expander[0].label == "Bắt đầu với tỉnh của bạn"
    start = at.button(key="setup_start")
    assert start.disabled                                        # no province, not confirmed
    at.selectbox(key="setup_province").set_value("04").run()
    assert at.button(key="setup_start").disabled                 # not confirmed yet
    at.checkbox(key="setup_sure").check().run()
    at.button(key="setup_start").click().run()
    assert not at.exception
    assert any("Tạo Tỉnh Cao Bằng và 56 xã, phường chính thức" in s.value for s in at.success)
    assert not at.warning or all("Dữ liệu mẫu" not in w.value for w in at.warning)
    db = store.Database(demo_copy)
    assert db.table_count("units") == 57 and db.table_count("cells") == 0
    assert not db.is_demo()
    db.close()


def test_the_typo_boundary_is_the_configured_ratio(empty_db, monkeypatch):
    """A name exactly at the configured similarity is a typo; one point less asks to check
    the code (both stored under the official name)."""
    from rapidfuzz import fuzz

    from dashboard.i18n.text import fold_words
    from dashboard.ingest import checks

    province.create_from_reference(empty_db, "04")
    typed = "Xã Lý Bônh"
    ratio = fuzz.ratio(checks._strip_type(fold_words("Xã Lý Bôn")),
                       checks._strip_type(fold_words(typed)))
    data = f"Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên\n01294,{typed},Xã,04\n".encode()
    for limit, far in ((ratio, False), (ratio + 0.01, True)):
        monkeypatch.setattr(checks, "NAME_TYPO_RATIO", limit)
        r = ingest.import_bytes(empty_db, "units", data, "x.csv", dry_run=True)
        w = [p for p in r.warnings if p.column == "Tên đơn vị"][0]
        assert ("kiểm tra lại mã" in w.suggestion) is far, (limit, w.suggestion)
