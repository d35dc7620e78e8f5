"""The one place the reporting cycle narrows data to a principal's scope.

`scope_communes(db, principal)` -> the commune codes in the principal's scope, or None for the
whole data. (The access layer will offer the same; swap this helper for it at merge.)
"""
from __future__ import annotations

from dashboard.access.principal import LOCAL, Principal

NONE = "__none__"     # a commune code that matches nothing: an empty scope sees nothing


def scope_communes(db, principal: Principal = LOCAL) -> list[str] | None:
    """Communes in scope: those listed, and those below a listed province or district."""
    if principal.scope is None:
        return None
    codes = list(principal.scope)
    if not codes:
        return []
    rows = db.df("""
        SELECT DISTINCT c.unit_code FROM units c
        LEFT JOIN units p ON p.unit_code = c.parent_code
        WHERE c.level = 'commune'
          AND (list_contains($codes, c.unit_code) OR list_contains($codes, c.parent_code)
               OR list_contains($codes, p.parent_code))
        ORDER BY 1""", {"codes": codes})
    return list(rows["unit_code"])


def narrow(db, principal: Principal = LOCAL, communes: list[str] | None = None) -> list[str] | None:
    """The `communes` parameter of a named query: the chosen communes (None = all) within
    the principal's scope. Never returns an empty list (that would mean 'all')."""
    allowed = scope_communes(db, principal)
    if allowed is None:
        return list(communes) if communes else None
    chosen = [c for c in (communes or allowed) if c in set(allowed)]
    return chosen or [NONE]


def sees(principal_communes: list[str] | None, about: list[str] | None) -> bool:
    """May a principal whose scope is `principal_communes` (None = all) see something about
    `about` (None = the whole data)? Only when everything it is about is in scope."""
    if principal_communes is None:
        return True
    if about is None:
        return False
    return set(about) <= set(principal_communes) and bool(about)


def codes(value) -> list[str] | None:
    """A VARCHAR[] cell read back from DuckDB (list, array, or a missing marker) -> list/None."""
    if value is None or value is getattr(__import__("pandas"), "NA", object()):
        return None
    if isinstance(value, float) and value != value:
        return None
    return [str(v) for v in value]
