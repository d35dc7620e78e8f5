"""The DuckDB store: database (file, schema, transactions), migrations (versioned schema),
integrity (the check every write transaction runs before COMMIT), batches (recording a
batch and its archived file), history (the batch list and undo), boundaries (the boundary
table), queries (named SQL files in sql/) and reference (official units, legacy units,
crosswalk).

`from dashboard import store` gives the database API.
"""
from dashboard.store import integrity  # noqa: F401,E402  (registers the before-commit check)
from dashboard.store.database import (  # noqa: F401
    Database,
    close_db,
    default_db_path,
    open_db,
    to_json_row,
)
