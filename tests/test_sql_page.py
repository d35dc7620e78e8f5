"""Phân tích SQL page: AppTest on a hand-computed database and a real browser on the demo.

Hostile statements typed into the page are refused or stopped, the data stays the same, and
the app keeps serving another session while a slow statement runs.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import page_errors, run_page, wait_for_app
from test_sandbox import READERS, WRITES, build_db

from dashboard import sandbox, store
from dashboard.store import queries

PAGE = "../pages/sql.py"


@pytest.fixture(scope="module")
def small_path(tmp_path_factory) -> Path:
    return build_db(tmp_path_factory.mktemp("sqlpage") / "small.duckdb")


@pytest.fixture
def open_page(small_path, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DB", str(small_path))

    def go(**params):
        return run_page(PAGE, **params)
    yield go
    sandbox.close_all()


def snapshot_rows(path) -> dict:
    db = store.open_db(path)
    return {t: db.df(f"SELECT * FROM {t} ORDER BY ALL").astype(str).to_dict("list")
            for t in ("units", "cells", "models", "indicators", "batches")}


def run_sql(at, sql: str):
    at.text_area(key="sql_text").set_value(sql)
    at.button(key="sql_run").click().run()
    assert not at.exception
    return at


def test_link_from_xem_sql_fills_the_editor_and_runs_only_on_run(open_page, small_path):
    at = open_page(q="coverage_by_unit", p_as_of="2025-06-30", p_level="village")
    assert at.selectbox(key="sql_example").value == "coverage_by_unit"
    assert at.text_area(key="sql_text").value.startswith("-- name: coverage_by_unit")
    # a link never runs a statement by itself: nothing ran before Run is pressed
    assert any("bấm **Chạy**" in i.value for i in at.info)
    assert not any(c.value.endswith("giây") and "dòng" in c.value for c in at.caption)
    at.button(key="sql_run").click().run()
    assert not at.exception
    shown = at.dataframe[-1].value
    expected = queries.run(store.open_db(small_path), "coverage_by_unit", level="village",
                           as_of="2025-06-30")
    assert shown["unit_code"].tolist() == expected["unit_code"].tolist() == [
        "07228-01", "07228-02"]
    assert shown["households_covered"].tolist() == [100, 0]
    assert shown["coverage_pct"].tolist() == [100.0, 0.0]
    assert any("$as_of = 30/06/2025" in c.value for c in at.caption)


def test_typed_query_and_url(open_page):
    at = open_page()
    run_sql(at, "SELECT unit_code, households FROM units WHERE level = 'village' ORDER BY 1")
    df = at.dataframe[-1].value
    assert df["households"].tolist() == [100, 50]
    assert any(c.value.startswith("2 dòng · 2 cột") for c in at.caption)
    assert "sql" in at.query_params and "q" not in at.query_params


def test_hostile_statements_on_the_page(open_page, small_path):
    before = snapshot_rows(small_path)
    at = open_page()
    for sql in WRITES[::2] + READERS[::3] + ["SELECT 1; DROP TABLE cells",
                                               "SELECT * FROM '/etc/passwd'"]:
        run_sql(at, sql)
        assert at.error, sql
        assert at.error[-1].value and "Traceback" not in at.error[-1].value
    assert snapshot_rows(small_path) == before


def test_truncated_result_is_announced(open_page):
    at = open_page()
    run_sql(at, "SELECT range AS i FROM range(12345)")
    assert len(at.dataframe[-1].value) == 10_000
    assert any("hơn 10.000 dòng" in w.value for w in at.warning)


def test_schema_panel_lists_contract_meaning(open_page):
    at = open_page()
    labels = [e.label for e in at.expander]
    assert any(label.startswith("**cells** — Tổ dân vận") for label in labels)
    at.text_input(key="sql_schema_search").set_value("số hộ phụ trách").run()
    tables = [e.label for e in at.expander if e.label.startswith("**")]
    assert tables == ["**cells** — Tổ dân vận cộng đồng / tổ tự quản · 10 cột"]


# --- real browser -----------------------------------------------------------------------------

def _type_and_run(page, sql: str):
    area = page.locator("[data-testid='stTextArea'] textarea").first
    area.fill(sql)
    page.get_by_role("button", name="▶ Chạy").click()


@pytest.mark.browser
def test_browser_explorer_refuses_stops_and_stays_responsive(app_server, browser, browser_page):
    page = browser_page
    page.goto(app_server + "/sql")
    wait_for_app(page)
    page.get_by_role("heading", name="Phân tích SQL").wait_for(timeout=60_000)
    _type_and_run(page, "SELECT count(*) AS so_to FROM cells")
    wait_for_app(page)
    page.get_by_text("1 dòng · 1 cột").wait_for(timeout=30_000)
    _type_and_run(page, "DROP TABLE cells")
    page.get_by_text("bị từ chối").first.wait_for(timeout=30_000)
    _type_and_run(page, "SELECT * FROM read_csv('/etc/passwd')")
    page.get_by_text("Không được dùng hàm read_csv").wait_for(timeout=30_000)

    # a slow statement in this session; another session keeps being served meanwhile
    _type_and_run(page, "SELECT count(*) FROM range(100000) a, range(100000) b "
                        "WHERE (a.range * b.range) % 7 = 3")
    other = browser.new_page()
    other.goto(app_server + "/tong-quan")
    wait_for_app(other)
    other.get_by_role("heading", name="Tổng quan").wait_for(timeout=60_000)   # served
    other.close()
    page.get_by_text("nên đã bị dừng").wait_for(timeout=30_000)
    _type_and_run(page, "SELECT count(*) AS so_to FROM cells")
    wait_for_app(page)
    page.get_by_text("1 dòng · 1 cột").wait_for(timeout=30_000)
    assert not [e for e in page_errors(page) if "Traceback" in e]
    assert not page.external_requests
