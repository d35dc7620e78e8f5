#!/usr/bin/env bash
# Installs everything (runtime and test tools), checks the code with ruff, then runs the whole
# test suite (unit, AppTest and real-browser tests). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
.venv/bin/python -m ruff check dashboard tests benchmarks
exec .venv/bin/python -m pytest "$@"
