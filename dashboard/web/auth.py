"""Logins in the app: who a session runs as, the login page, the sidebar's account box.

- No users configured: single-user local mode (LOCAL); the sidebar says so.
- Users configured: a session is either logged in (session state, or the session cookie a
  login set — so a reload or a deep link stays logged in for `session_hours`) or gets
  nothing but the login page.
The cookie holds a random token; the database keeps only its SHA-256 (access/users.py).
"""
from __future__ import annotations

import json

import streamlit as st

from dashboard import config
from dashboard.access import LOCAL, ROLE_LABELS, context, users
from dashboard.web import ui

TOKEN_KEY = "_session_token"
NETWORK_KEY = "_network_without_users"
CLEAR_KEY = "_clear_cookie"


def client_address() -> str | None:
    try:
        if config.get("trust_forwarded_for"):
            fwd = st.context.headers.get("X-Forwarded-For")
            if isinstance(fwd, str) and fwd:
                return fwd.split(",")[0].strip()[:64]
        ip = st.context.ip_address
        return ip if isinstance(ip, str) else None
    except Exception:  # noqa: BLE001 - AppTest has no request
        return None


def served_locally() -> bool:
    """False when the server was started on an address other than loopback."""
    from dashboard.access.cli import is_loopback

    try:
        address = st.get_option("server.address")
    except Exception:  # noqa: BLE001
        return True
    return not address or is_loopback(str(address))


def _cookie_token() -> str | None:
    try:
        token = st.context.cookies.get(config.get("session_cookie"))
    except Exception:  # noqa: BLE001
        return None
    return token if isinstance(token, str) and token else None


def _oidc_principal(db):
    if not config.get("oidc_enabled"):
        return None
    try:
        if st.user.is_logged_in:
            return users.principal_for_email(db, st.user.get("email"))
    except Exception:  # noqa: BLE001 - st.login not configured
        return None
    return None


def gate():
    """The principal of this run (also bound for the data layer), or None: then only the
    login page may be served."""
    db = ui.base_db()
    addr = client_address()
    ss = st.session_state
    if not users.any_users(db):
        ss.pop(ui.PRINCIPAL_KEY, None)
        if not served_locally():      # no accounts must never mean open to the network
            ss[NETWORK_KEY] = True
            context.set_current(None, addr)
            return None
        context.set_current(LOCAL, addr)
        return LOCAL
    token = ss.get(TOKEN_KEY)
    p = users.session_principal(db, token) if token else None
    if p is None and token is None and not ss.get(CLEAR_KEY):
        token = _cookie_token()
        p = users.session_principal(db, token)
        if p is not None:
            ss[TOKEN_KEY] = token
    if p is None:
        p = _oidc_principal(db)
    if p is None:
        ss.pop(ui.PRINCIPAL_KEY, None)
        ss.pop(TOKEN_KEY, None)
        context.set_current(None, addr)
        return None
    ss[ui.PRINCIPAL_KEY] = p          # re-read every run: role or scope changes apply now
    context.set_current(p, addr)
    return p


_COOKIE_JS = """<script>
(function () {{
  var secure = window.location.protocol === 'https:' ? '; Secure' : '';
  document.cookie = {name} + '=' + {value} + '; path=/; max-age=' + {age} +
                    '; SameSite=Strict' + secure;
}})();
</script>"""


def _set_cookie(token: str | None, max_age: int) -> None:
    st.html(_COOKIE_JS.format(name=json.dumps(config.get("session_cookie")),
                              value=json.dumps(token or ""), age=int(max_age)),
            unsafe_allow_javascript=True)


def login_page() -> None:
    """The only page served to a visitor who is not logged in."""
    db = ui.base_db()
    ss = st.session_state
    if ss.pop(CLEAR_KEY, False):
        with st.sidebar:        # an invisible element: not the first of the page
            _set_cookie(None, 0)
    if ss.get(NETWORK_KEY):
        st.title("Chưa có tài khoản")
        st.error("Ứng dụng đang mở cho mạng nhưng chưa có tài khoản nào, nên không hiển thị "
                 "dữ liệu. Quản trị viên: tạo tài khoản bằng `python -m dashboard users add "
                 "TÊN --role admin --scope all`, hoặc chạy ứng dụng chỉ trên máy này "
                 "(`python -m dashboard serve`).", icon=":material/lan:")
        return
    st.title("Đăng nhập")
    st.caption("Bảng điều khiển Dân vận — chỉ người được cấp tài khoản mới xem được số liệu.")
    with st.form("login", clear_on_submit=False):
        name = st.text_input("Tên đăng nhập", key="login_user", autocomplete="username")
        password = st.text_input("Mật khẩu", type="password", key="login_password",
                                 autocomplete="current-password")
        submitted = st.form_submit_button("Đăng nhập", type="primary")
    if submitted:
        with st.spinner("Đang kiểm tra…"):
            res = users.authenticate(db, name, password, client_address())
        if res.ok:
            ss[TOKEN_KEY] = users.create_session(db, res.principal, client_address())
            ss[ui.PRINCIPAL_KEY] = res.principal
            ss.pop("login_password", None)
            st.rerun()
        st.error(res.message, icon=":material/lock:")
    if config.get("oidc_enabled"):
        st.divider()
        try:
            if st.user.is_logged_in:
                st.warning("Tài khoản tổ chức " + ui.esc(st.user.get("email") or "")
                           + " chưa được cấp quyền trong bảng điều khiển này.")
                st.button("Đăng xuất tài khoản tổ chức", on_click=st.logout)
            else:
                st.button("Đăng nhập bằng tài khoản tổ chức (OpenID Connect)",
                          on_click=st.login)
        except Exception:  # noqa: BLE001 - [auth] missing in secrets.toml
            st.caption("Đăng nhập bằng tài khoản tổ chức chưa được cấu hình "
                       "(.streamlit/secrets.toml, mục [auth]).")


def _logout() -> None:
    ss = st.session_state
    users.end_session(ui.base_db(), ss.get(TOKEN_KEY), ss.get(ui.PRINCIPAL_KEY),
                      client_address())
    for k in (TOKEN_KEY, ui.PRINCIPAL_KEY):
        ss.pop(k, None)
    ss[CLEAR_KEY] = True


def sidebar(principal) -> None:
    """Who is logged in (or that the app runs in single-user local mode), and log out."""
    with st.sidebar:
        if principal is LOCAL or principal == LOCAL:
            st.caption("Chế độ một người dùng trên máy này (chỉ nghe trên 127.0.0.1, chưa có "
                       "tài khoản nào). Tạo tài khoản bằng `python -m dashboard users add` "
                       "trước khi mở cho mạng.")
            return
        scope = ("toàn bộ dữ liệu" if principal.scope is None else
                 ", ".join(principal.scope) or "không có đơn vị nào")
        st.caption(f"Đăng nhập: **{ui.esc(principal.username)}** · "
                   f"{ROLE_LABELS.get(principal.role, principal.role)} · phạm vi: "
                   f"{ui.esc(scope)}")
        token = st.session_state.get(TOKEN_KEY)
        if token:
            exp = users.session_expires(ui.base_db(), token)
            import datetime as dt

            left = max(0, int((exp - dt.datetime.now()).total_seconds())) if exp else 0
            _set_cookie(token, left)
            st.button("Đăng xuất", key="logout", on_click=_logout, icon=":material/logout:")
        elif config.get("oidc_enabled"):
            st.button("Đăng xuất", key="logout_oidc", on_click=st.logout,
                      icon=":material/logout:")
