"""Tổng quan: KPI cards, cells and members over time, models by field, top/bottom communes."""
import plotly.express as px
import streamlit as st

from dashboard.analysis import overview
from dashboard.i18n import fmt
from dashboard.web import questions_ui, ui

f = ui.filters()
params = {"as_of": f["as_of"], "communes": f["communes"]}

st.title("Tổng quan")
ui.demo_banner()
st.caption(ui.filter_caption(f))

kpi = ui.run_query("kpi_overview", **params).iloc[0]
if kpi.communes == 0:
    st.info("Chưa có dữ liệu đơn vị. Vào trang **Dữ liệu** để tải lên danh mục xã, thôn "
            "hoặc chạy `python -m dashboard demo` để xem dữ liệu mẫu.")
    st.stop()

c = st.columns(4)
with c[0]:
    ui.metric("Độ phủ hộ gia đình", kpi.coverage_pct, pct=True,
              help="Hộ được tổ phụ trách / tổng số hộ (tính đến ngày đã chọn)")
with c[1]:
    ui.metric("Tổ đang hoạt động", kpi.cells)
with c[2]:
    ui.metric("Thành viên", kpi.members)
with c[3]:
    ui.metric("Mô hình đang hoạt động", kpi.active_models,
              help=f"Trên {fmt.number(kpi.models_started)} mô hình đã bắt đầu đến ngày "
                   f"{fmt.date(f['as_of'])} (không tính mô hình bắt đầu sau ngày đó)")
c = st.columns(4)
with c[0]:
    ui.metric("Hộ chưa có tổ phụ trách", kpi.households - kpi.households_covered)
with c[1]:
    ui.metric("Xã có tổ", f"{fmt.number(kpi.communes_with_cells)} / {fmt.number(kpi.communes)}")
with c[2]:
    ui.metric("Thôn, tổ dân phố có tổ",
              f"{fmt.number(kpi.villages_with_cells)} / {fmt.number(kpi.villages)}")
with c[3]:
    ui.metric("Tổng số hộ", kpi.households)
st.caption(overview.kpi_sentence(kpi))
ui.sql_expander("kpi_overview", params, key="kpi")

left, right = st.columns([3, 2])
with left:
    st.subheader("Tổ và thành viên theo thời gian")
    growth = ui.run_query("cells_over_time", **params)
    if growth.empty:
        st.info("Chưa có tổ nào.")
    else:
        def growth_figure():
            long = overview.growth_long(growth)
            fig = px.area(long, x="month", y="value", color="series", facet_row="measure",
                          labels={"month": "Tháng", "value": "", "series": ""},
                          color_discrete_map=overview.PHASE_COLORS)
            fig.for_each_annotation(lambda a: a.update(text=a.text.split("=")[-1]))
            fig.update_yaxes(matches=None, title_text="")
            return fig
        ui.cached_chart(growth_figure, "growth", params, "cells_over_time", params, height=460)
with right:
    st.subheader("Mô hình theo lĩnh vực")

    def field_figure():
        mf = ui.run_query("models_by_field", **params)
        mf["Lĩnh vực"] = mf.field.map(ui.field_label)
        long = mf.melt(id_vars="Lĩnh vực", value_vars=["models_started", "active_models"],
                       var_name="loai", value_name="Số mô hình")
        long["loai"] = long.loai.map({"models_started": "Đã bắt đầu đến ngày này",
                                      "active_models": "Đang hoạt động"})
        fig = px.bar(long, y="Lĩnh vực", x="Số mô hình", color="loai", barmode="group",
                     orientation="h", labels={"loai": ""}, text="Số mô hình",
                     color_discrete_sequence=["#c9c9c9", "#B3261E"])
        fig.update_traces(texttemplate="%{x:,.0f}")
        fig.update_layout(yaxis_title="", legend=dict(orientation="h", y=-0.15))
        return fig
    ui.cached_chart(field_figure, "models_field", params, "models_by_field", params, height=460)

st.subheader("Xã có độ phủ cao nhất và thấp nhất")
cov = ui.run_query("coverage_by_unit", level="commune", **params)
top, bottom = overview.top_bottom(cov, n=10)
without = cov[cov.cells == 0]
if len(without):
    st.markdown(f"**{fmt.number(len(without))} xã chưa có tổ nào** "
                f"({fmt.number(without.households.sum())} hộ):")
    st.text(", ".join(without.sort_values("households", ascending=False).unit_name))
l2, r2 = st.columns(2)
for col, frame, title, key in ((l2, top, "10 xã độ phủ cao nhất", "top"),
                               (r2, bottom, "10 xã độ phủ thấp nhất (trong các xã đã có tổ)",
                                "bottom")):
    with col:
        st.markdown(f"**{title}**")
        if frame.empty:        # a message, never an empty chart with a meaningless axis
            st.info(f"Chưa có xã nào có tổ đang hoạt động tính đến {fmt.date(f['as_of'])}.")
            continue

        def top_figure(frame=frame, key=key):
            fig = px.bar(frame, x="coverage_pct", y="unit_name", orientation="h",
                         text=frame.coverage_pct.map(fmt.percent),
                         labels={"coverage_pct": "Độ phủ (%)", "unit_name": ""},
                         color_discrete_sequence=["#B3261E" if key == "top" else "#7f7f7f"])
            fig.update_layout(yaxis=dict(autorange="reversed"), xaxis=dict(range=[0, 105]))
            return fig
        ui.cached_chart(top_figure, f"cov_{key}", params, height=380)
ui.table(cov.drop(columns=["parent_code", "parent_name"]), key="cov_table",
         query="coverage_by_unit",
         params={"level": "commune", **params}, title="Độ phủ theo xã",
         labels=ui.COMMON_LABELS, commune_link="unit_code")

questions_ui.overview_block()     # saved questions pinned to Tổng quan
