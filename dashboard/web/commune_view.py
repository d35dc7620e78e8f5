"""The tabs of Hồ sơ xã (pages/commune.py): villages, cells, models and indicators of one
commune. Layout only; figures from the profile_* named queries."""
from __future__ import annotations

import plotly.express as px
import streamlit as st

from dashboard import contract
from dashboard.analysis import overview
from dashboard.web import ui

LABELS_CELLS = {c.name: c.label for c in contract.CELLS.columns}
LABELS_MODELS = {c.name: c.label for c in contract.MODELS.columns}
DATE_CFG = {"format": "DD/MM/YYYY"}



def villages(params: dict, name: str) -> None:
    villages = ui.run_query("profile_villages", **params)
    if villages.empty:
        st.info("Xã chưa có thôn, tổ dân phố trong dữ liệu; số hộ lấy theo số hộ của xã.")
    else:
        def figure():
            fig = px.bar(villages, x="unit_name",
                         y=["households_covered", "uncovered_households"],
                         labels={"unit_name": "", "value": "Số hộ", "variable": ""},
                         color_discrete_sequence=["#B3261E", "#d9d9d9"])
            fig.for_each_trace(lambda t: t.update(name={
                "households_covered": "Hộ được tổ phụ trách",
                "uncovered_households": "Hộ chưa có tổ"}[t.name]))
            fig.update_layout(legend=dict(orientation="h", y=1.12), barmode="stack")
            return fig
        ui.cached_chart(figure, "pc_villages_chart", params, height=360)
        ui.table(villages, key="pc_villages", query="profile_villages", params=params,
                 title=f"Thôn, tổ dân phố — {name}",
                 labels={**ui.COMMON_LABELS, "unit_name": "Thôn, tổ dân phố",
                         "population": "Nhân khẩu"},
                 column_config={"Độ phủ (%)": ui.number_column("Độ phủ (%)", pct=True)})


def cells(params: dict, name: str) -> None:
    cells = ui.run_query("profile_cells", **params)
    if cells.empty:
        st.info("Xã chưa có tổ nào được thành lập đến ngày đã chọn.")
    else:
        shown = cells.assign(phase=cells.phase.map(lambda v: ui.PHASE_LABELS.get(v, v)))
        ui.table(shown, key="pc_cells", query="profile_cells", params=params,
                 title=f"Các tổ — {name}",
                 labels={**LABELS_CELLS, "unit_name": "Thôn/xã", "active": "Đang hoạt động"},
                 column_config={
                     "Ngày thành lập": st.column_config.DateColumn(**DATE_CFG),
                     "Ngày giải thể": st.column_config.DateColumn(**DATE_CFG)})


def models(params: dict, name: str) -> None:
    models = ui.run_query("profile_models", **params)
    if models.empty:
        st.info("Xã chưa có mô hình nào.")
    else:
        shown = models.assign(
            field=models.field.map(ui.field_label),
            level=models.level.map(lambda v: contract.enum_label(contract.LEVELS, v)),
            recognized_level=models.recognized_level.map(
                lambda v: contract.enum_label(contract.LEVELS, v) if isinstance(v, str)
                else ""))
        ui.table(shown, key="pc_models", query="profile_models", params=params,
                 title=f"Mô hình — {name}",
                 labels={**LABELS_MODELS, "unit_name": "Tên đơn vị",
                         "active": "Đang hoạt động"},
                 column_config={
                     "Ngày bắt đầu": st.column_config.DateColumn(**DATE_CFG),
                     "Ngày kết thúc": st.column_config.DateColumn(**DATE_CFG)})


def indicators(params: dict, name: str) -> None:
    ind = ui.run_query("profile_indicators", **params)
    if ind.empty:
        st.info("Xã chưa có số liệu chỉ số kết quả.")
    else:
        shown = ind.assign(indicator=ind.indicator.map(contract.indicator_label))
        def figure():
            fig = px.line(shown, x="period", y="value", color="indicator", markers=True,
                          labels={"period": "Tháng", "value": "Giá trị", "indicator": ""})
            fig.update_layout(legend=dict(orientation="h", y=1.15))
            return fig
        ui.cached_chart(figure, "pc_ind_chart", params, "profile_indicators", params,
                        height=400)
        wide = ui.derived("pc_ind_wide", params, lambda: overview.indicators_by_month(shown))
        ui.table(wide.sort_values("Tháng", ascending=False), key="pc_ind",
                 query="profile_indicators", params=params, title=f"Chỉ số theo tháng — {name}")
