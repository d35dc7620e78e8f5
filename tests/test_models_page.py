"""The models page in a real browser on the demo data: every tab renders without error, a link
restores search, facets and the selected model, and no request leaves the machine."""
from __future__ import annotations

import urllib.parse

import pytest
from conftest import page_errors, wait_for_app

pytestmark = pytest.mark.browser


def _open(page, base: str, **params) -> None:
    page.goto(f"{base}/mo-hinh?" + urllib.parse.urlencode(params, doseq=True))
    wait_for_app(page)


def test_registry_tab_search_and_facets_from_link(app_server, browser_page):
    page = browser_page
    _open(page, app_server, q="antt", f_field="defense_security")
    assert page_errors(page) == []
    main = page.locator("[data-testid='stMain']")
    assert 'Mô hình "Dân vận khéo"' in main.inner_text()
    # the search box and the facet come back from the link
    assert page.get_by_label("Tìm theo tên", exact=False).input_value() == "antt"
    assert "f_field=defense_security" in page.url
    metric = page.locator("[data-testid='stMetric']").first.inner_text()
    assert "Mô hình tìm thấy" in metric
    found = int(metric.split("\n")[-1].replace(".", ""))
    assert 0 < found < 1900
    page.screenshot(path="/tmp/models_page_list.png")
    assert page.external_requests == []


@pytest.mark.parametrize("tab", ["Tổng quan", "Khoảng trống", "Trùng lặp", "Lan tỏa"])
def test_other_tabs_render(app_server, browser_page, tab):
    page = browser_page
    _open(page, app_server, tab=tab)
    assert page_errors(page) == []
    text = page.locator("[data-testid='stMain']").inner_text()
    expected = {"Tổng quan": "Tỷ lệ xã, phường có ít nhất một mô hình",
                "Khoảng trống": "Xã, phường còn trống",
                "Trùng lặp": "đăng ký hai lần ở cùng một nơi",
                "Lan tỏa": "được từ hai xã, phường trở lên áp dụng"}[tab]
    assert expected in text
    if tab == "Tổng quan":
        assert page.locator("[data-testid='stPlotlyChart']").count() >= 5
    assert page.external_requests == []


def test_model_card_from_link(app_server, browser_page):
    page = browser_page
    _open(page, app_server, tab="Thẻ mô hình", model="MH0002")
    assert page_errors(page) == []
    text = page.locator("[data-testid='stMain']").inner_text()
    assert "Camera giám sát ANTT Xã Lạng Giang" in text
    assert "Tỉnh Bắc Ninh › Xã Lạng Giang" in text
    assert "Mô hình tương tự ở nơi khác" in text
    assert page.locator("[data-testid='stPlotlyChart']").count() == 1     # the small map
    page.screenshot(path="/tmp/models_page_card.png")
    assert page.external_requests == []
