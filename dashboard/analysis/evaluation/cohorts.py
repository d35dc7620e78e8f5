"""Cohorts of communes: pilot, rollout waves (by quarter or year of the start), not started."""
from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.i18n import labels

from .dates import month_indices

PILOT, NONE = "pilot", "none"
ALL_STARTED = "all_started"
PILOT_LABEL = labels.PHASE_NAMES[PILOT]
NONE_LABEL = "Chưa bắt đầu"
PHASE_LABELS = {**labels.PHASE_NAMES, NONE: NONE_LABEL}   # none: not started yet
ALL_STARTED_LABEL = "Tất cả xã đã bắt đầu"
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


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
    s = out["started_on"]
    year, q = s.dt.year, (s.dt.month - 1) // 3 + 1
    pilot = (out["phase"] == PILOT) & s.notna()
    none = (out["phase"] == NONE) | s.isna()
    yr = year.astype("Int64").astype(str)
    if wave == "year":
        key, label, order = "rollout:" + yr, "Nhân rộng năm " + yr, year * 10
    else:
        qi = q.astype("Int64")
        key = "rollout:" + yr + "Q" + qi.astype(str)
        label = "Nhân rộng quý " + qi.map(ROMAN).astype(str) + "/" + yr
        order = year * 10 + q
    out["cohort"] = np.where(pilot, PILOT, np.where(none, NONE, key)).astype(object)
    out["cohort_label"] = np.where(pilot, PILOT_LABEL,
                                   np.where(none, NONE_LABEL, label)).astype(object)
    out["cohort_order"] = np.where(pilot, 0, np.where(none, 10**9, order.fillna(0))).astype(
        np.int64)
    out["start_month"] = pd.array(
        [pd.NA if np.isnan(m) else int(m) for m in month_indices(s)] if len(out) else [],
        dtype="Int64")
    return out


def cohort_labels(cohorts: pd.DataFrame) -> dict[str, str]:
    c = cohorts.sort_values("cohort_order")
    return dict(zip(c["cohort"], c["cohort_label"]))


def phase_cohorts(cohorts: pd.DataFrame) -> pd.DataFrame:
    """The same communes grouped as pilot / rollout (all waves together) / not started."""
    out = cohorts.copy()
    out["cohort"] = out["phase"]
    out["cohort_label"] = out["phase"].map(PHASE_LABELS)
    out["cohort_order"] = out["phase"].map({PILOT: 0, "rollout": 1, NONE: 2})
    return out


def figures(df: pd.DataFrame) -> dict:
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


def cohort_table(cohorts: pd.DataFrame) -> pd.DataFrame:
    """One row per cohort: size, first/last start and the figures at as_of."""
    rows = []
    for key, g in cohorts.groupby("cohort", sort=False):
        rows.append({"cohort": key, "cohort_label": g["cohort_label"].iloc[0],
                     "cohort_order": g["cohort_order"].iloc[0],
                     "first_start": g["started_on"].min(), "last_start": g["started_on"].max(),
                     **figures(g)})
    cols = ["cohort", "cohort_label", "cohort_order", "first_start", "last_start", "communes",
            "cells", "members", "members_per_cell", "households", "households_covered",
            "coverage_pct", "households_per_member"]
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values("cohort_order").reset_index(drop=True)
