#!/usr/bin/env bash
# The main job: build pyfacade, build a PyO3 extension exactly like a cp314
# wheel, fetch real cp314 wheels from PyPI (jiter, rpds-py, blake3), and use
# them all from pyfacade.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cargo build --quiet --workspace
./ci/build-ext.sh >/dev/null
./ci/fetch-wheels.sh
PYTHONPATH="$root/build/ext:$root/build/wheels-cp314" ./target/debug/pyfacade ci/demo.py
