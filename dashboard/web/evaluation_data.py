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

import pandas as pd
import streamlit as st

from dashboard import config
from dashboard.analysis import evaluation as ev
from dashboard.web import ui


def key(as_of: dt.date, communes) -> tuple:
    """The cache key of a view of the data: (scope path, data version), date, communes."""
    db = ui.get_db()      # its path tells the scopes apart, its data version the data
    return (str(db.path), ui.data_version(db)), as_of, tuple(communes or ())


def _codes(communes: tuple) -> list | None:
    return list(communes) or None


def cells(as_of: dt.date, communes: tuple):
    """eval_cell_survival's rows at as_of, from eval_cells (read once per data version)."""
    return ev.cells_at(ui.run_query("eval_cells", communes=_codes(communes)), as_of)


def series(indicator: str, communes: tuple):
    """prepare_panel() of eval_indicator_series: every month, once per data version."""
    return ui.derived("eval_series", {"indicator": indicator, "communes": list(communes)},
                      lambda: ev.prepare_panel(ui.run_query(
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


def history(as_of: dt.date, communes: tuple):
    """with_months_since() of eval_coverage_history at as_of, from the same query at the month
    end of today (read once per data version and day)."""
    until = _until(as_of)
    full = ui.derived("eval_history", {"until": until, "communes": list(communes)},
                      lambda: ev.with_months_since(ui.run_query(
                          "eval_coverage_history", as_of=until, communes=_codes(communes)),
                          until))
    return ev.history_at(full, as_of)


def indicators(as_of: dt.date, communes: tuple):
    """eval_indicators' rows at as_of, from eval_indicator_periods (once per data version)."""
    return ev.indicators_at(ui.run_query("eval_indicator_periods", communes=_codes(communes)),
                            as_of)


def data(as_of: dt.date, communes: tuple, wave: str) -> ev.EvalData:
    """What evaluation.load() returns (months since the start computed), from the shared
    query results: only eval_commune_starts is read for the date itself."""
    starts = ui.run_query("eval_commune_starts", as_of=as_of, communes=_codes(communes))
    return ev.EvalData(as_of, ev.assign_cohorts(starts, wave), history(as_of, communes),
                       cells(as_of, communes), indicators(as_of, communes))


# Each returns small results only (the per-month and per-cell rows stay in the shared query
# cache), so a rerun copies little.
@st.cache_data(show_spinner="Đang tính…", max_entries=32)
def overview(version, as_of, communes, wave):
    """Cohorts, figures after 6/12/24 months and the charts grouped by phase."""
    d = data(as_of, communes, wave)
    base = ev.overview_base(d)
    return ev.slim(d), {**base, **ev.overview_view(d, "phase", base)}


@st.cache_data(show_spinner="Đang tính…", max_entries=32)
def by_cohort(version, as_of, communes, wave):
    """The charts' parts grouped by wave (only when that grouping is chosen)."""
    return ev.overview_view(data(as_of, communes, wave), "cohort")


def _window(window) -> int:
    return int(window or config.get("eval_window_months"))


def _anticipation(anticipation) -> int:
    return int(config.get("eval_anticipation_months") if anticipation is None
               else anticipation)


@st.cache_data(show_spinner="Đang ước lượng…", max_entries=64)
def _effects(version, as_of, communes, wave, indicator, window, anticipation, scale):
    cohorts = ev.assign_cohorts(ui.run_query("eval_commune_starts", as_of=as_of,
                                             communes=_codes(communes)), wave)
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
    d, ov = overview(version, as_of, communes, wave)
    if indicator is None and default_indicator:
        indicator = ev.default_indicator(d.indicators)
    result = (None if indicator is None else
              effects(version, as_of, communes, wave, indicator, window, anticipation, scale))
    return ev.findings(d, None, indicator, horizon, result=result, scale=scale, overview=ov)


def key_findings(as_of, communes=None) -> dict:
    """evaluation.key_findings(db, as_of, communes) of the session's data (what the
    presentation's evaluation slide reads), from the page's caches."""
    return findings(*key(ev.to_date(as_of), communes), default_indicator=True)
