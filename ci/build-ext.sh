#!/usr/bin/env bash
# Build the PyO3 test extensions the way maturin builds a wheel: a cdylib
# against CPython's ABI (3.14 for pyfacade, 3.13 for the CPython oracle),
# with no libpython link, installed under build/ext with the wheel's suffix.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/build/ext"
mkdir -p "$out"
for ext in "$root"/tests/ext/*/Cargo.toml; do
  dir="$(dirname "$ext")"
  name="$(basename "$dir")"
  for ver in 314 313; do
    PYO3_CONFIG_FILE="$root/tests/ext/config/cp$ver.txt" \
      cargo build --quiet --release --manifest-path "$ext" \
      --target-dir "$root/target/ext-cp$ver"
    cp "$root/target/ext-cp$ver/release/lib$name.so" \
      "$out/$name.cpython-$ver-x86_64-linux-gnu.so"
  done
done
echo "built: $(ls "$out" | tr '\n' ' ')"
