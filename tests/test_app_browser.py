"""The app in a real browser (Playwright + Debian Chromium), with the internet cut off:
the home page and a deep link to every page render with no exception and ask for nothing
outside localhost."""
import pytest
from conftest import page_errors, wait_for_app

from dashboard.web import navigation

pytestmark = pytest.mark.browser


def test_home_shows_overview_with_demo_banner(app_server, browser_page):
    page = browser_page
    page.goto(app_server)
    wait_for_app(page)
    assert page_errors(page) == []
    body = page.inner_text("body")
    assert "Tổng quan" in body and "Dữ liệu mẫu" in body
    assert "Độ phủ hộ gia đình" in body
    assert page.locator("[data-testid='stPlotlyChart']").count() >= 3
    assert page.external_requests == [], page.external_requests


@pytest.mark.parametrize("file,title,url", navigation.built())
def test_deep_link_to_every_page(app_server, browser_page, file, title, url):
    page = browser_page
    page.goto(f"{app_server}/{url}")
    wait_for_app(page)
    assert page_errors(page) == [], f"{file}: {page_errors(page)}"
    assert title.replace('"', "") in page.inner_text("body").replace('"', "").replace("“", "").replace("”", "")
    assert "Traceback" not in page.inner_text("body")
    assert page.external_requests == [], page.external_requests


def test_filters_live_in_the_url(app_server, browser_page):
    page = browser_page
    page.goto(f"{app_server}/?as_of=2024-06-30&phase=pilot")
    wait_for_app(page)
    body = page.inner_text("body")
    assert "30/06/2024" in body
    assert "giai đoạn: Thí điểm" in body
    assert page_errors(page) == []


def test_map_drill_down_opens_the_commune_profile(app_server, browser_page):
    page = browser_page
    page.goto(f"{app_server}/ban-do?xa=07228")
    wait_for_app(page)
    page.get_by_text("Mở hồ sơ Phường Đa Mai").click()
    wait_for_app(page)
    assert page.url.endswith("/ho-so-xa?commune=07228")
    assert "Phường Đa Mai" in page.inner_text("body")
    assert page_errors(page) == [] and page.external_requests == []
