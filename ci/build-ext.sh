#!/usr/bin/env bash
# Build the test extensions the way maturin builds a wheel: a cdylib against
# CPython's ABI (3.14 for pyfacade, 3.13 for the CPython oracle), linked with
# BIND_NOW and no libpython, installed under build/ext with the wheel suffix.
# A crate's modules.txt lists the module paths its .so is installed as (one
# .so may export several PyInit_* functions); default: the crate name.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/build/ext"
mkdir -p "$out"
export RUSTFLAGS="-C link-arg=-Wl,-z,now"
for ext in "$root"/tests/ext/*/Cargo.toml; do
  dir="$(dirname "$ext")"
  name="$(basename "$dir")"
  modules="$name"
  [ -f "$dir/modules.txt" ] && modules="$(cat "$dir/modules.txt")"
  for ver in 314 313; do
    PYO3_CONFIG_FILE="$root/tests/ext/config/cp$ver.txt" \
      cargo build --quiet --release --manifest-path "$ext" \
      --target-dir "$root/target/ext-cp$ver"
    for mod in $modules; do
      dest="$out/$mod.cpython-$ver-x86_64-linux-gnu.so"
      mkdir -p "$(dirname "$dest")"
      case "$mod" in */*) touch "$(dirname "$dest")/__init__.py" ;; esac
      cp "$root/target/ext-cp$ver/release/lib$name.so" "$dest"
    done
  done
done
echo "built: $(cd "$out" && find . -name '*.so' | sort | tr '\n' ' ')"
