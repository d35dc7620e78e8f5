"""The tabs of the Mô hình "Dân vận khéo" page (pages/models.py): registry search with facets,
overview charts, gaps, duplicates (one model registered twice in one place), spread (one model
adopted by many communes) and a model's card. Layout only: figures come from the models_*
named queries, rules and group-bys from analysis/models_registry.py, URL state from
web/urlstate.py."""
from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from dashboard import config
from dashboard.analysis import models_registry as mr
from dashboard.contract import FIELDS, LEVELS, RECOGNIZED_LEVELS, enum_label
from dashboard.i18n import fmt
from dashboard.store import queries
from dashboard.web import ui, urlstate

FIELD_COLORS = {"Kinh tế": "#1f77b4", "Văn hóa – xã hội": "#2ca02c",
                "Quốc phòng – an ninh": "#d62728", "Xây dựng hệ thống chính trị": "#9467bd"}
LEVEL_COLORS = {"Tỉnh": "#08306b", "Huyện": "#2171b5", "Xã": "#6baed6", "Thôn": "#c6dbef"}
TABS = ["Danh mục", "Tổng quan", "Khoảng trống", "Trùng lặp", "Lan tỏa", "Thẻ mô hình"]
CARD_TAB = TABS[-1]
DATE = st.column_config.DateColumn(format="DD/MM/YYYY")


PAGE_ROWS = config.get("models_page_rows")


@st.cache_resource(show_spinner="Đang nạp danh mục mô hình…",
                   max_entries=config.get("scope_cache_entries"))
def _registry(path: str, version: int, _db=None) -> mr.Registry:
    """The models_registry rows of one scope and data version, shared by every session."""
    return mr.Registry(queries.run(_db, "models_registry", {}))


@st.cache_resource(show_spinner=False, max_entries=config.get("query_cache_entries"))
def _view(path: str, version: int, as_of: str, communes: str, _db=None) -> mr.RegistryView:
    return _registry(path, version, _db=_db).view(dt.date.fromisoformat(as_of),
                                                  json.loads(communes))


def registry_view(f: dict) -> mr.RegistryView:
    """The registry at the filters' date and communes (one per scope, data version, date and
    communes, shared by every session): view.df equals prepare(models_list(…))."""
    db = ui.get_db()
    communes = f["communes"]
    return _view(str(db.path), ui.data_version(db), f["as_of"].isoformat(),
                 json.dumps(None if communes is None else list(communes)), _db=db)


def _token(view: mr.RegistryView) -> str:
    """What a result computed from view.df depends on: scope, data version, communes (the
    duplicate and spread groups do not depend on the date)."""
    db = ui.get_db()
    return f"{db.path}|{ui.data_version(db)}|{json.dumps(view.communes)}"


@st.cache_data(show_spinner="Đang tìm các mô hình trùng tên…", max_entries=16)
def _duplicates(token: str, _frame: pd.DataFrame, threshold: float, within_field: bool,
                scope: str):
    return mr.find_duplicates(_frame, threshold, within_field, scope)


@st.cache_data(show_spinner="Đang tìm các mô hình được nhiều xã áp dụng…", max_entries=8)
def _replications(token: str, _frame: pd.DataFrame, threshold: float):
    return mr.replications(_frame, threshold)


@st.cache_data(show_spinner=False, max_entries=config.get("query_cache_entries"))
def _similar(token: str, model_id: str, _reg: mr.RegistryView) -> pd.DataFrame:
    return mr.similar_models(_reg.df, model_id, limit=15, keys=_reg.similarity_keys())


def _open_model(model_id: str) -> None:
    st.session_state["model"] = model_id
    st.session_state["tab"] = CARD_TAB


def _on_row_select(table_key: str, ids_key: str) -> None:
    rows = st.session_state[table_key].selection.rows
    ids = st.session_state.get(ids_key) or []
    if rows and rows[0] < len(ids):
        _open_model(ids[rows[0]])


def _map_chart(fig, key: str, query: str | None = None, params_: dict | None = None,
               height: int = 450) -> None:
    """Map figures (no x/y axes) drawn without ui.style_figure, offline (white-bg, no tiles)."""
    fig.update_layout(separators=",.", font=dict(size=14), height=height,
                      margin=dict(l=10, r=10, t=50, b=10), hoverlabel=dict(font_size=14))
    st.plotly_chart(ui.safe_figure(fig), config=ui.PLOT_CONFIG, key=key)
    if query:
        ui.sql_expander(query, params_ or {}, key=key)


def registry(view: mr.RegistryView, f: dict, params: dict) -> None:
    query = st.text_input("Tìm theo tên, đơn vị chủ trì, mô tả (không cần gõ dấu; hiểu các "
                          "chữ viết tắt như ANTT, VSMT, MTTQ)", key="q",
                          bind="query-params", placeholder="ví dụ: dan van kheo, camera ANTT")
    filters = {}
    for facet in mr.FACETS:
        ui.seed_from_url(f"f_{facet.key}", multi=True, allowed=set(view.present(facet.key)))
        filters[facet.key] = [str(v) for v in st.session_state.get(f"f_{facet.key}") or []]
    searched = view.mask(None, query) if query else None

    def counts_of(key: str) -> dict:
        return view.counts(key, filters, query, search=searched)

    def all_values(key: str, order: tuple = ()) -> list:
        vals = view.present(key)
        return [v for v in order if v in vals] + [v for v in vals if v not in order]

    facet_col, main = st.columns([1.2, 3], gap="medium")
    with facet_col:
        st.markdown("**Lọc nhanh**")
        for key in ("field", "status", "level", "recognized", "year"):
            facet = mr.FACET_BY_KEY[key]
            counts = counts_of(key)
            st.pills(facet.label, all_values(key, facet.order), selection_mode="multi",
                     key=f"f_{key}", wrap=True,
                     format_func=lambda v, k=key, c=counts:
                     f"{mr.value_label(k, v)} ({fmt.number(c.get(v, 0))})")
        for key, holder in (("owner", "Tất cả đơn vị chủ trì"), ("commune", "Tất cả xã")):
            facet = mr.FACET_BY_KEY[key]
            counts = counts_of(key)
            opts = sorted(all_values(key), key=lambda v, c=counts: (-c.get(v, 0), v))
            st.multiselect(facet.label, opts, key=f"f_{key}",
                           placeholder=holder,
                           format_func=lambda v, c=counts: f"{v} ({fmt.number(c.get(v, 0))})")
    for k in mr.FACET_BY_KEY:      # repeated parameters: values may contain commas
        urlstate.write_repeated(st.query_params, f"f_{k}",
                                [str(v) for v in st.session_state.get(f"f_{k}") or []])
    filters = {k: [str(v) for v in st.session_state.get(f"f_{k}") or []]
               for k in mr.FACET_BY_KEY}
    with main:
        m = view.mask(filters, None)
        if searched is not None:
            m &= searched
        found, active, communes = view.summary(m)
        m1, m2, m3 = st.columns(3)
        m1.metric("Mô hình tìm thấy", fmt.number(found))
        m2.metric("Đang hoạt động", fmt.number(active))
        m3.metric("Xã, phường có mô hình", fmt.number(communes))
        table = view.hits(m)
        shown = _page_of(table, (query, json.dumps(filters, sort_keys=True), len(table)))
        st.session_state["_list_ids"] = shown["Mã mô hình"].tolist()
        st.caption("Bấm vào một dòng để mở thẻ mô hình.")
        st.dataframe(shown, hide_index=True, width="stretch",
                     height=min(520, 40 + 35 * max(len(shown), 1)),
                     on_select=lambda: _on_row_select("list_table", "_list_ids"),
                     selection_mode="single-row", key="list_table",
                     column_config={
                         "Ngày bắt đầu": st.column_config.DateColumn(format="DD/MM/YYYY"),
                         "Ngày kết thúc": st.column_config.DateColumn(format="DD/MM/YYYY"),
                         "Số hộ hưởng lợi": ui.number_column("Số hộ hưởng lợi"),
                         "Mô tả": st.column_config.TextColumn(width="large")})
        ui.downloads(table, "models_list", "list", "Danh mục mô hình Dân vận khéo")
        ui.sql_expander("models_list", params, key="list")


def _page_of(table: pd.DataFrame, signature: tuple) -> pd.DataFrame:
    """The rows of the list drawn on screen: all of them up to PAGE_ROWS, else one page at a
    time (back to the first page when the search or a filter changes); downloads hold every
    row."""
    if len(table) <= PAGE_ROWS:
        return table
    pages = -(-len(table) // PAGE_ROWS)
    if st.session_state.get("_list_sig") != signature:
        st.session_state["_list_sig"] = signature
        st.session_state["list_page"] = 1
    page = int(st.number_input(f"Trang (trên {fmt.number(pages)} trang)", min_value=1,
                               max_value=pages, step=1, key="list_page"))
    first = (page - 1) * PAGE_ROWS
    shown = table.iloc[first:first + PAGE_ROWS]
    st.caption(f"Dòng {fmt.number(first + 1)}–{fmt.number(first + len(shown))} trong "
               f"{fmt.number(len(table))} mô hình tìm thấy (mỗi trang {fmt.number(PAGE_ROWS)} "
               "dòng). Tải CSV hoặc Excel để có đủ mọi dòng.")
    return shown


def overview(view: mr.RegistryView, f: dict, params: dict) -> None:
    left, right = st.columns(2)
    with left:
        fl = ui.run_query("models_by_field_level", **params)
        fl = fl.assign(field_label=fl["field"].map(mr.field_label),
                       level_label=fl["level"].map(mr.level_label))
        fig = px.bar(fl, x="models", y="field_label", color="level_label", orientation="h",
                     color_discrete_map=LEVEL_COLORS, custom_data=["active_models"],
                     category_orders={"field_label": [mr.field_label(x) for x in FIELDS],
                                      "level_label": list(LEVEL_COLORS)},
                     labels={"models": "Số mô hình", "field_label": "",
                             "level_label": "Cấp"})
        fig.update_traces(hovertemplate="%{y} · %{fullData.name}<br>Số mô hình: %{x:,}"
                                        "<br>Đang hoạt động: %{customdata[0]:,}<extra></extra>")
        fig.update_layout(title="Số mô hình theo lĩnh vực và cấp", barmode="stack",
                          legend=dict(orientation="h", y=-0.2))
        ui.chart(fig, "mo_field_level", "models_by_field_level", params, height=380)
    with right:
        share = ui.run_query("models_field_share", **params)
        share = share.assign(field_label=share["field"].map(mr.field_label))
        share["text"] = [f"{fmt.percent(p)} · {fmt.number(a)}/{fmt.number(n)} xã"
                         for p, a, n in zip(share["share_pct"], share["communes_with_model"],
                                            share["communes"])]
        fig = px.bar(share, x="share_pct", y="field_label", orientation="h", text="text",
                     color="field_label", color_discrete_map=FIELD_COLORS,
                     category_orders={"field_label": [mr.field_label(x) for x in FIELDS]},
                     labels={"share_pct": "Tỷ lệ xã, phường (%)", "field_label": ""})
        fig.update_layout(title="Tỷ lệ xã, phường có ít nhất một mô hình đang hoạt động",
                          showlegend=False, xaxis=dict(range=[0, 140]))
        fig.update_traces(textposition="outside", cliponaxis=False)
        ui.chart(fig, "mo_share", "models_field_share", params, height=380)

    over = ui.run_query("models_over_time", **params)
    over = over.assign(field_label=over["field"].map(mr.field_label),
                       month=pd.to_datetime(over["period"] + "-01"))
    fig = px.line(over, x="month", y="active_models", color="field_label",
                  color_discrete_map=FIELD_COLORS, custom_data=["started", "ended"],
                  labels={"month": "", "active_models": "Mô hình đang hoạt động",
                          "field_label": "Lĩnh vực"})
    fig.update_traces(hovertemplate="%{fullData.name} · %{x|%m/%Y}<br>Đang hoạt động: %{y:,}"
                                    "<br>Bắt đầu trong tháng: %{customdata[0]:,}"
                                    "<br>Kết thúc trong tháng: %{customdata[1]:,}"
                                    "<extra></extra>")
    fig.update_layout(title="Mô hình đang hoạt động theo thời gian, theo lĩnh vực",
                      legend=dict(orientation="h", y=-0.15))
    fig.update_xaxes(tickformat="%m/%Y")
    ui.chart(fig, "mo_over_time", "models_over_time", params, height=400)
    yearly_long = mr.yearly_started_ended(over)
    fig = px.bar(yearly_long, x="year", y="models", color="kind", barmode="group",
                 color_discrete_map={"Bắt đầu": "#2ca02c", "Kết thúc": "#7f7f7f"},
                 labels={"year": "Năm", "models": "Số mô hình", "kind": ""})
    fig.update_layout(title="Số mô hình bắt đầu và kết thúc mỗi năm")
    ui.chart(fig, "mo_started_ended", "models_over_time", params, height=320)

    st.subheader("Mô hình trên 1.000 hộ theo xã, phường")
    per = ui.run_query("models_per_household", **params)
    placed = per.dropna(subset=["latitude", "longitude"])
    c_map, c_tab = st.container(), st.container()
    with c_map:
        if placed.empty:
            st.info("Chưa có tọa độ của các xã (mã xã không thuộc danh mục 2025).")
        else:
            fig = px.scatter_map(
                placed, lat="latitude", lon="longitude", size="active_models",
                color="models_per_1000_households", color_continuous_scale="YlGn",
                hover_name="commune_name", size_max=18, map_style="white-bg", zoom=8.3,
                center=dict(lat=float(placed["latitude"].mean()),
                            lon=float(placed["longitude"].mean())),
                custom_data=["active_models", "households", "models_per_1000_households"],
                labels={"models_per_1000_households": "Mô hình/1.000 hộ"})
            fig.update_traces(hovertemplate="<b>%{hovertext}</b><br>Mô hình đang hoạt động: "
                                            "%{customdata[0]:,}<br>Số hộ: %{customdata[1]:,}"
                                            "<br>Mô hình/1.000 hộ: %{customdata[2]:,.2f}"
                                            "<extra></extra>")
            fig.update_layout(title="Mỗi chấm là một xã: kích thước = số mô hình, màu = mô "
                                    "hình trên 1.000 hộ")
            _map_chart(fig, "mo_per_hh_map", height=520)
    with c_tab:
        ui.table(per[["commune_code", "commune_name", "households", "active_models",
                      "models_per_1000_households"]], "mo_per_hh", "models_per_household",
                 params, title="Mô hình trên 1.000 hộ theo xã", commune_link="commune_code",
                 labels={"commune_code": "Mã xã", "commune_name": "Xã, phường",
                         "households": "Số hộ", "active_models": "Mô hình đang hoạt động",
                         "models_per_1000_households": "Mô hình/1.000 hộ"},
                 column_config={"Số hộ": ui.number_column("Số hộ"),
                                "Mô hình/1.000 hộ": ui.number_column("Mô hình/1.000 hộ")},
                 height=440)


def gaps(view: mr.RegistryView, f: dict, params: dict) -> None:
    gap_rows = ui.run_query("models_gaps", **params)
    summary = mr.gap_summary(gap_rows)
    st.markdown("**Xã, phường còn trống** — không có mô hình nào đang hoạt động, hoặc không có "
                "mô hình trong một lĩnh vực; kèm số hộ để thấy khoảng trống liên quan bao "
                "nhiêu người dân.")
    st.caption("Số xã, phường còn trống (và số hộ của các xã đó):")
    cols = st.columns(len(summary))
    for col, row in zip(cols, summary.itertuples()):
        col.metric("Chưa có mô hình nào" if row.gap == "any" else mr.field_label(row.gap),
                   f"{fmt.number(row.communes)} xã",
                   f"{fmt.number(row.households)} hộ", delta_color="off",
                   delta_arrow="off")
    ui.seed_from_url("gap", default="any", allowed=["any", *FIELDS])
    choice = st.segmented_control(
        "Loại khoảng trống", ["any"] + list(FIELDS), key="gap",
        format_func=lambda k: "Không có mô hình nào" if k == "any"
        else f"Không có mô hình {mr.field_label(k)}") or "any"
    ui.sync_params(gap=None if choice == "any" else choice)
    gap = mr.gaps(gap_rows, None if choice == "any" else choice)
    if gap.empty:
        st.success("Mọi xã, phường đang chọn đều có mô hình loại này.")
        return
    labels = {"commune_code": "Mã xã", "commune_name": "Xã, phường", "households": "Số hộ",
              "active_models": "Mô hình đang hoạt động", "fields_missing": "Số lĩnh vực trống",
              "models_per_1000_households": "Mô hình/1.000 hộ",
              **{k: mr.field_label(k) for k in FIELDS}}
    ui.table(gap, "mo_gaps", "models_gaps", params, title="Xã, phường còn trống mô hình",
             labels=labels, column_config={"Số hộ": ui.number_column("Số hộ")})


def duplicates(view: mr.RegistryView, f: dict, params: dict) -> None:
    st.markdown("**Mô hình trùng** — cùng một mô hình được đăng ký hai lần ở cùng một nơi "
                "(cùng đơn vị, hoặc cùng một xã và các thôn của xã). Tên được so sánh không "
                "phân biệt hoa thường, dấu, thứ tự từ và chữ viết tắt (ANTT = an ninh trật "
                "tự…). Mỗi nhóm có một mô hình tham chiếu (cấp cao nhất, bắt đầu sớm nhất); "
                "*Độ giống* là mức giống tên của từng mô hình với mô hình tham chiếu. Cùng một "
                "mô hình ở nhiều xã khác nhau không phải trùng lặp: xem **Lan tỏa**.")
    c1, c2 = st.columns([3, 1])
    threshold = c1.slider("Độ giống tối thiểu (%)", 70, 100, 85, key="dup_t",
                          bind="query-params")
    within = c2.toggle("Chỉ trong cùng lĩnh vực", key="dup_field", bind="query-params")
    dups = _duplicates(_token(view), view.df, float(threshold), bool(within), "area")
    if dups.empty:
        st.success("Không có mô hình nào được đăng ký hai lần ở cùng một nơi với ngưỡng này.")
    else:
        st.caption(f"{fmt.number(dups['group_id'].nunique())} nhóm, "
                   f"{fmt.number(len(dups))} mô hình. Bấm vào một dòng để mở thẻ mô hình.")
        shown = mr.duplicates_display(dups)
        st.session_state["_dup_ids"] = dups["model_id"].tolist()
        st.dataframe(ui.vi_style(shown), hide_index=True, width="stretch",
                     height=min(520, 40 + 35 * len(shown)),
                     on_select=lambda: _on_row_select("dup_table", "_dup_ids"),
                     selection_mode="single-row", key="dup_table",
                     column_config={"Ngày bắt đầu": DATE})
        ui.downloads(shown, "models_duplicates", "dup", "Mô hình trùng")
    ui.sql_expander("models_list", params, key="dup")
    with st.expander("Bảng chữ viết tắt được hiểu khi so sánh và tìm kiếm"):
        abbr = pd.DataFrame(list(mr.ABBREVIATIONS.items()), columns=["Viết tắt", "Đầy đủ"])
        st.dataframe(abbr, hide_index=True, width="stretch")


def spread(view: mr.RegistryView, f: dict, params: dict) -> None:
    st.markdown("**Lan tỏa** — cùng một mô hình (tên giống nhau) được nhiều xã, phường áp "
                "dụng: mô hình đang được nhân rộng. *Nơi khởi xướng* là đơn vị của mô hình "
                "tham chiếu (cấp cao nhất, bắt đầu sớm nhất).")
    threshold = st.slider("Độ giống tên tối thiểu (%)", 70, 100, 85, key="spread_t",
                          bind="query-params")
    reps, members = _replications(_token(view), view.df, float(threshold))
    if reps.empty:
        st.info("Chưa có mô hình nào được từ hai xã, phường trở lên áp dụng.")
        return
    st.caption(f"{fmt.number(len(reps))} mô hình được từ hai xã, phường trở lên áp dụng; mô "
               f"hình lan rộng nhất có ở {fmt.number(reps.iloc[0]['communes'])} xã, phường.")
    shown = mr.replications_display(reps)
    st.dataframe(ui.vi_style(shown), hide_index=True, width="stretch",
                 height=min(480, 40 + 35 * len(shown)),
                 column_config={"Bắt đầu sớm nhất": DATE, "Gần đây nhất": DATE})
    ui.downloads(shown, "models_spread", "spread", "Mô hình lan tỏa")
    pick = st.selectbox("Xem các nơi áp dụng", reps["group_id"].tolist(), index=None,
                        key="spread_group", placeholder="Chọn một mô hình…",
                        format_func=dict(zip(reps["group_id"], reps["model_name"])).get)
    if pick is not None:
        part = members[members["group_id"] == pick]
        st.session_state["_spread_ids"] = part["model_id"].tolist()
        st.dataframe(ui.vi_style(mr.duplicates_display(part).drop(
            columns=["Nhóm", "Số mô hình trong nhóm"])), hide_index=True, width="stretch",
            on_select=lambda: _on_row_select("spread_table", "_spread_ids"),
            selection_mode="single-row", key="spread_table",
            column_config={"Ngày bắt đầu": DATE})


def card(view: mr.RegistryView, f: dict, params: dict) -> None:
    labels = view.option_label
    ui.seed_from_url("model", allowed=view.id_set)
    model_id = st.selectbox("Mô hình", view.ids, index=None, key="model",
                            placeholder="Chọn hoặc gõ tên mô hình…",
                            format_func=lambda i: labels.get(i) or f"{i} ({i})")
    ui.sync_params(model=model_id)
    if not model_id:
        st.info("Chọn một mô hình ở đây, hoặc bấm vào một dòng trong **Danh mục**.")
    else:
        card = ui.run_query("models_card", model_id=model_id)
        m = card.iloc[0]
        st.subheader(ui.esc(m["model_name"]))
        st.caption(ui.esc(m["hierarchy"] or ""))
        info, where = st.columns([3, 2], gap="large")
        with info:
            status = mr.STATUSES[mr.status_at(card, f["as_of"]).iloc[0]]
            rows = [
                ("Mã mô hình", m["model_id"]),
                ("Lĩnh vực", enum_label(FIELDS, m["field"])),
                ("Cấp", enum_label(LEVELS, m["level"])),
                ("Đơn vị", f"{m['unit_name']} ({m['unit_code']})"),
                ("Thuộc", m["hierarchy"]),
                ("Đơn vị chủ trì", m["owner"]),
                ("Ngày bắt đầu", fmt.date(m["started_on"])),
                ("Ngày kết thúc", fmt.date(m["ended_on"]) if pd.notna(m["ended_on"])
                 else "–"),
                ("Tình trạng", status),
                ("Cấp công nhận", enum_label(RECOGNIZED_LEVELS, m["recognized_level"])
                 if isinstance(m["recognized_level"], str) else "–"),
                ("Số hộ hưởng lợi", fmt.number(m["households_reached"])),
                ("Tọa độ", fmt.coordinates(m["latitude"], m["longitude"])),
                ("Mô tả", m["description"]),
            ]
            st.table(pd.DataFrame([(k, "–" if v is None or (isinstance(v, float) and
                                                              pd.isna(v)) else ui.esc(v))
                                   for k, v in rows], columns=["Thông tin", "Giá trị"])
                     .set_index("Thông tin"))
        with where:
            fig = go.Figure()
            if isinstance(m["boundary_geojson"], str) and m["boundary_geojson"]:
                geom = json.loads(m["boundary_geojson"])
                fig.add_trace(go.Choroplethmap(
                    geojson={"type": "FeatureCollection", "features": [
                        {"type": "Feature", "id": "x", "properties": {}, "geometry": geom}]},
                    locations=["x"], z=[1], colorscale=[[0, "#dbe9f6"], [1, "#dbe9f6"]],
                    showscale=False, marker_line_color="#2171b5", marker_line_width=2,
                    hovertext=[m["commune_name"] or ""], hoverinfo="text"))
            if pd.notna(m["point_latitude"]):
                fig.add_trace(go.Scattermap(
                    lat=[m["point_latitude"]], lon=[m["point_longitude"]], mode="markers",
                    marker=dict(size=16, color="#d62728"), hovertext=[m["model_name"]],
                    hoverinfo="text"))
                fig.update_layout(map=dict(style="white-bg", zoom=11, center=dict(
                    lat=m["point_latitude"], lon=m["point_longitude"])), showlegend=False)
                where_text = ("Vị trí mô hình" if m["point_source"] == "model"
                              else "Vị trí gần đúng: tâm của " + (m["commune_name"] or "xã"))
                fig.update_layout(title=where_text)
                _map_chart(fig, "mo_card_map", "models_card", {"model_id": model_id},
                           height=380)
            else:
                st.info("Mô hình chưa có tọa độ và đơn vị không thuộc một xã có trong danh "
                        "mục, nên chưa đặt được lên bản đồ.")
                ui.sql_expander("models_card", {"model_id": model_id}, key="mo_card")
        st.markdown("**Mô hình tương tự ở nơi khác**")
        similar = _similar(_token(view), model_id, view)
        if similar.empty:
            st.caption("Không có mô hình nào có tên gần giống.")
        else:
            sim = mr.display_table(similar)[["Mã mô hình", "Tên mô hình", "Lĩnh vực", "Cấp",
                                             "Đơn vị", "Xã/phường", "Ngày bắt đầu",
                                             "Tình trạng"]]
            sim.insert(2, "Độ giống (%)", similar["score"].to_numpy())
            st.session_state["_sim_ids"] = similar["model_id"].tolist()
            st.dataframe(ui.vi_style(sim), hide_index=True, width="stretch",
                         on_select=lambda: _on_row_select("sim_table", "_sim_ids"),
                         selection_mode="single-row", key="sim_table",
                         column_config={"Ngày bắt đầu": DATE})
            ui.downloads(sim, "models_similar", "sim", f"Mô hình tương tự {model_id}")
