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


def history_at(history: pd.DataFrame, as_of) -> pd.DataFrame:
    """with_months_since() of eval_coverage_history at as_of from with_months_since() of
    eval_coverage_history at a later month end: the month ends on or before as_of of the
    communes started by as_of (a commune's start and its figures at a past month end do not
    depend on the later date), in the same order."""
    day = pd.Timestamp(to_date(as_of))
    keep = (history["month_end"] <= day) & (history["started_on"] <= day)
    return history[keep.to_numpy(bool)].reset_index(drop=True)


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
    h = with_months_since(history, as_of)
    h = _grouped(h[h["months_since"].isin(list(horizons))], cohorts, groups)   # rows kept first
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
    h = with_months_since(history, as_of)
    if max_months is not None:            # the rows kept before the merge (same rows, order)
        h = h[h["months_since"] <= max_months]
    h = h.merge(cohorts[["commune_code", "cohort", "cohort_label", "cohort_order"]],
                on="commune_code")
    g = h.groupby(["cohort", "cohort_label", "cohort_order", "months_since"])["coverage_pct"]
    out = pd.DataFrame({"communes": g.size(), "median": g.median(),
                        "p25": g.quantile(0.25), "p75": g.quantile(0.75)}).reset_index()
    return out.sort_values(["cohort_order", "months_since"]).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# cell survival (Kaplan–Meier)
def _durations(cells: pd.DataFrame, as_of) -> tuple[np.ndarray, np.ndarray]:
    """(months, ended) of cell_durations() without copying the rows."""
    est = pd.to_datetime(cells["established_on"])
    end = pd.to_datetime(cells["ended_on"])
    limit = pd.Timestamp(to_date(as_of))
    return (((end.fillna(limit) - est).dt.days / DAYS_PER_MONTH).to_numpy(float),
            end.notna().to_numpy(int))


def cells_at(cells: pd.DataFrame, as_of) -> pd.DataFrame:
    """The rows of eval_cell_survival at as_of (its columns in eval_cells) from eval_cells
    (every cell, whatever the date): the cells founded by as_of, in the same order, with
    ended_on only when the end was on or before as_of (a later end is not yet known)."""
    day = pd.Timestamp(to_date(as_of))
    kept = cells[(cells["established_on"] <= day).to_numpy(bool)]
    ended = kept["ended_on"]
    return kept.assign(ended_on=ended.where(ended <= day)).reset_index(drop=True)


def cell_durations(cells: pd.DataFrame, as_of) -> pd.DataFrame:
    """eval_cell_survival rows + months (time from founding to end, or to as_of when still
    active: censored) and ended (1 = the end was observed)."""
    c = cells.copy()
    c["months"], c["ended"] = _durations(cells, as_of)
    return c


def _km_counts(times: np.ndarray, ended: np.ndarray, unit: np.ndarray, grid: np.ndarray):
    """The distinct end times ≤ max(grid), (unit, position) of every death counted there
    and (unit, position of its time) of every cell: a cell is at risk at t_j for
    j < position (position = searchsorted(t_ev, time, 'right'))."""
    t_ev = np.unique(times[(ended == 1) & (times <= grid.max())])
    pos = np.searchsorted(t_ev, times[ended == 1])
    keep = pos < len(t_ev)
    return t_ev, (unit[ended == 1][keep], pos[keep]), (unit, np.searchsorted(
        t_ev, times, side="right"))


def _dense(where, n_units: int, T: int):
    """Per unit: deaths at each end time and cells at risk there."""
    (du, dp), (cu, cp) = where
    d = np.bincount(du * T + dp, minlength=n_units * T).reshape(n_units, T).astype(float)
    hist = np.bincount(cu * (T + 1) + cp, minlength=n_units * (T + 1)
                       ).reshape(n_units, T + 1).astype(float)
    return d, np.cumsum(hist[:, ::-1], axis=1)[:, ::-1][:, 1:]


def _pooled(where, T: int):
    """Deaths and cells at risk at each end time, all units together (the column sums of
    _dense: every entry a count, so the same numbers)."""
    (_, dp), (_, cp) = where
    hist = np.bincount(cp, minlength=T + 1).astype(float)
    return np.bincount(dp, minlength=T).astype(float), np.cumsum(hist[::-1])[::-1][1:]


def _km_at(t_ev, d, n, grid):
    """S(grid) from pooled deaths d and at-risk n (rows: draws)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(n > 0, 1 - d / np.where(n > 0, n, 1), 1.0)
    S = np.cumprod(factor, axis=-1)
    idx = np.searchsorted(t_ev, grid, side="right") - 1
    ones = np.ones(S.shape[:-1] + (1,))
    S1 = np.concatenate([ones, S], axis=-1)
    return S1[..., idx + 1]


_EXACT_F32 = 2 ** 24      # every integer below it is exact in float32


def _resampled(M: np.ndarray, where, T: int) -> tuple:
    """M @ d and M @ n in float32 (deaths and cells at risk at each end time of every draw,
    d and n from _dense). Every entry is a count; when no sum can reach 2**24 the float32
    products are exact whatever the order of the additions, so they are computed in float64
    from the sparse counts and give the same numbers at a fraction of the cost."""
    n_units = M.shape[1]
    (du, dp), (cu, cp) = where
    per_unit = np.bincount(du, minlength=n_units), np.bincount(cu[cp > 0], minlength=n_units)
    bound = max(float((M @ p.astype(np.float32)).max(initial=0)) for p in per_unit)
    if bound >= _EXACT_F32 / 2:       # sums could round in float32: the products as such
        d, n = _dense(where, n_units, T)
        return M @ d.astype(np.float32), M @ n.astype(np.float32)
    from scipy import sparse

    Mt = M.T.astype(np.float64)
    deaths = sparse.csr_matrix((np.ones(len(du)), (dp, du)), shape=(T, n_units)) @ Mt
    inc = sparse.csr_matrix((np.ones(len(cu)), (cp, cu)), shape=(T + 1, n_units)) @ Mt
    at_risk = np.cumsum(inc[::-1], axis=0)[::-1][1:]
    return deaths.T.astype(np.float32), at_risk.T.astype(np.float32)


def _at_least(times: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Cells with time ≥ each grid value (a missing time counts, as at the end of a sort)."""
    if len(grid) <= 8:
        missing = int(np.isnan(times).sum())
        return np.array([np.count_nonzero(times >= g) + missing for g in grid], dtype=np.int64)
    srt = np.sort(times)
    return len(srt) - np.searchsorted(srt, grid, side="left")


def _km(times: np.ndarray, ended: np.ndarray, unit: np.ndarray, n_units: int, grid,
        draws: int | None = None, seed: int | None = None, level: float = 0.95) -> dict:
    """kaplan_meier() on arrays: month durations, 1 = end observed, the unit (commune) of
    each cell as 0…n_units−1 in sorted commune order."""
    grid = np.asarray(grid, float)
    empty = {"survival": np.full(len(grid), np.nan), "at_risk": np.zeros(len(grid), int),
             "ci_low": np.full(len(grid), np.nan), "ci_high": np.full(len(grid), np.nan),
             "communes": n_units, "cells": len(times)}
    if not len(times):
        return empty
    boot = draws != 0 and n_units >= config.get("eval_min_communes_inference")
    t_ev, *where = _km_counts(times, ended, unit, grid)
    S = _km_at(t_ev, *_pooled(where, len(t_ev)), grid)
    at_risk = _at_least(times, grid)
    S = np.where(at_risk > 0, S, np.nan)
    lo = hi = np.full(len(grid), np.nan)
    if boot:
        rng = np.random.default_rng(config.get("eval_seed") if seed is None else seed)
        B = draws or config.get("eval_survival_bootstrap_draws")
        M = rng.multinomial(n_units, np.full(n_units, 1 / n_units), size=B).astype(np.float32)
        Sb = _km_at(t_ev, *_resampled(M, where, len(t_ev)), grid)
        a = (1 - level) / 2
        lo, hi = np.quantile(Sb, a, axis=0), np.quantile(Sb, 1 - a, axis=0)
        lo, hi = np.where(at_risk > 0, lo, np.nan), np.where(at_risk > 0, hi, np.nan)
    return {"survival": S, "at_risk": at_risk, "ci_low": lo, "ci_high": hi,
            "communes": n_units, "cells": len(times)}


def kaplan_meier(cells: pd.DataFrame, as_of, grid=None, draws: int | None = None,
                 seed: int | None = None, level: float = 0.95) -> dict:
    """KM survival of the cells at the months of `grid` with numbers at risk, and a
    percentile interval from resampling communes (none below 5 communes)."""
    grid = np.asarray(HORIZONS if grid is None else grid, float)
    c = cell_durations(cells, as_of)
    units = pd.Categorical(c["commune_code"])
    return _km(c["months"].to_numpy(float), c["ended"].to_numpy(int), units.codes,
               len(units.categories), grid, draws, seed, level)


def _cells_by_group(cells: pd.DataFrame, cohorts: pd.DataFrame, as_of):
    """The cells of the communes in `cohorts` (the rows of an inner merge on commune_code,
    in its order): their commune (0…n−1 in sorted commune order), months, ended; and per
    group in order of first appearance (as groupby(sort=False)) the group's row of cohorts
    and the positions of its cells."""
    cols = ["commune_code", "cohort", "cohort_label", "cohort_order"]
    if cohorts["commune_code"].duplicated().any():   # a commune listed twice: merge's rows
        c = cells.merge(cohorts[cols], on="commune_code", how="inner")
        months, ended = _durations(c, as_of)
        groups = [(g.iloc[0], np.flatnonzero(c["cohort"].to_numpy(object) == key))
                  for key, g in c.groupby("cohort", sort=False)]
        return pd.Categorical(c["commune_code"]).codes, months, ended, groups
    codes = pd.Categorical(cells["commune_code"])       # sorted: a subset keeps the order
    where = pd.Index(cohorts["commune_code"]).get_indexer(codes.categories)
    per_cell = where[codes.codes] if len(codes.categories) else np.full(len(cells), -1)
    per_cell[codes.codes < 0] = -1                    # no commune: no match
    keep = np.flatnonzero(per_cell >= 0)
    months, ended = _durations(cells, as_of)
    row = per_cell[keep]
    key = pd.factorize(cohorts["cohort"])[0][row]          # the cohort of each cell
    order = np.argsort(key, kind="stable")
    bounds = np.flatnonzero(np.diff(key[order])) + 1
    parts = [p for p in np.split(order, bounds) if len(p) and key[p[0]] >= 0]
    groups = [(cohorts.iloc[row[p[0]]], p) for p in sorted(parts, key=lambda p: p[0])]
    return codes.codes[keep], months[keep], ended[keep], groups


def _group_units(commune_codes: np.ndarray) -> tuple[np.ndarray, int]:
    """0…n−1 in sorted order of the communes (the codes of pd.Categorical)."""
    uniq, inv = np.unique(commune_codes, return_inverse=True)
    return inv.reshape(-1), len(uniq)


def cell_survival(cells: pd.DataFrame, cohorts: pd.DataFrame, as_of,
                  horizons=HORIZONS) -> pd.DataFrame:
    """Per cohort and horizon k: Kaplan–Meier share of cells still active k months after
    founding (%), cells still at risk at k, and the commune-bootstrap 95 % interval."""
    commune, months, ended, groups = _cells_by_group(cells, cohorts, as_of)
    rows = []
    for row, idx in groups:
        unit, n_units = _group_units(commune[idx])
        km = _km(months[idx], ended[idx], unit, n_units, np.asarray(horizons, float))
        n_ended = int(ended[idx].sum())
        for i, k in enumerate(horizons):
            rows.append({"horizon": int(k), "cohort": row["cohort"],
                         "cohort_label": row["cohort_label"],
                         "cohort_order": row["cohort_order"],
                         "communes": km["communes"], "cells": km["cells"],
                         "ended": n_ended,
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
    _, t, ended, groups = _cells_by_group(cells, cohorts, as_of)
    parts = []
    for row, idx in groups:
        km = _km(t[idx], ended[idx], np.zeros(len(idx), int), 1, grid, draws=0)
        parts.append(pd.DataFrame({"cohort": row["cohort"], "cohort_label": row["cohort_label"],
                                   "cohort_order": row["cohort_order"], "month": grid,
                                   "share_pct": 100 * km["survival"],
                                   "at_risk": km["at_risk"]}))
    cols = ["cohort", "cohort_label", "cohort_order", "month", "share_pct", "at_risk"]
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts, ignore_index=True).sort_values(["cohort_order", "month"])
