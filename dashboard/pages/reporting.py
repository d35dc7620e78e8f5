"""Tình hình báo cáo: who has reported the month's indicators, when and whether on time;
reporting rates per month and commune, their map, the reminder list; approval and unlock of a
month; the feed of comments; when each commune's registries were last updated.
Figures and rules live in dashboard/reporting/ (no Streamlit there); this script draws."""
import datetime as dt

import streamlit as st

from dashboard import config
from dashboard.contract import indicator_label
from dashboard.i18n import fmt
from dashboard.reporting import approvals, comments
from dashboard.reporting import completeness as rc
from dashboard.web import discuss, ui


# Every figure below is cached by the data version and the reporting cycle's own state
# (approvals, expected indicators, contacts), shared by sessions of the same scope: a rerun
# reads no query again. `_me` only narrows to its scope, which is part of the key.
@st.cache_data(show_spinner=False, max_entries=8)
def _periods(path: str, version: str, today) -> tuple[list[str], str | None]:
    db = ui.get_db()
    return rc.period_options(db, today), rc.latest_period(db)


@st.cache_data(show_spinner=False, max_entries=16)
def _status_all(path: str, version: str, scope, period: str, _me):
    return rc.status(ui.get_db(), period, _me, None)


@st.cache_data(show_spinner=False, max_entries=32)
def _status(path: str, version: str, scope, period: str, communes: tuple | None, _me):
    """The month's status for the chosen communes: the whole scope's, filtered (a commune
    pick runs no query)."""
    status = _status_all(path, version, scope, period, _me)
    if communes:
        status = rc.within(status, rc.narrow(ui.get_db(), _me, list(communes)))
    return status, rc.summary(status)


@st.cache_data(show_spinner=False, max_entries=32)
def _status_views(path: str, version: str, scope, period: str, communes: tuple | None, _me):
    status, _ = _status(path, version, scope, period, communes, _me)
    return rc.status_table(status), rc.reminder_list(status)


@st.cache_data(show_spinner=False, max_entries=32)
def _rates(path: str, version: str, scope, what: str, period: str, communes: tuple | None,
           _me):
    fn = {"month": rc.by_month, "commune": rc.by_commune}[what]
    return fn(ui.get_db(), period, _me, list(communes) if communes else None)


@st.cache_data(show_spinner=False, max_entries=16)
def _rate_map(path: str, version: str, scope, period: str, communes: tuple | None, today,
              _me):
    return rc.rate_map(ui.get_db(), period, _me, list(communes) if communes else None)


@st.cache_data(show_spinner=False, max_entries=16)
def _registry(path: str, version: str, scope, communes: tuple | None, _me):
    return rc.registry_updates(ui.get_db(), _me, list(communes) if communes else None)


@st.cache_data(show_spinner=False, max_entries=8)
def _indicators(path: str, version: str, province: str):
    db = ui.get_db()
    return rc.expected_indicators(db, province), rc.reported_indicators(db)


f = ui.filters()
db = ui.get_db()
me = discuss.current_principal()
today = dt.date.today()
version = f"{ui.data_version(db)}/{rc.version(db)}"
picked = tuple(f["communes"]) if f["communes"] else None
cache_key = (str(db.path), version, me.scope)
st.title("Tình hình báo cáo")
ui.demo_banner()
options, latest = _periods(str(db.path), version, today)
latest = latest or options[0]
period = st.selectbox("Tháng báo cáo", options, format_func=fmt.month, key="rp_month",
                      index=options.index(ui.url_value("rp_month", latest, options)))
ui.keep_in_url(rp_month=latest)
status, s = _status(*cache_key, period, picked, me)
if status.empty:
    st.info("Chưa có xã, phường nào trong phạm vi. Vào trang **Dữ liệu** để tải danh mục đơn vị.")
    st.stop()
due = status.due_on.iloc[0]
st.caption(f"{ui.filter_caption(f)} · Hạn báo cáo {rc.month_text(period)}: ngày "
           f"{fmt.date(due)} (ngày {config.get('report_due_day')} tháng sau"
           + (", chưa đến hạn) · " if rc.not_due(due) else ") · ")
           + (discuss.approval_text(list(picked) if picked else None)
              or "chưa có tháng nào được duyệt"))
k = st.columns(6)
k[0].metric("Xã phải báo cáo", fmt.number(s["communes"]))
k[1].metric("Báo cáo đủ", fmt.number(s["complete"]), help="Đủ mọi chỉ số phải báo cáo")
k[2].metric("Thiếu chỉ số", fmt.number(s["partial"]))
k[3].metric("Chưa báo cáo", fmt.number(s["missing"]))
k[4].metric("Tỷ lệ báo cáo đủ", fmt.percent(s["reporting_rate"]))
k[5].metric("Tỷ lệ đúng hạn", fmt.percent(s["on_time_rate"]),
            help="Báo cáo đủ nhận được trước hết ngày hạn")

if s["communes"] == 0:
    st.info("Chưa có chỉ số nào phải báo cáo: tỉnh chưa từng gửi chỉ số và chưa chọn danh sách "
            "chỉ số phải báo cáo (thẻ «Cài đặt»).")
tabs = st.tabs(["Theo xã", "Chưa báo cáo", "Theo tháng", "Bản đồ", "Duyệt số liệu",
                "Bình luận", "Sổ đăng ký", "Cài đặt"], key="rp_tab", bind="query-params")
params = {"period": period, "communes": f["communes"]}
with tabs[0]:
    if tabs[0].open:
        ui.table(_status_views(*cache_key, period, picked, me)[0], key="rp_status",
                 query="reporting_completeness",
                 params=params, title=f"Tình hình báo cáo {rc.month_text(period)}")
with tabs[1]:
    if tabs[1].open:
        remind = _status_views(*cache_key, period, picked, me)[1]
        if remind.empty:
            st.success(f"Mọi xã trong phạm vi đã báo cáo đủ {rc.month_text(period)}.")
        else:
            st.markdown(f"**{fmt.number(len(remind))} xã chưa báo cáo đủ "
                        f"{rc.month_text(period)}** — tải danh sách để nhắc.")
            for label, group in remind.groupby("Tình trạng", sort=False):
                st.caption(f"{label}: " + ", ".join(map(discuss.md_escape, group["Xã, phường"])))
            ui.table(remind, key="rp_remind", query="reporting_completeness", params=params,
                     title=f"Xã chưa báo cáo {rc.month_text(period)}")
with tabs[2]:
    if tabs[2].open:
        months = _rates(*cache_key, "month", period, picked, me)
        import plotly.express as px

        fig = px.line(months.assign(thang=months.period.map(fmt.month)), x="thang",
                      y=["reporting_rate", "on_time_rate"], markers=True,
                      labels={"thang": "Tháng", "value": "%", "variable": ""},
                      title="Tỷ lệ báo cáo đủ và đúng hạn theo tháng (%)")
        names = {"reporting_rate": "Báo cáo đủ", "on_time_rate": "Đúng hạn"}
        fig.for_each_trace(lambda t: t.update(name=names[t.name]))
        fig.update_yaxes(range=[0, 105])
        ui.chart(fig, "rp_rate_month", "reporting_rate_by_month",
                 {**rc.window(period), "communes": f["communes"]}, height=380)
        ui.table(_rates(*cache_key, "commune", period, picked, me), key="rp_rate_commune",
                 query="reporting_rate_by_commune",
                 params={**rc.window(period), "communes": f["communes"]},
                 title="Tỷ lệ báo cáo của từng xã", labels=rc.RATE_LABELS,
                 commune_link="commune_code")
with tabs[3]:
    if tabs[3].open:
        fig, layer = _rate_map(*cache_key, period, picked, today, me)
        ui.chart(fig, "rp_map", "reporting_rate_by_commune",
                 {**rc.window(period), "communes": f["communes"]}, png=False)
with tabs[4]:
    if tabs[4].open:
        if me.can("approve"):
            c1, c2, c3 = st.columns([2, 3, 2])
            whole = c1.radio("Duyệt cho", ["commune", "province"], key="rp_appr_level",
                             format_func={"commune": "Một xã", "province": "Toàn tỉnh"}.get)
            names = dict(zip(status.commune_code, status.commune_name))
            unit = (c2.selectbox("Xã, phường", list(names), key="rp_appr_unit",
                                 format_func=lambda c: f"{names[c]} ({c})")
                    if whole == "commune" else status.province_code.dropna().iloc[0])
            note = c3.text_input("Ghi chú", key="rp_appr_note")
            if whole == "commune" and status.set_index("commune_code").status[unit] != "complete":
                st.warning("Xã này chưa báo cáo đủ tháng này; vẫn có thể duyệt.")
            if st.button(f"Duyệt số liệu {rc.month_text(period)}", type="primary",
                         key="rp_approve", icon=":material/verified:"):
                try:
                    approvals.approve(db, period, unit, me, note or None)
                    st.success("Đã duyệt và khóa số liệu tháng này.")
                except approvals.ApprovalError as exc:
                    st.error(str(exc))
        active = approvals.active(db, rc.narrow(db, me, f["communes"]))
        if me.can("unlock") and len(active):
            st.markdown("**Mở khóa** (chỉ quản trị viên, phải ghi lý do)")
            c1, c2 = st.columns([3, 3])
            label = {r.approval_id: f"Tháng {fmt.month(r.period)} · {r.unit_name or r.unit_code}"
                     for r in active.itertuples()}
            aid = c1.selectbox("Lần duyệt", list(label), format_func=label.get, key="rp_unl_id")
            reason = c2.text_input("Lý do mở khóa", key="rp_unl_reason")
            if st.button("Mở khóa", key="rp_unlock", icon=":material/lock_open:"):
                try:
                    approvals.unlock(db, aid, reason, me)
                    st.success("Đã mở khóa.")
                except approvals.ApprovalError as exc:
                    st.error(str(exc))
        ui.table(approvals.history_table(db, rc.narrow(db, me, f["communes"])), key="rp_appr",
                 query="reporting_approvals", params={"communes": f["communes"]},
                 title="Các lần duyệt và mở khóa")
with tabs[5]:
    if tabs[5].open:
        feed = comments.feed(db, me, st.toggle("Hiện cả bình luận đã xử lý", key="rp_resolved"))
        if feed.empty:
            st.info("Chưa có bình luận nào trong phạm vi của bạn.")
        for r in feed.itertuples(index=False):
            discuss.feed_item(r)
with tabs[6]:
    if tabs[6].open:
        ui.table(_registry(*cache_key, picked, me), key="rp_registry",
                 query="registry_last_update", params={"communes": f["communes"]},
                 title="Ngày cập nhật gần nhất của sổ đăng ký", labels=rc.REGISTRY_LABELS,
                 commune_link="commune_code")
with tabs[7]:
    if tabs[7].open:
        province = status.province_code.dropna().iloc[0]
        (expected, configured), reported = _indicators(str(db.path), version, province)
        st.caption("Chỉ số phải báo cáo hằng tháng: " + ", ".join(map(indicator_label, expected))
                   + ("" if configured else " (mặc định: mọi chỉ số tỉnh đã từng báo cáo)"))
        if me.can("reporting_settings"):
            known = sorted(set(expected) | set(reported))
            chosen = st.multiselect("Chỉ số phải báo cáo", known, default=expected,
                                    format_func=indicator_label, key="rp_expected")
            if st.button("Lưu danh sách chỉ số", key="rp_save_expected"):
                rc.set_expected(db, province, chosen, me)
                st.rerun()
            names = dict(zip(status.commune_code, status.commune_name))
            with st.form("rp_contact"):
                st.markdown("**Đơn vị liên hệ để nhắc báo cáo** (để trống: UBND xã)")
                c = st.columns([2, 2, 2, 1])
                code = c[0].selectbox("Xã, phường", list(names), key="rp_ct_unit",
                                      format_func=lambda x: f"{names[x]} ({x})")
                unit = c[1].text_input("Đơn vị liên hệ", key="rp_ct_name")
                person = c[2].text_input("Người liên hệ", key="rp_ct_person")
                phone = c[3].text_input("Điện thoại", key="rp_ct_phone")
                if st.form_submit_button("Lưu đơn vị liên hệ"):
                    rc.set_contact(db, code, unit, person, phone, principal=me)
                    st.success("Đã lưu.")
