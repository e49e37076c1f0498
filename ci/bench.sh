#!/usr/bin/env bash
# Benchmarks of the bridge's costs on pyfacade against CPython 3.13 (same
# extension source, cp313 build; same wheels' cp313 builds) and against the
# nearest builtin of the same interpreter (timed alternately with each case),
# all in one run. Prints a markdown
# table (the README's). Usage: ci/bench.sh [scale]; PROFILE=release for
# optimised builds (the README's numbers).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
profile="${PROFILE:-debug}"
if [ "$profile" = release ]; then cargo build --quiet --release; else cargo build --quiet; fi
./ci/build-ext.sh >/dev/null
./ci/fetch-wheels.sh
scale="${1:-1}"
facade="$(PYTHONPATH="$root/build/ext:$root/build/wheels-cp314" "./target/$profile/pyfacade" ci/bench.py "$scale")"
cpython="$(PYTHONPATH="$root/build/ext:$root/build/wheels-cp313" PYENV_VERSION=3.13.0 python3.13 ci/bench.py "$scale")"
python3 - "$facade" "$cpython" "$profile" <<'PY'
import json, sys
fa, cp, profile = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
def fmt(ns):
    return f"{ns / 1e6:.2f} ms" if ns >= 1e6 else f"{ns / 1e3:.1f} µs" if ns >= 1e4 else f"{ns:.0f} ns"
print(f"pyfacade ({profile} build) vs CPython 3.13, one run; time per call (best of 5)\n")
print("| case | pyfacade | CPython 3.13 | × CPython | × builtin (pyfacade) | × builtin (CPython) | builtin compared |")
print("|---|---:|---:|---:|---:|---:|---|")
for k, (t, pair, base) in fa.items():
    if pair is None:
        continue
    c, cbase = cp[k][0], cp[k][2]
    print(f"| {k} | {fmt(t)} | {fmt(c)} | {t / c:.2f} | {t / base:.2f} | {c / cbase:.2f} | {pair} |")
print("\n| builtin | pyfacade | CPython 3.13 | × CPython |")
print("|---|---:|---:|---:|")
for k, (t, pair, _) in fa.items():
    if pair is None:
        print(f"| {k} | {fmt(t)} | {fmt(cp[k][0])} | {t / cp[k][0]:.2f} |")
PY
