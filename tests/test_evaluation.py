"""Pilot vs rollout evaluation: cohorts, months since start, coverage intervals, survival,
queries (the one-pass coverage history against the macro at every month end)."""
import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard import store
from dashboard.analysis import evaluation as ev
from dashboard.store import queries

AS_OF = dt.date(2024, 12, 31)


# --------------------------------------------------------------------------------------------
# a tiny database computed by hand
@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("eval") / "tiny.duckdb"
    db = store.Database(path)
    cur = db.cursor()
    cur.execute("""INSERT INTO units VALUES
      ('24','Tỉnh Thử','province',NULL,NULL,NULL),
      ('A','Xã A','commune','24',NULL,NULL),
      ('A1','Thôn A1','village','A',100,NULL), ('A2','Thôn A2','village','A',100,NULL),
      ('B','Xã B','commune','24',NULL,NULL), ('B1','Thôn B1','village','B',200,NULL),
      ('C','Xã C','commune','24',50,NULL),
      ('D','Xã D','commune','24',NULL,NULL), ('D1','Thôn D1','village','D',100,NULL)""")
    cur.execute("""INSERT INTO cells VALUES
      ('c1','Tổ 1',NULL,'A1','pilot',  DATE '2024-01-10', NULL,              6,  40, NULL),
      ('c2','Tổ 2',NULL,'A2','rollout',DATE '2024-03-05', DATE '2024-06-01', 5,  80, NULL),
      ('c3','Tổ 3',NULL,'B1','rollout',DATE '2024-05-20', NULL,              8, 150, NULL),
      ('c4','Tổ 4',NULL,'D1','rollout',DATE '2024-08-02', DATE '2025-01-15', 7, 120, NULL)""")
    cur.execute("""INSERT INTO indicators VALUES
      ('A1','2024-01','f',3), ('A2','2024-01','f',2), ('B','2024-01','f',5),
      ('C','2024-02','f',1), ('C','2025-01','f',9), ('B','2024-02','g',4)""")
    cur.close()
    yield db
    db.close()


def test_commune_starts_and_cohorts(tiny_db):
    data = ev.load(tiny_db, AS_OF)
    c = data.cohorts.set_index("commune_code")
    assert c.loc["A", "phase"] == "pilot" and c.loc["A", "cohort"] == "pilot"
    assert c.loc["A", "cohort_label"] == "Thí điểm"
    assert c.loc["B", "cohort"] == "rollout:2024Q2"
    assert c.loc["B", "cohort_label"] == "Nhân rộng quý II/2024"
    assert c.loc["D", "cohort_label"] == "Nhân rộng quý III/2024"
    assert c.loc["C", "cohort"] == "none" and c.loc["C", "cohort_label"] == "Chưa bắt đầu"
    assert c.loc["A", "start_month"] == 2024 * 12
    # figures at as_of: A has c1 only (c2 ended 01/06), D's end is after as_of
    assert c.loc["A", "households_covered"] == 40 and c.loc["A", "coverage_pct"] == 20.0
    assert c.loc["D", "households_covered"] == 100 and c.loc["D", "cells"] == 1
    table = ev.cohort_table(data.cohorts)
    assert list(table["cohort"]) == ["pilot", "rollout:2024Q2", "rollout:2024Q3", "none"]
    assert list(table["communes"]) == [1, 1, 1, 1]
    assert table.loc[0, "first_start"] == pd.Timestamp("2024-01-10")
    assert table.loc[3, "households"] == 50 and table.loc[3, "coverage_pct"] == 0.0
    assert table.loc[0, "households_per_member"] == round(40 / 6, 2)


def test_assign_cohorts_quarter_and_year_boundaries():
    starts = pd.DataFrame({
        "commune_code": ["p", "a", "b", "c", "n"],
        "phase": ["pilot", "rollout", "rollout", "rollout", "none"],
        "started_on": [pd.Timestamp("2025-05-01"), pd.Timestamp("2024-03-31"),
                       pd.Timestamp("2024-04-01"), pd.Timestamp("2024-12-31"), pd.NaT],
    })
    q = ev.assign_cohorts(starts).set_index("commune_code")
    assert q["cohort"].to_dict() == {"p": "pilot", "a": "rollout:2024Q1", "b": "rollout:2024Q2",
                                     "c": "rollout:2024Q4", "n": "none"}
    assert q.loc["c", "cohort_label"] == "Nhân rộng quý IV/2024"
    assert pd.isna(q.loc["n", "start_month"])
    y = ev.assign_cohorts(starts, wave="year").set_index("commune_code")
    assert y.loc["a", "cohort"] == y.loc["c", "cohort"] == "rollout:2024"
    assert y.loc["a", "cohort_label"] == "Nhân rộng năm 2024"
    figures = dict(cells=0, members=0, households=1, households_covered=0,
                   households_covered_raw=0)
    order = ev.cohort_table(ev.assign_cohorts(starts.assign(**figures)))
    assert list(order["cohort"]) == ["pilot", "rollout:2024Q1", "rollout:2024Q2",
                                     "rollout:2024Q4", "none"]


def test_months_since():
    assert ev.months_since(dt.date(2024, 1, 31), dt.date(2024, 2, 1)) == 1
    assert ev.months_since(dt.date(2023, 12, 15), dt.date(2024, 1, 31)) == 1
    assert ev.months_since(dt.date(2024, 5, 20), dt.date(2024, 5, 31)) == 0
    assert ev.months_since(dt.date(2024, 5, 20), "2025-05") == 12
    assert ev.month_label(ev.month_index("2024-03")) == "03/2024"
    assert ev.add_months(dt.date(2024, 8, 31), 6) == dt.date(2025, 2, 28)


def test_coverage_history_and_horizons(tiny_db):
    data = ev.load(tiny_db, AS_OF)
    h = data.history
    a = h[h["commune_code"] == "A"].set_index("month_end")["coverage_pct"]
    # A: 40/200 in Jan-Feb, (40+80)/200 Mar-May, c2 ended 01/06 -> 40/200 again
    assert len(a) == 12
    assert a[pd.Timestamp("2024-01-31")] == 20.0
    assert a[pd.Timestamp("2024-03-31")] == 60.0
    assert a[pd.Timestamp("2024-05-31")] == 60.0
    assert a[pd.Timestamp("2024-06-30")] == 20.0
    d = h[h["commune_code"] == "D"]
    assert d["month_end"].min() == pd.Timestamp("2024-08-31")      # from its start month
    assert d["households_covered"].max() == 100                    # capped at the village
    assert set(h["commune_code"]) == {"A", "B", "D"}               # C never started
    ms = ev.with_months_since(h, AS_OF)
    assert ms.loc[(ms["commune_code"] == "B") & (ms["month_end"] == "2024-11-30"),
                  "months_since"].item() == 6

    f = ev.figures_at_horizons(h, data.cohorts, AS_OF, horizons=(6, 12))
    assert list(zip(f["horizon"], f["cohort"])) == [(6, "pilot"), (6, "rollout:2024Q2")]
    pilot = f.iloc[0]
    assert (pilot["communes"], pilot["cells"], pilot["members"]) == (1, 1, 6)
    assert pilot["coverage_pct"] == 20.0 and pilot["members_per_cell"] == 6.0
    assert pilot["households_per_member"] == round(40 / 6, 2)
    assert f.iloc[1]["coverage_pct"] == 75.0 and f.iloc[1]["households_per_member"] == 18.75
    by_phase = ev.figures_at_horizons(h, data.cohorts, AS_OF, horizons=(6,), groups="phase")
    assert list(by_phase["cohort"]) == ["pilot", "rollout"]
    assert by_phase.iloc[1]["communes"] == 1                       # D not yet 6 months

    r = ev.ramp_up(h, data.cohorts, AS_OF)
    p = r[r["cohort"] == "pilot"].set_index("months_since")
    assert p.loc[0, "median"] == 20.0 and p.loc[2, "median"] == 60.0 and p.loc[11, "median"] == 20.0
    assert p["communes"].max() == 1


def test_history_stops_at_as_of_mid_month(tiny_db):
    h = queries.run(tiny_db, "eval_coverage_history", as_of=dt.date(2024, 7, 15))
    assert h["month_end"].max() == pd.Timestamp("2024-07-15")
    ms = ev.with_months_since(h, dt.date(2024, 7, 15))
    assert ms["month_end"].max() == pd.Timestamp("2024-06-30")     # incomplete July dropped


def test_coverage_history_equals_the_macro_at_every_month_end(tiny_db):
    """The one-pass history (window functions) gives the commune_coverage macro's figures."""
    for as_of in (AS_OF, dt.date(2024, 7, 15), dt.date(2024, 3, 31), dt.date(2024, 1, 10)):
        h = queries.run(tiny_db, "eval_coverage_history", as_of=as_of)
        cur = tiny_db.cursor()
        for row in h.itertuples():
            ref = cur.execute("SELECT households, cells, members, households_covered, "
                              "households_covered_raw FROM commune_coverage(?) WHERE unit_code = ?",
                              [row.month_end.date(), row.commune_code]).fetchone()
            assert ref == (row.households, row.cells, row.members, row.households_covered,
                           row.households_covered_raw), (as_of, row)
        cur.close()


def test_ratio_interval_boundaries():
    # 4 communes: below the minimum of 5 -> no interval; 5 -> a t(4) linearised interval
    assert all(math.isnan(x) for x in ev.ratio_interval([10, 20, 30, 40], [100] * 4))
    lo, hi = ev.ratio_interval([10, 20, 30, 40, 50], [100] * 5)
    r = 0.3
    z = np.array([10, 20, 30, 40, 50]) - r * 100
    se = math.sqrt(5 / 4 * (z ** 2).sum()) / 500
    from scipy import stats

    t = stats.t.ppf(0.975, 4)
    assert lo == pytest.approx(100 * (r - t * se)) and hi == pytest.approx(100 * (r + t * se))
    assert lo < 30 < hi
    assert ev.ratio_interval([0] * 5, [0] * 5) == (pytest.approx(float("nan"), nan_ok=True),) * 2


def test_cell_survival_kaplan_meier(tiny_db):
    data = ev.load(tiny_db, AS_OF)
    cells = data.cells.set_index("cell_id")
    assert pd.isna(cells.loc["c4", "ended_on"])                    # ended after as_of
    assert cells.loc["c2", "ended_on"] == pd.Timestamp("2024-06-01")
    s = ev.cell_survival(data.cells, data.cohorts, AS_OF, horizons=(6, 12))
    s = s.set_index(["cohort", "horizon"])
    # pilot commune A: c1 (10/01, still active: followed 11.7 months), c2 (05/03, ended 01/06
    # after 2.9 months) -> S(6) = 1 - 1/2
    assert s.loc[("pilot", 6), "share_pct"] == 50.0
    assert s.loc[("pilot", 6), "at_risk"] == 1 and s.loc[("pilot", 6), "ended"] == 1
    assert math.isnan(s.loc[("pilot", 6), "ci_low"])                # 1 commune: no interval
    assert s.loc[("rollout:2024Q2", 6), "share_pct"] == 100.0
    # c4 founded 02/08: followed 4.9 months only -> nobody at risk at 6 months
    assert s.loc[("rollout:2024Q3", 6), "at_risk"] == 0
    assert math.isnan(s.loc[("rollout:2024Q3", 6), "share_pct"])
    assert math.isnan(s.loc[("pilot", 12), "share_pct"])            # c1 followed < 12 months


def test_kaplan_meier_matches_statsmodels_and_has_a_commune_interval():
    from statsmodels.duration.survfunc import SurvfuncRight

    rng = np.random.default_rng(4)
    n = 400
    est = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D")
    life = pd.to_timedelta(rng.exponential(700, n).astype(int), "D")
    as_of = pd.Timestamp("2025-06-30")
    end = (est + life).where(est + life <= as_of)
    cells = pd.DataFrame({"cell_id": range(n), "commune_code": rng.integers(0, 30, n).astype(str),
                          "established_on": est, "ended_on": end})
    km = ev.kaplan_meier(cells, as_of, grid=[6, 12, 24], draws=300)
    d = ev.coverage.cell_durations(cells, as_of)
    sf = SurvfuncRight(d["months"].to_numpy(), d["ended"].to_numpy())
    for i, g in enumerate([6, 12, 24]):
        ref = sf.surv_prob[sf.surv_times <= g][-1]
        assert km["survival"][i] == pytest.approx(ref, abs=1e-12)
        assert km["ci_low"][i] < km["survival"][i] < km["ci_high"][i]
        assert km["at_risk"][i] == int((d["months"] >= g).sum())
    # the commune bootstrap is wider than Greenwood's when cells of a commune end together
    assert km["ci_high"][1] - km["ci_low"][1] > 0


def test_indicator_queries(tiny_db):
    p = queries.run(tiny_db, "eval_indicator_panel", as_of=AS_OF, indicator="f", communes=None)
    assert p[["commune_code", "period", "value", "reports_count"]].values.tolist() == [
        ["A", "2024-01", 5.0, 2], ["B", "2024-01", 5.0, 1], ["C", "2024-02", 1.0, 1]]
    lst = queries.run(tiny_db, "eval_indicators", as_of=AS_OF).set_index("indicator")
    assert lst.loc["f", "communes"] == 3 and lst.loc["f", "last_period"] == "2024-02"
    assert lst.loc["g", "rows"] == 1
    only_b = queries.run(tiny_db, "eval_indicators", as_of=AS_OF, communes=["B"])
    assert only_b["indicator"].tolist() == ["f", "g"]


def test_key_findings_on_tiny_db(tiny_db):
    f = ev.key_findings(tiny_db, AS_OF, indicator="f", horizon=6)
    assert f["communes"] == {"pilot": 1, "rollout": 2, "none": 1, "waves": 2}
    assert f["coverage_at_horizon"]["pilot"]["coverage_pct"] == 20.0
    assert f["coverage_at_horizon"]["rollout"]["coverage_pct"] == 75.0
    assert math.isnan(f["coverage_at_horizon"]["pilot"]["ci_low"])   # 1 commune
    assert f["coverage_at_horizon"]["pilot"]["communes_listed"] == "Xã A"
    text = " ".join(f["sentences"])
    assert "1 xã thí điểm (bắt đầu từ 10/01/2024)" in text
    assert ("Sau 6 tháng, các xã thí điểm đạt độ phủ 20,0% (1 xã; dưới 5 xã nên không tính "
            "khoảng tin cậy)") in text
    assert "các xã nhân rộng đạt độ phủ 75,0%" in text
    assert "50,0% số tổ thí điểm và 100,0% số tổ nhân rộng" in text
    assert "chưa đủ số liệu" in text                                # 3 data points only


def test_evaluate_command_on_the_demo(demo_db):
    """`python -m dashboard evaluate` prints every estimate with both labels; the 2-commune
    pilot has no interval and no p-value; usage errors exit 2."""
    import json
    import subprocess
    import sys

    def run(*args):
        return subprocess.run([sys.executable, "-m", "dashboard", "evaluate", "--db",
                               str(demo_db), *args], capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parent.parent)

    out = run("--as-of", "2025-12-31", "--indicator", "antt_incidents", "--format", "json")
    assert out.returncode == 0, out.stderr
    rows = pd.DataFrame(json.loads(out.stdout))
    assert {"kind", "cohort", "estimand", "estimate", "ci_low", "ci_high", "p_value",
            "p_adjusted", "method", "n_treated", "n_control", "design_quality",
            "evidence"} <= set(rows.columns)
    eff = rows[rows["kind"] == "effect"].set_index("cohort")
    pilot = eff.loc["pilot"]
    assert pilot["n_treated"] == 2 and pd.isna(pilot["ci_low"]) and pd.isna(pilot["p_value"])
    assert pilot["evidence"] == "Chưa đủ xã để kết luận"
    main = eff.loc["all_started"]
    assert main["estimand"] == ("thay đổi trung bình mỗi tháng trong 12 tháng đầu so với các "
                                "xã chưa bắt đầu")
    assert main["ci_low"] < main["estimate"] < main["ci_high"]
    assert main["n_treated"] + 50 <= 99 + main["n_treated"] and main["n_control"] <= 99
    waves = eff[eff.index.str.startswith("rollout")]
    assert (waves["method"] == "suy luận hoán vị (randomisation inference)").all()
    assert (waves["p_adjusted"] >= waves["p_value"]).all()                  # Holm
    assert set(rows["kind"]) >= {"coverage_phase", "survival_phase", "effect",
                                 "pretrend_test", "event_study"}
    ev_rows = rows[(rows["kind"] == "event_study") & (rows["cohort"] == "all_started")]
    assert ev_rows["point"].iloc[0] == "≤ −12" and ev_rows["point"].iloc[-1] == "≥ +12"
    cov = rows[(rows["kind"] == "coverage_phase") & (rows["cohort"] == "pilot")]
    assert cov["ci_low"].isna().all()                                       # 2 communes
    csv = run("--as-of", "2025-12-31", "--anticipation", "1", "--window", "6")
    assert csv.returncode == 0 and csv.stdout.splitlines()[0].startswith("indicator,as_of,kind")
    assert run("--indicator", "khong_co").returncode == 2
    assert run("--as-of", "31/12/2025").returncode == 2
    assert run("--anticipation", "-1").returncode == 2
