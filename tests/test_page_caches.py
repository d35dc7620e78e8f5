"""The shared caches of Tổng quan, Bản đồ, Độ phủ and Hồ sơ xã (ui.derived, ui.cached_chart,
the cached display of ui.table) draw exactly what a fresh computation draws: a session that
moves its date across a cell's start day (and picks filters) shows the same figures and
tables, byte for byte, as a new session opened on that view with every cache cleared."""
from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from conftest import APP
from streamlit.testing.v1 import AppTest

from dashboard import store
from dashboard.web import ui


def _drawn(at) -> dict:
    """Every chart spec, table (data and Vietnamese display values), card, caption and
    message on the screen."""
    charts = [el.proto.spec for el in at.get("plotly_chart")]
    tables = []
    for el in at.dataframe:
        data = type(el.proto.arrow_data)()
        data.CopyFrom(el.proto.arrow_data)
        data.styler.uuid = ""          # the element's place on the page, not its content
        tables.append(data.SerializeToString())
    texts = ([(m.label, m.value) for m in at.metric] + [c.value for c in at.caption]
             + [i.value for i in at.info])
    return {"charts": charts, "tables": tables, "texts": texts}


def _open(page: str, params: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(page)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def _boundary_dates(path) -> list[dt.date]:
    """A cell's start day and the day before it, a model's end day and the day before (the
    figures change across both), plus a random day in the data."""
    db = store.Database(path, read_only=True)
    try:
        starts = db.df("SELECT DISTINCT established_on FROM cells ORDER BY 1").established_on
        ends = db.df("SELECT DISTINCT ended_on FROM models WHERE ended_on IS NOT NULL "
                     "ORDER BY 1").ended_on
    finally:
        db.close()
    rng = random.Random(14)
    start = pd.Timestamp(starts.iloc[len(starts) // 2]).date()
    out = [start - dt.timedelta(days=1), start]
    if len(ends):
        end = pd.Timestamp(ends.iloc[rng.randrange(len(ends))]).date()
        out += [end - dt.timedelta(days=1), end]
    lo, hi = pd.Timestamp(starts.iloc[0]).date(), pd.Timestamp(starts.iloc[-1]).date()
    out.append(lo + dt.timedelta(days=rng.randrange((hi - lo).days + 1)))
    return out


@pytest.fixture
def demo_env(demo_copy, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DB", str(demo_copy))
    return demo_copy


PAGES = [("../pages/overview.py", {}), ("../pages/map.py", {}),
         ("../pages/map.py", {"lop": "village"}),
         ("../pages/coverage.py", {}), ("../pages/coverage.py", {"muc": "Phân bố"}),
         ("../pages/coverage.py", {"muc": "Khoảng trống"}),
         ("../pages/commune.py", {"commune": "07228"})]


@pytest.mark.parametrize("page,params", PAGES)
def test_cached_views_equal_a_fresh_computation(demo_env, page, params):
    dates = _boundary_dates(demo_env)
    at = _open(page, {**params, "as_of": dates[0].isoformat()})
    for d in dates[1:]:
        at.date_input(key="f_as_of").set_value(d).run()
        assert not at.exception, at.exception
        seen = _drawn(at)
        at.run()                                 # warm: every figure from the caches
        assert _drawn(at) == seen
        st.cache_resource.clear()
        st.cache_data.clear()
        fresh = _drawn(_open(page, {**params, "as_of": d.isoformat()}))
        assert seen == fresh, (page, d)
        assert seen["charts"] or seen["tables"] or seen["texts"]


def test_cached_views_follow_the_commune_filter(demo_env):
    """Choosing communes in the shared filter changes every cached figure's key."""
    at = _open("../pages/overview.py", {"as_of": "2025-06-30"})
    everything = _drawn(at)
    at.multiselect(key="f_communes").set_value(["07228"]).run()
    assert not at.exception
    chosen = _drawn(at)
    assert chosen != everything
    st.cache_resource.clear()
    st.cache_data.clear()
    assert _drawn(_open("../pages/overview.py", {"as_of": "2025-06-30",
                                                 "communes": "07228"})) == chosen


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "unit_code": [f"{i:05d}" for i in range(n)],
        "unit_name": rng.choice(["Xã A", "Phường B", None], n),
        "households": rng.integers(0, 5000, n),
        "coverage_pct": np.round(rng.random(n) * 100, 2),
        "gap": np.where(rng.random(n) < 0.2, np.nan, rng.random(n)),
        "day": pd.to_datetime("2025-01-01") + pd.to_timedelta(rng.integers(0, 400, n), "D"),
        "active": rng.random(n) < 0.5})


@pytest.mark.parametrize("n", [0, 5, ui.STYLED_ROWS, ui.STYLED_ROWS + 7])
def test_table_display_equals_vi_style(n):
    """The cached display of a table: the same values and formats as vi_style of the same
    rows, short (Styler) and long (text) alike, with and without profile links."""
    df = _frame(n, n)
    for links in (None, df["unit_code"]):
        shown = ui._display(df, links)
        expect = df
        if links is not None:
            expect = df.copy()
            expect.insert(2, ui.PROFILE_COLUMN, [f"{ui.PROFILE_URL}?commune={c}"
                                                 for c in df.unit_code])
        ref = ui.vi_style(expect)
        if isinstance(ref, pd.DataFrame):
            pd.testing.assert_frame_equal(shown.to_pandas(), ref)
        else:
            pd.testing.assert_frame_equal(shown.data, ref.data)
            assert shown.set_uuid("t").to_html() == ref.set_uuid("t").to_html()
        # a frame with other values is never served the first frame's display
        other = df.assign(households=df.households + 1)
        again = ui._display(other, links)
        if n:
            got = again.to_pandas() if not hasattr(again, "data") else again.data
            assert not got.equals(shown.to_pandas() if not hasattr(shown, "data")
                                  else shown.data)
