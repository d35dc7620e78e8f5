"""The faster paths of the evaluation page give the figures of the paths they replace: the
coverage history read from the precomputed month ends (an_commune_months) against its
reference form on random dates on both sides of month ends and change days, the overview
split into a grouping-free part and a per-grouping part, findings from an estimate computed
beforehand, and a database whose analytics tables predate an_commune_months."""
import datetime as dt
import random

import pandas as pd
import pytest

from dashboard import store
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
