"""Shared fixtures: a demo database, a running app on a free port, a real Chromium page."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
SHARED_FIXTURES = ROOT.parent / "shared" / "fixtures"

# Page errors raise in tests (AppTest sees them as exceptions, the browser as stException)
# instead of becoming the short message users get.
os.environ["DASHBOARD_DEBUG"] = "1"
# No background preparation of the evaluation after writes (tests/test_evaluation_data.py
# turns it on where it is tested): no thread reads a test's database behind its back.
os.environ.setdefault("DASHBOARD_EVAL_PREPARE", "0")


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """A demo database built once per test session through the real CLI."""
    folder = tmp_path_factory.mktemp("demo")
    path = folder / "demo.duckdb"
    subprocess.run([sys.executable, "-m", "dashboard", "demo", "--db", str(path)], check=True,
                   cwd=ROOT, capture_output=True)
    return path


@pytest.fixture
def demo_copy(demo_db, tmp_path) -> Path:
    """A private copy of the demo database that a test may change."""
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, path)
    return path


@pytest.fixture
def empty_db(tmp_path):
    from dashboard import store

    db = store.Database(tmp_path / "t.duckdb")
    yield db
    db.close()


APP = str(ROOT / "dashboard" / "web" / "app.py")


def run_page(page: str, **params):
    """AppTest of one page with URL parameters, run through the app frame (shared filters
    first, then the page), as a deep link would."""
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(APP, default_timeout=120)
    for key, value in params.items():
        app.query_params[key] = value
    app.run()
    app.switch_page(page)
    for key, value in params.items():
        app.query_params[key] = value
    app.run()
    assert not app.exception, app.exception
    return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(db_path: Path, port: int | None = None):
    port = port or free_port()
    env = {**os.environ, "DASHBOARD_DB": str(db_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "web" / "app.py"),
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("the app did not start: " + proc.stdout.read().decode()[-2000:])


@pytest.fixture(scope="session")
def app_server(demo_db, tmp_path_factory):
    """URL of the app running on a copy of the demo database."""
    folder = tmp_path_factory.mktemp("app")
    path = folder / "demo.duckdb"
    shutil.copy(demo_db, path)
    proc, url = start_app(path)
    yield url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def browser_page(browser):
    """A fresh page that may only talk to localhost (no internet, as in a meeting room)."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="vi-VN")
    external: list[str] = []

    def guard(route):
        u = route.request.url
        if u.startswith(("http://127.0.0.1", "http://localhost", "ws://127.0.0.1", "data:",
                         "blob:", "about:")):
            route.continue_()
        else:
            external.append(u)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.external_requests = external
    yield page
    context.close()


def wait_for_app(page, timeout: float = 120_000) -> None:
    """Wait until Streamlit has finished running the script."""
    page.wait_for_selector("[data-testid='stMain'] [data-testid='stElementContainer']",
                           timeout=timeout)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']",
                           timeout=timeout)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
        timeout=timeout)
    # charts and lazily loaded elements show skeletons until drawn
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=timeout)
    # every Plotly chart drawn (its SVG exists)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=\"stPlotlyChart\"]')]"
        ".every(c => c.querySelector('.main-svg'))", timeout=timeout)
    page.evaluate("() => document.fonts.ready")
    page.wait_for_timeout(800)


def page_errors(page) -> list[str]:
    """Visible exceptions or error boxes on the page."""
    texts = page.locator("[data-testid='stException'], [data-testid='stAlertContentError']")
    return [texts.nth(i).inner_text() for i in range(texts.count())]
