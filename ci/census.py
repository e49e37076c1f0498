"""Census of popular binary wheels on pyfacade and on CPython 3.13.

Installs the pinned cp314/abi3 manylinux x86_64 wheels below (with the
pure-Python dependencies they need) into build/census/cp314 for pyfacade,
and the cp313 builds into build/census/cp313 for the CPython 3.13 oracle;
then, per package: does it link (every `Py*` symbol its extension modules
import is exported by pyfacade), do its extension modules import on
pyfacade / on CPython 3.13, do its smoke tests (tests/census/test_<name>.py)
pass on each. Prints a Markdown table (kept in the README) and
checks the counts against ci/census-baseline.txt (fails if one dropped).

Usage: python3.13 ci/census.py [--record]   (run by ci/census.sh)
"""
import os
import subprocess
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ratchet import ratchet  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build", "census")
BASELINE = os.path.join(ROOT, "ci", "census-baseline.txt")
PYFACADE = os.path.join(ROOT, "target", "debug", "pyfacade")

# (distribution, version, kind); pins chosen 2026-11-23 (latest releases).
PINS = [
    ("tiktoken", "0.14.0", "PyO3"),
    ("tokenizers", "0.23.3", "PyO3"),
    ("safetensors", "0.8.0", "PyO3"),
    ("watchfiles", "1.3.0", "PyO3"),
    ("ormsgpack", "1.13.1", "PyO3"),
    ("pendulum", "3.3.0", "PyO3"),
    ("rignore", "0.8.1", "PyO3"),
    ("cramjam", "2.14.0", "PyO3"),
    ("css-inline", "0.24.0", "PyO3"),
    ("jsonschema-rs", "0.60.3", "PyO3"),
    ("python-calamine", "0.9.1", "PyO3"),
    ("minijinja", "3.0.5", "PyO3"),
    ("outlines-core", "0.2.14", "PyO3"),
    ("hf-transfer", "0.1.9", "PyO3"),
    ("libcst", "1.9.0", "PyO3"),
    ("granian", "2.8.7", "PyO3"),
    ("pycrdt", "0.14.13", "PyO3"),
    ("fastuuid", "0.14.0", "PyO3"),
    ("primp", "2.0.1", "PyO3"),
    ("ahocorasick-rs", "1.0.3", "PyO3"),
    ("tantivy", "0.27.0", "PyO3"),
    ("polars-runtime-32", "2.1.0", "PyO3"),
    ("rpds-py", "2026.9.1", "PyO3"),
    ("jiter", "0.19.0", "PyO3"),
    ("blake3", "1.0.11", "PyO3"),
    ("markupsafe", "3.0.4", "C"),
    ("pyyaml", "6.0.3", "C (Cython)"),
    ("msgpack", "1.2.4", "C (Cython)"),
    ("ujson", "6.1.0", "C"),
    ("psutil", "7.2.2", "C"),
    ("multidict", "7.2.1", "C"),
    ("frozenlist", "1.8.0", "C (Cython)"),
    ("regex", "2026.11.15", "C"),
    ("zstandard", "0.25.0", "C (CFFI/C)"),
    ("greenlet", "3.5.6", "C++"),
]
# Pure-Python distributions their packages import (installed without
# dependency resolution: pip would evaluate markers for the interpreter it
# runs on, not the target); polars is the Python half of polars-runtime-32.
EXTRA = ["polars==2.1.0", "anyio==4.16.0", "idna==3.20", "python-dateutil==4.0.0", "typing_extensions==4.16.0",
         "tzdata==2026.6"]
# Smoke-test file names that differ from the distribution's.
SMOKE = {"polars-runtime-32": "polars"}
PLATFORMS = ["manylinux_2_17_x86_64", "manylinux2014_x86_64", "manylinux_2_28_x86_64", "manylinux_2_24_x86_64",
             "manylinux_2_12_x86_64", "manylinux2010_x86_64", "manylinux_2_5_x86_64", "manylinux1_x86_64"]


def norm(name):
    return name.lower().replace("-", "_").replace(".", "_")


def install(tag):
    """pip-installs the pinned set for `tag` (cp314/cp313) once; returns the directory."""
    dest = os.path.join(BUILD, tag)
    stamp = os.path.join(dest, ".pins")
    want = "\n".join(f"{d}=={v}" for d, v, _ in PINS) + "\n" + "\n".join(EXTRA) + "\n"
    if os.path.exists(stamp) and open(stamp).read() == want:
        return dest
    subprocess.run(["rm", "-rf", dest], check=True)
    ver = f"{tag[2]}.{tag[3:]}"
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--root-user-action=ignore", "--no-compile",
           "--target", dest, "--no-deps", "--only-binary=:all:", "--implementation", "cp", "--python-version", ver,
           "--abi", tag, "--abi", "abi3", "--abi", "none"]
    for p in PLATFORMS:
        cmd += ["--platform", p]
    cmd += [f"{d}=={v}" for d, v, _ in PINS] + EXTRA
    subprocess.run(cmd, check=True)
    with open(stamp, "w") as f:
        f.write(want)
    return dest


def extension_modules(site, dist, version):
    """The extension modules (dotted names) and .so paths a distribution installed."""
    dist_info = os.path.join(site, f"{norm(dist)}-{version}.dist-info")
    mods = []
    with open(os.path.join(dist_info, "RECORD")) as f:
        for line in f:
            path = line.split(",")[0]
            # Extension modules the package imports itself: not bundled libs,
            # test helpers, or the optional CFFI backend (needs cffi).
            if path.endswith(".so") and ".libs/" not in path and "/tests/" not in path and "/_cffi." not in path:
                name = path.split("/")
                name[-1] = name[-1].split(".")[0]
                mods.append((".".join(name), os.path.join(site, path)))
    return sorted(mods)


def exported():
    out = subprocess.run(["nm", "-D", "--defined-only", PYFACADE], capture_output=True, text=True, check=True).stdout
    return {l.split()[-1] for l in out.splitlines() if l.split()}


def missing_symbols(sos, exports):
    need = set()
    for so in sos:
        out = subprocess.run(["nm", "-D", "--undefined-only", so], capture_output=True, text=True, check=True).stdout
        need |= {l.split()[-1] for l in out.splitlines() if l.split() and l.split()[-1].lstrip("_").startswith("Py")}
    return sorted(need - exports)


def try_import(interp, site, mods, env_extra=None):
    """Imports every module in a fresh interpreter: "ok" or the error's last line."""
    code = "import importlib\nfor m in %r:\n    importlib.import_module(m)\n" % (mods,)
    env = dict(os.environ, PYTHONPATH=site, **(env_extra or {}))
    try:
        r = subprocess.run(interp + ["-c", code], capture_output=True, timeout=300, env=env,
                           encoding="utf-8", errors="replace")
    except subprocess.TimeoutExpired:
        return "timeout"
    if r.returncode == 0:
        return "ok"
    lines = [l for l in (r.stderr or r.stdout).strip().splitlines() if l.strip()]
    return (lines[-1] if lines else f"exit {r.returncode}")[:160]


def smoke(interp, site, dist):
    """Runs the package's smoke tests: "pass", or pytest's summary line."""
    name = SMOKE.get(dist, norm(dist))
    test = os.path.join(ROOT, "tests", "census", f"test_{name}.py")
    env = dict(os.environ, PYTHONPATH=f"{site}:{os.path.join(ROOT, 'build', 'pylib')}")
    try:
        r = subprocess.run(interp + ["-m", "pytest", "-q", "-p", "no:cacheprovider", test],
                           capture_output=True, timeout=600, env=env, cwd=ROOT,
                           encoding="utf-8", errors="replace")
    except subprocess.TimeoutExpired:
        return "timeout"
    lines = [l for l in r.stdout.strip().splitlines() if l.strip()]
    return "pass" if r.returncode == 0 else (lines[-1] if lines else f"exit {r.returncode}")[:120]


def main():
    record = "--record" in sys.argv
    site314, site313 = install("cp314"), install("cp313")
    exports = exported()
    rows = []
    counts = {"links": 0, "imports_pyfacade": 0, "imports_cpython": 0, "smoke_pyfacade": 0, "smoke_cpython": 0}
    for dist, version, kind in PINS:
        mods314 = extension_modules(site314, dist, version)
        mods313 = extension_modules(site313, dist, version)
        miss = missing_symbols([p for _, p in mods314], exports)
        links = not miss
        imp_pf = try_import([PYFACADE], site314, [m for m, _ in mods314]) if links else "does not link"
        imp_cp = try_import([sys.executable], site313, [m for m, _ in mods313])
        smoke_pf = smoke([PYFACADE], site314, dist) if links else "-"
        smoke_cp = smoke([sys.executable], site313, dist)
        counts["links"] += links
        counts["smoke_pyfacade"] += smoke_pf == "pass"
        counts["smoke_cpython"] += smoke_cp == "pass"
        counts["imports_pyfacade"] += imp_pf == "ok"
        counts["imports_cpython"] += imp_cp == "ok"
        link_cell = "yes" if links else f"no: {len(miss)} missing ({', '.join(miss[:4])}{', ...' if len(miss) > 4 else ''})"
        rows.append(f"| {dist} {version} | {kind} | {link_cell} | {imp_pf} | {smoke_pf} | {imp_cp} | {smoke_cp} |")
    print("| package | kind | links on pyfacade | imports on pyfacade | smoke tests on pyfacade "
          "| imports on CPython 3.13 | smoke tests on CPython 3.13 |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print(f"\n{len(PINS)} packages: " + " ".join(f"{k}={v}" for k, v in counts.items()))
    return ratchet(BASELINE, counts, record, "census")


if __name__ == "__main__":
    sys.exit(main())
