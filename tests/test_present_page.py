"""Trình chiếu page: AppTest on a hand-computed province, and a real browser on the demo.

The real-browser tests open deep links such as /trinh-chieu?slide=2&as_of=2025-06-30 and
compare the KPI figures shown with kpi_overview run directly on the same data."""
from __future__ import annotations

import datetime as dt
import html
import io
import re
import shutil
from pathlib import Path

import pytest
from conftest import run_page
from test_pack import build_small_db

from dashboard import store
from dashboard.i18n import fmt
from dashboard.store import queries

PAGE = "../pages/present.py"


@pytest.fixture(scope="module")
def small_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("present") / "small.duckdb"
    build_small_db(path)
    return path


@pytest.fixture
def open_page(small_path, monkeypatch):
    """Open the app with URL parameters (read by the shared filters on the first run, as a
    browser opening a link does), then switch to the presentation page."""
    monkeypatch.setenv("DASHBOARD_DB", str(small_path))

    def go(**params):
        return run_page(PAGE, **params)
    return go


def html_text(app) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", h.value) for h in app.html)


def test_deep_link_opens_the_kpi_slide(open_page):
    at = open_page(slide="2", as_of="2025-06-30")
    text = html_text(at)
    assert "Tổ dân vận đã phụ trách 35,6% số hộ gia đình" in text
    assert "35,6% số hộ gia đình đã có tổ dân vận phụ trách" in text
    assert "Ba mươi lăm phẩy sáu" not in text            # words only in the notes panel
    notes = " ".join(t.value for t in at.text)
    assert notes.startswith("Đọc to: Ba mươi lăm phẩy sáu phần trăm số hộ gia đình")
    assert "2 / 7" in text
    assert "Số liệu đến ngày 30/06/2025" in text
    assert any('data-testid="stSidebar"' in h.value and "display: none" in h.value
               for h in at.html)                      # presentation mode hides the sidebar


def test_next_button_moves_the_slide_in_the_url(open_page):
    at = open_page(slide="5", as_of="2025-06-30")
    assert "Xã thí điểm đạt độ phủ 50,0%, cao hơn xã nhân rộng (30,0%)" in html_text(at)
    at.button(key="present_next").click().run()
    assert "Sau 12 tháng: xã thí điểm đạt độ phủ 50,0%, xã nhân rộng 20,0%" in html_text(at)
    at.button(key="present_next").click().run()
    assert not at.exception
    assert at.query_params["slide"] in ("7", ["7"])
    assert "2 mô hình “Dân vận khéo” đang hoạt động" in html_text(at)
    assert at.button(key="present_next").disabled        # last slide


def test_slide_number_out_of_range_is_clamped_and_commune_filter_applies(open_page):
    at = open_page(slide="99", as_of="2025-06-30", communes="25111")
    text = html_text(at)
    assert "7 / 7" in text
    assert "1 mô hình “Dân vận khéo” đang hoạt động" in text
    assert "1 xã, phường được chọn: Xã Đông Tiến" in text


def test_exit_presentation_mode_shows_the_sidebar_again(open_page):
    at = open_page(slide="1")
    at.button(key="present_exit").click().run()
    assert not at.exception
    assert at.query_params["full"] in ("0", ["0"])
    assert not any('data-testid="stSidebar"' in h.value for h in at.html)
    assert at.button(key="present_enter")


def test_each_slide_drawn_alone_is_the_deck_slide(open_page, small_path):
    """The page builds only the slide on screen; every slide, its counter and its notes are
    those of the whole deck that the meeting pack exports (slides.build)."""
    from dashboard.output import slides
    from dashboard.web import slideshow

    for as_of, communes in (("2025-06-30", None), ("2024-12-31", None),
                            ("2025-06-30", "25111")):
        db = store.Database(small_path, read_only=True)
        try:
            deck = slides.build(db, {"as_of": as_of,
                                     "communes": [communes] if communes else None})
        finally:
            db.close()
        for i, want in enumerate(deck, start=1):
            at = open_page(slide=str(i), as_of=as_of,
                           **({"communes": communes} if communes else {}))
            text = html.unescape(html_text(at))
            assert f"{i} / {len(deck)}" in text
            assert want.title in text
            if want.sentence and want.key != "title":
                assert want.sentence in text
            assert at.text[0].value == slideshow.notes_text(want)


def test_unavailable_evaluation_slide_is_left_out(open_page, monkeypatch):
    """When the evaluation summary cannot be computed the deck has one slide fewer, on the
    page as in the pack: the slide after it is shown in its place."""
    import streamlit as st

    from dashboard.analysis import evaluation
    from dashboard.web import evaluation_data

    def broken(*args, **kwargs):
        raise RuntimeError("no findings")
    monkeypatch.setattr(evaluation, "key_findings", broken)        # the meeting pack's
    monkeypatch.setattr(evaluation_data, "key_findings", broken)   # the page's (shared cache)
    st.cache_data.clear()
    try:
        at = open_page(slide="6", as_of="2025-06-30")
        text = html_text(at)
        assert "6 / 6" in text
        assert "2 mô hình “Dân vận khéo” đang hoạt động" in text
        assert at.query_params["slide"] in ("6", ["6"])
        at.button(key="present_prev").click().run()
        assert "5 / 6" in html_text(at)
        assert "Xã thí điểm đạt độ phủ 50,0%" in html_text(at)
    finally:
        st.cache_data.clear()     # the cached slides saw the broken evaluation


# -- real browser ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_kpi(demo_db, tmp_path_factory):
    """kpi_overview on a private copy of the demo (a file opens in one mode per process)."""
    path = tmp_path_factory.mktemp("kpi") / "demo.duckdb"
    shutil.copy(demo_db, path)
    db = store.Database(path, read_only=True)
    codes = queries.run(db, "coverage_by_unit", level="commune",
                        as_of=dt.date(2025, 6, 30))
    codes = codes[codes.cells > 0].unit_code.head(2).tolist()
    out = {
        "all": queries.run(db, "kpi_overview", as_of=dt.date(2025, 6, 30)).iloc[0],
        "some": queries.run(db, "kpi_overview", as_of=dt.date(2025, 6, 30),
                            communes=codes).iloc[0],
        "codes": codes,
    }
    db.close()
    return out


def shown_kpis(page) -> dict[str, str]:
    page.wait_for_selector(".dv-tile", timeout=60_000)
    number = page.inner_text(".dv-number").strip()
    tiles = page.locator(".dv-tile")
    out = {"number": number}
    for i in range(tiles.count()):
        out[tiles.nth(i).locator("span").inner_text().strip()] = \
            tiles.nth(i).locator("b").inner_text().strip()
    return out


def expected_kpis(k) -> dict[str, str]:
    return {"number": fmt.percent(k.coverage_pct),
            "Tổ đang hoạt động": fmt.number(k.cells),
            "Thành viên": fmt.number(k.members),
            f"Hộ được phụ trách (trên {fmt.number(k.households)} hộ)":
                fmt.number(k.households_covered),
            "Xã, phường có tổ": f"{fmt.number(k.communes_with_cells)}/{fmt.number(k.communes)}"}


@pytest.mark.browser
def test_deep_link_restores_the_same_kpis(app_server, browser_page, demo_kpi):
    from conftest import page_errors, wait_for_app

    page = browser_page
    page.goto(f"{app_server}/trinh-chieu?slide=2&as_of=2025-06-30")
    wait_for_app(page)
    shown = shown_kpis(page)
    for key, value in expected_kpis(demo_kpi["all"]).items():
        assert shown[key] == value, key
    assert not page.locator("[data-testid='stSidebar']").is_visible()   # presentation mode
    assert page_errors(page) == []

    # the same link with a commune filter restores the filtered figures
    codes = ",".join(demo_kpi["codes"])
    page.goto(f"{app_server}/trinh-chieu?slide=2&as_of=2025-06-30&communes={codes}")
    wait_for_app(page)
    shown = shown_kpis(page)
    for key, value in expected_kpis(demo_kpi["some"]).items():
        assert shown[key] == value, key

    # keyboard: → goes to slide 3 and the URL follows
    page.locator(".dv-title").click()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => location.search.includes('slide=3')", timeout=30_000)
    wait_for_app(page)
    assert "as_of=2025-06-30" in page.url and f"communes={codes}" in page.url.replace("%2C", ",")
    assert page.inner_text("[data-testid='dv-counter']").strip().startswith("3 / ")
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("() => location.search.includes('slide=2')", timeout=30_000)
    assert page.external_requests == [], page.external_requests


@pytest.mark.browser
def test_powerpoint_download_from_the_page(app_server, browser_page):
    from conftest import wait_for_app
    from pptx import Presentation

    page = browser_page
    page.goto(f"{app_server}/trinh-chieu?slide=3&as_of=2025-06-30")
    wait_for_app(page)
    with page.expect_download(timeout=120_000) as info:
        page.locator(".st-key-present_pptx button:visible").click()
    download = info.value
    assert download.suggested_filename == "hoi-nghi-danh-gia_2025-06-30.pptx"
    prs = Presentation(io.BytesIO(Path(download.path()).read_bytes()))
    assert len(prs.slides) == 7
    titles = [next(sh for sh in s.shapes if sh.name == "Title").text_frame.text
              for s in prs.slides]
    assert titles[1].startswith("Tổ dân vận đã phụ trách ")
    assert page.external_requests == [], page.external_requests
