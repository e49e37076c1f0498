#!/usr/bin/env bash
# The whole test suite: Rust unit tests (ABI layout), then the same pytest
# files under pyfacade (cp314 extension) and under CPython 3.13 (cp313 build).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PYENV_VERSION=3.13.0
ORACLE="${ORACLE:-python3.13}"

cargo build --quiet --workspace
cargo test --quiet -p pyfacade-capi
./ci/build-ext.sh
./ci/check-exports.sh
"$ORACLE" ci/check-api.py

# pytest is pure Python: one pinned install serves both interpreters.
if [ ! -f build/pylib/.pytest-9.2.0 ]; then
  rm -rf build/pylib
  "$ORACLE" -m pip install --quiet --disable-pip-version-check --no-compile \
    --target build/pylib pytest==9.2.0 pluggy==1.7.0 iniconfig==2.3.1 packaging==26.3 pygments==2.21.0
  touch build/pylib/.pytest-9.2.0
fi

./ci/fetch-wheels.sh

# The same test files on both interpreters: our extensions built for cp313 /
# cp314, and the real seed wheels from PyPI for cp313 / cp314.
echo "== CPython 3.13 (oracle) =="
PYTHONPATH="$root/build/ext:$root/build/wheels-cp313:$root/build/pylib" \
  "$ORACLE" -m pytest -q -p no:cacheprovider tests/python tests/downstream
echo "== pyfacade (RustPython + C-API, cp314 wheel builds) =="
PYTHONPATH="$root/build/ext:$root/build/wheels-cp314:$root/build/pylib" \
  ./target/debug/pyfacade -m pytest -q -p no:cacheprovider tests/python tests/downstream

# The stable-ABI build of the module-function extension, on both interpreters.
ABI3_TESTS="tests/python/test_basics.py tests/python/test_objects.py tests/python/test_threads.py"
echo "== abi3 build on CPython 3.13 (oracle) =="
PYTHONPATH="$root/build/ext-abi3:$root/build/pylib" "$ORACLE" -m pytest -q -p no:cacheprovider $ABI3_TESTS
echo "== abi3 build on pyfacade =="
PYTHONPATH="$root/build/ext-abi3:$root/build/pylib" ./target/debug/pyfacade -m pytest -q -p no:cacheprovider $ABI3_TESTS

# Embedding: an unmodified PyO3 0.30.1 host (tests/embed) linked to
# libpyfacade.so, then the same tests linked to CPython 3.13's libpython.
./tests/embed/run.sh

# PyO3 0.30.1's own test suite on libpyfacade.so and on CPython 3.13's
# libpython; fails if a test target passes fewer tests than recorded.
./ci/pyo3-suite.sh


# Breadth: the census of popular binary wheels (links / imports / smoke
# tests on both interpreters) and the upstream suites run from sdists; each
# fails if a count drops below its recorded baseline.
./ci/census.sh
