"""Coverage of the CPython 3.14 C-API surface (crates/capi/abi/cpython-3.14.symbols)
by the pyfacade binary and libpyfacade.so: prints it per family and fails if
either exports fewer symbols of the list, or fewer stable-ABI ones, than
recorded in crates/capi/abi/coverage.txt (a ratchet: raise it as families
land; the goal is the whole stable ABI and >= 98% of the list), if more than
2% of the list are SystemError stubs (crates/capi/abi/stubs.txt), or if
README.md does not name every stub.

Usage: python3 ci/check-api.py [--record] [--markdown]
  --markdown prints the per-family table for the README instead.
"""
import collections
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIST = os.path.join(ROOT, "crates", "capi", "abi", "cpython-3.14.symbols")
BASELINE = os.path.join(ROOT, "crates", "capi", "abi", "coverage.txt")
STUBS = os.path.join(ROOT, "crates", "capi", "abi", "stubs.txt")
README = os.path.join(ROOT, "README.md")
TARGETS = [os.path.join(ROOT, "target", "debug", "pyfacade"), os.path.join(ROOT, "target", "debug", "libpyfacade.so")]


def family(name):
    if name.endswith("_Type") and not name.startswith("_"):
        return "*_Type (type objects)"
    if name == "PY_TIMEOUT_MAX":
        return "PyThread"
    for prefix in ("PyExc_", "PyUnstable_", "Py_", "_Py"):
        if name.startswith(prefix):
            return prefix.rstrip("_")
    m = re.match(r"(Py[A-Za-z0-9]+?)_", name)
    return m.group(1) if m else name


def exported(path):
    out = subprocess.run(["nm", "-D", "--defined-only", path], capture_output=True, text=True, check=True).stdout
    return {line.split()[-1] for line in out.splitlines() if line.split()}


def stubs():
    """{symbol: (scope, reason)} of the documented SystemError stubs."""
    out = {}
    with open(STUBS) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, scope, reason = line.rstrip("\n").split("\t")
            out[name] = (scope, reason)
    return out


def main():
    rows = []
    with open(LIST) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            parts = line.split("\t")
            rows.append((parts[0], "abi3" in line.split()))
    counts = {}
    for path in TARGETS:
        have = exported(path)
        counts[os.path.basename(path)] = (sum(n in have for n, _ in rows), sum(n in have for n, s in rows if s))
        if path == TARGETS[0]:
            fam = collections.defaultdict(lambda: [0, 0])
            fam_stable = collections.defaultdict(int)
            for n, st in rows:
                fam[family(n)][1] += 1
                fam[family(n)][0] += n in have
                fam_stable[family(n)] += st
    total, stable = len(rows), sum(s for _, s in rows)
    print(f"C-API coverage: {total} symbols in the list ({stable} stable ABI)")
    for name, (n, s) in counts.items():
        print(f"  {name}: {n}/{total} ({100 * n / total:.1f}%), stable ABI {s}/{stable} ({100 * s / stable:.1f}%)")
    stub = stubs()
    fam_stubs = collections.defaultdict(list)
    for n, (scope, _) in stub.items():
        fam_stubs[family(n)].append(n if scope == "all" else f"{n} (partial)")
    if "--markdown" in sys.argv:
        print("| family | symbols | stable ABI | exported | SystemError stubs |")
        print("|---|---:|---:|---:|---|")
        for k in sorted(fam, key=str.lower):
            got, of = fam[k]
            print(f"| `{k}` | {of} | {fam_stable[k]} | {got} | {', '.join(fam_stubs[k])} |")
        return 0
    print("  per family (pyfacade): exported/listed")
    print("   ", ", ".join(f"{k} {fam[k][0]}/{fam[k][1]}" for k in sorted(fam, key=str.lower)))
    full = sum(scope == "all" for scope, _ in stub.values())
    print(f"  SystemError stubs: {full} for every call, {len(stub) - full} for some inputs (crates/capi/abi/stubs.txt)")
    status = 0
    names = {n for n, _ in rows}
    with open(README) as f:
        readme = f.read()
    for n in stub:
        if n not in names:
            print(f"stubs.txt names {n}, which is not in the list")
            status = 1
        if f"`{n}`" not in readme:
            print(f"README.md does not name the stub {n}")
            status = 1
    if full > 0.02 * total:
        print(f"{full} stubs exceed 2% of the list")
        status = 1
    if "--record" in sys.argv:
        n, s = min(counts.values())
        with open(BASELINE, "w") as f:
            f.write(f"# recorded by ci/check-api.py --record: symbols exported / stable-ABI ones\n{n} {s}\n")
        print(f"recorded {n} {s}")
        return status
    with open(BASELINE) as f:
        base_n, base_s = map(int, [l for l in f if not l.startswith("#")][0].split())
    for name, (n, s) in counts.items():
        if n < base_n or s < base_s:
            print(f"{name} exports fewer symbols than recorded ({n}/{s} < {base_n}/{base_s})")
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
