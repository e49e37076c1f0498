#!/usr/bin/env bash
# Builds libpyfacade.so, then this host against it with an unmodified PyO3,
# and runs it. Usage: examples/embed/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cargo build --quiet --manifest-path "$root/Cargo.toml" -p pyfacade-capi
lib="$root/target/debug"
# implementation=CPython, version=3.14: the ABI pyfacade speaks.
cat > "$root/target/embed-example.cfg" <<CFG
implementation=CPython
version=3.14
shared=true
abi3=false
lib_name=pyfacade
lib_dir=$lib
pointer_width=64
build_flags=
suppress_build_script_link_lines=false
CFG
PYO3_CONFIG_FILE="$root/target/embed-example.cfg" \
  cargo build --quiet --manifest-path "$here/Cargo.toml" --target-dir "$root/target/embed-example"
LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$root/target/embed-example/debug/pyfacade-embed-example"
