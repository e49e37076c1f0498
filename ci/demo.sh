#!/usr/bin/env bash
# The main job: build pyfacade, build a PyO3 extension exactly like a cp314
# wheel, install real cp314 wheels from PyPI (jiter, rpds-py, blake3) with
# pip into a virtual environment made by `pyfacade -m venv`, and use them all.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cargo build --quiet --workspace
./ci/build-ext.sh >/dev/null
./target/debug/pyfacade -m venv --clear build/demo-venv
build/demo-venv/bin/python -m pip install --quiet --disable-pip-version-check blake3==1.0.11 jiter==0.19.0 rpds-py==2026.9.1
PYTHONPATH="$root/build/ext" build/demo-venv/bin/python ci/demo.py
