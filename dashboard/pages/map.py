"""Bản đồ: offline choropleth of communes or villages, drill-down to a commune's villages,
model locations. Selections are kept in the URL (xa, lop, chi_so, phan_lop, so_lop, mo_hinh)."""
import streamlit as st

from dashboard.contract import FIELDS
from dashboard.i18n import fmt
from dashboard.output import maps
from dashboard.web import ui

f = ui.filters()
params = {"as_of": f["as_of"], "communes": f["communes"]}
db = ui.get_db()
qp = st.query_params

st.title("Bản đồ")
ui.demo_banner()
st.caption(ui.filter_caption(f))

cs = ui.communes()
allowed = cs if f["communes"] is None else cs[cs.unit_code.isin(f["communes"])]
names = dict(zip(allowed.unit_code, allowed.unit_name))
if not names:
    st.info("Chưa có xã, phường nào (hoặc bộ lọc không chọn xã nào). Vào trang **Dữ liệu** để "
            "tải lên danh mục đơn vị, hoặc chạy `python -m dashboard demo` để xem dữ liệu mẫu.")
    st.stop()

# --- state from the URL, then from a click on the map -----------------------------------------
if "map_xa" not in st.session_state:
    st.session_state["map_xa"] = qp.get("xa") if qp.get("xa") in names else ""
if st.session_state["map_xa"] and st.session_state["map_xa"] not in names:
    st.session_state["map_xa"] = ""
st.session_state.setdefault("map_n", 0)
chart_key = st.session_state.get("map_chart_key")
event = st.session_state.get(chart_key) if chart_key else None
points = (event or {}).get("selection", {}).get("points", []) if event else []
if points and not st.session_state["map_xa"]:
    clicked = (points[0].get("customdata") or [None])[0]
    if clicked in names:                     # a commune clicked: drill down to its villages
        st.session_state["map_xa"] = clicked
        st.session_state["map_n"] += 1



def _back():
    st.session_state["map_xa"] = ""
    st.session_state["map_n"] += 1


options = maps.metric_options(db, run=ui.run_query, **params)
levels = list(maps.LEVEL_LABELS)
c1, c2, c3, c4 = st.columns([2, 3, 2, 1])
with c1:
    xa = st.selectbox("Xã, phường đang xem", [""] + list(names), key="map_xa",
                      format_func=lambda c: "— Toàn bộ các xã —" if not c else
                      f"{names[c]} ({c})",
                      help="Bấm vào một xã trên bản đồ để xem các thôn, tổ dân phố của xã đó.")
with c2:
    metric = st.selectbox("Chỉ số tô màu", list(options), format_func=options.get,
                          index=list(options).index(qp.get("chi_so"))
                          if qp.get("chi_so") in options else 0, key="map_metric")
with c3:
    scheme = st.selectbox("Cách phân lớp", list(maps.SCHEMES), format_func=maps.SCHEMES.get,
                          index=list(maps.SCHEMES).index(qp.get("phan_lop"))
                          if qp.get("phan_lop") in maps.SCHEMES else 0, key="map_scheme")
with c4:
    k = st.number_input("Số lớp", min_value=2, max_value=7,
                        value=int(qp.get("so_lop")) if str(qp.get("so_lop", "")).isdigit()
                        and 2 <= int(qp.get("so_lop")) <= 7 else 5, key="map_k")

c1, c2 = st.columns([2, 4])
with c1:
    if xa:
        level = "village"
        st.markdown(f"**Cấp hiển thị:** thôn, tổ dân phố của {ui.esc(names[xa])}")
        st.button("← Quay lại toàn bộ các xã", key="map_back", on_click=_back)
        st.page_link("../pages/commune.py", label=f"Mở hồ sơ {ui.esc(names[xa])}",
                     icon=":material/folder_open:", query_params={"commune": xa})
    else:
        level = st.segmented_control("Cấp hiển thị", levels, format_func=maps.LEVEL_LABELS.get,
                                     default=qp.get("lop") if qp.get("lop") in levels
                                     else "commune", key="map_level") or "commune"
with c2:
    wanted = [x for x in qp.get("mo_hinh", "").split(",") if x in FIELDS]
    fields = st.multiselect("Vị trí mô hình “Dân vận khéo” theo lĩnh vực", list(FIELDS),
                            default=wanted, format_func=ui.field_label, key="map_fields",
                            placeholder="Không hiện mô hình")

ui.sync_params(xa=xa or None, lop=None if xa or level == "commune" else level,
               chi_so=None if metric == "coverage_pct" else metric,
               phan_lop=None if scheme == "quantiles" else scheme,
               so_lop=None if k == 5 else k, mo_hinh=fields or None)

scope = [xa] if xa else params["communes"]
title = (f"{maps.metric_for(metric).label} — "
         + (f"các thôn, tổ dân phố của {names[xa]}" if xa else
            "theo " + maps.LEVEL_LABELS[level].lower()))


def _drawn():
    """The layer, its figure (escaped) and the models drawn on it: built once per data
    version and view for every session (GeoJSON, hover texts and classes not redone on a
    rerun)."""
    layer = maps.build_layer(db, level, params["as_of"], scope, metric, scheme, int(k),
                             run=ui.run_query)
    fig = maps.layer_figure(layer, title=title, height=680)
    n = 0
    if fields:
        models = maps.models_layer(db, params["as_of"], scope, run=ui.run_query)
        n = maps.add_models(fig, models, fields)
    return layer, ui.safe_figure(fig), n


layer, fig, drawn_models = ui.derived("map_view", {
    "level": level, "as_of": params["as_of"], "communes": scope, "metric": metric,
    "scheme": scheme, "k": int(k), "fields": fields, "title": title}, _drawn)

m = st.columns(5)
m[0].metric("Đơn vị", fmt.number(len(layer.frame)))
m[1].metric("Vẽ theo ranh giới", fmt.number(layer.polygons))
m[2].metric("Vẽ tại tâm xã", fmt.number(layer.points),
            help="Xã chưa có ranh giới: vẽ thành điểm tại tâm xã chính thức, "
                 "kích thước theo giá trị.")
m[3].metric("Không có dữ liệu", fmt.number(layer.no_data),
            help="Đơn vị không có giá trị của chỉ số đã chọn (tô màu xám).")
m[4].metric("Không có trên bản đồ", fmt.number(layer.not_on_map),
            help="Đơn vị không có ranh giới và không có tọa độ tâm.")

if layer.polygons + layer.points == 0:
    st.info("Chưa có ranh giới của các đơn vị này. Vào trang **Dữ liệu** để tải lên tệp ranh "
            "giới (GeoJSON, GeoPackage hoặc Shapefile nén .zip).")
else:
    st.session_state["map_chart_key"] = f"map_chart_{st.session_state['map_n']}"
    st.plotly_chart(fig, key=st.session_state["map_chart_key"],
                    config=ui.PLOT_CONFIG,
                    on_select="rerun" if not xa else "ignore", selection_mode="points",
                    width="stretch")
if layer.approximate:
    st.caption("⚠ " + maps.APPROXIMATE_NOTE + ". Tải lên ranh giới thật ở trang **Dữ liệu** "
               "để thay thế.")
if fields:
    st.caption(f"{fmt.number(drawn_models)} mô hình đang hoạt động được vẽ; mô hình chưa có "
               "tọa độ được đặt ở giữa thôn hoặc quanh tâm xã.")

shown = layer.frame[["unit_code", "unit_name", "value", "class", "households", "cells",
                     "members", "households_covered", "coverage_pct", "uncovered_households",
                     "cells_per_1000_households", "households_per_member", "models",
                     "drawn_as"]].copy()
shown["drawn_as"] = shown["drawn_as"].map({"polygon": "Ranh giới", "point": "Tâm xã",
                                           "none": "Không có trên bản đồ"})
labels = {**ui.COMMON_LABELS, "value": layer.metric.label, "class": "Lớp",
          "cells_per_1000_households": "Tổ/1.000 hộ", "drawn_as": "Cách vẽ"}
with st.expander("Bảng số liệu của bản đồ", expanded=False):
    ui.table(shown, key="map_table", query="map_units",
             params={"level": level, **params, "communes": scope},
             title=title, labels=labels)
    ui.sql_expander("map_boundaries", {"level": level, "communes": scope}, key="map_geo")
    if metric.startswith("indicator:"):
        ui.sql_expander("map_indicator", {"indicator": metric.split(":", 1)[1], "level": level,
                                          **params, "communes": scope}, key="map_ind")
    if fields:
        ui.sql_expander("map_models", {**params, "communes": scope}, key="map_models")
