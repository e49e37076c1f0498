#!/usr/bin/env bash
# Benchmark calls into extensions on pyfacade against CPython 3.13 (same
# extension source, cp313 build) and against the running interpreter's own
# builtins. Usage: ci/bench.sh [iterations]; PROFILE=release for optimised builds.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
profile="${PROFILE:-debug}"
if [ "$profile" = release ]; then cargo build --quiet --release; else cargo build --quiet; fi
./ci/build-ext.sh >/dev/null
./ci/fetch-wheels.sh
n="${1:-20000}"
facade="$(PYTHONPATH="$root/build/ext:$root/build/wheels-cp314" "./target/$profile/pyfacade" ci/bench.py "$n")"
cpython="$(PYTHONPATH="$root/build/ext:$root/build/wheels-cp313" PYENV_VERSION=3.13.0 python3.13 ci/bench.py "$n")"
python3 - "$facade" "$cpython" "$profile" <<'PY'
import json, sys
fa, cp, profile = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
base = fa["builtin abs(-1)"]
print(f"pyfacade ({profile} build) vs CPython 3.13; ns per call (best of 5)")
print(f"{'case':28} {'pyfacade':>10} {'cpython':>10} {'ratio':>7} {'x rp-builtin':>13}")
for k in fa:
    print(f"{k:28} {fa[k]:10.0f} {cp[k]:10.0f} {fa[k] / cp[k]:7.1f} {fa[k] / base:13.1f}")
PY
