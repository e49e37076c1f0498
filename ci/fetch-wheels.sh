#!/usr/bin/env bash
# Download the seed wheels from PyPI (pinned; the releases shared/abi/ was
# measured on) for cp314 (pyfacade) and cp313 (the CPython oracle), and
# unpack each set into build/wheels-cpXY as an importable site directory.
# The wheel files stay in build/wheelhouse-cpXY, with flit_core (a build
# backend), for the network-free pip tests (tests/python/test_installing.py).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
WHEELS="blake3==1.0.11 jiter==0.19.0 rpds-py==2026.9.1"
PURE="flit_core==3.12.0 maturin==1.16.0"
export PYENV_VERSION="${PYENV_VERSION:-3.13.0}"
ORACLE="${ORACLE:-python3.13}"
for ver in 314 313; do
  house="$root/build/wheelhouse-cp$ver"
  if [ ! -f "$house/.complete" ]; then
    rm -rf "$house"
    mkdir -p "$house"
    "$ORACLE" -m pip download --quiet --disable-pip-version-check --no-deps \
      --only-binary=:all: --implementation cp --python-version "${ver:0:1}.${ver:1}" --abi "cp$ver" \
      --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 \
      -d "$house" $WHEELS
    "$ORACLE" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: -d "$house" $PURE
    touch "$house/.complete"
  fi
  dest="$root/build/wheels-cp$ver"
  [ -f "$dest/.complete" ] && continue
  rm -rf "$dest"
  mkdir -p "$dest"
  for pkg in $WHEELS; do
    name="${pkg%%==*}"
    for w in "$house/${name//-/_}"-*.whl; do
      "$ORACLE" -m zipfile -e "$w" "$dest"
    done
  done
  touch "$dest/.complete"
done
