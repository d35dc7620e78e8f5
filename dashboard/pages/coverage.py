"""Độ phủ hộ gia đình: coverage per commune and village, distributions against the norms,
gaps, and the planner of new cells."""
import streamlit as st

from dashboard.analysis import planner
from dashboard.web import coverage_view as view
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
for col, (label, value, pct) in zip(k, (
        ("Tổng số hộ", hh, False), ("Hộ có tổ phụ trách", cov, False),
        ("Độ phủ", 100 * cov / hh if hh else 0, True),
        ("Thôn, tổ dân phố chưa có tổ", len(planner.villages_without_cells(villages)), False),
        ("Tổ đang hoạt động", active_cells, False))):
    with col:      # each card's "?" opens its definition in «Hướng dẫn»
        ui.metric(label, value, pct=pct)

# bound to the URL (?muc=…) and lazy: only the selected tab's tables are built
tabs = st.tabs(view.TABS, key="muc", bind="query-params")

def cell_counts():
    """Active cells counted per (members, households): what the distributions need."""
    return ui.run_query("coverage_cell_counts", **params)


draw = (lambda: view.by_commune(communes, params),
        lambda: view.by_village(villages, params, target),
        lambda: view.distribution(cell_counts, params, norm_hh, members),
        lambda: view.gaps(villages, params, target, overload),
        lambda: view.plan(communes, villages, params, target, plan_hh))
for tab, run in zip(tabs, draw):
    with tab:
        if tab.open:   # only the selected tab runs
            run()

ui.keep_in_url(**URL_DEFAULTS)
