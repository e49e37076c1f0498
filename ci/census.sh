#!/usr/bin/env bash
# Breadth: the census of 35 popular binary wheels (links / imports / smoke
# tests on pyfacade and on CPython 3.13, ci/census.py) and their upstream
# test suites run unmodified from sdists (ci/upstream.py). Each prints its
# Markdown table (kept in the README) and fails if a count drops below its
# recorded baseline (`--record` rewrites the baselines). Needs the debug
# build of pyfacade (cargo build) and pytest in build/pylib (ci/test.sh
# installs both); run by ci/test.sh.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PYENV_VERSION=3.13.0
ORACLE="${ORACLE:-python3.13}"
"$ORACLE" ci/census.py "$@"
"$ORACLE" ci/upstream.py "$@"
