"""The evaluation's date-free reads (eval_cells, eval_indicator_series) sliced to a date give
the rows of the dated named queries (eval_cell_survival, eval_indicator_panel) on any date —
a founding day, an end day, the day before, month ends and starts — and with a commune filter;
the web pages' cached findings (dashboard/web/evaluation_data.py, shared by the Thí điểm page
and the evaluation slide) are evaluation.key_findings'."""
from __future__ import annotations

import datetime as dt
import random

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from dashboard import store
from dashboard.analysis import evaluation as ev
from dashboard.store import queries


@pytest.fixture(scope="module")
def db(demo_db):
    d = store.Database(demo_db, read_only=True)
    yield d
    d.close()


def _dates(db) -> list[dt.date]:
    """Boundary days of the cells (each side of a founding and of an end) and random days."""
    cells = queries.run(db, "eval_cells")
    days = set()
    for col in ("established_on", "ended_on"):
        for v in cells[col].dropna().sample(8, random_state=3):
            day = pd.Timestamp(v).date()
            days |= {day - dt.timedelta(days=1), day, day + dt.timedelta(days=1)}
    rng = random.Random(7)
    first = pd.Timestamp(cells["established_on"].min()).date()
    for _ in range(8):
        days.add(first + dt.timedelta(days=rng.randrange(-40, 1400)))
    days |= {dt.date(2024, 1, 1), dt.date(2024, 1, 31), dt.date(2025, 12, 31),
             first - dt.timedelta(days=1), first}
    return sorted(days)


def _same_rows(got, want, obj: str, columns: bool = False) -> None:
    """got equals want; an empty want (DuckDB types an empty text column as object) asks only
    for an empty got (with want's columns when `columns`)."""
    if want.empty:
        assert got.empty and (not columns or list(got.columns) == list(want.columns)), obj
        return
    assert_frame_equal(got, want, obj=obj)


def test_cells_at_equals_eval_cell_survival(db):
    every = queries.run(db, "eval_cells")
    some = sorted(every["commune_code"].unique())[:5]
    part = queries.run(db, "eval_cells", communes=some)
    for day in _dates(db):
        for rows, communes in ((every, None), (part, some)):
            want = queries.run(db, "eval_cell_survival", as_of=day, communes=communes)
            want = want[list(rows.columns)]
            _same_rows(ev.cells_at(rows, day), want, f"{day} {communes}", columns=True)


def test_cells_at_boundaries():
    """Founded on as_of: counted; ended on as_of: ended; ended the day after: still active."""
    day = pd.Timestamp("2025-03-10")
    cells = pd.DataFrame({
        "cell_id": ["a", "b", "c", "d"], "commune_code": ["1", "1", "2", "2"],
        "phase": ["pilot"] * 4,
        "established_on": pd.to_datetime(["2025-03-10", "2025-03-11", "2024-01-01",
                                          "2024-01-01"]),
        "ended_on": pd.to_datetime([None, None, "2025-03-10", "2025-03-11"])})
    got = ev.cells_at(cells, day.date())
    assert list(got["cell_id"]) == ["a", "c", "d"]
    assert list(got["ended_on"].isna()) == [True, False, True]


def test_panel_at_equals_prepared_eval_indicator_panel(db):
    indicators = queries.run(db, "eval_indicators", as_of=dt.date(2030, 1, 1))
    some = sorted(queries.run(db, "eval_cells")["commune_code"].unique())[:4]
    for indicator in indicators["indicator"]:
        for communes in (None, some):
            series = ev.prepare_panel(queries.run(db, "eval_indicator_series",
                                                  indicator=indicator, communes=communes))
            for day in _dates(db)[::3]:
                want = ev.prepare_panel(queries.run(db, "eval_indicator_panel", as_of=day,
                                                    indicator=indicator, communes=communes))
                _same_rows(ev.panel_at(series, day), want, f"{indicator} {day} {communes}")


def test_panel_at_month_boundary():
    panel = pd.DataFrame({"commune_code": ["1"] * 3, "month": [24288, 24289, 24290],
                          "value": [1.0, 2.0, 3.0]})       # 2024-01 … 2024-03
    assert list(ev.panel_at(panel, dt.date(2024, 2, 1))["month"]) == [24288, 24289]
    assert list(ev.panel_at(panel, dt.date(2024, 1, 31))["month"]) == [24288]
    assert ev.panel_at(panel, dt.date(2023, 12, 31)).empty


def test_history_at_equals_eval_coverage_history(db):
    """The complete months at as_of, from the history read at a later month end (the page
    reads it at the end of today's month), equal the history read at as_of."""
    some = sorted(queries.run(db, "eval_cells")["commune_code"].unique())[:5]
    for until in (dt.date(2026, 12, 31), dt.date(2099, 1, 31)):
        for communes in (None, some):
            full = ev.with_months_since(queries.run(db, "eval_coverage_history", as_of=until,
                                                    communes=communes))
            for day in _dates(db) + [until]:
                want = ev.with_months_since(queries.run(db, "eval_coverage_history",
                                                        as_of=day, communes=communes))
                _same_rows(ev.history_at(full, day), want, f"{day} {until} {communes}")


def test_history_at_boundaries():
    """A month end equal to as_of is kept, the next is not; a commune started after as_of is
    left out, one started on as_of kept."""
    h = pd.DataFrame({"month_end": pd.to_datetime(["2025-01-31", "2025-02-28", "2025-02-28"]),
                      "commune_code": ["1", "1", "2"],
                      "started_on": pd.to_datetime(["2025-01-05", "2025-01-05", "2025-02-28"]),
                      "months_since": [0, 1, 0]})
    assert list(ev.history_at(h, dt.date(2025, 2, 27))["month_end"].dt.day) == [31]
    got = ev.history_at(h, dt.date(2025, 2, 28))
    assert list(got["commune_code"]) == ["1", "1", "2"]


def test_indicators_at_equals_eval_indicators(db):
    some = sorted(queries.run(db, "eval_cells")["commune_code"].unique())[:4]
    for communes in (None, some):
        periods = queries.run(db, "eval_indicator_periods", communes=communes)
        for day in _dates(db) + [dt.date(2099, 1, 1)]:
            want = queries.run(db, "eval_indicators", as_of=day, communes=communes)
            _same_rows(ev.indicators_at(periods, day), want, f"{day} {communes}",
                       columns=True)


def test_indicators_at_counts_each_commune_once():
    """A commune reporting in two periods counts once; a period after as_of's month is left
    out, the period of as_of's month kept."""
    periods = pd.DataFrame({"indicator": ["a", "a", "a"],
                            "period": ["2025-01", "2025-02", "2025-03"],
                            "rows": [3, 4, 5], "new_communes": [2, 1, 1]})
    got = ev.indicators_at(periods, dt.date(2025, 2, 1)).iloc[0]
    assert (got["communes"], got["periods"], got["rows"]) == (3, 2, 7)
    assert (got["first_period"], got["last_period"]) == ("2025-01", "2025-02")
    assert ev.indicators_at(periods, dt.date(2024, 12, 31)).empty


def test_page_findings_are_key_findings(demo_copy, monkeypatch):
    """The findings the Thí điểm page and the evaluation slide share (one cache) are those of
    evaluation.key_findings on the same data, for the whole province and for two communes."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DASHBOARD_DB", str(demo_copy))
    db = store.open_db(demo_copy)      # the process's connection, which the app shares
    codes = sorted(queries.run(db, "eval_cells")["commune_code"].unique())[:2]
    wants = {(day, c): ev.key_findings(db, dt.date.fromisoformat(day),
                                       c.split(",") if c else None)
             for day in ("2025-06-30", "2025-12-31") for c in ("", ",".join(codes))}
    for (day, communes), want in wants.items():
        at = AppTest.from_string(_SCRIPT.format(day=day, communes=communes),
                                 default_timeout=180)
        at.run()
        assert not at.exception, at.exception
        got = at.session_state["found"]
        assert got["sentences"] == want["sentences"]
        assert got["indicator"] == want["indicator"]
        for part in ("cohorts", "did", "event_study"):        # NaN equals NaN here
            assert_frame_equal(pd.DataFrame(got[part]), pd.DataFrame(want[part]), obj=part)
        assert str(got["coverage_at_horizon"]) == str(want["coverage_at_horizon"])
        assert str(got["survival_at_horizon"]) == str(want["survival_at_horizon"])


_SCRIPT = """
import datetime as dt
import streamlit as st
from dashboard.web import evaluation_data as ed
st.session_state["found"] = ed.key_findings(dt.date.fromisoformat("{day}"),
                                            "{communes}".split(",") if "{communes}" else None)
"""


_PREPARED = """
import datetime as dt
import streamlit as st
from dashboard.analysis import evaluation as ev
from dashboard.store import queries
from dashboard.web import evaluation_data as ed, ui

db = ui.get_db()
thread = ed.prepare_in_background(db)
st.session_state["started"] = thread is not None
if thread is not None:
    thread.join()
st.session_state["again"] = ed.prepare_in_background(db) is not None
calls, run = [], queries.run
queries.run = lambda db, name, *a, **k: (calls.append(name), run(db, name, *a, **k))[1]
try:
    today = dt.date.today()
    found = ed.indicators(today, ())
    ed.cells(today, ()), ed.history(today, ())
    for code in (ed.page_indicator(found["indicator"]), ev.default_indicator(found)):
        ed.series(code, ())
finally:
    queries.run = run
st.session_state["calls"] = calls
"""


def test_prepared_after_a_write_are_the_pages_rows(demo_copy, monkeypatch):
    """Once per data version, the background preparation reads the rows the page and the
    slide open on into the shared caches: afterwards they read no table for them; a second
    call for the same version starts nothing; turned off, nothing is started."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DASHBOARD_DB", str(demo_copy))
    monkeypatch.setenv("DASHBOARD_EVAL_PREPARE", "1")
    st.cache_resource.clear()
    at = AppTest.from_string(_PREPARED, default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["started"] and not at.session_state["again"]
    assert at.session_state["calls"] == []

    monkeypatch.setenv("DASHBOARD_EVAL_PREPARE", "0")
    st.cache_resource.clear()
    at = AppTest.from_string(_PREPARED, default_timeout=180)
    at.run()
    assert not at.session_state["started"]
    assert set(at.session_state["calls"]) == {"eval_indicator_periods", "eval_cells",
                                              "eval_coverage_history",
                                              "eval_indicator_series"}
