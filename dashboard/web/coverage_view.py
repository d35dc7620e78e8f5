"""The tabs of the Độ phủ hộ gia đình page (pages/coverage.py): coverage per commune and
village, distributions against the norms, gaps and the planner of new cells. Layout only: rules
in analysis/planner.py, the unit search in analysis/search.py, figures from named queries."""
from __future__ import annotations

import streamlit as st

from dashboard.analysis import planner
from dashboard.analysis.search import units_matching
from dashboard.i18n import fmt
from dashboard.output import maps
from dashboard.web import ui

TABS = ["Theo xã, phường", "Theo thôn, tổ dân phố", "Phân bố", "Khoảng trống",
        "Kế hoạch bổ sung tổ"]

LABELS = {**ui.COMMON_LABELS, "parent_code": "Mã xã", "parent_name": "Xã, phường",
          "target_households": "Hộ cần phủ theo mục tiêu",
          "shortfall_households": "Hộ còn thiếu", "new_cells": "Số tổ cần thành lập thêm",
          "priority": "Thứ tự ưu tiên", "villages": "Số thôn",
          "villages_needing_cells": "Thôn cần thêm tổ", "cell_id": "Mã tổ",
          "cell_name": "Tên tổ", "unit_level": "Cấp", "commune_code": "Mã xã",
          "commune_name": "Xã", "established_on": "Ngày thành lập",
          "unit_households": "Số hộ của địa bàn",
          "unit_households_covered_raw": "Tổng hộ phụ trách của các tổ trong địa bàn",
          "reason": "Lý do cần kiểm tra", "excess_households": "Số hộ vượt"}


def search(df, key: str, label: str = "Tìm theo tên hoặc mã (không cần gõ dấu)"):
    q = st.text_input(label, ui.url_value(key, ""), key=key, placeholder="ví dụ: da mai")
    return units_matching(df, q)



def by_commune(communes, params: dict) -> None:
    shown = search(communes, "cov_q_communes")
    ui.table(shown.drop(columns=["parent_code", "parent_name"]), key="cov_communes",
             query="coverage_by_unit", params={"level": "commune", **params},
             title="Độ phủ theo xã, phường", labels=LABELS, commune_link="unit_code")


def by_village(villages, params: dict, target: float) -> None:
    c1, c2 = st.columns([3, 2])
    with c1:
        shown = search(villages, "cov_q_villages")
    with c2:
        only = st.checkbox("Chỉ thôn dưới mục tiêu độ phủ",
                           ui.url_value("cov_only_below", False), key="cov_only_below")
    if only:
        shown = shown[shown.unit_code.isin(planner.below_target(shown, target).unit_code)]
    ui.table(shown, key="cov_villages", query="coverage_by_unit",
             params={"level": "village", **params}, title="Độ phủ theo thôn, tổ dân phố",
             labels=LABELS, commune_link="parent_code")


def distribution(counts, params: dict, norm_hh: int, members: tuple) -> None:
    """counts: a callable returning coverage_cell_counts (read only when a figure is not
    cached); the charts are of the same per-cell values as coverage_cells'."""
    deps = {**params, "norm_hh": norm_hh, "members": list(members)}
    memo = {}

    def cells():
        if "cells" not in memo:
            memo["cells"] = planner.cells_from_counts(counts())
        return memo["cells"]
    s = ui.derived("cov_distribution", deps,
                   lambda: None if cells().empty else
                   planner.distribution_summary(cells(), norm_hh, members))
    if s is None:
        st.info("Chưa có tổ nào đang hoạt động.")
    else:
        c1, c2 = st.columns(2)
        with c1:
            st.markdown("**Số hộ mỗi tổ**")
            ui.cached_chart(lambda: maps.distribution_figure(
                cells().households_covered, [(norm_hh, f"định mức {fmt.number(norm_hh)} hộ")],
                "Số hộ phụ trách", bin_size=5), "cov_hist_hh", deps, "coverage_cells", params,
                height=340)
            st.caption(f"{fmt.number(s['above_households_norm'])} / {fmt.number(s['cells'])} tổ "
                       f"phụ trách trên {fmt.number(norm_hh)} hộ; trung vị "
                       f"{fmt.number(s['median_households_per_cell'], 1)} hộ mỗi tổ.")
        with c2:
            st.markdown("**Số thành viên mỗi tổ và số hộ mỗi thành viên**")
            ui.cached_chart(lambda: maps.distribution_figure(
                cells().members, [(members[0], f"{members[0]} người"),
                                  (members[1], f"{members[1]} người")],
                "Số thành viên", bin_size=1), "cov_hist_members", deps, height=340)
            st.caption(f"{fmt.number(s['members_in_range'])} tổ có {members[0]}–{members[1]} "
                       f"thành viên; {fmt.number(s['members_below_range'])} tổ ít hơn, "
                       f"{fmt.number(s['members_above_range'])} tổ nhiều hơn.")
        lo, hi = norm_hh / members[1], norm_hh / members[0]
        ui.cached_chart(lambda: maps.distribution_figure(
            cells().households_per_member, [(lo, f"{fmt.number(lo, 1)} hộ"),
                                            (hi, f"{fmt.number(hi, 1)} hộ")],
            "Số hộ mỗi thành viên", bin_size=0.5), "cov_hist_hpm", deps, height=300)
        st.caption(f"Đường đứt: {fmt.number(norm_hh)} hộ chia cho {members[1]} và "
                   f"{members[0]} thành viên.")


def gaps(villages, params: dict, target: float, overload: int) -> None:
    """The cell lists come from coverage_cells_flagged (the rows of coverage_cells they can
    hold), read only when the lists are not cached."""
    flagged = {**params, "overload": overload}

    def cells():
        return planner.gap_cells(ui.run_query("coverage_cells_flagged", **flagged),
                                 lambda: ui.run_query("coverage_cells", **params))

    none, below, over, check = ui.derived(
        "cov_gaps", {**params, "target": target, "overload": overload},
        lambda: (planner.villages_without_cells(villages),
                 planner.below_target(villages, target),
                 planner.overloaded_cells(cells(), overload), planner.cells_to_check(cells())))
    g = st.columns(4)
    g[0].metric("Thôn chưa có tổ", fmt.number(len(none)),
                help=f"{fmt.number(none.households.sum())} hộ")
    g[1].metric(f"Thôn dưới mục tiêu {fmt.number(target)}%", fmt.number(len(below)))
    g[2].metric(f"Tổ phụ trách trên {fmt.number(overload)} hộ", fmt.number(len(over)))
    g[3].metric("Tổ cần kiểm tra số liệu", fmt.number(len(check)),
                help="Số hộ phụ trách lớn hơn số hộ của thôn.")
    st.subheader("Thôn, tổ dân phố chưa có tổ nào")
    ui.table(none, key="gap_none", query="coverage_by_unit",
             params={"level": "village", **params}, title="Thôn chưa có tổ", labels=LABELS)
    st.subheader(f"Thôn, tổ dân phố dưới mục tiêu độ phủ {fmt.number(target)}%")
    ui.table(below, key="gap_below", title="Thôn dưới mục tiêu độ phủ", labels=LABELS)
    st.subheader(f"Tổ quá tải (trên {fmt.number(overload)} hộ)")
    ui.table(over, key="gap_over", query="coverage_cells_flagged", params=flagged,
             title="Tổ quá tải", labels=LABELS)
    st.subheader("Số liệu cần kiểm tra: số hộ phụ trách vượt số hộ của thôn")
    ui.table(check, key="gap_check", title="Tổ cần kiểm tra số liệu", labels=LABELS)


def _plans(communes, villages, target: float, plan_hh: int):
    vplan = planner.plan_villages(villages, target, plan_hh)
    cplan = planner.plan_communes(communes, vplan, target, plan_hh)
    return vplan, cplan, planner.plan_total(cplan)


def plan(communes, villages, params: dict, target: float, plan_hh: int) -> None:
    vplan, cplan, total = ui.derived("cov_plan", {**params, "target": target,
                                                  "plan_hh": plan_hh},
                                     lambda: _plans(communes, villages, target, plan_hh))
    st.markdown(f"Để đạt độ phủ **{fmt.number(target)}%** với khoảng **{fmt.number(plan_hh)} hộ** "
                "mỗi tổ mới, cần thành lập thêm:")
    t = st.columns(4)
    t[0].metric("Số tổ cần thành lập thêm", fmt.number(total["new_cells"]))
    t[1].metric("Hộ còn thiếu", fmt.number(total["shortfall_households"]))
    t[2].metric("Xã cần thêm tổ", f"{fmt.number(total['communes_needing_cells'])} / "
                                  f"{fmt.number(total['communes'])}")
    t[3].metric("Tổ đang hoạt động", fmt.number(total["cells"]))
    st.caption("Mỗi thôn: số tổ mới = làm tròn lên (hộ còn thiếu ÷ số hộ mỗi tổ mới); hộ còn "
               "thiếu = làm tròn lên (mục tiêu × số hộ) − hộ đã có tổ phụ trách. Mỗi xã: hộ "
               "còn thiếu tính trên số liệu của cả xã (kể cả tổ trực thuộc xã); số tổ mới là "
               "tổng của các thôn, trừ một tổ cho mỗi đủ số hộ mỗi tổ mới mà các tổ trực "
               "thuộc xã đã phụ trách. Thứ tự ưu tiên: nhiều hộ chưa có tổ trước.")
    st.subheader("Theo xã, phường")
    ui.table(cplan[["priority", "unit_code", "unit_name", "households", "households_covered",
                    "uncovered_households", "coverage_pct", "cells", "villages",
                    "villages_needing_cells", "shortfall_households", "new_cells"]],
             key="plan_communes", query="coverage_by_unit", params={"level": "commune", **params},
             title="Kế hoạch bổ sung tổ theo xã", labels=LABELS, commune_link="unit_code")
    st.subheader("Theo thôn, tổ dân phố")
    ui.table(vplan[["priority", "unit_code", "unit_name", "parent_code", "parent_name",
                    "households",
                    "households_covered", "uncovered_households", "coverage_pct", "cells",
                    "target_households", "shortfall_households", "new_cells"]],
             key="plan_villages", query="coverage_by_unit", params={"level": "village", **params},
             title="Kế hoạch bổ sung tổ theo thôn", labels=LABELS)
