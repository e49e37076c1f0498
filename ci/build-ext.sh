#!/usr/bin/env bash
# Build the test extensions the way maturin builds a wheel: a cdylib against
# CPython's ABI (3.14 for pyfacade, 3.13 for the CPython oracle), linked with
# BIND_NOW and no libpython, installed under build/ext with the wheel suffix.
# A crate's modules.txt lists the module paths its .so is installed as (one
# .so may export several PyInit_* functions); default: the crate name.
# Arguments, if any, name the crates to build (default: all of them).
# Installed files are replaced by rename, never rewritten in place, so a
# test run that has one mapped does not crash while another build runs.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/build/ext"
mkdir -p "$out"
export RUSTFLAGS="-C link-arg=-Wl,-z,now"
WANTED="$*"
install_so() { cp "$1" "$2.tmp.$$" && mv -f "$2.tmp.$$" "$2"; }
for ext in "$root"/tests/ext/*/Cargo.toml; do
  dir="$(dirname "$ext")"
  name="$(basename "$dir")"
  [ -z "$WANTED" ] || [[ " $WANTED " == *" $name "* ]] || continue
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
      install_so "$root/target/ext-cp$ver/release/lib$name.so" "$dest"
    done
  done
done
# Stable-ABI (abi3, Python >= 3.11) builds of the crates marked with an
# `abi3` file, installed as <name>.abi3.so in build/ext-abi3; one such .so
# serves CPython 3.13 and pyfacade alike.
for marker in "$root"/tests/ext/*/abi3; do
  [ -e "$marker" ] || continue
  dir="$(dirname "$marker")"
  name="$(basename "$dir")"
  [ -z "$WANTED" ] || [[ " $WANTED " == *" $name "* ]] || continue
  PYO3_NO_PYTHON=1 cargo build --quiet --release --manifest-path "$dir/Cargo.toml" \
    --features pyo3/abi3-py311 --target-dir "$root/target/ext-abi3"
  mkdir -p "$root/build/ext-abi3"
  install_so "$root/target/ext-abi3/release/lib$name.so" "$root/build/ext-abi3/$name.abi3.so"
done
echo "built: $(cd "$root/build" && find ext ext-abi3 -name '*.so' 2>/dev/null | sort | tr '\n' ' ')"
