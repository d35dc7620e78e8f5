"""Local accounts, logins with slow-down and lockout, and sessions.

Accounts live in the database (`app_users`), with Argon2id password hashes. A login creates a
session: a random token given to the browser (a cookie) and kept here only as its SHA-256, so
a copy of the database does not let anyone log in. A session lasts `session_hours` unless the
user logs out; every request re-reads the account, so disabling a user or changing a role or
scope takes effect at once.

Failed logins of an account within `login_window_minutes` are counted: after
`login_slowdown_after` each attempt waits a little longer, after `login_lockout_after` the
account is locked for `login_lockout_minutes` (even the right password is refused meanwhile).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import time
from dataclasses import dataclass

import pandas as pd

from dashboard import config
from dashboard.access import audit, passwords
from dashboard.access.principal import ROLES, Principal, parse_scope, scope_text

DDL = [
    """CREATE TABLE IF NOT EXISTS app_users (
  username VARCHAR PRIMARY KEY,
  full_name VARCHAR,
  email VARCHAR,
  role VARCHAR NOT NULL,
  scope VARCHAR NOT NULL,          -- 'all', or unit codes separated by commas; '' = nothing
  password_hash VARCHAR,
  disabled BOOLEAN NOT NULL DEFAULT FALSE,
  created_at TIMESTAMP,
  updated_at TIMESTAMP,
  failed_count INTEGER NOT NULL DEFAULT 0,
  last_failed_at TIMESTAMP,
  locked_until TIMESTAMP
)""",
    """CREATE TABLE IF NOT EXISTS app_sessions (
  token_sha256 VARCHAR PRIMARY KEY,
  username VARCHAR NOT NULL,
  created_at TIMESTAMP NOT NULL,
  expires_at TIMESTAMP NOT NULL,
  ended_at TIMESTAMP,
  address VARCHAR
)""",
]

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")


class UserError(ValueError):
    """A user command that cannot be done; the message is Vietnamese."""


def _now() -> dt.datetime:
    return dt.datetime.now()


def _one(db, sql, params=None):
    return db.scalar(sql, params)


def any_users(db) -> bool:
    """Users configured -> the app needs a login; none -> single-user local mode."""
    base = getattr(db, "base", db)
    try:
        return bool(base.scalar("SELECT count(*) FROM app_users"))
    except Exception:   # noqa: BLE001 - a database from before accounts existed
        return False


def _check_username(username: str) -> str:
    u = (username or "").strip().lower()
    if not USERNAME.fullmatch(u):
        raise UserError("Tên đăng nhập phải dài 2–64 ký tự, chỉ gồm chữ thường không dấu, chữ "
                        "số và . _ - (bắt đầu bằng chữ hoặc số).")
    return u


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError(f"Vai trò «{role}» không có; chọn một trong: {', '.join(ROLES)}.")
    return role


def _check_scope(db, scope: tuple[str, ...] | None) -> str:
    if scope is None:
        return "all"
    base = getattr(db, "base", db)
    known = set(base.df("SELECT unit_code FROM units WHERE list_contains(?, unit_code)",
                        [list(scope)]).unit_code)
    unknown = [c for c in scope if c not in known]
    if unknown:
        raise UserError("Phạm vi có mã đơn vị không có trong danh mục đơn vị: "
                        + ", ".join(unknown) + ".")
    return scope_text(scope)


def _check_password(password: str, username: str) -> None:
    bad = passwords.problems(password, username)
    if bad:
        raise UserError("Mật khẩu chưa đủ mạnh: " + "; ".join(bad) + ".")


def _exists(db, username: str) -> bool:
    return bool(_one(db, "SELECT count(*) FROM app_users WHERE username = ?", [username]))


def add_user(db, username: str, password: str, role: str = "viewer",
             scope: tuple[str, ...] | None = (), full_name: str | None = None,
             email: str | None = None, by: Principal | None = None) -> None:
    u = _check_username(username)
    _check_role(role)
    scope_s = _check_scope(db, scope)
    _check_password(password, u)
    if _exists(db, u):
        raise UserError(f"Đã có người dùng «{u}».")
    h = passwords.hash_password(password)
    with db.transaction() as cur:
        cur.execute("INSERT INTO app_users (username, full_name, email, role, scope, "
                    "password_hash, disabled, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, FALSE, ?, ?)",
                    [u, full_name, (email or "").strip().lower() or None, role, scope_s, h,
                     _now(), _now()])
        audit.record(db, by, "user_add", {"user": u, "role": role, "scope": scope_s},
                     cur=cur)


def _update(db, username: str, sets: dict, detail: dict, by: Principal | None) -> None:
    u = _check_username(username)
    if not _exists(db, u):
        raise UserError(f"Không có người dùng «{u}».")
    cols = ", ".join(f"{k} = ?" for k in sets)
    with db.transaction() as cur:
        cur.execute(f"UPDATE app_users SET {cols}, updated_at = ? WHERE username = ?",
                    [*sets.values(), _now(), u])
        if "disabled" in sets or "password_hash" in sets:     # end the user's sessions
            cur.execute("UPDATE app_sessions SET ended_at = ? WHERE username = ? "
                        "AND ended_at IS NULL", [_now(), u])
        audit.record(db, by, "user_change", {"user": u, **detail}, cur=cur)


def set_password(db, username: str, password: str, by: Principal | None = None) -> None:
    _check_password(password, _check_username(username))
    _update(db, username, {"password_hash": passwords.hash_password(password),
                           "failed_count": 0, "locked_until": None},
            {"password": "changed"}, by)


def set_role(db, username: str, role: str, by: Principal | None = None) -> None:
    _update(db, username, {"role": _check_role(role)}, {"role": role}, by)


def set_scope(db, username: str, scope: tuple[str, ...] | None,
              by: Principal | None = None) -> None:
    s = _check_scope(db, scope)
    _update(db, username, {"scope": s}, {"scope": s}, by)


def set_disabled(db, username: str, disabled: bool = True,
                 by: Principal | None = None) -> None:
    _update(db, username, {"disabled": bool(disabled)}, {"disabled": bool(disabled)}, by)


def set_email(db, username: str, email: str | None, by: Principal | None = None) -> None:
    e = (email or "").strip().lower() or None
    _update(db, username, {"email": e}, {"email": e}, by)


def list_users(db) -> pd.DataFrame:
    """Accounts without their hashes."""
    base = getattr(db, "base", db)
    return base.df("SELECT username, full_name, email, role, scope, disabled, created_at, "
                   "updated_at, failed_count, locked_until FROM app_users ORDER BY username")


def _principal(row) -> Principal:
    return Principal(row["username"], row["role"], parse_scope(row["scope"]))


def get_principal(db, username: str) -> Principal | None:
    """The enabled account's principal, or None."""
    base = getattr(db, "base", db)
    df = base.df("SELECT username, role, scope FROM app_users WHERE username = ? "
                 "AND NOT disabled", [(username or "").strip().lower()])
    return None if df.empty else _principal(df.iloc[0])


def principal_for_email(db, email: str | None) -> Principal | None:
    """OpenID Connect (st.login): the enabled account registered with this e-mail."""
    if not email:
        return None
    base = getattr(db, "base", db)
    df = base.df("SELECT username, role, scope FROM app_users WHERE email = ? AND NOT disabled",
                 [email.strip().lower()])
    return None if len(df) != 1 else _principal(df.iloc[0])


# --- logging in --------------------------------------------------------------------------

@dataclass
class LoginResult:
    ok: bool
    principal: Principal | None
    message: str              # Vietnamese, for the login form
    waited_s: float = 0.0
    locked_until: dt.datetime | None = None


FAILED = "Tên đăng nhập hoặc mật khẩu không đúng."


def _delay(failures: int) -> float:
    after = int(config.get("login_slowdown_after"))
    if failures < after:
        return 0.0
    return min(10.0, float(config.get("login_slowdown_s")) * (failures - after + 1))


def authenticate(db, username: str, password: str, address: str | None = None,
                 sleep=time.sleep) -> LoginResult:
    """Check a login; records it in the audit log. Slow-down and lockout as described above."""
    base = getattr(db, "base", db)
    u = (username or "").strip().lower()
    df = base.df("SELECT * FROM app_users WHERE username = ?", [u])
    now = _now()
    if df.empty:
        passwords.burn_time(password or "")
        audit.record(base, Principal(u[:64] or "?", "viewer", ()), "login_failed",
                     "tên đăng nhập không có", address)
        return LoginResult(False, None, FAILED)
    row = df.iloc[0]
    window = dt.timedelta(minutes=float(config.get("login_window_minutes")))
    failures = int(row["failed_count"] or 0)
    last = row["last_failed_at"]
    if pd.isna(last) or now - pd.Timestamp(last).to_pydatetime() > window:
        failures = 0
    locked = row["locked_until"]
    if pd.notna(locked) and pd.Timestamp(locked).to_pydatetime() > now:
        until = pd.Timestamp(locked).to_pydatetime()
        audit.record(base, _principal(row), "login_locked", "tài khoản đang bị khóa", address)
        return LoginResult(False, None, "Tài khoản tạm thời bị khóa do đăng nhập sai nhiều lần; "
                           f"thử lại sau {until.strftime('%H:%M')} hoặc nhờ quản trị viên đặt "
                           "lại mật khẩu.", locked_until=until)
    wait = _delay(failures)
    if wait:
        sleep(wait)
    good = passwords.verify(row["password_hash"], password or "") and not bool(row["disabled"])
    cur = base.cursor()
    try:
        if good:
            if passwords.needs_rehash(row["password_hash"]):
                cur.execute("UPDATE app_users SET password_hash = ? WHERE username = ?",
                            [passwords.hash_password(password), u])
            cur.execute("UPDATE app_users SET failed_count = 0, last_failed_at = NULL, "
                        "locked_until = NULL WHERE username = ?", [u])
        else:
            failures += 1
            lock = None
            if failures >= int(config.get("login_lockout_after")):
                lock = now + dt.timedelta(minutes=float(config.get("login_lockout_minutes")))
            cur.execute("UPDATE app_users SET failed_count = ?, last_failed_at = ?, "
                        "locked_until = ? WHERE username = ?", [failures, now, lock, u])
    finally:
        cur.close()
    p = _principal(row)
    if good:
        audit.record(base, p, "login", None, address)
        return LoginResult(True, p, "", wait)
    audit.record(base, p, "login_failed",
                 "tài khoản đã bị vô hiệu hóa" if bool(row["disabled"]) else
                 f"sai mật khẩu (lần {failures})", address)
    if failures >= int(config.get("login_lockout_after")):
        return LoginResult(False, None, "Đăng nhập sai quá nhiều lần: tài khoản bị khóa "
                           f"{config.get('login_lockout_minutes'):g} phút.",
                           wait, lock)
    return LoginResult(False, None, FAILED, wait)


# --- sessions ----------------------------------------------------------------------------

def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_session(db, principal: Principal, address: str | None = None) -> str:
    """A new session for a logged-in user -> the token for the browser."""
    base = getattr(db, "base", db)
    token = secrets.token_urlsafe(32)
    now = _now()
    hours = float(config.get("session_hours"))
    cur = base.cursor()
    try:
        cur.execute("INSERT INTO app_sessions VALUES (?, ?, ?, ?, NULL, ?)",
                    [_digest(token), principal.username, now,
                     now + dt.timedelta(hours=hours), address])
    finally:
        cur.close()
    return token


def session_principal(db, token: str | None) -> Principal | None:
    """The principal of a live session (not ended, not expired, account enabled)."""
    if not token or len(token) > 200:
        return None
    base = getattr(db, "base", db)
    df = base.df("SELECT u.username, u.role, u.scope FROM app_sessions s "
                 "JOIN app_users u USING (username) WHERE s.token_sha256 = ? "
                 "AND s.ended_at IS NULL AND s.expires_at > ? AND NOT u.disabled",
                 [_digest(token), _now()])
    return None if df.empty else _principal(df.iloc[0])


def session_expires(db, token: str) -> dt.datetime | None:
    base = getattr(db, "base", db)
    v = base.scalar("SELECT expires_at FROM app_sessions WHERE token_sha256 = ?",
                    [_digest(token)])
    return None if v is None else pd.Timestamp(v).to_pydatetime()


def end_session(db, token: str | None, principal: Principal | None = None,
                address: str | None = None) -> None:
    if not token:
        return
    base = getattr(db, "base", db)
    cur = base.cursor()
    try:
        cur.execute("UPDATE app_sessions SET ended_at = ? WHERE token_sha256 = ? "
                    "AND ended_at IS NULL", [_now(), _digest(token)])
    finally:
        cur.close()
    audit.record(base, principal, "logout", None, address)
