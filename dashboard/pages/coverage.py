"""Độ phủ hộ gia đình: coverage per commune and village, distributions against the norms,
gaps, and the planner of new cells."""
import streamlit as st

from dashboard.analysis import planner
from dashboard.i18n import fmt
from dashboard.output import maps
from dashboard.web import ui

f = ui.filters()
params = {"as_of": f["as_of"], "communes": f["communes"]}

st.title("Độ phủ hộ gia đình")
ui.demo_banner()
st.caption(ui.filter_caption(f))

communes = ui.run_query("coverage_by_unit", level="commune", **params)
villages = ui.run_query("coverage_by_unit", level="village", **params)
active_cells = int(ui.run_query("kpi_overview", **params).cells.iloc[0])
if communes.empty:
    st.info("Chưa có dữ liệu đơn vị. Vào trang **Dữ liệu** để tải lên danh mục xã, thôn "
            "hoặc chạy `python -m dashboard demo` để xem dữ liệu mẫu.")
    st.stop()

# every setting of this page lives in the URL, so a shared link restores the same view
URL_DEFAULTS = {"cov_norm_hh": planner.DEFAULT_HOUSEHOLDS_PER_CELL,
                "cov_members": tuple(planner.DEFAULT_MEMBERS),
                "cov_target": float(planner.DEFAULT_TARGET_PCT),
                "cov_overload": planner.DEFAULT_OVERLOAD,
                "cov_plan_hh": planner.DEFAULT_HOUSEHOLDS_PER_CELL,
                "cov_q_communes": "", "cov_q_villages": "", "cov_only_below": False}

with st.expander("Định mức và mục tiêu (có thể điều chỉnh)", expanded=False):
    c = st.columns(5)
    norm_hh = c[0].number_input("Định mức hộ mỗi tổ", 5, 500,
                                ui.url_value("cov_norm_hh", URL_DEFAULTS["cov_norm_hh"]),
                                key="cov_norm_hh", help="Mỗi tổ phụ trách khoảng 40 hộ.")
    members = c[1].slider("Số thành viên mỗi tổ", 1, 20,
                          ui.url_value("cov_members", URL_DEFAULTS["cov_members"]),
                          key="cov_members")
    target = c[2].number_input("Mục tiêu độ phủ (%)", 1.0, 100.0,
                               ui.url_value("cov_target", URL_DEFAULTS["cov_target"]),
                               step=5.0, key="cov_target")
    overload = c[3].number_input("Tổ quá tải khi phụ trách trên (hộ)", 10, 1000,
                                 ui.url_value("cov_overload", URL_DEFAULTS["cov_overload"]),
                                 key="cov_overload")
    plan_hh = c[4].number_input("Kế hoạch: số hộ mỗi tổ mới", 5, 500,
                                ui.url_value("cov_plan_hh", URL_DEFAULTS["cov_plan_hh"]),
                                key="cov_plan_hh")

hh, cov = int(communes.households.sum()), int(communes.households_covered.sum())
k = st.columns(5)
k[0].metric("Tổng số hộ", fmt.number(hh))
k[1].metric("Hộ có tổ phụ trách", fmt.number(cov))
k[2].metric("Độ phủ", fmt.percent(100 * cov / hh if hh else 0))
k[3].metric("Thôn, tổ dân phố chưa có tổ", fmt.number(len(planner.villages_without_cells(villages))))
k[4].metric("Tổ đang hoạt động", fmt.number(active_cells))

LABELS = {**ui.COMMON_LABELS, "target_households": "Hộ cần phủ theo mục tiêu",
          "shortfall_households": "Hộ còn thiếu", "new_cells": "Số tổ cần thành lập thêm",
          "priority": "Thứ tự ưu tiên", "villages": "Số thôn",
          "villages_needing_cells": "Thôn cần thêm tổ", "cell_id": "Mã tổ",
          "cell_name": "Tên tổ", "unit_level": "Cấp", "commune_code": "Mã xã",
          "commune_name": "Xã", "established_on": "Ngày thành lập",
          "unit_households": "Số hộ của địa bàn",
          "unit_households_covered_raw": "Tổng hộ phụ trách của các tổ trong địa bàn",
          "reason": "Lý do cần kiểm tra", "excess_households": "Số hộ vượt"}


def search(df, key: str, label: str = "Tìm theo tên hoặc mã"):
    q = st.text_input(label, ui.url_value(key, ""), key=key,
                      placeholder="ví dụ: Đa Mai").strip().lower()
    if not q:
        return df
    from dashboard.i18n.text import fold_words
    needle = fold_words(q)
    hay = (df["unit_code"].astype(str) + " " + df["unit_name"].astype(str)).map(fold_words)
    return df[hay.str.contains(needle, regex=False)]


# bound to the URL (?muc=…) and lazy: only the selected tab's tables are built
tabs = st.tabs(["Theo xã, phường", "Theo thôn, tổ dân phố", "Phân bố", "Khoảng trống",
                "Kế hoạch bổ sung tổ"], key="muc", bind="query-params")

with tabs[0]:
    if tabs[0].open:   # only the selected tab runs
        shown = search(communes, "cov_q_communes")
        ui.table(shown, key="cov_communes", query="coverage_by_unit",
                 params={"level": "commune", **params}, title="Độ phủ theo xã, phường",
                 labels=LABELS, commune_link="unit_code")

with tabs[1]:
    if tabs[1].open:   # only the selected tab runs
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

with tabs[2]:
    if tabs[2].open:   # only the selected tab runs (and loads the per-cell list)
        cells = ui.run_query("coverage_cells", **params)
        if cells.empty:
            st.info("Chưa có tổ nào đang hoạt động.")
        else:
            s = planner.distribution_summary(cells, norm_hh, members)
            c1, c2 = st.columns(2)
            with c1:
                st.markdown("**Số hộ mỗi tổ**")
                fig = maps.distribution_figure(cells.households_covered,
                                               [(norm_hh, f"định mức {fmt.number(norm_hh)} hộ")],
                                               "Số hộ phụ trách", bin_size=5)
                ui.chart(fig, "cov_hist_hh", "coverage_cells", params, height=340)
                st.caption(f"{fmt.number(s['above_households_norm'])} / {fmt.number(s['cells'])} tổ "
                           f"phụ trách trên {fmt.number(norm_hh)} hộ; trung vị "
                           f"{fmt.number(s['median_households_per_cell'], 1)} hộ mỗi tổ.")
            with c2:
                st.markdown("**Số thành viên mỗi tổ và số hộ mỗi thành viên**")
                fig = maps.distribution_figure(cells.members,
                                               [(members[0], f"{members[0]} người"),
                                                (members[1], f"{members[1]} người")],
                                               "Số thành viên", bin_size=1)
                ui.chart(fig, "cov_hist_members", height=340)
                st.caption(f"{fmt.number(s['members_in_range'])} tổ có {members[0]}–{members[1]} "
                           f"thành viên; {fmt.number(s['members_below_range'])} tổ ít hơn, "
                           f"{fmt.number(s['members_above_range'])} tổ nhiều hơn.")
            lo, hi = norm_hh / members[1], norm_hh / members[0]
            fig = maps.distribution_figure(cells.households_per_member,
                                           [(lo, f"{fmt.number(lo, 1)} hộ"),
                                            (hi, f"{fmt.number(hi, 1)} hộ")],
                                           "Số hộ mỗi thành viên", bin_size=0.5)
            ui.chart(fig, "cov_hist_hpm", height=300)
            st.caption(f"Đường đứt: {fmt.number(norm_hh)} hộ chia cho {members[1]} và "
                       f"{members[0]} thành viên.")

with tabs[3]:
    if tabs[3].open:   # only the selected tab runs (and loads the per-cell list)
        cells = ui.run_query("coverage_cells", **params)
        none = planner.villages_without_cells(villages)
        below = planner.below_target(villages, target)
        over = planner.overloaded_cells(cells, overload)
        check = planner.cells_to_check(cells)
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
        ui.table(over, key="gap_over", query="coverage_cells", params=params, title="Tổ quá tải",
                 labels=LABELS)
        st.subheader("Số liệu cần kiểm tra: số hộ phụ trách vượt số hộ của thôn")
        ui.table(check, key="gap_check", title="Tổ cần kiểm tra số liệu", labels=LABELS)

with tabs[4]:
    if tabs[4].open:   # only the selected tab runs
        vplan = planner.plan_villages(villages, target, plan_hh)
        cplan = planner.plan_communes(communes, vplan, target, plan_hh)
        total = planner.plan_total(cplan)
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
        ui.table(vplan[["priority", "unit_code", "unit_name", "parent_code", "households",
                        "households_covered", "uncovered_households", "coverage_pct", "cells",
                        "target_households", "shortfall_households", "new_cells"]],
                 key="plan_villages", query="coverage_by_unit", params={"level": "village", **params},
                 title="Kế hoạch bổ sung tổ theo thôn", labels=LABELS)

ui.keep_in_url(**URL_DEFAULTS)
