"""Pilot vs rollout evaluation: cohorts, months since start, survival, queries, DiD."""
import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

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


def test_cell_survival(tiny_db):
    data = ev.load(tiny_db, AS_OF)
    cells = data.cells.set_index("cell_id")
    assert pd.isna(cells.loc["c4", "ended_on"])                    # ended after as_of
    assert cells.loc["c2", "ended_on"] == pd.Timestamp("2024-06-01")
    s = ev.cell_survival(data.cells, data.cohorts, AS_OF, horizons=(6, 12))
    s = s.set_index(["cohort", "horizon"])
    # c1 (10/01) alive at 10/07; c2 (05/03) ended 01/06 before 05/09
    assert s.loc[("pilot", 6), "cells_eligible"] == 2
    assert s.loc[("pilot", 6), "cells_active"] == 1
    assert s.loc[("pilot", 6), "share_pct"] == 50.0
    assert s.loc[("rollout:2024Q2", 6), "share_pct"] == 100.0
    # c4 founded 02/08: 6 months end 02/02/2025 > as_of -> not yet eligible
    assert s.loc[("rollout:2024Q3", 6), "cells_eligible"] == 0
    assert math.isnan(s.loc[("rollout:2024Q3", 6), "share_pct"])
    assert s.loc[("pilot", 12), "cells_eligible"] == 0


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
    assert f["coverage_at_horizon"]["pilot"]["evidence"]["label"] == "Bằng chứng yếu"
    text = " ".join(f["sentences"])
    assert "1 xã thí điểm (bắt đầu từ 10/01/2024)" in text
    assert "Sau 6 tháng, các xã thí điểm đạt độ phủ 20,0%" in text
    assert "các xã nhân rộng đạt độ phủ 75,0%" in text
    assert "50,0% số tổ thí điểm và 100,0% số tổ nhân rộng" in text
    assert "chưa đủ số liệu" in text                                # 3 data points only


# --------------------------------------------------------------------------------------------
# difference-in-differences against statsmodels
def synthetic(effect=3.0, n_per=8, months=36, seed=1, pre_trend=0.0, missing=0.0):
    """Staggered panel: cohorts starting in months 12, 18, 24 and never-started communes;
    commune and month effects, known constant effect, optional pre-start trend."""
    rng = np.random.default_rng(seed)
    base = 2024 * 12
    rows, starts = [], []
    groups = [("pilot", "pilot", 12), ("rollout:2025Q3", "rollout", 18),
              ("rollout:2026Q1", "rollout", 24), ("none", "none", None)]
    month_fx = rng.normal(0, 2, months)
    for g, (_cohort, phase, s) in enumerate(groups):
        for i in range(n_per):
            code = f"{g}{i:02d}"
            alpha = rng.normal(10, 3)
            starts.append({"commune_code": code, "phase": phase,
                           "started_on": pd.NaT if s is None else pd.Timestamp(
                               year=(base + s) // 12, month=(base + s) % 12 + 1, day=5)})
            for t in range(months):
                if rng.random() < missing:
                    continue
                treated = s is not None and t >= s
                trend = pre_trend * (t - s) if (s is not None and t < s) else 0.0
                y = alpha + month_fx[t] + effect * treated + trend + rng.normal(0, 1)
                rows.append({"commune_code": code, "month": base + t, "value": y})
    cohorts = ev.assign_cohorts(pd.DataFrame(starts))
    return pd.DataFrame(rows), cohorts


def statsmodels_fit(sample, regressor="D", formula_fe="C(commune_code) + C(month)"):
    fit = smf.ols(f"value ~ {regressor} + {formula_fe}", data=sample).fit(
        cov_type="cluster", cov_kwds={"groups": pd.Categorical(sample["commune_code"]).codes},
        use_t=True)
    return fit


def test_twfe_matches_statsmodels_on_fixture():
    panel, cohorts = synthetic(missing=0.1, seed=7)
    sample, facts = ev.cohort_sample(panel, cohorts, "rollout:2025Q3", pre=12, post=12)
    assert facts["n_treated"] == 8
    # window = months 6..30; the 2026Q1 wave starts at 24 (inside it), so only the
    # never-started communes stay not-yet-started through the whole window
    assert facts["n_control"] == 8
    ours = ev.twfe(sample, "value", ["D"], "commune_code", "month", "commune_code")
    sm = statsmodels_fit(sample)
    assert ours.coef["D"] == pytest.approx(sm.params["D"], rel=1e-9, abs=1e-9)
    assert ours.se["D"] == pytest.approx(sm.bse["D"], rel=1e-7)
    lo, hi = sm.conf_int().loc["D"]
    assert ours.ci_low["D"] == pytest.approx(lo, rel=1e-7)
    assert ours.ci_high["D"] == pytest.approx(hi, rel=1e-7)
    assert ours.p_value["D"] == pytest.approx(sm.pvalues["D"], rel=1e-6)
    assert ours.n_clusters == 16 and ours.n_obs == int(sm.nobs)

    # the estimate the page shows for that cohort is this very regression
    est = {e.cohort: e for e in ev.did_estimates(panel, cohorts, pre=12, post=12)}
    e = est["rollout:2025Q3"]
    assert e.estimate == pytest.approx(sm.params["D"], rel=1e-9)
    assert (e.ci_low, e.ci_high) == (pytest.approx(lo, rel=1e-7), pytest.approx(hi, rel=1e-7))


def test_stacked_estimate_matches_statsmodels_coefficient():
    panel, cohorts = synthetic(seed=3)
    samples = [ev.cohort_sample(panel, cohorts, k, 12, 12)[0]
               for k in ("pilot", "rollout:2025Q3", "rollout:2026Q1")]
    s = ev._stack(samples)
    ours = ev.twfe(s, "value", ["D"], "unit", "month", "commune_code", block="stack")
    # statsmodels with C(unit) + C(period): same fit, but it counts the redundant
    # per-stack columns in K; correct its CR1 factor (N-1)/(N-K) for the comparison
    sm = smf.ols("value ~ D + C(unit) + C(period)", data=s).fit(
        cov_type="cluster", cov_kwds={"groups": pd.Categorical(s["commune_code"]).codes},
        use_t=True)
    assert ours.coef["D"] == pytest.approx(sm.params["D"], rel=1e-8)
    n, k_sm = len(s), sm.model.exog.shape[1]
    k_ours = 1 + s["unit"].nunique() + sum(g["month"].nunique() - 1
                                             for _, g in s.groupby("stack"))
    assert k_sm - k_ours == 2                                        # 3 stacks, 2 redundant
    se_sm = sm.bse["D"] * math.sqrt((n - k_sm) / (n - k_ours))
    assert ours.se["D"] == pytest.approx(se_sm, rel=1e-7)


def test_known_effect_is_recovered_within_interval():
    panel, cohorts = synthetic(effect=3.0, seed=11, missing=0.05)
    ests = {e.cohort: e for e in ev.did_estimates(panel, cohorts, pre=12, post=12)}
    assert set(ests) == {"pilot", "rollout:2025Q3", "rollout:2026Q1", "all_started"}
    pooled = ests["all_started"]
    assert pooled.ci_low < 3.0 < pooled.ci_high
    assert pooled.ci_high - pooled.ci_low < 1.5
    assert pooled.n_treated == 24
    for e in ests.values():
        assert e.ci_low < 3.0 < e.ci_high
        assert e.evidence["label"] in ("Bằng chứng mạnh", "Bằng chứng vừa", "Bằng chứng yếu")
    assert pooled.pretrend_p > 0.05 and pooled.evidence["pretrend_fails"] is False
    es = ev.event_study(panel, cohorts, pre=6, post=6).set_index("rel")
    assert es.loc[-1, "coef"] == 0.0
    assert list(es.index) == list(range(-6, 7))
    # each coefficient is relative to month -1 (itself noisy): compare the averages
    post, before = es.loc[0:6, "coef"].mean(), es.loc[-6:-2, "coef"].mean()
    assert post - before == pytest.approx(3.0, abs=0.5)
    assert abs(before) < 0.6
    assert all(es.loc[r, "ci_low"] < es.loc[r, "coef"] < es.loc[r, "ci_high"] for r in es.index
               if r != -1)
    starts = cohorts.set_index("commune_code")["start_month"].dropna().astype(int)
    at_start = panel[panel["month"] == panel["commune_code"].map(starts)]
    assert es.loc[0, "communes"] == at_start["commune_code"].nunique()


def test_pre_trend_is_detected_and_labelled_weak():
    panel, cohorts = synthetic(effect=0.0, seed=5, pre_trend=0.4)
    pooled = {e.cohort: e for e in ev.did_estimates(panel, cohorts)}["all_started"]
    assert pooled.pretrend_p < 0.05
    assert pooled.evidence["grade"] == "weak"
    assert pooled.evidence["pretrend_fails"] is True
    assert "kiểm định không đạt" in pooled.evidence["text"]


def test_evidence_grades():
    strong = ev.evidence(12, 15, 9, 0.04, 0.42)
    assert strong["label"] == "Bằng chứng mạnh"
    assert strong["text"] == (
        "Bằng chứng mạnh: 12 xã đã bắt đầu so với 15 xã chưa bắt đầu; 9 tháng số liệu trước "
        "khi bắt đầu (trung vị); thiếu 4,0% số tháng; xu hướng trước khi bắt đầu không khác "
        "nhóm đối chứng (p = 0,420) — kiểm định đạt.")
    assert ev.evidence(8, 15, 9, 0.04, 0.42)["grade"] == "moderate"
    assert ev.evidence(12, 15, 4, 0.04, 0.42)["grade"] == "moderate"
    assert ev.evidence(12, 15, 9, 0.2, 0.42)["grade"] == "moderate"
    weak = ev.evidence(2, 15, 9, 0.04, 0.42)
    assert weak["grade"] == "weak" and "chỉ 2 xã đã bắt đầu" in weak["text"]
    assert ev.evidence(12, 15, 9, 0.35, 0.42)["grade"] == "weak"
    assert ev.evidence(12, 15, 9, 0.04, 0.01)["grade"] == "weak"
    assert ev.evidence(12, 15, 9, 0.04, float("nan"))["grade"] == "weak"


def test_no_controls_gives_no_estimate():
    panel, cohorts = synthetic(seed=2)
    cohorts = cohorts[cohorts["cohort"].isin(["pilot"])]
    panel = panel[panel["commune_code"].isin(cohorts["commune_code"])]
    assert ev.did_estimates(panel, cohorts) == []
