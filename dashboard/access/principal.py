"""The user a request or command runs as: a role and a scope.

Roles are cumulative: viewer < presenter (exports, meeting pack) < analyst (SQL explorer) <
editor (uploads, undo) < admin (users, audit log). A scope is None (the whole data), or a tuple
of unit codes (provinces or communes) with everything below them; an empty tuple sees nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

ROLES = ("viewer", "presenter", "analyst", "editor", "admin")
ROLE_LABELS = {"viewer": "Xem", "presenter": "Trình bày", "analyst": "Phân tích",
               "editor": "Cập nhật dữ liệu", "admin": "Quản trị"}
# action -> the lowest role allowed to do it
ACTIONS = {"view": "viewer", "export": "presenter", "pack": "presenter", "sql": "analyst",
           "upload": "editor", "undo": "editor", "users": "admin", "audit": "admin",
           "reset": "admin",
           # the monthly reporting cycle (dashboard/reporting)
           "comment": "viewer", "save_question": "analyst", "approve": "editor",
           "unlock": "admin", "reporting_settings": "admin"}


@dataclass(frozen=True)
class Principal:
    username: str
    role: str
    scope: tuple[str, ...] | None = None     # None = whole data; () = nothing

    def can(self, action: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(ACTIONS[action])

    @property
    def whole_data(self) -> bool:
        return self.scope is None


# Single-user local mode (no users configured): one administrator of the whole data.
LOCAL = Principal("local", "admin", None)


# Nobody logged in while users exist: sees nothing, may do nothing beyond the login page.
NOBODY = Principal("", "viewer", ())


class Forbidden(PermissionError):
    """An action the principal's role or scope does not allow; the message is Vietnamese."""


ACTION_LABELS = {"view": "xem dữ liệu", "export": "tải bảng, biểu đồ và xuất dữ liệu",
                 "pack": "tải bộ tài liệu họp", "sql": "dùng Phân tích SQL",
                 "upload": "tải dữ liệu lên", "undo": "hoàn tác lô nhập",
                 "users": "quản lý người dùng", "audit": "xem nhật ký truy cập"}


def minimum_role(action: str) -> str:
    return ACTIONS[action]


def require(principal: Principal, action: str) -> None:
    """Raise Forbidden unless the principal's role allows the action."""
    if not principal.can(action):
        need = ROLE_LABELS[ACTIONS[action]]
        raise Forbidden(f"Tài khoản «{principal.username or 'khách'}» (vai trò "
                        f"{ROLE_LABELS.get(principal.role, principal.role)}) không được "
                        f"{ACTION_LABELS.get(action, action)}; cần vai trò «{need}» trở lên.")


def scope_text(scope: tuple[str, ...] | None) -> str:
    """How a scope is written in the CLI and the users table: 'all', '' or 'a,b'."""
    if scope is None:
        return "all"
    return ",".join(scope)


def parse_scope(text: str | None) -> tuple[str, ...] | None:
    """'all' (or '*') -> None (whole data); 'a,b' -> ('a', 'b'); '' -> () (nothing)."""
    if text is None:
        return ()
    t = str(text).strip()
    if t.lower() in ("all", "*", "toan-bo", "toàn bộ"):
        return None
    return tuple(dict.fromkeys(c.strip() for c in t.split(",") if c.strip()))
