"""Shaping of the Overview page's query results (no Streamlit)."""
from __future__ import annotations

import pandas as pd

from dashboard.i18n import fmt, labels

PHASE_COLORS = {"Thí điểm": "#B3261E", "Nhân rộng": "#E8A33D"}
_PHASE = labels.PHASE_NAMES


def growth_long(growth: pd.DataFrame) -> pd.DataFrame:
    """cells_over_time → long format: one row per month × phase × measure."""
    g = growth.copy()
    g["series"] = g.phase.map(_PHASE).fillna(g.phase)
    long = g.melt(id_vars=["month", "series"], value_vars=["cells", "members"],
                  var_name="measure", value_name="value")
    long["measure"] = long.measure.map({"cells": "Số tổ", "members": "Số thành viên"})
    long["month"] = pd.to_datetime(long.month + "-01")
    return long


def top_bottom(cov: pd.DataFrame, n: int = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Communes with cells and households, highest and lowest coverage (ties: more
    households first). Communes with no cell are listed apart, not as a wall of zeros."""
    c = cov[(cov.households > 0) & (cov.cells > 0)]
    top = c.sort_values(["coverage_pct", "households"], ascending=[False, False]).head(n)
    bottom = c.sort_values(["coverage_pct", "households"], ascending=[True, False]).head(n)
    return top, bottom


def kpi_sentence(kpi) -> str:
    """One sentence a presenter can read out."""
    uncovered = kpi.households - kpi.households_covered
    return (f"{fmt.number(kpi.cells)} tổ với {fmt.number(kpi.members)} thành viên đang phụ "
            f"trách {fmt.number(kpi.households_covered)} trên {fmt.number(kpi.households)} hộ "
            f"({fmt.percent(kpi.coverage_pct)}); còn {fmt.number(uncovered)} hộ chưa có tổ phụ "
            f"trách, ở {fmt.number(kpi.communes - kpi.communes_with_cells)} xã chưa có tổ nào.")


def indicators_by_month(ind: pd.DataFrame) -> pd.DataFrame:
    """profile_indicators rows (period, indicator label, value) → one row per month, one
    column per indicator, newest month first."""
    wide = ind.pivot_table(index="period", columns="indicator", values="value",
                           aggfunc="sum").reset_index().rename(columns={"period": "Tháng"})
    wide.columns.name = None
    return wide.sort_values("Tháng", ascending=False)
