#!/usr/bin/env bash
# The test suite on pyfacade built with AddressSanitizer (nightly), to catch
# memory errors in the bridge. Separate target dir; takes ~15 min from scratch.
# Leak detection is off (interned/immortal objects live until exit) and the
# quarantine is small so the RSS tests still measure real growth.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
target="${ASAN_TARGET_DIR:-$root/target/asan}"
RUSTFLAGS="-Zsanitizer=address" cargo build --quiet --no-default-features --target x86_64-unknown-linux-gnu --target-dir "$target"
./ci/build-ext.sh >/dev/null
./ci/fetch-wheels.sh
# pytest captures file descriptor 2: reports go to a log file instead.
rm -f build/asan.log.*
PYFACADE_NO_POOL=1 ASAN_OPTIONS="detect_leaks=0:quarantine_size_mb=4:log_path=$root/build/asan.log" \
PYTHONPATH="$root/build/ext:$root/build/wheels-cp314:$root/build/pylib" \
  "$target/x86_64-unknown-linux-gnu/debug/pyfacade" -m pytest -q -p no:cacheprovider tests/python tests/downstream \
  || status=$?
if ls build/asan.log.* >/dev/null 2>&1; then
  echo "AddressSanitizer reports:"; cat build/asan.log.*; exit 1
fi
exit "${status:-0}"
