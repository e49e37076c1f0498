#!/usr/bin/env bash
# Download the seed wheels from PyPI (pinned; the releases shared/abi/ was
# measured on) for cp314 (pyfacade) and cp313 (the CPython oracle), and
# unpack each set into build/wheels-cpXY as an importable site directory.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
WHEELS="blake3==1.0.11 jiter==0.19.0 rpds-py==2026.9.1"
export PYENV_VERSION="${PYENV_VERSION:-3.13.0}"
ORACLE="${ORACLE:-python3.13}"
for ver in 314 313; do
  dest="$root/build/wheels-cp$ver"
  [ -f "$dest/.complete" ] && continue
  rm -rf "$dest" "$dest.dl"
  mkdir -p "$dest.dl"
  "$ORACLE" -m pip download --quiet --disable-pip-version-check --no-deps \
    --only-binary=:all: --implementation cp --python-version "${ver:0:1}.${ver:1}" --abi "cp$ver" \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 \
    -d "$dest.dl" $WHEELS
  mkdir -p "$dest"
  for w in "$dest.dl"/*.whl; do
    "$ORACLE" -m zipfile -e "$w" "$dest"
  done
  rm -rf "$dest.dl"
  touch "$dest/.complete"
done
