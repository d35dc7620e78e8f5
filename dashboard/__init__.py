"""Dân vận dashboard: data contract, store, ingest, named queries and their presentation."""
