"""The Streamlit app: entry (app), navigation, UI helpers (ui) and URL state (urlstate).
The only sub-package that imports Streamlit (tests/test_layout.py checks it)."""
