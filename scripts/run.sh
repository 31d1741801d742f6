#!/usr/bin/env bash
# Install realpolitik into .venv and run the main job on the built-in case.
# If the Correlates of War data folder is given (or found at ../shared/data/peacesciencer),
# it is imported first so that the report also covers every alliance since 1816.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-../shared/data/peacesciencer}"

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -c constraints.txt -e .
# compile the sources once (an editable install does not, and where PYTHONDONTWRITEBYTECODE
# is set Python never would: every command would compile the modules it imports again)
.venv/bin/python -m compileall -q src/realpolitik

if [ -d "$data" ]; then
  .venv/bin/realpolitik data import "$data"
fi
.venv/bin/realpolitik run
