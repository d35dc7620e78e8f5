"""Logins, scope and hostile names in a real browser (Playwright + Debian Chromium), with every
request leaving 127.0.0.1 blocked and counted.

- With users configured an anonymous visitor gets only the login page, whatever the link.
- A viewer scoped to one commune logs in, reloads, follows a deep link, sees only that
  commune, cannot reach the SQL explorer, logs out and is refused after logout.
- The province administrator uploads a file and downloads a table; the audit page shows the
  logins, the upload and the export.
- A database whose commune and model names are Markdown images and HTML tags: every page
  opens and the browser fetches nothing from outside.
"""
from __future__ import annotations

import os
import shutil
import subprocess

import pandas as pd
import pytest
from conftest import page_errors, start_app, wait_for_app

from dashboard import store
from dashboard.access import users
from dashboard.web import navigation

pytestmark = pytest.mark.browser

A, B = "07774", "07696"
A_NAME, B_NAME = "Phường Tự Lạn", "Phường Tiền Phong"
PW = "Mat-khau-2026"
ACCOUNTS = [("tinh", "admin", None), ("phantich", "analyst", None), ("xem", "viewer", (A,))]


def _stop(proc):
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def access_server(demo_db, tmp_path_factory):
    os.environ.setdefault("DASHBOARD_ARGON2_MEMORY_KIB", "1024")
    path = tmp_path_factory.mktemp("access") / "demo.duckdb"
    shutil.copy(demo_db, path)
    db = store.Database(path)
    for name, role, sc in ACCOUNTS:
        users.add_user(db, name, PW, role, sc)
    db.con.execute("CHECKPOINT")
    db.close()
    proc, url = start_app(path)
    yield url, path
    _stop(proc)


def _login(page, url, name):
    page.goto(url)
    wait_for_app(page)
    page.get_by_label("Tên đăng nhập").fill(name)
    page.get_by_label("Mật khẩu").fill(PW)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_text(f"Đăng nhập: {name}").wait_for(timeout=60_000)
    wait_for_app(page)


def _is_login_page(page) -> bool:
    body = page.inner_text("body")
    return (page.get_by_role("heading", name="Đăng nhập").count() == 1
            and page.locator("[data-testid='stSidebarNav']").count() == 0
            and "Tổng quan" not in body and A_NAME not in body)


def test_anonymous_visitor_gets_only_the_login_page(access_server, browser_page):
    url, _ = access_server
    page = browser_page
    for link in ("", "/ho-so-xa?commune=07774", "/sql?sql=SELECT%201", "/du-lieu",
                 "/quan-tri"):
        page.goto(url + link)
        wait_for_app(page)
        assert _is_login_page(page), link
    page.get_by_label("Tên đăng nhập").fill("xem")
    page.get_by_label("Mật khẩu").fill("sai-mat-khau-1A")
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_text("không đúng").wait_for(timeout=30_000)
    assert _is_login_page(page) and page.external_requests == []


def test_login_reload_deep_link_logout(access_server, browser, browser_page):
    url, _ = access_server
    page = browser_page
    _login(page, url, "xem")
    page.get_by_role("heading", name="Tổng quan").wait_for()
    page.screenshot(path=str(_shots() / "viewer_overview.png"))
    page.reload()
    wait_for_app(page)
    assert page.get_by_text("Đăng nhập: xem").count() == 1 and not _is_login_page(page)
    # a deep link in another tab of the same browser: still logged in, within the scope
    other = page.context.new_page()
    other.goto(f"{url}/ho-so-xa?commune={A}")
    wait_for_app(other)
    assert other.get_by_role("heading", name=A_NAME).count() == 1
    other.goto(f"{url}/ho-so-xa?commune={B}")
    wait_for_app(other)
    assert B_NAME not in other.inner_text("body")
    other.goto(f"{url}/sql")                      # not for a viewer: not served
    wait_for_app(other)
    assert other.get_by_role("heading", name="Phân tích SQL").count() == 0
    nav = other.locator("[data-testid='stSidebarNav']").inner_text()
    assert "Phân tích SQL" not in nav and "Quản trị" not in nav
    other.close()
    page.get_by_role("button", name="Đăng xuất").click()
    page.get_by_role("heading", name="Đăng nhập").wait_for(timeout=30_000)
    wait_for_app(page)
    page.reload()
    wait_for_app(page)
    assert _is_login_page(page)
    page.goto(f"{url}/ho-so-xa?commune={A}")
    wait_for_app(page)
    assert _is_login_page(page)
    assert page.external_requests == []


def test_admin_sees_logins_an_upload_and_an_export_in_the_audit(access_server, browser_page,
                                                                tmp_path):
    url, _ = access_server
    page = browser_page
    page.goto(url)
    wait_for_app(page)
    page.get_by_label("Tên đăng nhập").fill("xem")
    page.get_by_label("Mật khẩu").fill("sai-mat-khau-1A")
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_text("không đúng").wait_for(timeout=30_000)
    for name in ("xem", "phantich"):
        _login(page, url, name)
        page.get_by_role("button", name="Đăng xuất").click()
        page.get_by_role("heading", name="Đăng nhập").wait_for(timeout=30_000)
    _login(page, url, "tinh")
    # an upload: one cell of the commune with one more member
    cells = pd.read_csv("dashboard/demo/files/cells.csv", dtype=str, keep_default_na=False)
    row = cells[cells["Mã thôn/xã"].str.startswith(A)].head(1).copy()
    row["Số thành viên"] = str(int(row["Số thành viên"].iloc[0]) + 1)
    f = tmp_path / "mot_to.csv"
    row.to_csv(f, index=False, encoding="utf-8")
    page.goto(f"{url}/du-lieu")
    wait_for_app(page)
    page.get_by_label("Bộ dữ liệu", exact=True).click()
    page.get_by_role("option", name="Tổ dân vận", exact=False).first.click()
    wait_for_app(page)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(f))
    page.get_by_role("button", name="Ghi vào cơ sở dữ liệu").wait_for(timeout=60_000)
    page.get_by_role("button", name="Ghi vào cơ sở dữ liệu").click()
    page.get_by_text("Đã ghi lô số").wait_for(timeout=60_000)
    # an export: a table's CSV
    page.goto(f"{url}/do-phu")
    wait_for_app(page)
    with page.expect_download() as dl:
        page.get_by_role("button", name="⬇ CSV").first.click()
    assert dl.value.suggested_filename.endswith(".csv")
    page.goto(f"{url}/quan-tri")
    wait_for_app(page)
    page.get_by_role("tab", name="Nhật ký truy cập").click()
    wait_for_app(page)
    page.screenshot(path=str(_shots() / "admin_audit.png"))
    with page.expect_download() as dl:
        page.get_by_role("button", name="Tải nhật ký (Excel)").click()
    log = pd.read_excel(dl.value.path(), skiprows=_header_rows(dl.value.path()))
    got = set(zip(log["Người dùng"], log["Hành động"]))
    assert {("xem", "Đăng nhập"), ("xem", "Đăng xuất"), ("phantich", "Đăng nhập"),
            ("tinh", "Đăng nhập"), ("tinh", "Ghi lô nhập"), ("tinh", "Tải xuống"),
            ("xem", "Đăng nhập thất bại")} <= got, got
    assert page_errors(page) == [] and page.external_requests == []


def _header_rows(path) -> int:
    """Rows above the table's header in an XLSX download (a title may come first)."""
    raw = pd.read_excel(path, header=None)
    return int(next(i for i, v in enumerate(raw.iloc[:, 0]) if v == "Số"))


def _shots():
    import tempfile
    from pathlib import Path

    d = Path(tempfile.gettempdir()) / "danvan-screens"
    d.mkdir(exist_ok=True)
    return d


HOSTILE = "![x](http://beacon.example/b.png) <img src=http://beacon.example/i.png> "


@pytest.fixture(scope="module")
def hostile_server(demo_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile") / "demo.duckdb"
    shutil.copy(demo_db, path)
    db = store.Database(path)
    db.con.execute("UPDATE units SET unit_name = ? || unit_name WHERE level IN "
                   "('commune', 'village', 'province')", [HOSTILE])
    db.con.execute("UPDATE models SET model_name = ? || model_name, owner = ? || "
                   "coalesce(owner, ''), description = ?", [HOSTILE, HOSTILE, HOSTILE])
    model = db.scalar("SELECT min(model_id) FROM models WHERE unit_code = ?", [A])
    db.con.execute("CHECKPOINT")
    db.close()
    proc, url = start_app(path)
    yield url, model
    _stop(proc)


def test_hostile_names_make_the_browser_fetch_nothing(hostile_server, browser_page):
    url, model = hostile_server
    page = browser_page
    links = [u for _, _, u in navigation.built()]
    links += [f"ho-so-xa?commune={A}", f"ban-do?xa={A}", f"mo-hinh?model={model}",
              "trinh-chieu?slide=2", "trinh-chieu?slide=4"]
    shown = 0
    for link in links:
        page.goto(f"{url}/{link}")
        wait_for_app(page)
        assert not [e for e in page_errors(page) if "Traceback" in e], link
        assert page.external_requests == [], (link, page.external_requests)
        shown += page.inner_text("body").count("![x](http://beacon.example")
    page.goto(f"{url}/ho-so-xa?commune={A}")
    wait_for_app(page)
    page.screenshot(path=str(_shots() / "hostile_commune.png"))
    assert page.get_by_role("heading", name=HOSTILE.strip(), exact=False).count() >= 1
    assert shown > 0                         # the names are there, shown as text
    assert page.locator("img[src*='beacon']").count() == 0
    assert page.external_requests == [], page.external_requests
