"""The DuckDB store: database (file, schema, transactions), history (batches and undo),
queries (named SQL files in sql/) and reference (official units, legacy units, crosswalk).

`from dashboard import store` gives the database API.
"""
from dashboard.store.database import (  # noqa: F401
    Database,
    close_db,
    default_db_path,
    open_db,
    to_json_row,
)
