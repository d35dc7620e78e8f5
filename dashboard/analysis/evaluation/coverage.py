"""Coverage after 6/12/24 months (with an interval valid at small sizes), ramp-up, and cell
survival as Kaplan–Meier with numbers at risk and a commune-bootstrap interval."""
from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard import config

from .cohorts import PHASE_LABELS, PILOT, figures
from .dates import month_indices, to_date

HORIZONS = tuple(config.get("evaluation_horizons"))
DAYS_PER_MONTH = 365.25 / 12


def with_months_since(history: pd.DataFrame, as_of=None) -> pd.DataFrame:
    """eval_coverage_history + months_since; keeps complete months only (month end ≤ as_of
    and the last day of its month), vectorised. Rows that already went through it (they have
    months_since) are returned as they are."""
    if "months_since" in history.columns:
        return history
    h = history.copy()
    h["month_end"] = pd.to_datetime(h["month_end"])
    h["started_on"] = pd.to_datetime(h["started_on"])
    h["months_since"] = (month_indices(h["month_end"]) - month_indices(h["started_on"])
                         ).astype(int) if len(h) else pd.Series(dtype=int)
    complete = h["month_end"].dt.is_month_end if len(h) else pd.Series(dtype=bool)
    return h[complete.to_numpy(bool)].reset_index(drop=True)


def ratio_interval(covered, households, level: float = 0.95) -> tuple[float, float]:
    """100·Σcovered/Σhouseholds with a linearised (Taylor) interval from Student's t with
    n−1 degrees of freedom; none below eval_min_communes_inference communes."""
    from scipy.special import stdtrit

    c = np.asarray(covered, float)
    h = np.asarray(households, float)
    n = len(c)
    if n < config.get("eval_min_communes_inference") or h.sum() <= 0:
        return (np.nan, np.nan)
    r = c.sum() / h.sum()
    z = c - r * h
    se = np.sqrt(n / (n - 1) * np.sum(z ** 2)) / h.sum()
    t = float(stdtrit(n - 1, 0.5 + level / 2))
    return (float(max(0.0, 100 * (r - t * se))), float(min(100.0, 100 * (r + t * se))))


def _grouped(h: pd.DataFrame, cohorts: pd.DataFrame, groups: str) -> pd.DataFrame:
    key_cols = ["commune_code", "cohort", "cohort_label", "cohort_order", "phase"]
    extra = [c for c in ("commune_name",) if c in cohorts.columns]
    out = h.merge(cohorts[key_cols + extra], on="commune_code", how="inner")
    if groups == "phase":
        out["cohort"] = out["phase"]
        out["cohort_label"] = out["phase"].map(PHASE_LABELS)
        out["cohort_order"] = out["phase"].map({PILOT: 0, "rollout": 1})
    return out


def figures_at_horizons(history: pd.DataFrame, cohorts: pd.DataFrame, as_of=None,
                        horizons=HORIZONS, groups: str = "cohort") -> pd.DataFrame:
    """Per cohort (or per phase with groups='phase') and horizon k: the figures of the
    communes that have reached k complete months since their start, at the end of month k,
    the coverage interval and the communes listed."""
    h = _grouped(with_months_since(history, as_of), cohorts, groups)
    h = h[h["months_since"].isin(list(horizons))]
    rows = []
    for (k, key), g in h.groupby(["months_since", "cohort"], sort=False):
        lo, hi = ratio_interval(g["households_covered"], g["households"])
        names = g["commune_name"] if "commune_name" in g else g["commune_code"]
        rows.append({"horizon": int(k), "cohort": key, "cohort_label": g["cohort_label"].iloc[0],
                     "cohort_order": g["cohort_order"].iloc[0], **figures(g),
                     "coverage_ci_low": lo, "coverage_ci_high": hi,
                     "interval_note": "" if np.isfinite(lo) else
                     f"dưới {config.get('eval_min_communes_inference')} xã: không tính",
                     "communes_listed": "; ".join(sorted(map(str, names)))})
    cols = ["horizon", "cohort", "cohort_label", "cohort_order", "communes", "cells", "members",
            "members_per_cell", "households", "households_covered", "coverage_pct",
            "households_per_member", "coverage_ci_low", "coverage_ci_high", "interval_note",
            "communes_listed"]
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["cohort_order", "horizon"]).reset_index(drop=True)


def ramp_up(history: pd.DataFrame, cohorts: pd.DataFrame, as_of=None,
            max_months: int | None = None) -> pd.DataFrame:
    """Per cohort and months since start: communes observed, median and quartiles of the
    commune coverage (complete months only)."""
    h = with_months_since(history, as_of).merge(
        cohorts[["commune_code", "cohort", "cohort_label", "cohort_order"]], on="commune_code")
    if max_months is not None:
        h = h[h["months_since"] <= max_months]
    g = h.groupby(["cohort", "cohort_label", "cohort_order", "months_since"])["coverage_pct"]
    out = pd.DataFrame({"communes": g.size(), "median": g.median(),
                        "p25": g.quantile(0.25), "p75": g.quantile(0.75)}).reset_index()
    return out.sort_values(["cohort_order", "months_since"]).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# cell survival (Kaplan–Meier)
def cell_durations(cells: pd.DataFrame, as_of) -> pd.DataFrame:
    """eval_cell_survival rows + months (time from founding to end, or to as_of when still
    active: censored) and ended (1 = the end was observed)."""
    c = cells.copy()
    est = pd.to_datetime(c["established_on"])
    end = pd.to_datetime(c["ended_on"])
    limit = pd.Timestamp(to_date(as_of))
    c["ended"] = end.notna().astype(int)
    c["months"] = ((end.fillna(limit) - est).dt.days / DAYS_PER_MONTH).to_numpy(float)
    return c


def _km_matrices(times: np.ndarray, ended: np.ndarray, unit: np.ndarray, n_units: int,
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


def _km_at(t_ev, d, n, grid):
    """S(grid) from pooled deaths d and at-risk n (rows: draws)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(n > 0, 1 - d / np.where(n > 0, n, 1), 1.0)
    S = np.cumprod(factor, axis=-1)
    idx = np.searchsorted(t_ev, grid, side="right") - 1
    ones = np.ones(S.shape[:-1] + (1,))
    S1 = np.concatenate([ones, S], axis=-1)
    return S1[..., idx + 1]


def kaplan_meier(cells: pd.DataFrame, as_of, grid=None, draws: int | None = None,
                 seed: int | None = None, level: float = 0.95) -> dict:
    """KM survival of the cells at the months of `grid` with numbers at risk, and a
    percentile interval from resampling communes (none below 5 communes)."""
    grid = np.asarray(HORIZONS if grid is None else grid, float)
    c = cell_durations(cells, as_of)
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
    t_ev, d, n = _km_matrices(times, ended, codes, n_units if boot else 1, grid)
    S = _km_at(t_ev, d.sum(0), n.sum(0), grid)
    srt = np.sort(times)
    at_risk = len(srt) - np.searchsorted(srt, grid, side="left")
    S = np.where(at_risk > 0, S, np.nan)
    lo = hi = np.full(len(grid), np.nan)
    if boot:
        rng = np.random.default_rng(config.get("eval_seed") if seed is None else seed)
        B = draws or config.get("eval_survival_bootstrap_draws")
        M = rng.multinomial(n_units, np.full(n_units, 1 / n_units), size=B).astype(np.float32)
        Sb = _km_at(t_ev, M @ d.astype(np.float32), M @ n.astype(np.float32), grid)
        a = (1 - level) / 2
        lo, hi = np.quantile(Sb, a, axis=0), np.quantile(Sb, 1 - a, axis=0)
        lo, hi = np.where(at_risk > 0, lo, np.nan), np.where(at_risk > 0, hi, np.nan)
    return {"survival": S, "at_risk": at_risk, "ci_low": lo, "ci_high": hi,
            "communes": n_units, "cells": len(c)}


def cell_survival(cells: pd.DataFrame, cohorts: pd.DataFrame, as_of,
                  horizons=HORIZONS) -> pd.DataFrame:
    """Per cohort and horizon k: Kaplan–Meier share of cells still active k months after
    founding (%), cells still at risk at k, and the commune-bootstrap 95 % interval."""
    c = cells.merge(cohorts[["commune_code", "cohort", "cohort_label", "cohort_order"]],
                    on="commune_code", how="inner")
    rows = []
    for key, g in c.groupby("cohort", sort=False):
        km = kaplan_meier(g, as_of, horizons)
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


def survival_curves(cells: pd.DataFrame, cohorts: pd.DataFrame, as_of,
                    months: int = 36) -> pd.DataFrame:
    """KM curve per cohort at each month 0…months, with the cells at risk (for the chart)."""
    grid = np.arange(0, months + 1)
    c = cells.merge(cohorts[["commune_code", "cohort", "cohort_label", "cohort_order"]],
                    on="commune_code", how="inner")
    parts = []
    for key, g in c.groupby("cohort", sort=False):
        km = kaplan_meier(g, as_of, grid, draws=0)
        parts.append(pd.DataFrame({"cohort": key, "cohort_label": g["cohort_label"].iloc[0],
                                   "cohort_order": g["cohort_order"].iloc[0], "month": grid,
                                   "share_pct": 100 * km["survival"],
                                   "at_risk": km["at_risk"]}))
    cols = ["cohort", "cohort_label", "cohort_order", "month", "share_pct", "at_risk"]
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts, ignore_index=True).sort_values(["cohort_order", "month"])
