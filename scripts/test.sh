#!/usr/bin/env bash
# Installs everything and runs the whole test suite (unit, AppTest and real-browser tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
