#!/usr/bin/env bash
# Build pyfacade and the test extension as a cp314 wheel would be built, then run the demo.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cargo build --quiet
./ci/build-ext.sh >/dev/null
PYTHONPATH="$root/build/ext" ./target/debug/pyfacade ci/demo.py
