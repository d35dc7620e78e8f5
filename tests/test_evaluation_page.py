"""The 'Thí điểm và nhân rộng' page in a real browser on the demo database."""
import datetime as dt

from conftest import page_errors, wait_for_app

from dashboard import evaluation as ev
from dashboard import store


def test_evaluation_page_renders(app_server, browser_page, demo_db):
    page = browser_page
    page.set_viewport_size({"width": 1440, "height": 5200})
    page.goto(app_server + "/thi-diem?as_of=2025-12-31")
    page.wait_for_selector("h1:has-text('Thí điểm và nhân rộng')", timeout=90_000)
    page.wait_for_selector("text=Tóm tắt để trình bày", timeout=90_000)
    wait_for_app(page)
    assert page_errors(page) == []
    main = page.locator("[data-testid='stMain']")
    text = main.inner_text()

    # the cohorts of the demo data, read from the same named queries
    db = store.Database(demo_db, read_only=True)
    try:
        data = ev.load(db, dt.date(2025, 12, 31))
    finally:
        db.close()
    table = ev.cohort_table(data.cohorts)
    for label in table["cohort_label"]:
        assert label in text
    n_pilot = int(table.loc[table["cohort"] == "pilot", "communes"].iloc[0])
    assert f"{n_pilot} xã thí điểm" in text

    # sections, charts, an estimate with its evidence label
    for heading in ("Các nhóm xã", "Độ phủ tăng nhanh đến đâu sau khi bắt đầu?",
                    "Tổ còn hoạt động sau 6, 12, 24 tháng",
                    "Chỉ số kết quả: thay đổi sau khi bắt đầu so với xã chưa bắt đầu"):
        assert heading in text
    assert "Sau 12 tháng, các xã thí điểm đạt độ phủ" in text
    assert "khoảng tin cậy 95%" in text
    assert any(lab in text for lab in ("Bằng chứng mạnh", "Bằng chứng vừa", "Bằng chứng yếu"))
    assert "Tác động ước lượng" in text
    assert page.locator(".js-plotly-plot").count() >= 6
    assert "Xem SQL — eval_coverage_history" in text
    assert "Xem SQL — eval_indicator_panel" in text
    # the app-wide favicon (app.py page_icon=":material/...") is fetched by Streamlit from
    # fonts.gstatic.com; that is the entry's setting, not this page's — reported separately
    own = [u for u in page.external_requests if "materialsymbols" not in u]
    assert own == []
    page.screenshot(path="/tmp/evaluation_page.png", full_page=True)
