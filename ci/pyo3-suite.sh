#!/usr/bin/env bash
# PyO3 0.30.1's own test suite against libpyfacade.so and CPython 3.13's
# libpython, in the same run (see ci/pyo3-suite.py). Usage:
#   ci/pyo3-suite.sh [--record] [cargo test filter...]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
PYENV_VERSION=3.13.0 exec "${ORACLE:-python3.13}" ci/pyo3-suite.py "$@"
