"""Hồ sơ xã: the profile_* named queries on a hand-computed commune, the page through AppTest,
and a deep link in a real browser on the demo data.

The small database (tests/test_sandbox.py) at 2025-06-30: commune 07228 with villages
07228-01 (100 households; active pilot C1 60 + rollout C2 70 -> capped 100) and 07228-02
(50 households; C3 ended 2025-01-01), rollout cell C4 (20 households) attached to the commune:
households 150, covered min(100 + 0 + 20, 150) = 120 -> 80 %, 3 active cells, 18 members,
uncapped 150 households / 3 cells = 50 per cell, 150 / 18 = 8.33 per member. Phase pilot
(C1), started 2024-01-10. One model (M1, started 2024-02-01).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import page_errors, run_page, wait_for_app
from test_sandbox import build_db

from dashboard import store
from dashboard.analysis import evaluation
from dashboard.store import queries

PAGE = "../pages/commune.py"
AS_OF = dt.date(2025, 6, 30)


@pytest.fixture(scope="module")
def small_path(tmp_path_factory) -> Path:
    path = build_db(tmp_path_factory.mktemp("profile") / "small.duckdb")
    db = store.Database(path)
    cur = db.cursor()
    cur.executemany("INSERT INTO indicators VALUES (?, ?, ?, ?)", [
        ("07228", "2025-05", "feedback_received", 4), ("07228-01", "2025-05",
                                                        "feedback_received", 3),
        ("07228", "2025-06", "feedback_received", 2), ("07228", "2025-07",
                                                       "feedback_received", 9),
        ("09999", "2025-05", "feedback_received", 100)])
    cur.close()
    db.close()
    return path


@pytest.fixture
def db(small_path):
    d = store.open_db(small_path)
    yield d
    store.close_db(small_path)


def test_profile_commune_hand_computed(db):
    p = queries.run(db, "profile_commune", commune="07228", as_of=AS_OF).iloc[0]
    assert (p.commune_name, p.parent_code, p.parent_name) == ("Phường Đa Mai", "24",
                                                               "Tỉnh Bắc Ninh")
    assert (p.villages, p.villages_with_cells, p.households) == (2, 1, 150)
    assert (p.cells, p.members, p.households_covered) == (3, 18, 120)
    assert p.coverage_pct == 80.0 and p.uncovered_households == 30
    assert p.households_per_cell == 50.0 and p.households_per_member == 8.33
    assert p.phase == "pilot" and str(p.started_on)[:10] == "2024-01-10"
    assert (p.pilot_cells, p.rollout_cells, p.cells_ever, p.cells_ended) == (1, 3, 4, 1)
    assert (p.models, p.active_models) == (1, 1)
    assert p.population == 600
    assert (p.indicators, p.first_period, p.last_period) == (1, "2025-05", "2025-06")
    assert p.commune_type == "Phường"   # official reference data for 07228
    # before any cell: phase none, nothing covered
    early = queries.run(db, "profile_commune", commune="07228", as_of="2023-12-31").iloc[0]
    assert early.phase == "none" and early.cells == 0 and early.cells_ever == 0
    assert early.models == 1 and early.active_models == 0


def test_profile_lists_hand_computed(db):
    v = queries.run(db, "profile_villages", commune="07228", as_of=AS_OF)
    assert v.unit_code.tolist() == ["07228-01", "07228-02"]
    assert v.households_covered.tolist() == [100, 0]
    assert v.coverage_pct.tolist() == [100.0, 0.0]
    assert v.cells.tolist() == [2, 0] and v.population.tolist() == [400, 200]
    assert v.households_per_cell.iloc[0] == 65.0
    c = queries.run(db, "profile_cells", commune="07228", as_of=AS_OF)
    assert c.cell_id.tolist() == ["C4", "C1", "C2", "C3"]     # active first, by unit
    assert c.active.tolist() == [True, True, True, False]
    assert c.unit_name.iloc[0] == "Phường Đa Mai"
    assert queries.run(db, "profile_cells", commune="07228",
                       as_of="2024-04-01").cell_id.tolist() == ["C1", "C3"]
    m = queries.run(db, "profile_models", commune="07228", as_of=AS_OF)
    assert m.model_id.tolist() == ["M1"] and bool(m.active.iloc[0])
    i = queries.run(db, "profile_indicators", commune="07228", as_of=AS_OF)
    assert i.period.tolist() == ["2025-05", "2025-06"]
    assert i.value.tolist() == [7.0, 2.0] and i.units.tolist() == [2, 1]
    lst = queries.run(db, "profile_communes", as_of=AS_OF)
    assert lst.commune_code.tolist() == ["07228", "09999"]
    assert lst.phase.tolist() == ["pilot", "none"]
    assert lst.coverage_pct.tolist() == [80.0, 0.0]


def test_profile_requires_a_commune(db):
    with pytest.raises(ValueError, match="commune"):
        queries.run(db, "profile_villages", as_of=AS_OF)


# --- the page (AppTest) -------------------------------------------------------------------

@pytest.fixture
def open_page(small_path, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DB", str(small_path))

    def go(**params):
        return run_page(PAGE, **params)
    return go


def test_page_from_a_link(open_page):
    at = open_page(commune="07228", as_of="2025-06-30")
    assert at.selectbox(key="profile_commune").value == "07228"
    m = {x.label: x.value for x in at.metric}
    assert m["Độ phủ hộ gia đình"] == "80,0%"
    assert m["Tổng số hộ"] == "150"
    assert m["Tổ đang hoạt động"] == "3"
    assert m["Thành viên"] == "18"
    assert m["Hộ chưa có tổ phụ trách"] == "30"
    assert m["Thôn, tổ dân phố có tổ"] == "1 / 2"
    assert m["Mô hình đang hoạt động"] == "1 / 1"
    assert m["Giai đoạn"] == "Thí điểm"
    text = " ".join(md.value for md in at.markdown)
    assert "10/01/2024" in text and evaluation.PILOT_LABEL in text
    assert any(s.value == "Phường Đa Mai" for s in at.subheader)
    expanders = [e.label for e in at.expander]
    for name in ("profile_commune", "profile_villages", "profile_cells", "profile_models",
                 "profile_indicators"):
        assert any(name in label for label in expanders), name


def test_page_choosing_another_commune_updates_the_url(open_page):
    at = open_page(commune="07228", as_of="2025-06-30")
    at.selectbox(key="profile_commune").set_value("09999").run()
    assert not at.exception
    assert at.query_params["commune"] == ["09999"] or at.query_params["commune"] == "09999"
    m = {x.label: x.value for x in at.metric}
    assert m["Tổng số hộ"] == "80" and m["Độ phủ hộ gia đình"] == "0,0%"
    assert m["Giai đoạn"] == "Chưa có tổ"


def test_page_unknown_commune(open_page):
    at = open_page(commune="12345")
    assert any("12345" in w.value for w in at.warning)
    assert not at.metric


# --- real browser on the demo ---------------------------------------------------------------

@pytest.mark.browser
def test_browser_deep_link(app_server, browser_page, demo_db):
    page = browser_page
    page.goto(app_server + "/ho-so-xa?commune=07228&as_of=2025-06-30")
    wait_for_app(page)
    page.get_by_role("heading", name="Phường Đa Mai").wait_for(timeout=60_000)
    assert not page_errors(page)
    p = queries.run(store.open_db(str(demo_db)), "profile_commune",
                    commune="07228", as_of=AS_OF).iloc[0]
    body = page.inner_text("[data-testid='stMain']")
    assert f"{int(p.cells_ever)}" in body
    assert page.get_by_text("Xem SQL — profile_villages").count() == 1
    assert not page.external_requests


def test_page_opens_the_commune_chosen_in_the_sidebar(open_page):
    """No link: the first commune chosen in the shared filter, not the first by code; and
    the profile follows when the filter changes."""
    at = open_page(communes="09999,07228", as_of="2025-06-30")
    assert at.selectbox(key="profile_commune").value == "09999"
    # the filter's communes first, labelled with and without diacritics
    assert at.selectbox(key="profile_commune").options[:2] == [
        "Xã Trống (09999) · Xa Trong", "Phường Đa Mai (07228) · Phuong Da Mai"]
    at.multiselect(key="f_communes").set_value(["07228"]).run()
    assert not at.exception
    assert at.selectbox(key="profile_commune").value == "07228"
    assert at.query_params["commune"] in ("07228", ["07228"])
    # a link still decides over the filter
    at = open_page(communes="09999", commune="07228", as_of="2025-06-30")
    assert at.selectbox(key="profile_commune").value == "07228"


def test_page_without_link_or_filter_asks(open_page):
    at = open_page(as_of="2025-06-30")
    assert at.selectbox(key="profile_commune").value is None
    assert any("Chọn một xã" in i.value for i in at.info)
