"""Coverage gaps and the cell planner: pure functions over named-query results.

Inputs are the frames of `coverage_by_unit` (level village / commune) and `coverage_cells`;
nothing here touches the database or Streamlit, so every figure can be checked by hand.

Planner rule (for a village, or a commune without villages):
    target_covered = ceil(target_pct / 100 × households)
    shortfall      = max(0, target_covered − households_covered)
    new_cells      = ceil(shortfall / households_per_cell)
A commune with villages needs the sum of its villages' new cells (a shortfall in one village
cannot be filled by a cell of another); the province needs the sum of its communes.
Priority order: largest uncovered households first.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from dashboard import config

DEFAULT_HOUSEHOLDS_PER_CELL = config.get("households_per_cell")
DEFAULT_MEMBERS = (config.get("members_min"), config.get("members_max"))
DEFAULT_TARGET_PCT = config.get("target_coverage_pct")
DEFAULT_OVERLOAD = config.get("overload_households")


def largest_first(df: pd.DataFrame, col: str, tiebreak: str = "unit_code") -> pd.DataFrame:
    """df sorted by `col` descending, then `tiebreak` ascending. The named queries return
    their rows in code order already: then a stable sort on `col` alone gives the same rows
    in the same order, without comparing text (a two-key sort of 100,000 villages compares
    their codes as text and costs ~20 times more)."""
    if df[tiebreak].is_monotonic_increasing:
        return df.sort_values(col, ascending=False, kind="stable")
    return df.sort_values([col, tiebreak], ascending=[False, True])


def _int(x) -> int:
    return 0 if x is None or (isinstance(x, float) and math.isnan(x)) else int(x)


def target_covered(households: int, target_pct: float) -> int:
    """Households to cover for a target: ceil(target % of households), never above them."""
    hh = _int(households)
    # round first so 100 × 0.3 style float noise never adds a household
    return min(hh, math.ceil(round(hh * float(target_pct) / 100.0, 9)))


def new_cells_needed(households: int, covered: int, target_pct: float,
                     households_per_cell: float) -> tuple[int, int]:
    """-> (shortfall households, new cells) for one unit."""
    if households_per_cell <= 0:
        raise ValueError("Số hộ mỗi tổ phải lớn hơn 0")
    shortfall = max(0, target_covered(households, target_pct) - _int(covered))
    return shortfall, math.ceil(shortfall / households_per_cell)


def _targets(households: np.ndarray, target_pct: float) -> np.ndarray:
    """target_covered of every households figure (whole numbers), each distinct one once."""
    uniq, where = np.unique(households, return_inverse=True)
    return np.array([target_covered(int(h), target_pct) for h in uniq],
                    dtype=np.int64)[where.reshape(-1)]


def _needs(units: pd.DataFrame, target_pct: float, households_per_cell: float
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """new_cells_needed of every row -> (target households, shortfall, new cells), one
    array each; missing households or covered count as 0 (as _int does)."""
    if households_per_cell <= 0:
        raise ValueError("Số hộ mỗi tổ phải lớn hơn 0")
    hh = units["households"].fillna(0).astype(int).to_numpy()
    cov = units["households_covered"].fillna(0).astype(int).to_numpy()
    need = _targets(hh, target_pct)
    short = np.maximum(0, need - cov)
    # int / float then ceil, as math.ceil(shortfall / households_per_cell)
    new = np.ceil(short / households_per_cell).astype(np.int64)
    return need, short, new


# -- gaps ------------------------------------------------------------------------------------

def villages_without_cells(villages: pd.DataFrame) -> pd.DataFrame:
    """Villages with households and no active cell, most households first."""
    v = villages[(villages["cells"] == 0) & (villages["households"] > 0)]
    return largest_first(v, "households").reset_index(drop=True)


def below_target(units: pd.DataFrame, target_pct: float = DEFAULT_TARGET_PCT) -> pd.DataFrame:
    """Units whose covered households are below target_pct of their households (compared on
    whole households, not on the rounded percentage), with the households still to cover."""
    hh = units["households"].fillna(0).astype(int).to_numpy()
    cov = units["households_covered"].fillna(0).astype(int).to_numpy()
    need = _targets(hh, target_pct)
    short = need - cov
    keep = (hh > 0) & (short > 0)
    out = units[keep].copy()
    out["target_households"] = need[keep].astype(int)
    out["shortfall_households"] = short[keep].astype(int)
    return largest_first(out, "shortfall_households").reset_index(drop=True)


def gap_cells(flagged: pd.DataFrame, every) -> pd.DataFrame:
    """The frame overloaded_cells and cells_to_check read: `coverage_cells_flagged` (the
    rows of coverage_cells they can return, same columns and types), or, when no cell is
    flagged, every() (coverage_cells: its empty lists keep its column types)."""
    return every() if flagged.empty else flagged


def overloaded_cells(cells: pd.DataFrame, max_households: float = DEFAULT_OVERLOAD) -> pd.DataFrame:
    """Active cells looking after more than max_households households, heaviest first."""
    c = cells[cells["households_covered"] > max_households]
    return largest_first(c, "households_covered", "cell_id").reset_index(drop=True)


def cells_to_check(cells: pd.DataFrame) -> pd.DataFrame:
    """Cells whose households look wrong against their village: the cell alone covers more than
    the village's households, or the village's cells together do. Adds a Vietnamese `reason`."""
    hh = cells["unit_households"]
    alone = cells["households_covered"] > hh
    together = cells["unit_households_covered_raw"] > hh
    out = cells[alone | together].copy()
    out["reason"] = [
        "Số hộ phụ trách của tổ lớn hơn số hộ của địa bàn" if a else
        "Tổng số hộ phụ trách của các tổ trong địa bàn lớn hơn số hộ của địa bàn"
        for a in alone[alone | together]]
    out["excess_households"] = (out["unit_households_covered_raw"] - out["unit_households"]
                                ).astype(int)
    return out.sort_values(["excess_households", "unit_code", "cell_id"],
                           ascending=[False, True, True]).reset_index(drop=True)


# -- distributions ----------------------------------------------------------------------------

def cells_from_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """The per-cell figures of the distributions (members, households_covered,
    households_per_member) from `coverage_cell_counts`: each row repeated `cells` times, so
    the same values as coverage_cells' (sorted by members and households, not by cell)."""
    n = counts["cells"].to_numpy(dtype=np.int64)
    return pd.DataFrame({c: np.repeat(counts[c].to_numpy(), n) for c in
                         ("members", "households_covered", "households_per_member")})


def distribution_summary(cells: pd.DataFrame, households_norm: float = DEFAULT_HOUSEHOLDS_PER_CELL,
                         members_range: tuple[int, int] = DEFAULT_MEMBERS) -> dict:
    """Counts behind the distribution charts: cells above the household norm and cells with
    fewer / more members than the usual range."""
    n = len(cells)
    lo, hi = members_range
    above = int((cells["households_covered"] > households_norm).sum())
    few = int((cells["members"] < lo).sum())
    many = int((cells["members"] > hi).sum())
    return {
        "cells": n,
        "median_households_per_cell": float(cells["households_covered"].median()) if n else None,
        "median_members": float(cells["members"].median()) if n else None,
        "above_households_norm": above,
        "members_below_range": few,
        "members_above_range": many,
        "members_in_range": n - few - many,
    }


# -- planner ---------------------------------------------------------------------------------

def plan_villages(villages: pd.DataFrame, target_pct: float = DEFAULT_TARGET_PCT,
                  households_per_cell: float = DEFAULT_HOUSEHOLDS_PER_CELL) -> pd.DataFrame:
    """Per village: target households, shortfall and new cells needed, priority order
    (largest uncovered first; villages needing no cell last)."""
    need, short, new = _needs(villages, target_pct, households_per_cell)
    out = villages.copy()
    out["target_households"] = need
    out["shortfall_households"] = short
    out["new_cells"] = new
    out = largest_first(out, "uncovered_households")
    out = pd.concat([out[out["new_cells"] > 0], out[out["new_cells"] == 0]])
    out.insert(0, "priority", range(1, len(out) + 1))
    return out.reset_index(drop=True)


def plan_communes(communes: pd.DataFrame, village_plan: pd.DataFrame,
                  target_pct: float = DEFAULT_TARGET_PCT,
                  households_per_cell: float = DEFAULT_HOUSEHOLDS_PER_CELL) -> pd.DataFrame:
    """Per commune: villages needing cells, shortfall and new cells, priority order.

    The shortfall is the commune's own (target households − covered households, where
    covered includes cells attached directly to the commune), so at a 100 % target the
    province total equals the uncovered households shown everywhere else. New cells are the
    sum of its villages' new cells (cells are founded in villages), less one for every full
    `households_per_cell` households that cells attached directly to the commune already
    cover. A commune without villages is planned on its own figures."""
    by = village_plan.groupby("parent_code").agg(
        villages=("unit_code", "count"),
        villages_needing_cells=("new_cells", lambda s: int((s > 0).sum())),
        village_shortfall=("shortfall_households", "sum"),
        village_new_cells=("new_cells", "sum"))
    out = communes.copy()
    out = out.join(by, on="unit_code")
    has_villages = out["villages"].fillna(0) > 0
    _need, own_short, own_new = _needs(out, target_pct, households_per_cell)
    own = list(zip(own_short.tolist(), own_new.tolist()))
    out["villages"] = out["villages"].fillna(0).astype(int)
    out["villages_needing_cells"] = out["villages_needing_cells"].fillna(0).astype(int)
    out["shortfall_households"] = [o[0] for o in own]
    credit = [int((vs - o[0]) // households_per_cell) if hv else 0 for vs, o, hv in
              zip(out["village_shortfall"].fillna(0), own, has_villages)]
    out["new_cells"] = [max(0, int(n) - c) if hv else o[1] for n, c, hv, o in
                        zip(out["village_new_cells"].fillna(0), credit, has_villages, own)]
    out = out.drop(columns=["village_shortfall", "village_new_cells"])
    out = largest_first(out, "uncovered_households")
    out = pd.concat([out[out["new_cells"] > 0], out[out["new_cells"] == 0]])
    out.insert(0, "priority", range(1, len(out) + 1))
    return out.reset_index(drop=True)


def plan_total(commune_plan: pd.DataFrame) -> dict:
    """Province (or selection) totals of the commune plan."""
    return {
        "communes": int(len(commune_plan)),
        "communes_needing_cells": int((commune_plan["new_cells"] > 0).sum()),
        "households": int(commune_plan["households"].sum()),
        "households_covered": int(commune_plan["households_covered"].sum()),
        "uncovered_households": int(commune_plan["uncovered_households"].sum()),
        "shortfall_households": int(commune_plan["shortfall_households"].sum()),
        "new_cells": int(commune_plan["new_cells"].sum()),
        "cells": int(commune_plan["cells"].sum()),
    }
