"""Effects on an outcome indicator: Callaway–Sant'Anna ATT(g,t) cross-checked against the
reference package `differences`, known truths recovered (constant, cohort-varying, growing
effects), inference by number of communes, Holm, the joint lead test, labels, and a small
Monte Carlo under a true zero effect (the large one is benchmarks/bench_evaluation.py)."""
import math
import warnings

import numpy as np
import pandas as pd
import pytest

from dashboard.analysis import evaluation as ev
from dashboard.analysis.evaluation import estimation as est
from dashboard.analysis.evaluation import inference as inf
from dashboard.analysis.evaluation.simulate import simulate, true_effect

TOL = 1e-8      # agreement with the reference package (floating point only)


def _reference(panel, cohorts, anticipation=0):
    from differences import ATTgt

    c = cohorts.set_index("commune_code")
    df = panel.copy()
    df["cohort"] = df["commune_code"].map(c["start_month"].astype("Float64")).astype(float)
    df["entity"] = df["commune_code"].astype(int)
    df = df.rename(columns={"month": "time", "value": "y"}).set_index(["entity", "time"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        att = ATTgt(data=df[["y", "cohort"]], cohort_column="cohort", base_period="universal",
                    anticipation=anticipation)
        att.fit(formula="y", control_group="not_yet_treated", progress_bar=False)
        cells = att.results()
        event = att.aggregate("event")
        cohort = att.aggregate("cohort")
        overall = att.aggregate("cohort", overall=True)
    return cells, event, cohort, overall


@pytest.mark.parametrize("shape,anticipation", [("constant", 0), ("cohort", 0),
                                                ("growing", 0), ("growing", 2)])
def test_att_gt_and_aggregations_match_the_reference_package(shape, anticipation):
    """Every ATT(g,t), the event-study points (by commune) and the per-start-month and overall
    averages agree with `differences` (ATTgt, not-yet-treated, universal base) to 1e-8."""
    panel, cohorts, _ = simulate(n_communes=40, waves=(5, 6, 6), months=36, first_start=12,
                                 effect=shape, size=2.0, seed=3, missing=0.0)
    ref_cells, ref_event, ref_cohort, ref_overall = _reference(panel, cohorts, anticipation)
    p = est.build_panel(panel, cohorts, anticipation)
    cells = est.all_cells(p)
    sog = est.start_of_gid(p)
    att = est.cell_att(p, cells, [p.Y], p.group[None, :], sog)[0][0]
    ours = pd.Series(att, index=pd.MultiIndex.from_arrays(
        [sog[cells.gid].astype(int), sog[cells.gid].astype(int) + cells.e]))
    ref = ref_cells.droplevel("base_period").iloc[:, 0]
    ref.index = ref.index.set_levels([ref.index.levels[0].astype(int),
                                      ref.index.levels[1].astype(int)])
    both = pd.concat([ours.rename("ours"), ref.rename("ref")], axis=1, join="inner").dropna()
    assert len(both) > 250
    assert np.allclose(both["ours"], both["ref"], atol=TOL)
    # per start month over every post month (window longer than the data), overall by commune
    res = ev.effects(panel, cohorts, window=100, anticipation=anticipation, permutations=99,
                     bootstrap_draws=999)
    M = est.membership(cells, est.points(100, anticipation), 100)
    gp = est.group_points(att[None, :], cells, M, len(sog))[0]
    sizes = est.group_sizes(p)
    ref_by_g = ref_cohort.iloc[:, 0]
    matched = 0
    for j, g in enumerate(sog):
        if g in ref_by_g.index:
            assert gp[j, 0] == pytest.approx(ref_by_g.loc[g], abs=TOL)
            matched += 1
    assert matched == len(sog)
    main = res.main()
    assert main.estimate == pytest.approx(float(np.sum(sizes * gp[:, 0]) / sizes.sum()), abs=TOL)
    assert main.estimate == pytest.approx(ref_overall.iloc[0, 0], abs=TOL)
    # inference: the wild bootstrap's spread is that of the reference's analytic error
    se = (main.ci_high - main.ci_low) / (2 * 1.96)
    assert 0.7 < se / ref_overall.iloc[0, 1] < 1.4
    # event-study points (one month each) = the reference's event aggregation
    es = res.event[(res.event["cohort"] == "all_started") & res.event["point"].map(
        lambda x: isinstance(x, (int, np.integer)))]
    ref_es = ref_event.iloc[:, 0]
    for point, value in zip(es["point"], es["estimate"]):
        if point in ref_es.index and point != -1 - anticipation:
            assert value == pytest.approx(ref_es.loc[point], abs=TOL), point


@pytest.mark.parametrize("shape", ["constant", "cohort", "growing"])
def test_known_effects_are_recovered(shape):
    """The estimand (per-commune average of the first k months, averaged over communes) is
    recovered: per cohort and overall within their intervals, and close on average."""
    panel, cohorts, truth = simulate(n_communes=80, waves=(12, 12, 12), months=40,
                                     first_start=15, effect=shape, size=2.0, sigma=0.5, seed=11)
    res = ev.effects(panel, cohorts, 12, permutations=199, bootstrap_draws=499)
    tv = true_effect(cohorts, truth, 12, 40)
    by = res.by_cohort()
    assert set(by) == set(tv)
    for key, e in by.items():
        assert e.method == "bootstrap" and e.n_treated == (36 if key == "all_started" else 12)
        assert e.ci_low < tv[key] < e.ci_high, (key, e.estimate, tv[key])
        assert e.estimate == pytest.approx(tv[key], abs=0.35)
    if shape == "growing":
        es = res.event[res.event["cohort"] == "all_started"].set_index("label")
        assert es.loc["+11", "estimate"] > es.loc["0", "estimate"] + 2.0     # grows
        assert es.loc["≥ +12", "kind"] == "post" and "≤ −12" in es.index


def test_inference_method_follows_the_number_of_communes():
    for n, method in ((4, "descriptive"), (5, "permutation"), (9, "permutation"),
                      (10, "bootstrap")):
        panel, cohorts, _ = simulate(n_communes=40, waves=(n,), months=30, seed=n)
        e = ev.effects(panel, cohorts, 6, permutations=99, bootstrap_draws=99).main()
        assert e.method == method and e.n_treated == n
        if method == "descriptive":
            assert math.isnan(e.ci_low) and math.isnan(e.p_value) and math.isnan(e.pretrend_p)
            assert e.evidence["grade"] == "insufficient"
            assert "không tính khoảng tin cậy hay giá trị p" in e.evidence["text"]
            assert np.isfinite(e.before_mean) and np.isfinite(e.control_after_mean)
        else:
            assert e.ci_low < e.estimate < e.ci_high and 0 < e.p_value <= 1


def test_counts_each_commune_once():
    """Controls are counted once, not once per cohort; later waves serve as controls before
    their own start and are counted among them (and told apart from never-started ones)."""
    panel, cohorts, _ = simulate(n_communes=50, waves=(6, 6, 6), months=36, seed=2)
    res = ev.effects(panel, cohorts, 6, permutations=99, bootstrap_draws=99)
    main = res.main()
    assert main.n_treated == 18
    assert main.n_control <= 50 - 6               # the first wave is never a control
    assert main.n_control_never == 32
    assert main.n_treated + main.n_control_never == 50


def test_anticipation_moves_the_base_month_and_drops_those_months():
    panel, cohorts, _ = simulate(n_communes=40, waves=(12,), months=30, seed=5)
    r0 = ev.effects(panel, cohorts, 6, anticipation=0, bootstrap_draws=99)
    r2 = ev.effects(panel, cohorts, 6, anticipation=2, bootstrap_draws=99)
    k0 = r0.event.set_index("label")["kind"]
    k2 = r2.event.set_index("label")["kind"]
    assert k0["−1"] == "base" and k0["−2"] == "lead"
    assert k2["−3"] == "base" and k2["−1"] == "anticipation" and k2["−2"] == "anticipation"
    assert k2["−4"] == "lead"
    labels = list(r0.event["label"])
    assert labels[0] == "≤ −6" and labels[-1] == "≥ +6"           # binned ends, labelled
    assert r0.event["order"].is_monotonic_increasing


def test_pre_trend_is_detected_and_the_labels_say_so():
    panel, cohorts, _ = simulate(n_communes=80, waves=(15, 15), months=36, first_start=15,
                                 pre_trend=0.15, sigma=0.5, seed=8)
    main = ev.effects(panel, cohorts, 12, bootstrap_draws=499).main()
    assert main.pretrend_p < 0.05
    assert main.design["grade"] == "poor" and main.design["pretrend_passes"] is False
    assert main.evidence["grade"] != "strong"
    assert "kiểm định chung các tháng trước khi bắt đầu không đạt" in main.design["text"]
    assert "độ nhạy thấp" in main.design["text"]


def test_design_quality_boundaries():
    good = ev.design_quality(10, 10, 6, 0.10, 0.10)
    assert good["label"] == "Thiết kế tốt"
    assert ev.design_quality(9, 10, 6, 0.10, 0.10)["grade"] == "fair"
    assert ev.design_quality(10, 4, 6, 0.10, 0.10)["grade"] == "poor"
    assert ev.design_quality(10, 5, 6, 0.10, 0.10)["grade"] == "fair"
    assert ev.design_quality(10, 10, 5.5, 0.10, 0.10)["grade"] == "fair"
    assert ev.design_quality(10, 10, 2.5, 0.10, 0.10)["grade"] == "poor"
    assert ev.design_quality(10, 10, 6, 0.11, 0.10)["grade"] == "fair"
    assert ev.design_quality(10, 10, 6, 0.31, 0.10)["grade"] == "poor"
    assert ev.design_quality(10, 10, 6, 0.10, 0.099)["grade"] == "fair"
    assert ev.design_quality(10, 10, 6, 0.10, 0.049)["grade"] == "poor"
    assert ev.design_quality(10, 10, 6, 0.10, float("nan"))["grade"] == "poor"


def test_evidence_needs_an_interval_excluding_zero_trends_and_agreement():
    assert ev.evidence("bootstrap", 1.0, 0.01, 0.5, True, "good", 20)["grade"] == "strong"
    assert ev.evidence("bootstrap", 1.0, 0.05, 0.5, True, "good", 20)["grade"] == "none"
    none = ev.evidence("bootstrap", 1.0, 0.049, 0.5, True, "good", 20)
    assert none["grade"] == "strong"
    nothing = ev.evidence("permutation", 0.3, 0.40, 0.5, True, "good", 6)
    assert nothing["label"] == "Không có bằng chứng về tác động"
    assert "chứa 0" in nothing["text"]
    assert ev.evidence("bootstrap", 1.0, 0.01, 0.07, True, "good", 20)["grade"] == "moderate"
    assert ev.evidence("bootstrap", 1.0, 0.01, 0.01, True, "good", 20)["grade"] == "weak"
    assert ev.evidence("bootstrap", 1.0, 0.01, 0.5, None, "good", 20)["grade"] == "moderate"
    assert ev.evidence("bootstrap", 1.0, 0.01, 0.5, False, "good", 20)["grade"] == "weak"
    assert ev.evidence("bootstrap", 1.0, 0.01, 0.5, True, "poor", 20)["grade"] == "weak"
    assert ev.evidence("descriptive", 1.0, float("nan"), float("nan"), True, "good",
                       2)["grade"] == "insufficient"


def test_agreement_and_holm():
    assert ev.agreement(1.0, [(0.5, 0.2), (0.8, 0.01), (-0.1, 0.9)]) is True
    assert ev.agreement(1.0, [(0.5, 0.2), (-0.8, 0.01), (0.3, 0.9)]) is False
    assert ev.agreement(1.0, [(0.5, 0.2)]) is None
    assert ev.agreement(1.0, [(0.5, 0.2), (-0.2, 0.5), (-0.1, 0.6)]) is False   # 1/3 agree
    adj = inf.holm([0.01, 0.04, 0.03, float("nan")])
    assert list(adj[:3]) == pytest.approx([0.03, 0.06, 0.06]) and math.isnan(adj[3])
    assert list(inf.holm([0.5, 0.2])) == pytest.approx([0.5, 0.4])


def test_randomisation_p_value_is_exact_on_a_hand_case():
    """Two groups, four communes: every assignment drawn; the p-value counts them."""
    rng = np.random.default_rng(0)
    group = np.array([0, -1, -1, -1])
    draws = inf.permuted_assignments(rng, group, 400)
    assert set(map(tuple, draws)) == {(0, -1, -1, -1), (-1, 0, -1, -1), (-1, -1, 0, -1),
                                      (-1, -1, -1, 0)}
    assert inf.permutation_p(2.0, np.array([2.0, -1.0, 0.5, -3.0])) == pytest.approx(3 / 5)
    lo, hi = inf.permutation_interval(1.0, 1.0, rng.normal(0, 1, 999), np.zeros(999))
    assert lo == pytest.approx(1.0 - 1.96, abs=0.15) and hi == pytest.approx(1.0 + 1.96, abs=0.15)


def test_per_thousand_households_scale():
    panel, cohorts, _ = simulate(n_communes=20, waves=(6,), months=24, seed=1)
    scaled = ev.per_households(panel, cohorts)
    hh = cohorts.set_index("commune_code")["households"]
    row = scaled.iloc[0]
    raw = panel.iloc[0]
    assert row["value"] == pytest.approx(1000 * raw["value"] / hh[raw["commune_code"]])
    cohorts.loc[cohorts.index[0], "households"] = 0        # 0 households: dropped
    assert ev.per_households(panel, cohorts)["commune_code"].ne(
        cohorts["commune_code"].iloc[0]).all()
    assert "trên 1.000 hộ" in ev.estimand(12, "per_1000")


def test_positions_equal_get_indexer():
    """The panel's commune lookup (each distinct code once) = pandas' get_indexer, absent and
    missing codes included, on string and object columns, and on empty input."""
    rng = np.random.default_rng(4)
    keys = pd.Series([f"{i:05d}" for i in range(50)], dtype="str")
    pool = np.array(list(keys) + ["99999", "00000x", ""], dtype=object)
    values = pd.Series(rng.choice(pool, 5000), dtype=object)
    values[rng.choice(5000, 40, replace=False)] = None
    want = pd.Index(keys).get_indexer(values)
    for v in (values, values.astype("str"), list(values)):
        got = est.positions(keys, v)
        assert got.dtype.kind == "i" and (got == want).all()
    assert (est.positions(keys, values) == -1).sum() == (want == -1).sum() > 40
    assert len(est.positions(keys, pd.Series([], dtype="str"))) == 0
    assert (est.positions(pd.Series([], dtype="str"), values) == -1).all()
    with pytest.raises(pd.errors.InvalidIndexError):   # duplicated keys: no position
        est.positions(pd.concat([keys, keys.head(1)]), values)


def test_per_thousand_households_keeps_only_known_communes():
    """A panel row of a commune missing from the cohorts is dropped, as with map()."""
    panel, cohorts, _ = simulate(n_communes=20, waves=(6,), months=24, seed=1)
    extra = panel.head(3).assign(commune_code="khac")
    scaled = ev.per_households(pd.concat([panel, extra], ignore_index=True), cohorts)
    pd.testing.assert_frame_equal(scaled, ev.per_households(panel, cohorts))


def test_no_controls_gives_no_estimate():
    panel, cohorts, _ = simulate(n_communes=20, waves=(6,), months=24, wave_gap=1, seed=2)
    only = cohorts[cohorts["phase"] != "none"]          # all started in the same month
    res = ev.effects(panel[panel["commune_code"].isin(only["commune_code"])], only, 6)
    assert res.estimates == [] and res.main() is None


# --------------------------------------------------------------------------------------------
# Monte Carlo at small size (bounded): a true zero effect, AR(1) errors
@pytest.mark.parametrize("n_treated", [2, 6])
def test_monte_carlo_null_effect_small_size(n_treated):
    reps = 60
    covered, strong, described = [], 0, 0
    for r in range(reps):
        panel, cohorts, _ = simulate(n_communes=30, waves=(n_treated,), months=27,
                                     first_start=15, rho=0.5, seed=500 + r)
        e = ev.effects(panel, cohorts, 6, permutations=199, seed=r).main()
        strong += e.evidence["grade"] == "strong"
        if e.has_interval:
            covered.append(e.ci_low <= 0 <= e.ci_high)
        else:
            described += 1
    assert strong == 0
    if n_treated == 2:
        assert described == reps and covered == []        # never an interval with 2 communes
    else:
        # nominal 95 %; 60 draws: a binomial 95 % band is about ±5.5 points
        assert described == 0 and np.mean(covered) >= 0.88, np.mean(covered)
