"""Pilot vs rollout evaluation ("Thí điểm và nhân rộng"): cohorts, ramp-up, survival, DiD.

Everything here is pure pandas/numpy/scipy on the results of the named queries
eval_commune_starts, eval_coverage_history, eval_cell_survival, eval_indicator_panel and
eval_indicators; `load()` runs them and `key_findings()` returns the headline numbers and the
Vietnamese summary sentences (reused by the meeting-pack export).

Definitions
- Cohort of a commune (at as_of): `pilot` when its phase is pilot (commune_phase macro);
  a rollout commune belongs to the wave of the quarter (or year) of its start date, i.e. the
  date its first cell was founded; a commune with no cell yet is `none` (chưa bắt đầu).
- Months since start of a month end M for a commune started on S:
  (year(M)·12 + month(M)) − (year(S)·12 + month(S)); the start month is month 0.
  "k months after start" is the commune's figure at the end of month k; only complete months
  (month ends on or before as_of) count.
- Survival at k months: among cells founded at least k calendar months before as_of, the share
  whose end date is empty or later than founding + k months.
- Outcome effect (difference-in-differences, staggered adoption): for each cohort, a window
  from `pre` months before its first start to `post` months after its last start; the
  controls are the communes that have not started by the end of that window (later waves and
  communes with no cell). On that panel, OLS of the monthly value on D (1 from the commune's
  start month on) with commune and month fixed effects (two-way fixed effects); standard
  errors clustered by commune (CR1: G/(G−1)·(N−1)/(N−K)), 95 % interval from Student's t
  with G−1 degrees of freedom. The all-cohorts estimate stacks the cohort panels with
  cohort-specific commune and month effects, clustered by commune.
- Event study: the same regression with one dummy per month relative to the start
  (−pre … post, month −1 is the reference). Pre-start trend test: on the pre-start months,
  a linear trend specific to the started communes, tested against 0 (clustered, p < 0,05 fails).
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse, stats

from dashboard import config
from dashboard.contract import indicator_label
from dashboard.i18n import fmt

HORIZONS = tuple(config.get("evaluation_horizons"))
PILOT, NONE = "pilot", "none"
ALL_STARTED = "all_started"
PILOT_LABEL = "Thí điểm"
NONE_LABEL = "Chưa bắt đầu"
PHASE_LABELS = {PILOT: PILOT_LABEL, "rollout": "Nhân rộng", NONE: NONE_LABEL}
ALL_STARTED_LABEL = "Tất cả xã đã bắt đầu"
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}

EVIDENCE_LABELS = {"strong": "Bằng chứng mạnh", "moderate": "Bằng chứng vừa",
                   "weak": "Bằng chứng yếu"}

# Named queries this module reads (the page shows their SQL).
QUERY_NAMES = ("eval_commune_starts", "eval_coverage_history", "eval_cell_survival",
               "eval_indicators", "eval_indicator_panel")


# --------------------------------------------------------------------------------------------
# months
def month_index(value) -> int:
    """Calendar month number: 2024-03-15 and '2024-03' -> 2024*12 + 2."""
    if isinstance(value, str):
        return int(value[:4]) * 12 + int(value[5:7]) - 1
    ts = pd.Timestamp(value)
    return ts.year * 12 + ts.month - 1


def month_label(index: int) -> str:
    """2024*12+2 -> '03/2024'."""
    return f"{index % 12 + 1:02d}/{index // 12}"


def months_since(start, when) -> int:
    return month_index(when) - month_index(start)


def _to_date(value) -> dt.date:
    return pd.Timestamp(value).date()


def add_months(day: dt.date, months: int) -> dt.date:
    return (pd.Timestamp(day) + pd.DateOffset(months=months)).date()


def _is_month_end(day) -> bool:
    ts = pd.Timestamp(day)
    return ts.day == ts.days_in_month


# --------------------------------------------------------------------------------------------
# cohorts
def wave_of(started_on, wave: str = "quarter") -> tuple[str, str, int]:
    """(key, Vietnamese label, sort key) of the rollout wave of a start date."""
    ts = pd.Timestamp(started_on)
    if wave == "year":
        return f"rollout:{ts.year}", f"Nhân rộng năm {ts.year}", ts.year * 10
    q = (ts.month - 1) // 3 + 1
    return (f"rollout:{ts.year}Q{q}", f"Nhân rộng quý {ROMAN[q]}/{ts.year}",
            ts.year * 10 + q)


def assign_cohorts(starts: pd.DataFrame, wave: str = "quarter") -> pd.DataFrame:
    """eval_commune_starts rows + cohort, cohort_label, cohort_order, start_month (index)."""
    out = starts.copy()
    out["started_on"] = pd.to_datetime(out["started_on"])
    keys, labels, orders, months = [], [], [], []
    for phase, started in zip(out["phase"], out["started_on"]):
        if phase == PILOT and not pd.isna(started):
            keys.append(PILOT), labels.append(PILOT_LABEL), orders.append(0)
        elif phase == NONE or pd.isna(started):
            keys.append(NONE), labels.append(NONE_LABEL), orders.append(10**9)
        else:
            k, lab, order = wave_of(started, wave)
            keys.append(k), labels.append(lab), orders.append(order)
        months.append(np.nan if pd.isna(started) else month_index(started))
    out["cohort"] = keys
    out["cohort_label"] = labels
    out["cohort_order"] = orders
    out["start_month"] = pd.array(months, dtype="Int64") if len(months) else pd.array(
        [], dtype="Int64")
    return out


def cohort_labels(cohorts: pd.DataFrame) -> dict[str, str]:
    c = cohorts.sort_values("cohort_order")
    return dict(zip(c["cohort"], c["cohort_label"]))


def _figures(df: pd.DataFrame) -> dict:
    """The pilot_vs_rollout figures of a set of communes (same formulas as that query)."""
    cells = float(df["cells"].sum())
    members = float(df["members"].sum())
    households = float(df["households"].sum())
    covered = float(df["households_covered"].sum())
    raw = float(df["households_covered_raw"].sum())
    return {
        "communes": int(len(df)),
        "cells": int(cells),
        "members": int(members),
        "members_per_cell": round(members / cells, 2) if cells else np.nan,
        "households": int(households),
        "households_covered": int(covered),
        "coverage_pct": round(100.0 * covered / households, 2) if households else 0.0,
        "households_per_member": round(raw / members, 2) if members else np.nan,
    }


def ratio_ci(covered, households, reps: int = 2000, seed: int = 0,
             level: float = 0.95) -> tuple[float, float]:
    """Commune-level bootstrap percentile interval of 100·Σcovered/Σhouseholds."""
    covered = np.asarray(covered, float)
    households = np.asarray(households, float)
    n = len(covered)
    if n < 2 or households.sum() <= 0:
        return (np.nan, np.nan)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(reps, n))
    num, den = covered[idx].sum(axis=1), households[idx].sum(axis=1)
    ratios = np.where(den > 0, 100.0 * num / np.where(den > 0, den, 1), 0.0)
    a = (1 - level) / 2
    return (float(np.quantile(ratios, a)), float(np.quantile(ratios, 1 - a)))


def phase_cohorts(cohorts: pd.DataFrame) -> pd.DataFrame:
    """The same communes grouped as pilot / rollout (all waves together) / not started."""
    out = cohorts.copy()
    out["cohort"] = out["phase"]
    out["cohort_label"] = out["phase"].map(PHASE_LABELS)
    out["cohort_order"] = out["phase"].map({PILOT: 0, "rollout": 1, NONE: 2})
    return out


def size_evidence(communes: int) -> dict:
    """Evidence grade of a descriptive figure (a share or a coverage across communes):
    10 communes or more = strong, 5–9 = moderate, fewer = weak."""
    grade = "strong" if communes >= 10 else ("moderate" if communes >= 5 else "weak")
    return {"grade": grade, "label": EVIDENCE_LABELS[grade]}


def cohort_table(cohorts: pd.DataFrame) -> pd.DataFrame:
    """One row per cohort: size, first/last start and the figures at as_of."""
    rows = []
    for key, g in cohorts.groupby("cohort", sort=False):
        rows.append({"cohort": key, "cohort_label": g["cohort_label"].iloc[0],
                     "cohort_order": g["cohort_order"].iloc[0],
                     "first_start": g["started_on"].min(), "last_start": g["started_on"].max(),
                     **_figures(g)})
    cols = ["cohort", "cohort_label", "cohort_order", "first_start", "last_start", "communes",
            "cells", "members", "members_per_cell", "households", "households_covered",
            "coverage_pct", "households_per_member"]
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values("cohort_order").reset_index(drop=True)


def with_months_since(history: pd.DataFrame, as_of) -> pd.DataFrame:
    """eval_coverage_history + months_since; keeps complete months only (month end ≤ as_of)."""
    h = history.copy()
    h["month_end"] = pd.to_datetime(h["month_end"])
    h["started_on"] = pd.to_datetime(h["started_on"])
    h["months_since"] = [month_index(m) - month_index(s)
                         for m, s in zip(h["month_end"], h["started_on"])]
    complete = [_is_month_end(m) for m in h["month_end"]]
    return h[pd.Series(complete, index=h.index, dtype=bool)].reset_index(drop=True)


def figures_at_horizons(history: pd.DataFrame, cohorts: pd.DataFrame, as_of,
                        horizons=HORIZONS, groups: str = "cohort") -> pd.DataFrame:
    """Per cohort (or per phase with groups='phase') and horizon k: the figures of the
    communes that have reached k complete months since their start, at the end of month k,
    with a commune-bootstrap 95 % interval of the coverage."""
    h = with_months_since(history, as_of)
    key_cols = ["commune_code", "cohort", "cohort_label", "cohort_order", "phase"]
    h = h.merge(cohorts[key_cols], on="commune_code", how="inner")
    if groups == "phase":
        h["cohort"] = h["phase"]
        h["cohort_label"] = h["phase"].map(PHASE_LABELS)
        h["cohort_order"] = h["phase"].map({PILOT: 0, "rollout": 1})
    rows = []
    for k in horizons:
        at = h[h["months_since"] == k]
        for key, g in at.groupby("cohort", sort=False):
            lo, hi = ratio_ci(g["households_covered"], g["households"])
            rows.append({"horizon": k, "cohort": key, "cohort_label": g["cohort_label"].iloc[0],
                         "cohort_order": g["cohort_order"].iloc[0], **_figures(g),
                         "coverage_ci_low": lo, "coverage_ci_high": hi,
                         "evidence": size_evidence(g["commune_code"].nunique())["label"]})
    cols = ["horizon", "cohort", "cohort_label", "cohort_order", "communes", "cells", "members",
            "members_per_cell", "households", "households_covered", "coverage_pct",
            "households_per_member", "coverage_ci_low", "coverage_ci_high", "evidence"]
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["cohort_order", "horizon"]).reset_index(drop=True)


def ramp_up(history: pd.DataFrame, cohorts: pd.DataFrame, as_of,
            max_months: int | None = None) -> pd.DataFrame:
    """Per cohort and months since start: communes observed, median and quartiles of the
    commune coverage (complete months only)."""
    h = with_months_since(history, as_of).merge(
        cohorts[["commune_code", "cohort", "cohort_label", "cohort_order"]], on="commune_code")
    if max_months is not None:
        h = h[h["months_since"] <= max_months]
    g = h.groupby(["cohort", "cohort_label", "cohort_order", "months_since"])["coverage_pct"]
    out = pd.DataFrame({
        "communes": g.size(),
        "median": g.median(),
        "p25": g.quantile(0.25),
        "p75": g.quantile(0.75),
    }).reset_index()
    return out.sort_values(["cohort_order", "months_since"]).reset_index(drop=True)


def cell_survival(cells: pd.DataFrame, cohorts: pd.DataFrame, as_of,
                  horizons=HORIZONS) -> pd.DataFrame:
    """Per cohort and horizon k: cells founded ≥ k months before as_of (eligible), those still
    active k months after founding, and the share (%)."""
    as_of = _to_date(as_of)
    c = cells.merge(cohorts[["commune_code", "cohort", "cohort_label", "cohort_order"]],
                    on="commune_code", how="inner")
    est = pd.to_datetime(c["established_on"])
    ended = pd.to_datetime(c["ended_on"])
    limit = pd.Timestamp(as_of)
    rows = []
    for k in horizons:
        due = est + pd.DateOffset(months=k)
        c["_eligible"] = (due <= limit).to_numpy()
        c["_alive"] = (c["_eligible"] & (ended.isna() | (ended > due))).to_numpy()
        for key, g in c.groupby("cohort", sort=False):
            n, a = int(g["_eligible"].sum()), int(g["_alive"].sum())
            communes = int(g.loc[g["_eligible"], "commune_code"].nunique())
            rows.append({"horizon": k, "cohort": key, "cohort_label": g["cohort_label"].iloc[0],
                         "cohort_order": g["cohort_order"].iloc[0], "communes": communes,
                         "cells_eligible": n, "cells_active": a,
                         "share_pct": round(100.0 * a / n, 2) if n else np.nan,
                         "evidence": size_evidence(communes)["label"] if n else ""})
    cols = ["horizon", "cohort", "cohort_label", "cohort_order", "communes", "cells_eligible",
            "cells_active", "share_pct", "evidence"]
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["cohort_order", "horizon"]).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# two-way fixed effects with commune-clustered standard errors
@dataclass
class Fit:
    coef: dict
    se: dict
    ci_low: dict
    ci_high: dict
    p_value: dict
    n_obs: int
    n_clusters: int
    dof: int


def _fixed_effects(d: pd.DataFrame, unit: str, time: str, block: str | None):
    """Sparse fixed-effect design (U | T): one column per unit, one per time period except the
    first period of each block (stacked panels have disjoint blocks). Without blocks it spans
    the same space, with the same column count, as patsy's Intercept + C(unit) + C(time)."""
    n = len(d)
    u_codes = pd.Categorical(d[unit]).codes
    b = d[block].astype(str) if block else pd.Series("", index=d.index)
    bt = pd.Categorical(b + "\x1f" + d[time].astype(str))
    cats = pd.Series(bt.categories)
    first_of_block = ~cats.str.split("\x1f").str[0].duplicated()
    keep = np.nonzero(~first_of_block.to_numpy())[0]
    remap = np.full(len(cats), -1)
    remap[keep] = np.arange(len(keep))
    t_cols = remap[bt.codes]
    rows = np.nonzero(t_cols >= 0)[0]
    U = sparse.csr_matrix((np.ones(n), (np.arange(n), u_codes)),
                          shape=(n, int(u_codes.max()) + 1))
    T = sparse.csr_matrix((np.ones(len(rows)), (rows, t_cols[rows])), shape=(n, len(keep)))
    return U, T


def _partial_out(U, T, M: np.ndarray) -> np.ndarray:
    """Residuals of the columns of M on the fixed effects [U T] (Frisch–Waugh–Lovell), solving
    the normal equations through the Schur complement of the (diagonal) unit block."""
    du = np.asarray(U.sum(axis=0)).ravel()
    dt_ = np.asarray(T.sum(axis=0)).ravel()
    B = (U.T @ T).toarray()
    a, b = U.T @ M, T.T @ M
    Bs = B / du[:, None]
    S = np.diag(dt_) - B.T @ Bs
    z = np.linalg.lstsq(S, b - Bs.T @ a, rcond=None)[0] if len(dt_) else np.zeros((0, M.shape[1]))
    x = (a - B @ z) / du[:, None]
    return M - U @ x - T @ z


def twfe(df: pd.DataFrame, y: str, regressors: list[str], unit: str, time: str,
         cluster: str, level: float = 0.95, block: str | None = None) -> Fit | None:
    """OLS of y on regressors + unit and time fixed effects, CR1 clustered covariance as
    statsmodels' OLS(...).fit(cov_type='cluster') (G/(G−1)·(N−1)/(N−K), K counting the
    fixed-effect columns); t(G−1) intervals. Computed by partialling out the fixed effects
    (exact, same coefficients and sandwich). `block`: stacked panels, time effects per block.
    Regressors the fixed effects absorb get NaN. None when there is nothing to estimate."""
    d = df.dropna(subset=[y])
    if d.empty or not regressors:
        return None
    n = len(d)
    U, T = _fixed_effects(d, unit, time, block)
    M = _partial_out(U, T, np.column_stack([d[regressors].to_numpy(float),
                                         d[y].to_numpy(float)]))
    R, Y = M[:, :-1], M[:, -1]
    raw = d[regressors].to_numpy(float)
    keep = [j for j in range(R.shape[1])
            if np.sum(R[:, j] ** 2) > 1e-9 * max(1.0, np.sum(raw[:, j] ** 2))]
    nan = {r: np.nan for r in regressors}
    g_codes = pd.Categorical(d[cluster]).codes
    G = int(g_codes.max() + 1)
    empty = Fit(dict(nan), dict(nan), dict(nan), dict(nan), dict(nan), n, G, G - 1)
    if not keep or G < 2:
        return empty
    X = R[:, keep]
    k = X.shape[1] + U.shape[1] + T.shape[1]
    if n - k <= 0 or np.linalg.matrix_rank(X) < X.shape[1]:
        return empty
    bread = np.linalg.inv(X.T @ X)
    beta = bread @ (X.T @ Y)
    u = Y - X @ beta
    scores = np.zeros((G, X.shape[1]))
    np.add.at(scores, g_codes, X * u[:, None])
    corr = G / (G - 1) * (n - 1) / (n - k)
    V = corr * bread @ (scores.T @ scores) @ bread
    tcrit = stats.t.ppf(0.5 + level / 2, G - 1)
    coef, se, lo, hi, p = dict(nan), dict(nan), dict(nan), dict(nan), dict(nan)
    for pos, j in enumerate(keep):
        name = regressors[j]
        b, s = float(beta[pos]), float(math.sqrt(max(V[pos, pos], 0.0)))
        coef[name], se[name] = b, s
        lo[name], hi[name] = b - tcrit * s, b + tcrit * s
        p[name] = float(2 * stats.t.sf(abs(b / s), G - 1)) if s > 0 else np.nan
    return Fit(coef, se, lo, hi, p, n, G, G - 1)


# --------------------------------------------------------------------------------------------
# difference-in-differences on the indicator panel
def prepare_panel(panel: pd.DataFrame) -> pd.DataFrame:
    """eval_indicator_panel rows -> commune_code, month (index), value."""
    p = panel[["commune_code", "period", "value"]].copy()
    p["month"] = [month_index(x) for x in p["period"]]
    p["value"] = p["value"].astype(float)
    return p[["commune_code", "month", "value"]]


def cohort_sample(panel: pd.DataFrame, cohorts: pd.DataFrame, cohort: str,
                  pre: int = 12, post: int = 12) -> tuple[pd.DataFrame, dict]:
    """The panel of one cohort against its not-yet-started controls (see module doc).
    Returns the sample (commune_code, month, value, treated, D, rel) and its design facts."""
    c = cohorts[cohorts["start_month"].notna() | (cohorts["cohort"] == NONE)]
    tr = cohorts[cohorts["cohort"] == cohort]
    if tr.empty or panel.empty:
        return pd.DataFrame(), {}
    first, last = int(tr["start_month"].min()), int(tr["start_month"].max())
    data_first, data_last = int(panel["month"].min()), int(panel["month"].max())
    w_start, w_end = max(first - pre, data_first), min(last + post, data_last)
    if w_end < w_start:
        return pd.DataFrame(), {}
    later = c["start_month"].isna() | (c["start_month"].astype("Float64") > w_end)
    controls = c[later.fillna(True).astype(bool) & (c["cohort"] != cohort)]
    starts = dict(zip(tr["commune_code"], tr["start_month"].astype(int)))
    codes = set(starts) | set(controls["commune_code"])
    s = panel[panel["commune_code"].isin(codes) & panel["month"].between(w_start, w_end)].copy()
    s["treated"] = s["commune_code"].isin(starts).astype(int)
    start = s["commune_code"].map(starts)
    s["rel"] = (s["month"] - start).astype("Float64")
    s["D"] = ((s["treated"] == 1) & (s["rel"] >= 0)).astype(int)
    s["rel"] = s["rel"].astype(float)
    months = w_end - w_start + 1
    n_tr = int(s.loc[s["treated"] == 1, "commune_code"].nunique())
    n_co = int(s.loc[s["treated"] == 0, "commune_code"].nunique())
    pre_counts = (s[(s["treated"] == 1) & (s["rel"] < 0)].groupby("commune_code").size()
                  .reindex(list(starts), fill_value=0))
    expected = months * (len(starts) + len(controls))
    facts = {"cohort": cohort, "window_start": w_start, "window_end": w_end,
             "n_treated": n_tr, "n_control": n_co,
             "n_treated_declared": len(starts), "n_control_declared": len(controls),
             "pre_months": float(pre_counts.median()) if len(pre_counts) else 0.0,
             "missing_share": 1 - len(s) / expected if expected else 1.0}
    s["stack"] = cohort
    return s.reset_index(drop=True), facts


def _stack(samples: list[pd.DataFrame]) -> pd.DataFrame:
    s = pd.concat(samples, ignore_index=True)
    s["unit"] = s["stack"] + "|" + s["commune_code"].astype(str)
    s["period"] = s["stack"] + "|" + s["month"].astype(str)
    return s


def pretrend_test(sample: pd.DataFrame) -> float:
    """p-value of a linear pre-start trend of the started communes (NaN if not testable)."""
    s = sample[(sample["treated"] == 0) | (sample["rel"] < 0)].copy()
    s["trend"] = np.where(s["treated"] == 1, s["rel"], 0.0)
    if s.loc[s["treated"] == 1, "month"].nunique() < 3:
        return np.nan
    fit = twfe(s, "value", ["trend"], "unit", "month", "commune_code", block="stack")
    return np.nan if fit is None else fit.p_value["trend"]


def evidence(n_treated: int, n_control: int, pre_months: float, missing_share: float,
             pretrend_p: float) -> dict:
    """Evidence grade of an estimate with the reasons, in plain Vietnamese."""
    weak, not_strong = [], []
    if n_treated < 5:
        weak.append(f"chỉ {n_treated} xã đã bắt đầu (cần ít nhất 5)")
    elif n_treated < 10:
        not_strong.append(f"{n_treated} xã đã bắt đầu (dưới 10)")
    if n_control < 5:
        weak.append(f"chỉ {n_control} xã đối chứng (cần ít nhất 5)")
    elif n_control < 10:
        not_strong.append(f"{n_control} xã đối chứng (dưới 10)")
    if pre_months < 3:
        weak.append(f"chỉ {fmt.number(pre_months, 1)} tháng số liệu trước khi bắt đầu")
    elif pre_months < 6:
        not_strong.append(f"{fmt.number(pre_months, 1)} tháng số liệu trước khi bắt đầu "
                          "(dưới 6)")
    if missing_share > 0.30:
        weak.append(f"thiếu {fmt.percent(100 * missing_share)} số tháng")
    elif missing_share > 0.10:
        not_strong.append(f"thiếu {fmt.percent(100 * missing_share)} số tháng (trên 10%)")
    if pretrend_p is None or (isinstance(pretrend_p, float) and math.isnan(pretrend_p)):
        trend = "không kiểm định được xu hướng trước khi bắt đầu"
        weak.append(trend)
        trend_fails = None
    elif pretrend_p < 0.05:
        trend = (f"xu hướng trước khi bắt đầu đã khác nhóm đối chứng "
                 f"(p = {fmt.fixed(pretrend_p, 3)}) — kiểm định không đạt")
        weak.append("xu hướng trước khi bắt đầu đã khác nhóm đối chứng")
        trend_fails = True
    else:
        trend = (f"xu hướng trước khi bắt đầu không khác nhóm đối chứng "
                 f"(p = {fmt.fixed(pretrend_p, 3)}) — kiểm định đạt")
        if pretrend_p < 0.10:
            not_strong.append("xu hướng trước khi bắt đầu gần khác biệt (p < 0,10)")
        trend_fails = False
    grade = "weak" if weak else ("moderate" if not_strong else "strong")
    facts = (f"{n_treated} xã đã bắt đầu so với {n_control} xã chưa bắt đầu; "
             f"{fmt.number(pre_months, 1)} tháng số liệu trước khi bắt đầu (trung vị); "
             f"thiếu {fmt.percent(100 * missing_share)} số tháng; {trend}")
    reasons = weak or not_strong
    text = f"{EVIDENCE_LABELS[grade]}: {facts}."
    if reasons:
        text += " Lý do: " + "; ".join(reasons) + "."
    return {"grade": grade, "label": EVIDENCE_LABELS[grade], "text": text,
            "pretrend_fails": trend_fails, "reasons": reasons}


@dataclass
class Estimate:
    cohort: str
    cohort_label: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    n_treated: int
    n_control: int
    n_obs: int
    pre_months: float
    missing_share: float
    pretrend_p: float
    window_start: int
    window_end: int
    before_mean: float
    after_mean: float
    evidence: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def _estimate(sample: pd.DataFrame, facts: dict, key: str, label: str) -> Estimate | None:
    if sample.empty or facts["n_treated"] == 0:
        return None
    fit = twfe(sample, "value", ["D"], "unit", "month", "commune_code", block="stack")
    if fit is None or math.isnan(fit.coef["D"]):
        return None
    ptrend = pretrend_test(sample)
    tr = sample[sample["treated"] == 1]
    before = tr.loc[tr["rel"] < 0, "value"].mean()
    after = tr.loc[tr["rel"] >= 0, "value"].mean()
    ev = evidence(facts["n_treated"], facts["n_control"], facts["pre_months"],
                  facts["missing_share"], ptrend)
    return Estimate(key, label, fit.coef["D"], fit.se["D"], fit.ci_low["D"], fit.ci_high["D"],
                    fit.p_value["D"], facts["n_treated"], facts["n_control"], fit.n_obs,
                    facts["pre_months"], facts["missing_share"], ptrend,
                    facts["window_start"], facts["window_end"],
                    float(before) if not pd.isna(before) else np.nan,
                    float(after) if not pd.isna(after) else np.nan, ev)


def did_estimates(panel: pd.DataFrame, cohorts: pd.DataFrame, pre: int = 12,
                  post: int = 12) -> list[Estimate]:
    """One estimate per started cohort, then the stacked all-cohorts estimate."""
    if panel.empty:
        return []
    labels = cohort_labels(cohorts)
    out, samples, facts_all = [], [], []
    for key in [k for k in labels if k != NONE]:
        sample, facts = cohort_sample(panel, cohorts, key, pre, post)
        if sample.empty or facts["n_treated"] == 0 or facts["n_control"] == 0:
            continue
        sample = _stack([sample])
        est = _estimate(sample, facts, key, labels[key])
        if est is not None:
            out.append(est)
            samples.append(sample)
            facts_all.append(facts)
    if len(samples) > 1:
        s = _stack(samples)
        treated = s.loc[s["treated"] == 1, "commune_code"].nunique()
        control = s.loc[s["treated"] == 0, "commune_code"].nunique()
        w = np.array([f["n_treated_declared"] for f in facts_all], float)
        facts = {"n_treated": int(treated), "n_control": int(control),
                 "pre_months": float(np.average([f["pre_months"] for f in facts_all],
                                                weights=w)),
                 "missing_share": float(np.average([f["missing_share"] for f in facts_all],
                                                   weights=w)),
                 "window_start": min(f["window_start"] for f in facts_all),
                 "window_end": max(f["window_end"] for f in facts_all)}
        est = _estimate(s, facts, ALL_STARTED, ALL_STARTED_LABEL)
        if est is not None:
            out.append(est)
    return out


def event_study(panel: pd.DataFrame, cohorts: pd.DataFrame, cohort: str = ALL_STARTED,
                pre: int = 12, post: int = 12) -> pd.DataFrame:
    """Effect by month relative to the start (month −1 = 0 by construction), with 95 %
    clustered intervals and the number of started communes observed at each month."""
    labels = cohort_labels(cohorts)
    keys = [k for k in labels if k != NONE] if cohort == ALL_STARTED else [cohort]
    samples = []
    for key in keys:
        sample, facts = cohort_sample(panel, cohorts, key, pre, post)
        if not sample.empty and facts["n_treated"] and facts["n_control"]:
            samples.append(sample)
    cols = ["rel", "coef", "ci_low", "ci_high", "communes"]
    if not samples:
        return pd.DataFrame(columns=cols)
    s = _stack(samples)
    rel = s["rel"].clip(lower=-pre, upper=post)
    names = []
    for r in range(-pre, post + 1):
        if r == -1:
            continue
        name = f"rel_{r}".replace("-", "m")
        s[name] = ((s["treated"] == 1) & (rel == r)).astype(float)
        if s[name].sum() > 0:
            names.append((r, name))
    fit = twfe(s, "value", [n for _, n in names], "unit", "month", "commune_code",
               block="stack")
    counts = s[s["treated"] == 1].assign(r=rel).groupby("r")["commune_code"].nunique()
    rows = [{"rel": -1, "coef": 0.0, "ci_low": 0.0, "ci_high": 0.0,
             "communes": int(counts.get(-1, 0))}]
    for r, name in names:
        rows.append({"rel": r, "coef": fit.coef[name] if fit else np.nan,
                     "ci_low": fit.ci_low[name] if fit else np.nan,
                     "ci_high": fit.ci_high[name] if fit else np.nan,
                     "communes": int(counts.get(r, 0))})
    return pd.DataFrame(rows, columns=cols).sort_values("rel").reset_index(drop=True)


def before_after(panel: pd.DataFrame, cohorts: pd.DataFrame, pre: int = 12,
                 post: int = 12) -> pd.DataFrame:
    """Per started cohort: mean monthly value per commune in the `pre` months before the
    start and in the start month and the `post` months after, and the change."""
    p = panel.merge(cohorts[["commune_code", "cohort", "cohort_label", "cohort_order",
                             "start_month"]], on="commune_code")
    p = p[p["start_month"].notna()].copy()
    p["rel"] = p["month"] - p["start_month"].astype(int)
    rows = []
    for key, g in p.groupby("cohort", sort=False):
        b = g[(g["rel"] >= -pre) & (g["rel"] < 0)]
        a = g[(g["rel"] >= 0) & (g["rel"] <= post)]
        bm = b.groupby("commune_code")["value"].mean()
        am = a.groupby("commune_code")["value"].mean()
        rows.append({"cohort": key, "cohort_label": g["cohort_label"].iloc[0],
                     "cohort_order": g["cohort_order"].iloc[0],
                     "communes_before": len(bm), "communes_after": len(am),
                     "before_mean": bm.mean() if len(bm) else np.nan,
                     "after_mean": am.mean() if len(am) else np.nan})
    out = pd.DataFrame(rows, columns=["cohort", "cohort_label", "cohort_order",
                                      "communes_before", "communes_after", "before_mean",
                                      "after_mean"])
    out["change"] = out["after_mean"] - out["before_mean"]
    return out.sort_values("cohort_order").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# loading and the findings
@dataclass
class EvalData:
    as_of: dt.date
    cohorts: pd.DataFrame
    history: pd.DataFrame
    cells: pd.DataFrame
    indicators: pd.DataFrame


def load(db, as_of, communes=None, wave: str = "quarter") -> EvalData:
    from dashboard.store import queries

    params = {"as_of": _to_date(as_of), "communes": communes}
    starts = queries.run(db, "eval_commune_starts", params)
    return EvalData(
        as_of=_to_date(as_of),
        cohorts=assign_cohorts(starts, wave),
        history=queries.run(db, "eval_coverage_history", params),
        cells=queries.run(db, "eval_cell_survival", params),
        indicators=queries.run(db, "eval_indicators", params),
    )


def load_panel(db, as_of, indicator: str, communes=None) -> pd.DataFrame:
    from dashboard.store import queries

    raw = queries.run(db, "eval_indicator_panel", as_of=_to_date(as_of), communes=communes,
                      indicator=indicator)
    return prepare_panel(raw)


def _signed(value: float, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return ("+" if value > 0 else "") + fmt.fixed(value, digits)


def _ci_text(lo: float, hi: float, pct: bool = False, digits: int = 2) -> str:
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in (lo, hi)):
        return "không tính được"
    if pct:
        return f"{fmt.percent(lo)} – {fmt.percent(hi)}"
    return f"{fmt.fixed(lo, digits)} đến {fmt.fixed(hi, digits)}"


def estimate_sentence(est: Estimate, indicator: str) -> str:
    name = indicator_label(indicator)
    who = ("các xã đã bắt đầu" if est.cohort == ALL_STARTED
           else f"các xã nhóm «{est.cohort_label}»")
    return (f"Chỉ số «{name}»: sau khi bắt đầu, giá trị hằng tháng ở {who} thay đổi "
            f"{_signed(est.estimate)} so với các xã chưa bắt đầu trong cùng các tháng "
            f"(khoảng tin cậy 95%: {_ci_text(est.ci_low, est.ci_high)}) — "
            f"{est.evidence['label'].lower()} ({est.n_treated} xã đã bắt đầu, "
            f"{est.n_control} xã đối chứng).")


def coverage_evidence(communes: int, who: str, horizon: int) -> dict:
    """Evidence grade of a cohort's coverage figure: how many communes it rests on."""
    grade = size_evidence(communes)["grade"]
    text = (f"{EVIDENCE_LABELS[grade]}: {communes} {who} đã đủ {horizon} tháng kể từ khi "
            "bắt đầu" + ("" if grade == "strong" else " (cần ít nhất 10 xã cho bằng chứng mạnh)")
            + ".")
    return {"grade": grade, "label": EVIDENCE_LABELS[grade], "text": text}


def findings(data: EvalData, panel: pd.DataFrame | None = None, indicator: str | None = None,
             horizon: int = 12, pre: int = 12, post: int = 12,
             estimates: list[Estimate] | None = None) -> dict:
    """Key findings as data: numbers + Vietnamese sentences a presenter can read out.
    `estimates`: did_estimates() already computed for this panel (else computed here)."""
    cohorts = data.cohorts
    table = cohort_table(cohorts)
    by_phase = figures_at_horizons(data.history, cohorts, data.as_of, HORIZONS, groups="phase")
    surv = cell_survival(data.cells, phase_cohorts(cohorts), data.as_of)
    sentences = []
    n_pilot = int((cohorts["cohort"] == PILOT).sum())
    n_none = int((cohorts["cohort"] == NONE).sum())
    roll = cohorts[cohorts["phase"] == "rollout"]
    n_waves = roll["cohort"].nunique()
    part = [f"{n_pilot} xã thí điểm"]
    if n_pilot:
        part[0] += f" (bắt đầu từ {fmt.date(cohorts.loc[cohorts['cohort'] == PILOT, 'started_on'].min())})"
    if len(roll):
        first = table[table["cohort"].str.startswith("rollout")].iloc[0]["cohort_label"]
        last = table[table["cohort"].str.startswith("rollout")].iloc[-1]["cohort_label"]
        span = (f"{first.replace('Nhân rộng ', '')}" if first == last
                else f"{first.replace('Nhân rộng ', '')} đến {last.replace('Nhân rộng ', '')}")
        part.append(f"{len(roll)} xã nhân rộng trong {n_waves} đợt ({span})")
    part.append(f"{n_none} xã chưa bắt đầu")
    sentences.append(f"Đến {fmt.date(data.as_of)}: " + ", ".join(part) + ".")

    coverage = {}
    h = by_phase[by_phase["horizon"] == horizon]
    if h.empty and not by_phase.empty:
        horizon = int(by_phase["horizon"].min())
        h = by_phase[by_phase["horizon"] == horizon]
    for _, r in h.iterrows():
        coverage[r["cohort"]] = {"coverage_pct": r["coverage_pct"], "communes": r["communes"],
                                 "ci_low": r["coverage_ci_low"], "ci_high": r["coverage_ci_high"],
                                 "members_per_cell": r["members_per_cell"],
                                 "households_per_member": r["households_per_member"],
                                 "evidence": coverage_evidence(int(r["communes"]), "xã",
                                                               horizon)}
    bits = []
    for key, who in ((PILOT, "các xã thí điểm"), ("rollout", "các xã nhân rộng")):
        if key in coverage:
            c = coverage[key]
            bits.append(f"{who} đạt độ phủ {fmt.percent(c['coverage_pct'])} "
                        f"(khoảng tin cậy 95%: {_ci_text(c['ci_low'], c['ci_high'], pct=True)}; "
                        f"{c['communes']} xã, {c['evidence']['label'].lower()})")
    if bits:
        sentences.append(f"Sau {horizon} tháng, " + "; ".join(bits) + ".")

    survival = {}
    s = surv[surv["horizon"] == horizon]
    for _, r in s.iterrows():
        survival[r["cohort"]] = {"share_pct": r["share_pct"], "cells": r["cells_eligible"]}
    sbits = [f"{fmt.percent(survival[k]['share_pct'])} số tổ {who}"
             for k, who in ((PILOT, "thí điểm"), ("rollout", "nhân rộng"))
             if k in survival and not pd.isna(survival[k]["share_pct"])]
    if sbits:
        sentences.append(f"Sau {horizon} tháng kể từ khi thành lập, " + " và ".join(sbits)
                         + " vẫn còn hoạt động.")

    did = []
    if panel is not None and indicator:
        ests = did_estimates(panel, cohorts, pre, post) if estimates is None else estimates
        did = [e.as_dict() for e in ests]
        main = next((e for e in ests if e.cohort == ALL_STARTED), ests[0] if ests else None)
        if main is not None:
            sentences.append(estimate_sentence(main, indicator))
        else:
            sentences.append(f"Chỉ số «{indicator_label(indicator)}»: chưa đủ số liệu để so "
                             "sánh các xã đã bắt đầu với các xã chưa bắt đầu.")
    return {"as_of": data.as_of, "horizon": horizon, "indicator": indicator,
            "cohorts": table.to_dict("records"),
            "communes": {"pilot": n_pilot, "rollout": int(len(roll)), "none": n_none,
                         "waves": int(n_waves)},
            "coverage_at_horizon": coverage, "survival_at_horizon": survival,
            "did": did, "sentences": sentences}


def key_findings(db, as_of, communes=None, indicator: str | None = None, horizon: int = 12,
                 wave: str = "quarter") -> dict:
    """Run the named queries and return findings() (for the meeting-pack export)."""
    data = load(db, as_of, communes, wave)
    if indicator is None and not data.indicators.empty:
        indicator = str(data.indicators.sort_values("rows", ascending=False)["indicator"].iloc[0])
    panel = load_panel(db, as_of, indicator, communes) if indicator else None
    return findings(data, panel, indicator, horizon)


# --------------------------------------------------------------------------------------------
# presentation helpers (plain data: labels, colours, display tables)
LABELS = {
    "cohort_label": "Nhóm xã", "first_start": "Xã đầu tiên bắt đầu",
    "last_start": "Xã cuối cùng bắt đầu", "communes": "Số xã", "cells": "Số tổ",
    "members": "Thành viên", "members_per_cell": "Thành viên/tổ", "households": "Số hộ",
    "households_covered": "Hộ được phụ trách", "coverage_pct": "Độ phủ (%)",
    "households_per_member": "Hộ/thành viên", "coverage_ci_low": "Độ phủ – KTC 95% thấp",
    "coverage_ci_high": "Độ phủ – KTC 95% cao", "evidence": "Mức bằng chứng",
    "horizon": "Số tháng sau khi bắt đầu", "months_since": "Số tháng kể từ khi bắt đầu",
    "median": "Độ phủ trung vị (%)", "p25": "Phân vị 25 (%)", "p75": "Phân vị 75 (%)",
    "cells_eligible": "Số tổ đã đủ thời gian", "cells_active": "Số tổ còn hoạt động",
    "share_pct": "Tỷ lệ còn hoạt động (%)",
    "n_treated": "Số xã đã bắt đầu", "n_control": "Số xã đối chứng (chưa bắt đầu)",
    "before_mean": "Trước khi bắt đầu (TB/tháng)", "after_mean": "Sau khi bắt đầu (TB/tháng)",
    "change": "Thay đổi trước → sau", "estimate": "Tác động ước lượng (DiD)",
    "ci_low": "KTC 95% thấp", "ci_high": "KTC 95% cao", "p_value": "Giá trị p",
    "pre_months": "Số tháng số liệu trước khi bắt đầu", "missing_pct": "Tháng thiếu số liệu (%)",
    "pretrend_p": "p kiểm định xu hướng trước", "evidence_text": "Giải thích mức bằng chứng",
    "rel": "Tháng so với tháng bắt đầu", "coef": "Chênh lệch so với xã chưa bắt đầu",
    "window": "Khoảng tháng", "communes_before": "Số xã có số liệu trước",
    "communes_after": "Số xã có số liệu sau",
}

_WAVE_COLORS = ["#1f4e79", "#2e75b6", "#5b9bd5", "#9dc3e6", "#548235", "#70ad47", "#a9d18e",
                "#7030a0", "#b083d0", "#c55a11", "#f4b183", "#8c8c8c"]
EVIDENCE_COLORS = {"strong": "#2e7d32", "moderate": "#e8a33d", "weak": "#9e9e9e"}


def cohort_colors(labels: list[str]) -> dict[str, str]:
    """Pilot red, rollout orange (all waves together) or one colour per wave, not started grey."""
    out, i = {}, 0
    for lab in labels:
        if lab == PILOT_LABEL:
            out[lab] = "#B3261E"
        elif lab == NONE_LABEL:
            out[lab] = "#9e9e9e"
        elif lab == PHASE_LABELS["rollout"]:
            out[lab] = "#E8A33D"
        else:
            out[lab] = _WAVE_COLORS[i % len(_WAVE_COLORS)]
            i += 1
    return out


def estimates_table(ests: list[Estimate]) -> pd.DataFrame:
    """One row per estimate with its evidence (canonical column names; see LABELS)."""
    rows = [{"cohort_label": e.cohort_label, "n_treated": e.n_treated, "n_control": e.n_control,
             "window": f"{month_label(e.window_start)} – {month_label(e.window_end)}",
             "before_mean": e.before_mean, "after_mean": e.after_mean,
             "change": e.after_mean - e.before_mean, "estimate": e.estimate,
             "ci_low": e.ci_low, "ci_high": e.ci_high, "p_value": e.p_value,
             "pre_months": e.pre_months, "missing_pct": round(100 * e.missing_share, 1),
             "pretrend_p": e.pretrend_p, "evidence": e.evidence["label"],
             "evidence_text": e.evidence["text"]} for e in ests]
    cols = ["cohort_label", "n_treated", "n_control", "window", "before_mean", "after_mean",
            "change", "estimate", "ci_low", "ci_high", "p_value", "pre_months", "missing_pct",
            "pretrend_p", "evidence", "evidence_text"]
    return pd.DataFrame(rows, columns=cols)


METHOD_TEXT = """\
**Cách tính.**
- *Nhóm xã*: xã **thí điểm** là xã có ít nhất một tổ thí điểm; các xã **nhân rộng** được chia
  thành đợt theo quý (hoặc năm) thành lập tổ đầu tiên của xã; xã **chưa bắt đầu** là xã chưa có
  tổ nào tính đến ngày đã chọn. Ngày bắt đầu của xã là ngày thành lập tổ đầu tiên.
- *Sau k tháng*: số liệu của xã tại cuối tháng thứ k kể từ tháng bắt đầu (tháng bắt đầu là
  tháng 0); chỉ tính các xã đã đủ k tháng trọn vẹn. Độ phủ = hộ được phụ trách / tổng số hộ của
  các xã trong nhóm; khoảng tin cậy 95% bằng bootstrap theo xã (2.000 lần lấy mẫu lại xã).
- *Tổ còn hoạt động sau k tháng*: trong các tổ đã thành lập ít nhất k tháng, tỷ lệ tổ chưa giải
  thể tại thời điểm k tháng sau ngày thành lập.
- *Tác động lên chỉ số (khác biệt kép — DiD, triển khai so le)*: với mỗi nhóm xã, lấy các tháng
  từ {pre} tháng trước khi xã đầu tiên của nhóm bắt đầu đến {post} tháng sau khi xã cuối cùng
  bắt đầu; nhóm đối chứng là các xã **chưa bắt đầu** trong suốt khoảng đó (các đợt sau và các xã
  chưa có tổ). Ước lượng bằng hồi quy OLS hai chiều cố định (TWFE): giá trị hằng tháng của
  chỉ số theo biến “đã bắt đầu” (1 từ tháng bắt đầu của xã), hiệu ứng cố định xã và hiệu ứng cố
  định tháng; sai số chuẩn gộp theo xã (CR1), khoảng tin cậy 95% theo phân phối t với (số xã − 1)
  bậc tự do. Ước lượng “Tất cả xã đã bắt đầu” xếp chồng các nhóm (hiệu ứng cố định xã và tháng
  riêng cho từng nhóm), sai số chuẩn gộp theo xã. Cách làm này không dùng xã đã bắt đầu từ trước
  làm đối chứng cho xã bắt đầu sau.
- *Nghiên cứu sự kiện*: cùng hồi quy, thay biến “đã bắt đầu” bằng một biến cho mỗi tháng so với
  tháng bắt đầu (từ −{pre} đến +{post}; tháng −1 là mốc so sánh bằng 0). Các tháng trước khi
  bắt đầu phải dao động quanh 0; nếu chúng đã tăng hoặc giảm dần thì so sánh không đáng tin.
- *Kiểm định xu hướng trước khi bắt đầu*: trên các tháng trước khi bắt đầu, kiểm định xu hướng
  tuyến tính riêng của các xã sẽ bắt đầu so với xã đối chứng; p < 0,05 là không đạt.
- *Mức bằng chứng*: **mạnh** khi có ít nhất 10 xã mỗi bên, ít nhất 6 tháng số liệu trước khi
  bắt đầu, thiếu không quá 10% số tháng và kiểm định xu hướng đạt (p ≥ 0,10); **yếu** khi dưới
  5 xã một bên, dưới 3 tháng số liệu trước, thiếu trên 30% số tháng, hoặc kiểm định xu hướng
  không đạt hay không làm được; còn lại là **vừa**. Với số liệu mô tả (độ phủ, tỷ lệ tổ còn
  hoạt động): mạnh khi dựa trên ít nhất 10 xã, vừa khi 5–9 xã, yếu khi dưới 5 xã.
"""


def method_text(pre: int = 12, post: int = 12) -> str:
    return METHOD_TEXT.format(pre=pre, post=post)
