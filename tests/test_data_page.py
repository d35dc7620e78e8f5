"""The Data page as a new user meets it: AppTest for the structure, then a real browser flow:
template → fill → upload → check → commit → Overview → broken file → annotated file back →
rollback, with the table compared before and after."""
import re
from pathlib import Path

import pandas as pd
from conftest import page_errors, start_app, wait_for_app
from openpyxl import load_workbook
from playwright.sync_api import expect

from dashboard import store
from dashboard.store import history, queries


def test_page_structure_apptest(demo_copy, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DASHBOARD_DB", str(demo_copy))
    at = AppTest.from_file("../dashboard/web/app.py", default_timeout=120)
    at.run()
    at.switch_page("../pages/data.py")
    at.run()
    assert not at.exception
    assert at.title[0].value == "Dữ liệu"
    assert [t.label for t in at.tabs] == ["Tải lên", "Lịch sử nhập", "Mẫu tệp"]
    assert any("Dung lượng tệp tối đa 200 MB" in c.value for c in at.caption)
    assert at.selectbox(key="data_dataset").options[:4] == [
        "Đơn vị — Đơn vị hành chính và thôn/tổ dân phố",
        "Tổ dân vận — Tổ dân vận cộng đồng / tổ tự quản",
        'Mô hình — Mô hình "Dân vận khéo"', "Chỉ số — Chỉ số kết quả"]
    # the history and templates tabs are built only when open (?muc=…); the upload tab always
    assert "hist_batch" not in [s.key for s in at.selectbox]
    assert not any(e.label.startswith("Đơn vị — ") for e in at.expander)
    at.query_params["muc"] = "Lịch sử nhập"
    at.run()
    # the demo's batches: units, cells, models, boundaries and 58 indicator report batches
    # (the older months in one, then one per day on which communes' reports arrived)
    assert len(at.selectbox(key="hist_batch").options) == 62
    assert at.selectbox(key="data_dataset")               # the upload tab is still drawn
    at.query_params["muc"] = "Mẫu tệp"
    at.run()
    assert "hist_batch" not in [s.key for s in at.selectbox]
    assert any(e.label.startswith("Đơn vị — ") for e in at.expander)


def test_undo_with_dependants_asks_for_cascade_apptest(demo_copy, monkeypatch):
    """The demo's units batch: the dependants are listed, the undo stays disabled until the
    cascade and the undo are both confirmed, then every table is empty."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DASHBOARD_DB", str(demo_copy))
    at = AppTest.from_file("../dashboard/web/app.py", default_timeout=120)
    at.run()
    at.switch_page("../pages/data.py")
    at.query_params["muc"] = "Lịch sử nhập"
    at.run()
    at.selectbox(key="hist_batch").set_value(1).run()
    warning = " ".join(w.value for w in at.warning)
    assert "2.166 tổ, 1.900 mô hình, 16.649 dòng chỉ số và 1.130 ranh giới thuộc các đơn vị " \
           "của lô này" in warning
    assert "lô 62–2 (mới nhất trước)" in warning
    button = at.button(key="hist_undo_1")
    assert button.disabled
    at.checkbox(key="hist_sure_1").check().run()
    assert at.button(key="hist_undo_1").disabled          # the cascade is not confirmed yet
    at.checkbox(key="hist_cascade_1").check().run()
    assert not at.button(key="hist_undo_1").disabled
    at.button(key="hist_undo_1").click().run()
    assert not at.exception
    assert any("Đã hoàn tác lô 62–1" in s.value for s in at.success)
    db = store.Database(demo_copy)
    assert all(db.table_count(t) == 0 for t in ("units", "cells", "models", "indicators",
                                                "boundaries"))
    db.close()


def _select(page, label: str, option: str) -> None:
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=option).first.click()
    wait_for_app(page)


def _metric(page, label: str):
    """The value of a metric, as a locator: assertions on it wait until it shows."""
    m = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return m.locator("[data-testid='stMetricValue']")


def _upload(page, path) -> None:
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(path))
    # the check's result is on the page once its heading names the file
    expect(page.get_by_text(f"Kết quả kiểm tra: {path.name}")).to_be_visible(timeout=120_000)
    wait_for_app(page)


def test_browser_flow(demo_copy, browser_page, tmp_path):
    db = store.Database(demo_copy)
    cells_before = history.table_snapshot(db, "cells")
    kpi_before = int(queries.run(db, "kpi_overview", {}).iloc[0].cells)
    db.close()
    proc, url = start_app(demo_copy)
    page = browser_page
    try:
        page.goto(url + "/du-lieu")
        wait_for_app(page)
        expect(page.get_by_text("Dung lượng tệp tối đa 200 MB")).to_have_count(1)
        _select(page, "Bộ dữ liệu", "Tổ dân vận — Tổ dân vận cộng đồng / tổ tự quản")
        with page.expect_download() as dl:
            page.get_by_role("button", name="⬇ Mẫu Excel").first.click()
        template = tmp_path / dl.value.suggested_filename
        dl.value.save_as(template)
        assert template.name == "mau_cells.xlsx"
        # fill it in as an Excel user would
        wb = load_workbook(template)
        ws = wb["Dữ liệu"]
        import datetime as dt
        for i in range(3):
            ws.append([f"TN{i}", f"Tổ mới {i}", "Tổ dân vận cộng đồng", "09499-01",
                       "Nhân rộng", dt.datetime(2024, 5, 1), None, 6, 40, None])
        good = tmp_path / "to_moi.xlsx"
        wb.save(good)
        _upload(page, good)
        expect(_metric(page, "Dòng mới")).to_have_text("3")
        expect(_metric(page, "Bị từ chối")).to_have_text("0")
        page.get_by_role("button", name="Ghi vào cơ sở dữ liệu").click()
        wait_for_app(page)
        flash = page.get_by_text(re.compile(r"Đã ghi lô số \d+"))
        expect(flash).to_have_count(1, timeout=60_000)
        batch = int(re.search(r"lô số (\d+)", flash.inner_text()).group(1))
        page.screenshot(path="/tmp/data_page_committed.png", full_page=True)

        page.goto(url + "/tong-quan")
        wait_for_app(page)
        expect(_metric(page, "Tổ đang hoạt động")).to_have_text(
            f"{kpi_before + 3:,}".replace(",", "."))

        # a broken file: unknown village, a word where a number goes
        page.goto(url + "/du-lieu")
        wait_for_app(page)
        _select(page, "Bộ dữ liệu", "Tổ dân vận — Tổ dân vận cộng đồng / tổ tự quản")
        bad = tmp_path / "to_loi.csv"
        bad.write_text("Mã tổ,Tên tổ,Mã thôn/xã,Giai đoạn,Ngày thành lập,Số thành viên,"
                       "Số hộ phụ trách\nTX1,Tổ lỗi,Phuc Hoa,Thí điểm,01/02/2024,sáu,40\n",
                       encoding="utf-8")
        _upload(page, bad)
        expect(_metric(page, "Bị từ chối")).to_have_text("1")
        expect(page.get_by_text("Tệp có lỗi nên")).to_have_count(1)
        assert page.get_by_role("button", name="Ghi vào cơ sở dữ liệu").count() == 0
        page.screenshot(path="/tmp/data_page_errors.png", full_page=True)
        with page.expect_download() as dl:
            page.get_by_role("button", name=re.compile("đánh dấu ô lỗi")).click()
        annotated = tmp_path / "annotated.xlsx"
        dl.value.save_as(annotated)
        assert dl.value.suggested_filename == "to_loi_kiem_tra.xlsx"
        ws = load_workbook(annotated)["Dữ liệu"]
        assert "Xã Phúc Hòa" in ws["C2"].comment.text
        assert "không phải số nguyên" in ws["F2"].comment.text

        # roll the first batch back
        page.get_by_role("tab", name="Lịch sử nhập").click()
        wait_for_app(page)
        # the original file comes back byte for byte (read from the archive only now)
        with page.expect_download() as dl:
            page.get_by_role("button", name="Tải lại tệp gốc").click()
        assert dl.value.suggested_filename == "to_moi.xlsx"
        assert Path(dl.value.path()).read_bytes() == good.read_bytes()
        page.get_by_text(f"Tôi xác nhận đưa dữ liệu về trạng thái trước lô {batch}").click()
        wait_for_app(page)
        page.screenshot(path="/tmp/data_page_history.png", full_page=True)
        undo = page.get_by_role("button", name=re.compile(f"Hoàn tác lô {batch}$"))
        expect(undo).to_be_enabled()
        undo.click()
        wait_for_app(page)
        expect(page.get_by_text(f"Đã hoàn tác lô {batch}")).to_have_count(1, timeout=60_000)
        page.screenshot(path="/tmp/data_page_rollback.png", full_page=True)
        # only the expected "file has errors" box (the broken upload is still in the other tab)
        assert [e for e in page_errors(page) if "Tệp có lỗi nên" not in e] == []
        assert page.external_requests == []
    finally:
        proc.terminate()
        proc.wait(20)
    db = store.Database(demo_copy)
    pd.testing.assert_frame_equal(history.table_snapshot(db, "cells"), cells_before)
    assert db.scalar("SELECT status FROM batches WHERE batch_id = ?", [batch]) == "rolled_back"
    assert db.scalar("SELECT detail FROM audit_log WHERE action = 'archive_download'") == \
        f"lô {batch}: to_moi.xlsx"
    db.close()
