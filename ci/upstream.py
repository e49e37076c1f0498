"""Upstream test suites of census wheels, unmodified, on pyfacade and CPython 3.13.

Each suite's tests come from the package's pinned sdist (or, for regex,
from the wheel itself) and run against the installed census wheels
(build/census/cp314 on pyfacade, build/census/cp313 on CPython 3.13; run
ci/census.py first), from a copy of the test directory so that the sdist's
own sources are never imported. Prints passed/failed/skipped per suite on
both interpreters and fails if pyfacade's passed count of a suite drops
below ci/upstream-baseline.txt (`--record` writes it).

pendulum and ormsgpack ship no tests in their sdists (their suites live
only in their git repositories, which CI cannot reach).

Usage: python3.13 ci/upstream.py [--record]   (run by ci/census.sh)
"""
import os
import re
import shutil
import subprocess
import sys

import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ratchet import ratchet  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build", "upstream")
BASELINE = os.path.join(ROOT, "ci", "upstream-baseline.txt")
PYFACADE = os.path.join(ROOT, "target", "debug", "pyfacade")
SITES = {"pyfacade": os.path.join(ROOT, "build", "census", "cp314"),
         "cpython": os.path.join(ROOT, "build", "census", "cp313")}

# (suite, sdist pin or None for tests inside the wheel, test path, pytest args).
# regex's module also defines `test_main()`, which runs unittest.main() on
# pytest's argv (it exits 2 on either interpreter): not a test.
SUITES = [
    ("markupsafe", "markupsafe==3.0.4", "tests", []),
    ("msgpack", "msgpack==1.2.4", "test", []),
    ("ujson", "ujson==6.1.0", "tests", []),
    ("regex", None, "regex/tests/test_regex.py", ["-k", "not test_main"]),
]


def tests_dir(suite, pin, path):
    """A private copy of the suite's tests (from the sdist, downloaded once)."""
    dest = os.path.join(BUILD, f"{suite}-tests")
    if pin is None:
        return None
    if os.path.isdir(dest):
        return dest
    os.makedirs(BUILD, exist_ok=True)
    dl = os.path.join(BUILD, "sdists")
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
                    "--no-binary=:all:", "-d", dl, pin], check=True)
    name, ver = pin.split("==")
    archive = os.path.join(dl, f"{name}-{ver}.tar.gz")
    with tarfile.open(archive) as t:
        members = [m for m in t.getmembers() if m.name.startswith(f"{name}-{ver}/{path}/")]
        t.extractall(os.path.join(BUILD, "src"), members=members, filter="data")
    shutil.copytree(os.path.join(BUILD, "src", f"{name}-{ver}", path), dest)
    return dest


def run(interp, site, target, args):
    env = dict(os.environ, PYTHONPATH=f"{site}:{os.path.join(ROOT, 'build', 'pylib')}")
    cmd = interp + ["-m", "pytest", "-q", "-p", "no:cacheprovider", "--tb=no", "-o", "addopts=",
                    "--import-mode=importlib",
           # A test module that cannot be imported (RustPython has no
           # `_tracemalloc`) counts as an error; the others still run.
           "--continue-on-collection-errors", *args, target]
    try:
        r = subprocess.run(cmd, capture_output=True, timeout=1200, env=env, cwd=BUILD,
                           encoding="utf-8", errors="replace")
    except subprocess.TimeoutExpired:
        return {"note": "timeout"}
    counts = {k: int(n) for n, k in re.findall(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed)", r.stdout)}
    if not counts:
        tail = [l for l in (r.stdout + r.stderr).strip().splitlines() if l.strip()]
        return {"note": (tail[-1] if tail else f"exit {r.returncode}")[:100]}
    return counts


def cell(c):
    if "note" in c:
        return c["note"]
    errors = c.get("error", 0) + c.get("errors", 0)
    return f"{c.get('passed', 0)} / {c.get('failed', 0) + errors} / {c.get('skipped', 0)}"


def main():
    record = "--record" in sys.argv
    os.makedirs(BUILD, exist_ok=True)
    rows, passed = [], {}
    for suite, pin, path, args in SUITES:
        d = tests_dir(suite, pin, path)
        res = {}
        for name, interp in (("pyfacade", [PYFACADE]), ("cpython", [sys.executable])):
            target = d if d else os.path.join(SITES[name], path)
            res[name] = run(interp, SITES[name], target, args)
        passed[suite] = res["pyfacade"].get("passed", 0)
        rows.append(f"| {suite} | {cell(res['pyfacade'])} | {cell(res['cpython'])} |")
    print("| upstream suite | pyfacade passed / failed / skipped | CPython 3.13 passed / failed / skipped |")
    print("|---|---|---|")
    print("\n".join(rows))
    return ratchet(BASELINE, passed, record, "upstream")


if __name__ == "__main__":
    sys.exit(main())
