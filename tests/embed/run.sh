#!/usr/bin/env bash
# Builds and runs the embedding tests twice: linked to libpyfacade.so (PyO3
# configured as CPython 3.14, lib_name=pyfacade) and to CPython 3.13's
# libpython (the oracle). Usage: tests/embed/run.sh [pyfacade|cpython] [cargo test args]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
which="${1:-both}"; shift || true
EXTRA=("$@")
cfgdir="$root/target/embed"
mkdir -p "$cfgdir"
run() { # name config-file lib-dir
  echo "== embed tests on $1 =="
  PYO3_CONFIG_FILE="$2" LD_LIBRARY_PATH="$3${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    cargo test --quiet --manifest-path tests/embed/Cargo.toml --target-dir "$root/target/embed-$1" ${EXTRA[@]+"${EXTRA[@]}"}
}
if [ "$which" = both ] || [ "$which" = pyfacade ]; then
  cargo build --quiet -p pyfacade-capi
  cat > "$cfgdir/pyfacade.txt" <<CFG
implementation=CPython
version=3.14
shared=true
abi3=false
lib_name=pyfacade
lib_dir=$root/target/debug
pointer_width=64
build_flags=
suppress_build_script_link_lines=false
CFG
  EMBED_STDLIB= run pyfacade "$cfgdir/pyfacade.txt" "$root/target/debug"
fi
if [ "$which" = both ] || [ "$which" = cpython ]; then
  libdir="$(env PYENV_VERSION=3.13.0 python3.13 -c 'import sysconfig;print(sysconfig.get_config_var("LIBDIR"))')"
  stdlib="$(env PYENV_VERSION=3.13.0 python3.13 -c 'import sysconfig;print(sysconfig.get_path("stdlib"))')"
  cat > "$cfgdir/cpython313.txt" <<CFG
implementation=CPython
version=3.13
shared=true
abi3=false
lib_name=python3.13
lib_dir=$libdir
pointer_width=64
build_flags=
suppress_build_script_link_lines=false
CFG
  # An embedded libpython finds its stdlib through PYTHONHOME.
  home="$(env PYENV_VERSION=3.13.0 python3.13 -c 'import sys;print(sys.prefix)')"
  PYTHONHOME="$home" EMBED_STDLIB="$stdlib" run cpython "$cfgdir/cpython313.txt" "$libdir"
fi
