"""Who may see and change what: principals (role + scope), users and passwords, sessions,
the audit log, and the scoped view of the data every page and command reads.

`from dashboard.access import Principal, LOCAL, ROLES, ACTIONS, require, Forbidden`."""
from dashboard.access.principal import (  # noqa: F401
    ACTIONS,
    LOCAL,
    NOBODY,
    ROLE_LABELS,
    ROLES,
    Forbidden,
    Principal,
    parse_scope,
    require,
    scope_text,
)


def _ddl() -> list[str]:
    from dashboard.access import audit, users

    return [*users.DDL, *audit.DDL]


DDL = _ddl()
