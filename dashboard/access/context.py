"""The principal the current request or command runs as.

The app sets it at the start of every script run (app.py, from the login), the CLI at the
start of every command (`--user` / $DASHBOARD_USER). Code deep in the data layer (the import
pipeline, undo) reads it, so a batch always records who made it and a scoped user cannot
write outside the scope even when a page forgets to check. Not set (library use, tests) means
the single-user local principal.
"""
from __future__ import annotations

import contextlib
import contextvars

from dashboard.access.principal import LOCAL, Principal

_CURRENT: contextvars.ContextVar[Principal | None] = contextvars.ContextVar(
    "dashboard_principal", default=None)
_ADDRESS: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "dashboard_address", default=None)


def current() -> Principal:
    p = _CURRENT.get()
    return LOCAL if p is None else p


def address() -> str | None:
    return _ADDRESS.get()


def set_current(principal: Principal | None, addr: str | None = None) -> None:
    _CURRENT.set(principal)
    _ADDRESS.set(addr)


@contextlib.contextmanager
def acting(principal: Principal | None, addr: str | None = None):
    """Run a block as `principal` (tests, CLI)."""
    t1, t2 = _CURRENT.set(principal), _ADDRESS.set(addr)
    try:
        yield principal
    finally:
        _CURRENT.reset(t1)
        _ADDRESS.reset(t2)
