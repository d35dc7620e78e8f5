#!/usr/bin/env bash
# Installs what the app and its tests need on a Debian machine with Python 3.11:
# Debian packages (Chromium for PNG/PowerPoint export and browser tests, poppler for PDF
# checks, DejaVu fonts with every Vietnamese glyph) and the pinned Python packages in .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES="chromium poppler-utils fonts-dejavu-core"
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

missing=""
for p in $APT_PACKAGES; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c "import ensurepip" >/dev/null 2>&1; then
  missing="$missing python3-venv"
fi
if [ -n "$missing" ]; then
  echo "Cài gói Debian:$missing"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -r requirements.txt
.venv/bin/python -m pip install -q --no-deps -e .
if [ "${1:-}" = "--test" ]; then
  .venv/bin/python -m pip install -q -r requirements-test.txt
fi
