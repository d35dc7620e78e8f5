"""File → database, in the order data flows:

readers (bytes → text table) → pipeline (headers → values → validate → compare → commit →
report) with values (cell parsers), legacy (pre-2025 codes), templates (blank files to fill),
annotate (the user's file back with problems marked) and boundary_files (boundary files:
read, repair, match codes; stored by store.boundaries, drawn via output.geo).

The pipeline's public API is re-exported here: `from dashboard import ingest`.
"""
from dashboard.ingest.pipeline import (  # noqa: F401
    DatasetError,
    ImportReport,
    Problem,
    compare,
    get_dataset,
    import_bytes,
    import_file,
    map_headers,
    validate,
    write_batch,
)
