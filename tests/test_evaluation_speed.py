"""The faster paths of the evaluation page give the figures of the paths they replace: the
coverage history read from the precomputed month ends (an_commune_months) against its
reference form on random dates on both sides of month ends and change days, the overview
split into a grouping-free part and a per-grouping part, findings from an estimate computed
beforehand, and a database whose analytics tables predate an_commune_months."""
import datetime as dt
import random

import numpy as np
import pandas as pd
import pytest

from dashboard import config, store
from dashboard.analysis import evaluation as ev
from dashboard.store import analytics, queries


def _dates(db, rng: random.Random, n: int) -> list[dt.date]:
    days = [pd.Timestamp(d).date() for d in db.df(
        "SELECT established_on AS d FROM cells UNION SELECT ended_on FROM cells "
        "WHERE ended_on IS NOT NULL").d.dropna()]
    picks = set()
    for d in rng.sample(days, min(n, len(days))):
        picks |= {d - dt.timedelta(days=1), d, d + dt.timedelta(days=1)}
        end = (pd.Timestamp(d) + pd.offsets.MonthEnd(0)).date()
        picks |= {end, end + dt.timedelta(days=1)}          # a month end and the day after
    return sorted(picks | {min(days) - dt.timedelta(days=1), dt.date(2099, 1, 1)})


def test_coverage_history_equals_reference_on_random_dates_and_filters(demo_copy):
    db = store.Database(demo_copy)
    try:
        rng = random.Random(14)
        codes = list(db.df("SELECT unit_code FROM units WHERE level = 'commune'").unit_code)
        checked = 0
        for d in _dates(db, rng, 8):
            for communes in (None, rng.sample(codes, min(5, len(codes)))):
                p = {"as_of": d, "communes": communes}
                got = queries.run(db, "eval_coverage_history", p)
                want = queries.run(db, "eval_coverage_history", p, reference=True)
                pd.testing.assert_frame_equal(got, want, check_dtype=True, obj=f"{p}")
                checked += len(got)
        assert checked > 1000
    finally:
        db.close()


def test_tables_built_before_the_month_ends_existed_are_rebuilt(demo_copy):
    """A database whose stored fingerprint has no table list (built before
    an_commune_months) is rebuilt on open instead of read with an empty table."""
    db = store.Database(demo_copy)
    cur = db.cursor()
    old = str(cur.execute(analytics.FINGERPRINT_SQL).fetchone()[0])
    cur.execute("DELETE FROM an_commune_months")
    cur.execute("UPDATE app_meta SET value = ? WHERE key = ?", [old, analytics.META_KEY])
    cur.close()
    db._analytics_signature = None
    assert analytics.ready(db)
    assert db.scalar("SELECT count(*) FROM an_commune_months") > 0
    p = {"as_of": dt.date(2025, 6, 30), "communes": None}
    pd.testing.assert_frame_equal(queries.run(db, "eval_coverage_history", p),
                                  queries.run(db, "eval_coverage_history", p, reference=True))
    db.close()


@pytest.fixture(scope="module")
def demo_data(demo_db):
    db = store.Database(demo_db, read_only=True)
    yield db, ev.load(db, dt.date(2025, 6, 30))
    db.close()


def _same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        pd.testing.assert_frame_equal(a[k], b[k], obj=k)


@pytest.mark.parametrize("view", ["phase", "cohort"])
def test_overview_in_two_parts_equals_one_pass(demo_data, view):
    _, data = demo_data
    base = ev.overview_base(data)
    _same({**base, **ev.overview_view(data, view, base)}, ev.compute_overview(data, view))
    # the one-pass computation as it was written before the split
    cohorts, phases = data.cohorts, ev.phase_cohorts(data.cohorts)
    groups = phases if view == "phase" else cohorts
    assert not base["by_horizon"].empty
    pd.testing.assert_frame_equal(base["by_horizon"], ev.figures_at_horizons(
        data.history, cohorts, data.as_of, ev.HORIZONS))
    pd.testing.assert_frame_equal(ev.overview_view(data, view)["ramp"], ev.ramp_up(
        data.history, groups, data.as_of, max_months=36))
    pd.testing.assert_frame_equal(ev.overview_view(data, view)["survival"], ev.cell_survival(
        data.cells, groups, data.as_of))


def test_months_since_is_computed_once():
    h = pd.DataFrame({"month_end": [dt.date(2024, 1, 31), dt.date(2024, 2, 10)],
                      "started_on": [dt.date(2024, 1, 5)] * 2, "commune_code": ["A", "A"]})
    once = ev.with_months_since(h)
    assert list(once["months_since"]) == [0]             # 10/02 is not a complete month
    assert ev.with_months_since(once) is once


def test_findings_from_a_computed_estimate_equal_findings_from_the_panel(demo_data):
    db, data = demo_data
    indicator = ev.default_indicator(data.indicators)
    panel = ev.load_panel(db, data.as_of, indicator)
    ov = ev.compute_overview(data)
    result = ev.effects(panel, data.cohorts, 12, 0)
    want = ev.findings(data, panel, indicator, 12, 12, 0, overview=ov)
    got = ev.findings(ev.slim(data), None, indicator, 12, result=result, overview=ov)
    assert got["sentences"] == want["sentences"] and len(got["sentences"]) >= 4
    pd.testing.assert_frame_equal(pd.DataFrame(got["did"]), pd.DataFrame(want["did"]))
    # the page's cached data hold no per-month or per-cell rows
    assert ev.slim(data).history.empty and ev.slim(data).cells.empty
    assert ev.slim(data).cohorts.equals(data.cohorts)


# --------------------------------------------------------------------------------------------
# figures drawn with plotly.graph_objects: the same JSON as the plotly express calls they
# replace (kept here as the reference)
def _px_sizes_bar(table, colors):
    import plotly.express as px

    counts = table.assign(label=table["cohort_label"])
    fig = px.bar(counts, x="communes", y="label", orientation="h", text="communes",
                 color="label", color_discrete_map=colors,
                 labels={"communes": "Số xã", "label": ""})
    fig.update_traces(texttemplate="%{x:,d}")
    fig.update_layout(showlegend=False, title="Số xã trong mỗi nhóm",
                      yaxis=dict(categoryorder="array",
                                 categoryarray=list(table["cohort_label"])[::-1]))
    return fig


def _px_starts_strip(started, labels, colors):
    import plotly.express as px

    fig = px.strip(started, x="started_on", y="cohort_label", color="cohort_label",
                   color_discrete_map=colors, hover_name="commune_name",
                   labels={"started_on": "Ngày thành lập tổ đầu tiên", "cohort_label": ""})
    fig.update_layout(showlegend=False, title="Ngày bắt đầu của từng xã",
                      yaxis=dict(categoryorder="array",
                                 categoryarray=list(labels.values())[::-1]))
    fig.update_xaxes(tickformat="%m/%Y")
    return fig


def _json(fig) -> dict:
    """What the browser receives (object key order aside)."""
    import json

    import plotly.io as pio

    return json.loads(pio.to_json(fig))


def test_figures_equal_their_plotly_express_forms(demo_data):
    from dashboard.analysis.evaluation import figures as figs

    db, data = demo_data
    rng = random.Random(7)
    codes = list(data.cohorts["commune_code"])
    checked = 0
    for d in [data.as_of] + _dates(db, rng, 3):
        for communes in (None, rng.sample(codes, min(6, len(codes)))):
            for wave in ("quarter", "year"):
                cohorts = ev.load(db, d, communes, wave).cohorts
                table = ev.cohort_table(cohorts)
                labels = ev.cohort_labels(cohorts)
                colors = ev.cohort_colors(list(labels.values())
                                          + list(ev.PHASE_LABELS.values()))
                started = cohorts[cohorts["started_on"].notna()]
                # a colour missing from the map takes plotly's sequence, as in px
                partial = dict(list(colors.items())[1:])
                for cmap in (colors, partial):
                    assert (_json(figs.sizes_bar(table, cmap)) ==
                            _json(_px_sizes_bar(table, cmap)))
                    if not started.empty:
                        got = figs.starts_strip(started, labels, cmap)
                        assert _json(got) == _json(_px_starts_strip(started, labels, cmap))
                        checked += len(got.data)
    assert checked > 10


# --------------------------------------------------------------------------------------------
# Kaplan–Meier from counts (bincount, sparse resampling, no merge): the same numbers as the
# per-cell computation it replaces, kept here as the reference
def _ref_km_matrices(times: np.ndarray, ended: np.ndarray, unit: np.ndarray, n_units: int,
                 grid: np.ndarray):
    """Per unit: deaths at each distinct end time ≤ max(grid), and cells at risk there."""
    t_ev = np.unique(times[(ended == 1) & (times <= grid.max())])
    d = np.zeros((n_units, len(t_ev)))
    if len(t_ev):
        pos = np.searchsorted(t_ev, times[ended == 1])
        keep = pos < len(t_ev)
        np.add.at(d, (unit[ended == 1][keep], pos[keep]), 1.0)
    # at risk at t_j: time >= t_j  -> cell counts for j < searchsorted(t_ev, time, 'right')
    upto = np.searchsorted(t_ev, times, side="right")
    hist = np.zeros((n_units, len(t_ev) + 1))
    np.add.at(hist, (unit, upto), 1.0)
    at_risk = np.cumsum(hist[:, ::-1], axis=1)[:, ::-1][:, 1:]
    return t_ev, d, at_risk


def _ref_km_at(t_ev, d, n, grid):
    """S(grid) from pooled deaths d and at-risk n (rows: draws)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(n > 0, 1 - d / np.where(n > 0, n, 1), 1.0)
    S = np.cumprod(factor, axis=-1)
    idx = np.searchsorted(t_ev, grid, side="right") - 1
    ones = np.ones(S.shape[:-1] + (1,))
    S1 = np.concatenate([ones, S], axis=-1)
    return S1[..., idx + 1]


def _ref_kaplan_meier(cells: pd.DataFrame, as_of, grid=None, draws: int | None = None,
                 seed: int | None = None, level: float = 0.95) -> dict:
    """KM survival of the cells at the months of `grid` with numbers at risk, and a
    percentile interval from resampling communes (none below 5 communes)."""
    grid = np.asarray(ev.HORIZONS if grid is None else grid, float)
    c = ev.coverage.cell_durations(cells, as_of)
    units = pd.Categorical(c["commune_code"])
    n_units = len(units.categories)
    times, ended = c["months"].to_numpy(float), c["ended"].to_numpy(int)
    empty = {"survival": np.full(len(grid), np.nan), "at_risk": np.zeros(len(grid), int),
             "ci_low": np.full(len(grid), np.nan), "ci_high": np.full(len(grid), np.nan),
             "communes": n_units, "cells": len(c)}
    if not len(c):
        return empty
    boot = draws != 0 and n_units >= config.get("eval_min_communes_inference")
    codes = units.codes if boot else np.zeros(len(c), int)    # no bootstrap: one pool
    t_ev, d, n = _ref_km_matrices(times, ended, codes, n_units if boot else 1, grid)
    S = _ref_km_at(t_ev, d.sum(0), n.sum(0), grid)
    srt = np.sort(times)
    at_risk = len(srt) - np.searchsorted(srt, grid, side="left")
    S = np.where(at_risk > 0, S, np.nan)
    lo = hi = np.full(len(grid), np.nan)
    if boot:
        rng = np.random.default_rng(config.get("eval_seed") if seed is None else seed)
        B = draws or config.get("eval_survival_bootstrap_draws")
        M = rng.multinomial(n_units, np.full(n_units, 1 / n_units), size=B).astype(np.float32)
        Sb = _ref_km_at(t_ev, M @ d.astype(np.float32), M @ n.astype(np.float32), grid)
        a = (1 - level) / 2
        lo, hi = np.quantile(Sb, a, axis=0), np.quantile(Sb, 1 - a, axis=0)
        lo, hi = np.where(at_risk > 0, lo, np.nan), np.where(at_risk > 0, hi, np.nan)
    return {"survival": S, "at_risk": at_risk, "ci_low": lo, "ci_high": hi,
            "communes": n_units, "cells": len(c)}


def _ref_cell_survival(cells: pd.DataFrame, cohorts: pd.DataFrame, as_of,
                  horizons=ev.HORIZONS) -> pd.DataFrame:
    """Per cohort and horizon k: Kaplan–Meier share of cells still active k months after
    founding (%), cells still at risk at k, and the commune-bootstrap 95 % interval."""
    c = cells.merge(cohorts[["commune_code", "cohort", "cohort_label", "cohort_order"]],
                    on="commune_code", how="inner")
    rows = []
    for key, g in c.groupby("cohort", sort=False):
        km = _ref_kaplan_meier(g, as_of, horizons)
        for i, k in enumerate(horizons):
            rows.append({"horizon": int(k), "cohort": key,
                         "cohort_label": g["cohort_label"].iloc[0],
                         "cohort_order": g["cohort_order"].iloc[0],
                         "communes": km["communes"], "cells": km["cells"],
                         "ended": int(g["ended_on"].notna().sum()),
                         "at_risk": int(km["at_risk"][i]),
                         "share_pct": 100 * km["survival"][i],
                         "ci_low": 100 * km["ci_low"][i], "ci_high": 100 * km["ci_high"][i]})
    cols = ["horizon", "cohort", "cohort_label", "cohort_order", "communes", "cells", "ended",
            "at_risk", "share_pct", "ci_low", "ci_high"]
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["cohort_order", "horizon"]).reset_index(drop=True)


def _ref_survival_curves(cells: pd.DataFrame, cohorts: pd.DataFrame, as_of,
                    months: int = 36) -> pd.DataFrame:
    """KM curve per cohort at each month 0…months, with the cells at risk (for the chart)."""
    grid = np.arange(0, months + 1)
    c = cells.merge(cohorts[["commune_code", "cohort", "cohort_label", "cohort_order"]],
                    on="commune_code", how="inner")
    parts = []
    for key, g in c.groupby("cohort", sort=False):
        km = _ref_kaplan_meier(g, as_of, grid, draws=0)
        parts.append(pd.DataFrame({"cohort": key, "cohort_label": g["cohort_label"].iloc[0],
                                   "cohort_order": g["cohort_order"].iloc[0], "month": grid,
                                   "share_pct": 100 * km["survival"],
                                   "at_risk": km["at_risk"]}))
    cols = ["cohort", "cohort_label", "cohort_order", "month", "share_pct", "at_risk"]
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts, ignore_index=True).sort_values(["cohort_order", "month"])


def _end_dates(db, rng: random.Random, n: int) -> list[dt.date]:
    ends = [pd.Timestamp(d).date() for d in db.df(
        "SELECT DISTINCT ended_on AS d FROM cells WHERE ended_on IS NOT NULL").d]
    return [d + dt.timedelta(days=k) for d in rng.sample(ends, min(n, len(ends)))
            for k in (-1, 0, 1)]                        # as_of equal to an end date too


def test_survival_from_counts_equals_the_per_cell_computation(demo_data):
    db, _ = demo_data
    rng = random.Random(21)
    codes = list(db.df("SELECT unit_code FROM units WHERE level = 'commune'").unit_code)
    checked = 0
    for d in _dates(db, rng, 3) + _end_dates(db, rng, 3):
        for communes in (None, rng.sample(codes, min(12, len(codes)))):
            data = ev.load(db, d, communes, rng.choice(["quarter", "year"]))
            for groups in (ev.phase_cohorts(data.cohorts), data.cohorts):
                got = ev.cell_survival(data.cells, groups, d)
                pd.testing.assert_frame_equal(got, _ref_cell_survival(data.cells, groups, d))
                pd.testing.assert_frame_equal(ev.survival_curves(data.cells, groups, d),
                                              _ref_survival_curves(data.cells, groups, d))
                checked += int(got["ci_low"].notna().sum())
    assert checked > 20


def test_kaplan_meier_from_counts_on_random_cells():
    """Random cells on many communes (ties, censoring at as_of, ends on as_of, groups below
    the bootstrap threshold) and the dense fallback when sums could round in float32."""
    rng = np.random.default_rng(5)
    as_of = dt.date(2025, 6, 30)
    for n_cells, n_communes in ((40, 3), (400, 6), (3000, 60)):
        est = pd.Timestamp("2022-01-01") + pd.to_timedelta(
            rng.integers(0, 1200, n_cells), unit="D")
        end = est + pd.to_timedelta(rng.integers(1, 900, n_cells), unit="D")
        end = end.where(rng.random(n_cells) < 0.5)
        end = end.where(end.isna() | (end <= pd.Timestamp(as_of)), pd.Timestamp(as_of))
        cells = pd.DataFrame({"commune_code": [f"C{i:03d}" for i in
                                               rng.integers(0, n_communes, n_cells)],
                              "established_on": est, "ended_on": end})
        cells = cells[cells["established_on"] <= pd.Timestamp(as_of)]
        for grid, draws in ((None, None), (np.arange(37), 0), ([3, 6, 9, 12], 50)):
            got, want = (ev.kaplan_meier(cells, as_of, grid, draws),
                         _ref_kaplan_meier(cells, as_of, grid, draws))
            for k in want:
                np.testing.assert_array_equal(got[k], want[k], err_msg=k)
    # sums that could round in float32 take the dense products (same code as before)
    M = np.full((2, 3), 2.0 ** 22, dtype=np.float32)
    where = ((np.array([0, 1]), np.array([0, 0])), (np.array([0, 1, 2]), np.array([1, 1, 0])))
    d, n = ev.coverage._resampled(M, where, 1)
    np.testing.assert_array_equal(d, M @ np.array([[1.0], [1.0], [0.0]], np.float32))
    np.testing.assert_array_equal(n, M @ np.array([[1.0], [1.0], [0.0]], np.float32))
    assert config.get("eval_survival_bootstrap_draws") > 0


# --------------------------------------------------------------------------------------------
# the descriptive before/after means joined by position: the same numbers as the merge on
# commune_code they replace (kept here as the reference)
def _ref_before_after(out: list, panel: pd.DataFrame, cohorts: pd.DataFrame, k: int,
                  delta: int) -> None:
    """Mean monthly value per commune of the started communes in the k months before the start
    (anticipation months excluded) and the first k months, and of the communes not yet
    started in the same calendar months (descriptive; no inference)."""
    if panel.empty:
        return
    c = cohorts[["commune_code", "cohort", "start_month"]].copy()
    c["start"] = c["start_month"].astype("Float64").fillna(np.inf).astype(float)
    p = panel.merge(c, on="commune_code", how="inner")
    control = {}        # start month -> control means (the same for every estimate)

    def control_means(s):
        if s not in control:
            ctrl = p[(p["start"] > s + k - 1 + delta)]
            control[s] = (ctrl[(ctrl["month"] >= s - k - delta) & (ctrl["month"] < s - delta)]
                          ["value"].mean(),
                          ctrl[(ctrl["month"] >= s) & (ctrl["month"] < s + k)]["value"].mean())
        return control[s]

    for e in out:
        mine = c if e.cohort == ev.ALL_STARTED else c[c["cohort"] == e.cohort]
        mine = mine[np.isfinite(mine["start"]) & (mine["cohort"] != "none")]
        if mine.empty:
            continue
        tp = p[p["commune_code"].isin(mine["commune_code"])]
        rel = tp["month"] - tp["start"]
        bef = tp[(rel >= -k - delta) & (rel < -delta)].groupby("commune_code")["value"].mean()
        aft = tp[(rel >= 0) & (rel < k)].groupby("commune_code")["value"].mean()
        e.before_mean = float(bef.mean()) if len(bef) else np.nan
        e.after_mean = float(aft.mean()) if len(aft) else np.nan
        # controls: same calendar months, communes not started by the end of each window
        bm, am = [], []
        for s in mine["start"].unique():
            b, a = control_means(s)
            bm.append(b)
            am.append(a)
        w = mine.groupby("start").size().reindex(mine["start"].unique()).to_numpy(float)
        for name, vals in (("control_before_mean", bm), ("control_after_mean", am)):
            v = np.asarray(vals, float)
            ok = np.isfinite(v)
            setattr(e, name, float(np.average(v[ok], weights=w[ok])) if ok.any() else np.nan)


def test_before_after_means_equal_the_merge_form(demo_data):
    import copy
    import importlib

    effects_module = importlib.import_module("dashboard.analysis.evaluation.effects")
    db, _ = demo_data
    rng = random.Random(3)
    codes = list(db.df("SELECT unit_code FROM units WHERE level = 'commune'").unit_code)
    checked = 0
    for d in _dates(db, rng, 3):
        for communes in (None, rng.sample(codes, min(15, len(codes)))):
            data = ev.load(db, d, communes, rng.choice(["quarter", "year"]))
            indicator = ev.default_indicator(data.indicators)
            if indicator is None:
                continue
            panel = ev.load_panel(db, d, indicator, communes)
            for scale in ("raw", "per_1000"):
                sp = ev.scaled_panel(panel, data.cohorts, scale)
                k, delta = rng.choice([6, 12, 24]), rng.choice([0, 1, 3])
                result = ev.effects(sp, data.cohorts, k, delta)
                got, want = copy.deepcopy(result.estimates), copy.deepcopy(result.estimates)
                effects_module._before_after(got, sp, data.cohorts, k, delta)
                _ref_before_after(want, sp, data.cohorts, k, delta)
                for a, b in zip(got, want):
                    for f in ("before_mean", "after_mean", "control_before_mean",
                              "control_after_mean"):
                        x, y = getattr(a, f), getattr(b, f)
                        assert x == y or (np.isnan(x) and np.isnan(y)), (d, f, x, y)
                        checked += int(np.isfinite(x))
    # a commune listed twice in the cohorts: the rows of the merge
    data = ev.load(db, dt.date(2025, 6, 30))
    twice = pd.concat([data.cohorts, data.cohorts.iloc[:3]], ignore_index=True)
    panel = ev.load_panel(db, data.as_of, ev.default_indicator(data.indicators))
    result = ev.effects(panel, data.cohorts, 12, 0)
    got, want = copy.deepcopy(result.estimates), copy.deepcopy(result.estimates)
    effects_module._before_after(got, panel, twice, 12, 0)
    _ref_before_after(want, panel, twice, 12, 0)
    assert [a.before_mean for a in got] == [b.before_mean for b in want]
    assert [a.control_after_mean for a in got] == [b.control_after_mean for b in want]
    assert checked > 30
