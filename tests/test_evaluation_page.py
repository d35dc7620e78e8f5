"""The 'Thí điểm và nhân rộng' page in a real browser on the demo database."""
import datetime as dt
import re

from conftest import page_errors, wait_for_app

from dashboard import store
from dashboard.analysis import evaluation as ev


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
    # both labels, the estimand in one sentence, the pilot described without an interval
    assert any(lab in text for lab in ev.DESIGN_LABELS.values())
    assert any(lab in text for lab in ev.EVIDENCE_LABELS.values())
    assert ("Ước lượng: thay đổi trung bình mỗi tháng trong 12 tháng đầu so với các xã chưa "
            "bắt đầu") in text
    assert "nhóm «Thí điểm» (2 xã)" in text and "Chưa đủ xã để kết luận" in text
    assert "dưới 5 xã nên không tính khoảng tin cậy" in text
    assert page.locator(".js-plotly-plot").count() >= 6
    assert "Xem SQL — eval_coverage_history" in text
    assert "Xem SQL — eval_indicator_panel" in text
    # the app-wide favicon (app.py page_icon=":material/...") is fetched by Streamlit from
    # fonts.gstatic.com; that is the entry's setting, not this page's — reported separately
    own = [u for u in page.external_requests if "materialsymbols" not in u]
    assert own == []
    page.screenshot(path="/tmp/evaluation_page.png", full_page=True)


def test_evaluation_page_widgets_and_no_controls(demo_copy, monkeypatch):
    """Switching views, waves, indicator and window; a filter leaving no not-yet-started
    commune shows a plain message instead of an estimate."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DASHBOARD_DB", str(demo_copy))
    at = AppTest.from_file("../dashboard/web/app.py", default_timeout=180)
    at.query_params["as_of"] = "2025-12-31"
    at.run()
    at.switch_page("../pages/evaluation.py").run()
    assert [t.value for t in at.title] == ["Thí điểm và nhân rộng"]
    at.segmented_control(key="ev_view").set_value("cohort").run()
    at.segmented_control(key="ev_wave").set_value("year").run()
    at.selectbox(key="ev_indicator").set_value("antt_incidents").run()
    at.selectbox(key="ev_window").set_value(6).run()
    at.selectbox(key="ev_anticipation").set_value(1).run()
    at.segmented_control(key="ev_scale").set_value("per_1000").run()
    assert not at.exception and not at.error
    # sentences are shown as text (Markdown-escaped: indicator names come from uploads)
    bullets = [re.sub(r"\\(.)", r"\1", m.value) for m in at.markdown
               if m.value.startswith("- ")]
    assert "47 xã nhân rộng trong 2 đợt (năm 2024 đến năm 2025)" in bullets[0]
    main = next(b for b in bullets if b.startswith("- Chỉ số «Vụ việc an ninh trật tự», các xã "
                                                   "đã bắt đầu: thay đổi trung bình mỗi tháng "
                                                   "trong 6 tháng đầu"))
    assert "(tính trên 1.000 hộ)" in main and "khoảng tin cậy 95%" in main
    assert "Thiết kế" in main and "bằng chứng" in main.lower()
    assert "Ước lượng:** thay đổi trung bình mỗi tháng trong 6 tháng đầu" in " ".join(
        m.value for m in at.markdown)

    at.multiselect(key="f_phase").set_value(["pilot"]).run()
    assert not at.exception and not at.error
    assert any(w.value.startswith("Chưa đủ số liệu để so sánh") for w in at.warning)
    # sentences are shown as text (Markdown-escaped: indicator names come from uploads)
    bullets = [re.sub(r"\\(.)", r"\1", m.value) for m in at.markdown
               if m.value.startswith("- ")]
    assert "0 xã chưa bắt đầu" in bullets[0]
    assert "chưa đủ số liệu" in bullets[-1]
