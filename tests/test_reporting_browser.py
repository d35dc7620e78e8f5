"""The monthly reporting cycle in a real browser (Playwright + Debian Chromium, no internet):
a commune missing from the month reports through the Data page, the month is approved for the
whole province, a comment is added under a figure for the meeting pack, and the PowerPoint
downloaded from Trình chiếu carries the comment in its notes and the approval in its footer."""
from __future__ import annotations

import io
import re
from urllib.parse import quote

import pytest
from conftest import page_errors, start_app, wait_for_app

from dashboard import store
from dashboard.reporting import completeness as rc

pytestmark = pytest.mark.browser
COMMENT = "Xã báo cáo muộn: đề nghị nhắc trước hạn <b>ngày 5</b>"


def _metric(page, label: str) -> str:
    m = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return m.locator("[data-testid='stMetricValue']").inner_text()


def _tab(url: str, tab: str) -> str:
    return f"{url}/bao-cao?rp_tab={quote(tab)}"


def test_missing_commune_reports_month_approved_comment_in_pptx(demo_copy, browser_page,
                                                                 tmp_path):
    from pptx import Presentation

    db = store.Database(demo_copy)
    status = rc.status(db, "2026-10")
    missing = status[status.status == "missing"].iloc[0]
    n_missing = int((status.status == "missing").sum())
    indicators = rc.expected_indicators(db, "24")[0]
    db.close()
    code, name = missing.commune_code, missing.commune_name
    proc, url = start_app(demo_copy)
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 768})
    try:
        page.goto(_tab(url, "Chưa báo cáo"))
        wait_for_app(page)
        assert page_errors(page) == []
        assert name in page.inner_text("body")
        assert _metric(page, "Chưa báo cáo") == str(n_missing)
        page.screenshot(path=str(tmp_path / "reporting_missing.png"))

        # the commune reports its October indicators through the Data page
        page.goto(url + "/du-lieu")
        wait_for_app(page)
        box = page.get_by_role("combobox", name="Bộ dữ liệu")
        box.click()
        box.fill("Chỉ số")          # the list opens filtered (a click alone may only focus it)
        page.get_by_role("option", name="Chỉ số — Chỉ số kết quả").first.click()
        wait_for_app(page)
        f = tmp_path / "bao_cao_thang_10.csv"
        f.write_text("Mã đơn vị,Kỳ,Chỉ số,Giá trị\n" + "".join(
            f"{code},10/2026,{i},{n + 3}\n" for n, i in enumerate(indicators)), encoding="utf-8")
        page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(f))
        page.wait_for_timeout(500)
        wait_for_app(page)
        page.get_by_role("button", name="Ghi vào cơ sở dữ liệu").click()
        wait_for_app(page)
        assert page.get_by_text(re.compile(r"Đã ghi lô số \d+")).count() == 1

        page.goto(_tab(url, "Theo xã"))
        wait_for_app(page)
        assert _metric(page, "Chưa báo cáo") == str(n_missing - 1)

        # approve October for the whole province
        page.goto(_tab(url, "Duyệt số liệu"))
        wait_for_app(page)
        page.get_by_text("Toàn tỉnh", exact=True).click()
        wait_for_app(page)
        page.get_by_role("button", name="Duyệt số liệu tháng 10/2026").click()
        wait_for_app(page)
        body = page.inner_text("body")
        assert "Đã duyệt và khóa số liệu tháng này." in body
        assert page_errors(page) == []

        # a comment under the status table, for the meeting pack
        page.goto(_tab(url, "Theo xã"))
        wait_for_app(page)
        assert "Số liệu đã duyệt đến tháng 10/2026" in page.inner_text("body")
        page.locator("summary").filter(has_text="Bình luận").first.click()
        page.get_by_label("Bình luận mới về hình này").fill(COMMENT)
        page.get_by_text("Đưa vào ghi chú trang chiếu của bộ tài liệu họp").click()
        page.get_by_role("button", name="Gửi bình luận").click()
        wait_for_app(page)
        page.locator("summary").filter(has_text="Bình luận (1, 1 chưa xử lý)").first.click()
        page.get_by_text(COMMENT).first.wait_for()
        page.screenshot(path=str(tmp_path / "reporting_comment.png"))

        # the meeting pack: the comment is a speaker note, the footer says what is approved
        page.goto(url + "/trinh-chieu?slide=2&full=0")
        wait_for_app(page)
        with page.expect_download(timeout=120_000) as info:
            page.get_by_role("button", name="PowerPoint").click()
        deck = Presentation(io.BytesIO(open(info.value.path(), "rb").read()))
        notes = [s.notes_slide.notes_text_frame.text for s in deck.slides]
        assert any(COMMENT in n for n in notes), notes
        footers = [sh.text_frame.text for s in deck.slides for sh in s.shapes
                   if sh.name == "Footer"]
        assert footers and all("Số liệu đã duyệt đến tháng 10/2026" in t for t in footers)
        assert page.external_requests == []
    finally:
        proc.terminate()
        proc.wait(10)
