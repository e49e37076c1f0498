"""Coverage of the CPython 3.14 C-API surface (crates/capi/abi/cpython-3.14.symbols)
by the pyfacade binary and libpyfacade.so: prints it per family and fails if
either exports fewer symbols of the list, or fewer stable-ABI ones, than
recorded in crates/capi/abi/coverage.txt (a ratchet: raise it as families
land; the goal is the whole stable ABI and >= 98% of the list).

Usage: python3 ci/check-api.py [--record]
"""
import collections
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIST = os.path.join(ROOT, "crates", "capi", "abi", "cpython-3.14.symbols")
BASELINE = os.path.join(ROOT, "crates", "capi", "abi", "coverage.txt")
TARGETS = [os.path.join(ROOT, "target", "debug", "pyfacade"), os.path.join(ROOT, "target", "debug", "libpyfacade.so")]


def family(name):
    for prefix in ("PyExc_", "PyUnstable_", "Py_", "_Py"):
        if name.startswith(prefix):
            return prefix.rstrip("_")
    m = re.match(r"(Py[A-Za-z0-9]+?)_", name)
    return m.group(1) if m else name


def exported(path):
    out = subprocess.run(["nm", "-D", "--defined-only", path], capture_output=True, text=True, check=True).stdout
    return {line.split()[-1] for line in out.splitlines() if line.split()}


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
            for n, _ in rows:
                fam[family(n)][1] += 1
                fam[family(n)][0] += n in have
    total, stable = len(rows), sum(s for _, s in rows)
    print(f"C-API coverage: {total} symbols in the list ({stable} stable ABI)")
    for name, (n, s) in counts.items():
        print(f"  {name}: {n}/{total} ({100 * n / total:.1f}%), stable ABI {s}/{stable} ({100 * s / stable:.1f}%)")
    print("  per family (pyfacade), incomplete ones:")
    line = []
    for k in sorted(fam, key=lambda k: (fam[k][0] == fam[k][1], k)):
        got, of = fam[k]
        if got < of:
            line.append(f"{k} {got}/{of}")
    print("   ", ", ".join(line))
    if "--record" in sys.argv:
        n, s = min(counts.values())
        with open(BASELINE, "w") as f:
            f.write(f"# recorded by ci/check-api.py --record: symbols exported / stable-ABI ones\n{n} {s}\n")
        print(f"recorded {n} {s}")
        return 0
    with open(BASELINE) as f:
        base_n, base_s = map(int, [l for l in f if not l.startswith("#")][0].split())
    status = 0
    for name, (n, s) in counts.items():
        if n < base_n or s < base_s:
            print(f"{name} exports fewer symbols than recorded ({n}/{s} < {base_n}/{base_s})")
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
