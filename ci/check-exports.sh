#!/usr/bin/env bash
# Every C-API symbol the seed wheels (shared/abi/*.symbols) and our test
# extensions import must be exported by the pyfacade binary and by
# libpyfacade.so; otherwise dlopen (BIND_NOW) fails for that wheel.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
abi="$root/../shared/abi"
need="$(mktemp)"
{
  if [ -d "$abi" ]; then cat "$abi"/cp314-*.symbols | awk '{print $1}'; fi
  for so in "$root"/build/ext/*.cpython-314-x86_64-linux-gnu.so "$root"/build/ext/*/*.cpython-314-x86_64-linux-gnu.so "$root"/build/ext-abi3/*.abi3.so; do
    [ -e "$so" ] || continue
    nm -D --undefined-only "$so" | awk '{print $2}'
  done
} | grep -E '^_?Py' | grep -v '^PyFacade_NoSuchSymbol$' | sort -u > "$need"
status=0
for target in "$root/target/debug/pyfacade" "$root/target/debug/libpyfacade.so"; do
  missing="$(comm -23 "$need" <(nm -D --defined-only "$target" | awk '{print $3}' | sort -u))"
  if [ -n "$missing" ]; then
    echo "$(basename "$target") does not export:" $missing
    status=1
  fi
done
echo "exports: $(wc -l < "$need") required symbols checked"
rm -f "$need"
exit $status
