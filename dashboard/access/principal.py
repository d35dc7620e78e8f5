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
