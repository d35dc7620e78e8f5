"""Hồ sơ xã: everything about one commune on one page.

The commune comes from the URL (?commune=<code>), so a link from any table or map opens it;
every figure comes from the queries/profile_*.sql named queries.
"""
import pandas as pd
import streamlit as st

from dashboard.analysis import evaluation
from dashboard.analysis.search import commune_option_label
from dashboard.i18n import fmt
from dashboard.web import commune_view as view
from dashboard.web import ui, urlstate

f = ui.filters()
as_of = f["as_of"]

st.title("Hồ sơ xã")
ui.demo_banner()

communes = ui.run_query("profile_communes", as_of=as_of)
if communes.empty:
    st.info("Chưa có dữ liệu đơn vị. Vào trang **Dữ liệu** để tải lên danh mục xã, thôn.")
    st.stop()
names = dict(zip(communes.commune_code, communes.commune_name))
wanted = st.query_params.get("commune")
# a link decides; else the commune chosen in the sidebar filter, and it follows the filter
sidebar = (tuple(f.get("chosen") or ()), tuple(f.get("communes") or ()))
moved = st.session_state.get("_profile_filter", sidebar) != sidebar
default, options = urlstate.profile_commune(None if moved else wanted, list(names),
                                            f.get("chosen"), f.get("communes"))
if moved or st.session_state.get("_profile_url", "-") != wanted:
    st.session_state["profile_commune"] = default
    st.session_state["_profile_url"] = wanted
st.session_state["_profile_filter"] = sidebar
if wanted and wanted not in names:
    st.warning(f"Không có xã mã «{ui.esc(wanted)}» trong dữ liệu; hãy chọn một xã trong "
               "danh sách.")

code = st.selectbox("Chọn xã, phường", options, key="profile_commune", index=None,
                    format_func=lambda c: commune_option_label(c, names[c]),
                    placeholder="Gõ tên hoặc mã xã để tìm…")
if code is not None or wanted in names:
    ui.sync_params(commune=code)
    st.session_state["_profile_url"] = code
if code is None:
    st.info("Chọn một xã, phường để xem hồ sơ: các thôn và số hộ, độ phủ, các tổ, các mô "
            "hình và chỉ số theo thời gian.")
    st.stop()
params = {"commune": code, "as_of": as_of}
row = ui.run_query("profile_commune", **params)
if row.empty:
    st.warning("Không đọc được hồ sơ của xã này.")
    st.stop()
p = row.iloc[0]

cohort = evaluation.assign_cohorts(row[["phase", "started_on"]]).iloc[0]
place = [p.commune_type if isinstance(p.commune_type, str) else None,
         p.parent_name if isinstance(p.parent_name, str) else None,
         f"diện tích {fmt.number(p.area_km2, 1)} km²" if pd.notna(p.area_km2) else None]
st.subheader(ui.esc(p.commune_name))
st.caption(" · ".join([f"Mã {ui.esc(p.commune_code)}", *[ui.esc(x) for x in place if x],
                       ui.filter_caption(f).split(" · ")[0]]))

c = st.columns(4)
with c[0]:
    ui.metric("Độ phủ hộ gia đình", p.coverage_pct, pct=True,
              help="Hộ được tổ phụ trách / tổng số hộ")
with c[1]:
    ui.metric("Tổng số hộ", p.households)
with c[2]:
    ui.metric("Tổ đang hoạt động", p.cells)
with c[3]:
    ui.metric("Thành viên", p.members)
c = st.columns(4)
with c[0]:
    ui.metric("Hộ chưa có tổ phụ trách", p.uncovered_households)
with c[1]:
    ui.metric("Thôn, tổ dân phố có tổ",
              f"{fmt.number(p.villages_with_cells)} / {fmt.number(p.villages)}")
with c[2]:
    ui.metric("Mô hình đang hoạt động",
              f"{fmt.number(p.active_models)} / {fmt.number(p.models_started)}",
              help="Đang hoạt động / đã bắt đầu đến ngày đã chọn")
with c[3]:
    ui.metric("Giai đoạn", ui.PHASE_LABELS.get(p.phase, p.phase),
              help="Thí điểm nếu xã có tổ thí điểm; nhân rộng nếu chỉ có tổ nhân rộng")

facts = []
if pd.notna(p.started_on):
    facts.append(f"Bắt đầu có tổ: **{fmt.date(p.started_on)}**")
facts.append(f"Nhóm (đợt triển khai): **{cohort.cohort_label}**")
facts.append(f"Tổ đã thành lập: {fmt.number(p.cells_ever)} (thí điểm "
             f"{fmt.number(p.pilot_cells)}, nhân rộng {fmt.number(p.rollout_cells)}; đã giải thể "
             f"{fmt.number(p.cells_ended)})")
if pd.notna(p.households_per_cell):
    facts.append(f"{fmt.number(p.households_per_cell, 1)} hộ/tổ · "
                 f"{fmt.number(p.households_per_member, 1)} hộ/thành viên")
st.markdown(" · ".join(facts))
ui.sql_expander("profile_commune", params, key="pc_summary")

tabs = st.tabs(["Thôn, tổ dân phố", "Các tổ", 'Mô hình "Dân vận khéo"',
                "Chỉ số theo thời gian"], key="muc", bind="query-params")
for tab, draw in zip(tabs, (view.villages, view.cells, view.models, view.indicators)):
    with tab:
        draw(params, p.commune_name)
