"""The evaluation's inputs and results for the web pages — «Thí điểm và nhân rộng» and the
presentation's evaluation slide — cached by (scope, data version, parameters) and shared by
every session, so the slide reuses what the page computed and the reverse. The figures come
from dashboard.analysis.evaluation; this module only reads and caches.

Changing the date reads one table only (eval_commune_starts, one row per commune): the
coverage history, the cells and the indicators are read once per data version without the
date (eval_coverage_history at the month end of today, eval_cells, eval_indicator_periods,
eval_indicator_series) and a date's rows taken from them (evaluation.history_at, cells_at,
indicators_at, panel_at: the rows of eval_coverage_history, eval_cell_survival,
eval_indicators and eval_indicator_panel at that date, as tests/test_evaluation_data.py checks
on boundary and random dates)."""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time

import pandas as pd
import streamlit as st

from dashboard import config
from dashboard.analysis import evaluation as ev
from dashboard.contract import INDICATOR_LABELS
from dashboard.web import ui


def key(as_of: dt.date, communes) -> tuple:
    """The cache key of a view of the data: (scope path, data version), date, communes."""
    db = ui.get_db()      # its path tells the scopes apart, its data version the data
    return (str(db.path), ui.data_version(db)), as_of, tuple(communes or ())


def _codes(communes: tuple) -> list | None:
    return list(communes) or None


class _Source:
    """Where the rows come from: the session's data, or a given database and data version
    (the background preparation, which has no session); both fill the same shared caches."""

    def __init__(self, db=None, version: int | None = None):
        self.db, self.version = db, version

    def query(self, name: str, **params):
        if self.db is None:
            return ui.run_query(name, **params)
        return ui.run_query_on(self.db, self.version, name, **params)

    def derived(self, name: str, deps: dict, compute):
        if self.db is None:
            return ui.derived(name, deps, compute)
        return ui.derived_on(self.db, self.version, name, deps, compute)


SESSION = _Source()


def cells(as_of: dt.date, communes: tuple, src: _Source = SESSION):
    """eval_cell_survival's rows at as_of, from eval_cells (read once per data version)."""
    return ev.cells_at(src.query("eval_cells", communes=_codes(communes)), as_of)


def series(indicator: str, communes: tuple, src: _Source = SESSION):
    """prepare_panel() of eval_indicator_series: every month, once per data version."""
    return src.derived("eval_series", {"indicator": indicator, "communes": list(communes)},
                       lambda: ev.prepare_panel(src.query(
                           "eval_indicator_series", indicator=indicator,
                           communes=_codes(communes))))


def panel(as_of: dt.date, indicator: str, communes: tuple):
    """prepare_panel() of eval_indicator_panel at as_of."""
    return ev.panel_at(series(indicator, communes), as_of)


def _until(as_of: dt.date) -> dt.date:
    """The month end the date-free coverage history is read at: that of today's month (or of
    a later as_of), so one read serves every date a user picks."""
    day = max(dt.date.today(), as_of)
    return (pd.Timestamp(day) + pd.offsets.MonthEnd(0)).date()


def history(as_of: dt.date, communes: tuple, src: _Source = SESSION):
    """with_months_since() of eval_coverage_history at as_of, from the same query at the month
    end of today (read once per data version and day)."""
    until = _until(as_of)
    full = src.derived("eval_history", {"until": until, "communes": list(communes)},
                       lambda: ev.with_months_since(src.query(
                           "eval_coverage_history", as_of=until, communes=_codes(communes)),
                           until))
    return ev.history_at(full, as_of)


def indicators(as_of: dt.date, communes: tuple, src: _Source = SESSION):
    """eval_indicators' rows at as_of, from eval_indicator_periods (once per data version)."""
    return ev.indicators_at(src.query("eval_indicator_periods", communes=_codes(communes)),
                            as_of)


def page_indicator(codes) -> str | None:
    """The indicator the page opens on: the first of the contract's in its order, else the
    first reported."""
    codes = list(codes)
    return next((c for c in INDICATOR_LABELS if c in codes), codes[0] if codes else None)


def data(as_of: dt.date, communes: tuple, wave: str) -> ev.EvalData:
    """What evaluation.load() returns (months since the start computed), from the shared
    query results: only eval_commune_starts is read for the date itself."""
    starts = ui.run_query("eval_commune_starts", as_of=as_of, communes=_codes(communes))
    return ev.EvalData(as_of, ev.assign_cohorts(starts, wave), history(as_of, communes),
                       cells(as_of, communes), indicators(as_of, communes))


def _data_once(version, as_of, communes, wave) -> ev.EvalData:
    """data(), once per script run for the two caches below."""
    return ui.per_run(("eval_data", version, as_of, communes, wave),
                      lambda: data(as_of, communes, wave))


# Each returns small results only (the per-month and per-cell rows stay in the shared query
# cache), so a rerun copies little.
@st.cache_data(show_spinner="Đang tính…", max_entries=32)
def base(version, as_of, communes, wave):
    """Cohorts and the figures after 6/12/24 months with the survival by phase (all the
    findings and the evaluation slide read)."""
    d = _data_once(version, as_of, communes, wave)
    return ev.slim(d), ev.overview_base(d)


@st.cache_data(show_spinner="Đang tính…", max_entries=32)
def _phase_view(version, as_of, communes, wave):
    d = _data_once(version, as_of, communes, wave)
    return ev.overview_view(d, "phase", base(version, as_of, communes, wave)[1])


def overview(version, as_of, communes, wave):
    """Cohorts, figures after 6/12/24 months and the charts grouped by phase."""
    d, b = base(version, as_of, communes, wave)
    return d, {**b, **_phase_view(version, as_of, communes, wave)}


@st.cache_data(show_spinner="Đang tính…", max_entries=32)
def by_cohort(version, as_of, communes, wave):
    """The charts' parts grouped by wave (only when that grouping is chosen)."""
    return ev.overview_view(_data_once(version, as_of, communes, wave), "cohort")


def _window(window) -> int:
    return int(window or config.get("eval_window_months"))


def _anticipation(anticipation) -> int:
    return int(config.get("eval_anticipation_months") if anticipation is None
               else anticipation)


@st.cache_data(show_spinner="Đang ước lượng…", max_entries=64)
def _effects(version, as_of, communes, wave, indicator, window, anticipation, scale):
    cohorts = base(version, as_of, communes, wave)[0].cohorts      # the overview's cohorts
    return ev.effects(ev.scaled_panel(panel(as_of, indicator, communes), cohorts, scale),
                      cohorts, window, anticipation)


def effects(version, as_of, communes, wave, indicator, window=None, anticipation=None,
            scale="raw") -> ev.Effects:
    """evaluation.effects() of one indicator (window and anticipation default to the
    settings, so the page's defaults and the slide share one result)."""
    return _effects(version, as_of, communes, wave, indicator, _window(window),
                    _anticipation(anticipation), scale)


@st.cache_data(show_spinner=False, max_entries=128)
def findings(version, as_of, communes, wave="quarter", horizon=12, indicator=None,
             window=None, anticipation=None, scale="raw", default_indicator=False) -> dict:
    """evaluation.findings() from the cached overview and effects. default_indicator: the
    indicator with the most rows (evaluation.key_findings' choice) when none is given."""
    d, ov = base(version, as_of, communes, wave)
    if indicator is None and default_indicator:
        indicator = ev.default_indicator(d.indicators)
    result = (None if indicator is None else
              effects(version, as_of, communes, wave, indicator, window, anticipation, scale))
    return ev.findings(d, None, indicator, horizon, result=result, scale=scale, overview=ov)


def key_findings(as_of, communes=None) -> dict:
    """evaluation.key_findings(db, as_of, communes) of the session's data (what the
    presentation's evaluation slide reads), from the page's caches."""
    return findings(*key(ev.to_date(as_of), communes), default_indicator=True)


# --- prepared after every write ----------------------------------------------------------
# As DHIS2 runs its analytics after an import: once per data version, a background thread
# reads the date-free rows for the whole data (and the indicator series the page and the
# slide open on) into the shared caches, so the first visit of the evaluation page or of its
# slide after a write does not wait for them.
LOG = logging.getLogger(__name__)


@st.cache_resource(show_spinner=False)
def _prepared() -> set:
    """(path, data version) already prepared; emptied with the caches it fills."""
    return set()


def prepare_in_background(db) -> threading.Thread | None:
    """Start the preparation of db's current data version unless it was started already."""
    if not config.get("eval_prepare_after_write"):
        return None
    try:
        version = ui.data_version(db)
    except Exception:         # never in the way of the page that just ran
        LOG.warning("evaluation preparation not started", exc_info=True)
        return None
    done, k = _prepared(), (str(db.path), version)
    with _PREPARE_LOCK:
        if k in done:
            return None
        done.add(k)
    thread = threading.Thread(target=_prepare, args=(db, version), daemon=True,
                              name="evaluation-prepare")
    with _PREPARE_LOCK:
        _RUNNING[:] = [t for t in _RUNNING if t.is_alive()] + [thread]
    thread.start()
    return thread


_PREPARE_LOCK = threading.Lock()
_RUNNING: list[threading.Thread] = []
LAST = {"seconds": None}       # how long the last preparation took (the benchmark reports it)


def wait_prepared(timeout: float | None = None) -> None:
    """Wait for the preparations under way (before closing the database, and in the
    benchmark, which times pages once the data's preparation is done)."""
    with _PREPARE_LOCK:
        running = list(_RUNNING)
    for t in running:
        t.join(timeout)


def _prepare(db, version: int) -> None:
    src = _Source(db, version)
    start = time.perf_counter()
    try:
        today = dt.date.today()
        cells(today, (), src)
        history(today, (), src)
        found = indicators(today, (), src)
        for code in {page_indicator(found["indicator"]), ev.default_indicator(found)} - {None}:
            series(code, (), src)
    except Exception:       # the page reads the same rows itself when they are missing
        LOG.warning("evaluation preparation failed", exc_info=True)
    LAST["seconds"] = time.perf_counter() - start
