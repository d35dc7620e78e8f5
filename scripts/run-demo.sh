#!/usr/bin/env bash
# Installs everything, builds the demo database and opens the app on http://localhost:8501
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DASHBOARD_DB="${DASHBOARD_DB:-data/dashboard.duckdb}"
.venv/bin/python -m dashboard demo --db "$DASHBOARD_DB"
exec .venv/bin/python -m streamlit run dashboard/web/app.py "$@"
