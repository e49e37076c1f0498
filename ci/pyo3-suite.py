"""PyO3's own test suite, unmodified, against libpyfacade.so and against
CPython 3.13's libpython, in the same run.

The suite is the one in PyO3's published crate (pinned below, downloaded
once into build/pyo3-suite): its unit tests (src/) and integration tests
(tests/), built and run with `cargo test` inside the crate as PyO3's own CI
does (the crate auto-initializes the interpreter for its tests), once with a
PyO3 config naming pyfacade as CPython 3.14 (lib_name=pyfacade) and once
with CPython 3.13's. Doc-tests are not run (each is a separate program; the
unit and integration tests cover the same API). Prints passed / failed /
ignored per test target on both, and fails if pyfacade's passed count of a
target drops below ci/pyo3-suite-baseline.txt (`--record` writes it).

Usage: python3.13 ci/pyo3-suite.py [--record] [cargo test filter...]
"""
import os
import re
import subprocess
import sys
import tarfile
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ratchet import ratchet  # noqa: E402

VERSION = "0.30.1"
# PyO3's CI runs the suite with its "full" feature set (auto-initialize is
# implied for the crate's own tests).
FEATURES = "full auto-initialize"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build", "pyo3-suite")
CRATE = os.path.join(BUILD, f"pyo3-{VERSION}")
BASELINE = os.path.join(ROOT, "ci", "pyo3-suite-baseline.txt")


def fetch():
    if os.path.isdir(CRATE):
        return
    os.makedirs(BUILD, exist_ok=True)
    archive = os.path.join(BUILD, f"pyo3-{VERSION}.crate")
    if not os.path.exists(archive):
        url = f"https://static.crates.io/crates/pyo3/pyo3-{VERSION}.crate"
        with urllib.request.urlopen(url, timeout=120) as r, open(archive + ".part", "wb") as f:
            f.write(r.read())
        os.replace(archive + ".part", archive)
    with tarfile.open(archive) as t:
        t.extractall(BUILD, filter="data")


def config(name, version, lib_name, lib_dir):
    path = os.path.join(BUILD, f"{name}.cfg")
    text = (f"implementation=CPython\nversion={version}\nshared=true\nabi3=false\n"
            f"lib_name={lib_name}\nlib_dir={lib_dir}\npointer_width=64\nbuild_flags=\n"
            "suppress_build_script_link_lines=false\n")
    # Rewritten only when it changes: PyO3 rebuilds whenever the file does.
    if not os.path.exists(path) or open(path).read() != text:
        with open(path, "w") as f:
            f.write(text)
    return path


def run(name, cfg, lib_dir, extra_env, filters):
    env = dict(os.environ, PYO3_CONFIG_FILE=cfg, **extra_env)
    env["LD_LIBRARY_PATH"] = lib_dir + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
    env.pop("PYTHONPATH", None)
    cmd = ["cargo", "test", "--locked", "--no-fail-fast", "--features", FEATURES, "--lib", "--tests",
           "--target-dir", os.path.join(ROOT, "target", f"pyo3-suite-{name}"), "--", *filters]
    print(f"== PyO3 {VERSION} suite on {name} ==", flush=True)
    # One stream, so that each "Running <target>" precedes its result line.
    r = subprocess.run(cmd, cwd=CRATE, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       encoding="utf-8", errors="replace")
    with open(os.path.join(BUILD, f"{name}.log"), "w") as f:
        f.write(r.stdout)
    results, target = {}, None
    for line in r.stdout.splitlines():
        m = re.match(r"\s*Running (?:unittests )?(\S+)", line)
        if m:
            target = os.path.splitext(os.path.basename(m.group(1)))[0]
        m = re.match(r"test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored", line)
        if m and target:
            results[target] = tuple(map(int, m.groups()))
            target = None
        # A harness that crashed prints no result line.
        m = re.match(r"error: test failed, to rerun pass `--(lib|test (\S+))`", line)
        if m:
            results.setdefault(m.group(2) or "lib", "crashed")
    if r.returncode != 0 and not results:
        print("\n".join(r.stdout.strip().splitlines()[-30:]))
    return results


def main():
    args = [a for a in sys.argv[1:] if a != "--record"]
    fetch()
    subprocess.run(["cargo", "build", "--quiet", "-p", "pyfacade-capi"], cwd=ROOT, check=True)
    facade_dir = os.path.join(ROOT, "target", "debug")
    py = ["env", "PYENV_VERSION=3.13.0", "python3.13", "-c"]
    libdir, home = subprocess.run(py + ["import sysconfig, sys; print(sysconfig.get_config_var('LIBDIR')); print(sys.prefix)"],
                                  capture_output=True, text=True, check=True).stdout.split()
    res = {
        "pyfacade": run("pyfacade", config("pyfacade", "3.14", "pyfacade", facade_dir), facade_dir, {}, args),
        # An embedded libpython finds its stdlib through PYTHONHOME.
        "cpython": run("cpython", config("cpython313", "3.13", "python3.13", libdir), libdir, {"PYTHONHOME": home}, args),
    }
    targets = sorted(set(res["pyfacade"]) | set(res["cpython"]), key=lambda t: (t != "lib", t))
    print("| PyO3 test target | pyfacade passed / failed / ignored | CPython 3.13 passed / failed / ignored |")
    print("|---|---|---|")
    def cell(r):
        return r if isinstance(r, str) else " / ".join(map(str, r)) if r else "did not run"


    for t in targets:
        print(f"| {t} | {cell(res['pyfacade'].get(t))} | {cell(res['cpython'].get(t))} |")
    tot = {k: [sum(r[i] for r in v.values() if not isinstance(r, str)) for i in range(3)] for k, v in res.items()}
    print(f"| **total** | {cell(tot['pyfacade'])} | {cell(tot['cpython'])} |")
    if not all(res.values()):
        print("pyo3-suite: a run produced no test results (see build/pyo3-suite/*.log)")
        return 1
    if args:
        return 0
    passed = {t: 0 if isinstance(r, str) else r[0] for t, r in res["pyfacade"].items()}
    return ratchet(BASELINE, passed, "--record" in sys.argv, "pyo3-suite")


if __name__ == "__main__":
    sys.exit(main())
