"""Quản trị: accounts (add, role, scope, password, disable) and the audit log (filter, XLSX).
Only for administrators; every change is recorded in the audit log by access/users.py."""
import datetime as dt

import streamlit as st

from dashboard.access import ROLE_LABELS, ROLES, audit, parse_scope, scope_text, users
from dashboard.i18n import fmt
from dashboard.output import exports
from dashboard.web import ui

ui.require("users")
db = ui.base_db()
me = ui.principal()

st.title("Quản trị")
tab_users, tab_audit = st.tabs(["Người dùng", "Nhật ký truy cập"], key="qt_tab",
                               bind="query-params")
SCOPE_HELP = ("«all» = toàn bộ dữ liệu; hoặc mã tỉnh/xã cách nhau bằng dấu phẩy (gồm mọi đơn "
              "vị cấp dưới); để trống = không thấy gì.")


def _do(fn, *args, ok: str):
    try:
        fn(db, *args, by=me)
    except users.UserError as exc:
        st.error(str(exc))
    else:
        st.success(ok)


with tab_users:
    people = users.list_users(db)
    if people.empty:
        st.info("Chưa có người dùng nào: ứng dụng đang ở chế độ một người dùng trên máy này.")
    else:
        shown = people.assign(
            role=[ROLE_LABELS.get(r, r) for r in people.role],
            disabled=["Đã khóa" if d else "Hoạt động" for d in people.disabled],
            locked_until=[fmt.date(t) + t.strftime(" %H:%M") if t == t and t is not None
                          else "" for t in people.locked_until])
        st.dataframe(shown, hide_index=True, width="stretch", column_config={
            "username": "Tên đăng nhập", "full_name": "Họ tên", "email": "E-mail",
            "role": "Vai trò", "scope": "Phạm vi", "disabled": "Trạng thái",
            "created_at": "Tạo lúc", "updated_at": "Sửa lúc", "failed_count": "Lần sai",
            "locked_until": "Khóa đến"})
    with st.expander("Thêm người dùng", expanded=people.empty):
        with st.form("qt_add", clear_on_submit=True):
            c1, c2 = st.columns(2)
            name = c1.text_input("Tên đăng nhập")
            full = c2.text_input("Họ tên")
            role = c1.selectbox("Vai trò", ROLES, format_func=ROLE_LABELS.get)
            scope = c2.text_input("Phạm vi", value="all", help=SCOPE_HELP)
            email = c1.text_input("E-mail (đăng nhập bằng tài khoản tổ chức, nếu có)")
            pw = c2.text_input("Mật khẩu", type="password")
            if st.form_submit_button("Thêm", type="primary"):
                try:
                    users.add_user(db, name, pw, role, parse_scope(scope), full or None,
                                   email or None, by=me)
                except users.UserError as exc:
                    st.error(str(exc))
                else:
                    st.success(f"Đã thêm người dùng «{ui.esc(name)}».")
    if not people.empty:
        with st.expander("Sửa người dùng", expanded=False):
            who = st.selectbox("Người dùng", list(people.username), key="qt_who")
            row = people[people.username == who].iloc[0]
            c1, c2 = st.columns(2)
            with c1:
                new_role = st.selectbox("Vai trò", ROLES, index=ROLES.index(row.role),
                                        format_func=ROLE_LABELS.get, key=f"qt_role_{who}")
                if st.button("Đổi vai trò", key="qt_set_role"):
                    _do(users.set_role, who, new_role, ok="Đã đổi vai trò.")
                new_scope = st.text_input("Phạm vi", value=row.scope, help=SCOPE_HELP,
                                          key=f"qt_scope_{who}")
                if st.button("Đổi phạm vi", key="qt_set_scope"):
                    _do(users.set_scope, who, parse_scope(new_scope), ok="Đã đổi phạm vi.")
            with c2:
                new_pw = st.text_input("Mật khẩu mới", type="password", key=f"qt_pw_{who}")
                if st.button("Đặt lại mật khẩu", key="qt_set_pw"):
                    _do(users.set_password, who, new_pw, ok="Đã đặt mật khẩu mới.")
                if who != me.username:
                    label = "Mở khóa tài khoản" if row.disabled else "Khóa tài khoản"
                    if st.button(label, key="qt_disable"):
                        _do(users.set_disabled, who, not row.disabled, ok="Đã cập nhật.")
            st.caption("Phạm vi hiện tại: " + ui.esc(scope_text(parse_scope(row.scope))))

with tab_audit:
    st.caption("Nhật ký chỉ được ghi thêm, không sửa hay xóa được từ ứng dụng.")
    c1, c2, c3, c4 = st.columns(4)
    names = ["", *sorted(users.list_users(db).username)]
    who = c1.selectbox("Người dùng", names, format_func=lambda n: n or "Tất cả",
                       key="au_user")
    acts = c2.multiselect("Hành động", list(audit.ACTION_LABELS),
                          format_func=audit.ACTION_LABELS.get, key="au_actions",
                          placeholder="Tất cả")
    today = dt.date.today()
    span = c3.date_input("Khoảng ngày", value=(today - dt.timedelta(days=30), today),
                         format="DD/MM/YYYY", key="au_span")
    text = c4.text_input("Chi tiết có chứa", key="au_text")
    start, end = (span if isinstance(span, tuple) and len(span) == 2 else (None, None))
    log = audit.entries(db, who or None, acts or None, start, end, text or None)
    table = audit.table(log)
    cap = int(ui.config.get("audit_rows_shown"))
    st.caption(f"{fmt.number(len(table))} mục" + (f"; hiển thị {fmt.number(cap)} mục mới nhất"
                                                   if len(table) > cap else ""))
    st.dataframe(ui.vi_style(table.head(cap)), hide_index=True, width="stretch", height=480)
    st.download_button("⬇ Tải nhật ký (Excel)",
                       lambda: exports.to_xlsx_bytes(table, title="Nhật ký truy cập"),
                       "nhat_ky_truy_cap.xlsx", exports.XLSX_MIME, key="au_xlsx",
                       on_click="ignore")
