"""Regenerates crates/capi/abi/cpython-3.14.symbols: the C-API surface the
facade must export, one symbol a line: `name<TAB>func|data<TAB>flags`.

Source: the exports of python314.dll and python3.dll (the stable ABI) as
shipped in the crate python3-dll-a 0.2.15 (`python314.def`, `python3.def`),
which `cargo fetch` brings into the registry (this script does that in a
scratch project). Kept: every public name (no leading underscore) minus
the Windows-only ones; added: the POSIX-only functions the headers declare;
private `_Py*` names only where public headers' inline code references them
(listed below), and those that popular cp314 wheels import (a census of 20
wheels from PyPI, listed below) — the seed wheels' own imports are also
checked by check-exports.sh.
Flags: `abi3` (in python3.def), `posix` (added), `private`.
Cross-check: libpython3.13.so's public exports (pyenv 3.13.0) that are
neither in the list nor builtin-module init functions are printed.

Run with any Python 3: python3 ci/gen-symbol-list.py
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "crates", "capi", "abi", "cpython-3.14.symbols")
CRATE = "python3-dll-a"
VERSION = "0.2.15"

WINDOWS_ONLY = re.compile(r"WindowsErr|^PyExc_WindowsError$|MBCS|CodePage|^Py_LegacyWindows")
POSIX_ONLY = ["PyOS_AfterFork_Child", "PyOS_AfterFork_Parent", "PyOS_BeforeFork"]
# Private names that CPython 3.14's public headers reference from inline
# functions and macros (refcounting, singletons, type checks).
PRIVATE = [
    "_Py_Dealloc", "_Py_IncRef", "_Py_DecRef", "_Py_NoneStruct", "_Py_TrueStruct",
    "_Py_FalseStruct", "_Py_NotImplementedStruct", "_Py_EllipsisObject",
    "_PyBytes_Resize", "_PyObject_New", "_PyObject_NewVar", "_PyObject_GC_New",
    "_PyObject_GC_NewVar", "_Py_FatalErrorFunc", "_PyArg_ParseTupleAndKeywords_SizeT",
    "_Py_HashBytes", "_PyUnicode_Ready",
]
# Private names imported by popular cp314 wheels (census of 2026-11-23:
# aiohttp, cffi, charset-normalizer, frozenlist, lxml, msgpack, multidict,
# orjson, propcache, pyyaml, regex, simplejson, yarl — Cython-generated
# code mostly — among 20 downloaded wheels; greenlet).
WHEEL_PRIVATE = [
    "_PyType_Lookup", "_PyDict_GetItem_KnownHash", "_PyDict_SetItem_KnownHash",
    "_PyDict_SetItem_KnownHash_LockHeld", "_PyDict_NewPresized", "_PyObject_GetDictPtr",
    "_PyByteArray_empty_string", "_PyLong_Copy", "_PyLong_Sign", "_PyLong_NumBits",
    "_PyLong_AsByteArray", "_PyEval_SliceIndex", "_PyUnicode_ToLowercase",
    "_PyUnicode_IsWhitespace", "_Py_ctype_tolower", "_Py_ascii_whitespace",
    "_Py_NewReference", "_Py_NewReferenceNoTotal",
]


def def_file(name):
    paths = glob.glob(os.path.expanduser(f"~/.cargo/registry/src/*/{CRATE}-{VERSION}/src/{name}"))
    if not paths:
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "Cargo.toml"), "w") as f:
                f.write(f'[package]\nname = "fetch"\nversion = "0.0.0"\nedition = "2021"\n'
                        f'[dependencies]\n{CRATE} = "={VERSION}"\n')
            os.mkdir(os.path.join(d, "src"))
            open(os.path.join(d, "src", "lib.rs"), "w").close()
            subprocess.run(["cargo", "fetch", "--quiet"], cwd=d, check=True)
        paths = glob.glob(os.path.expanduser(f"~/.cargo/registry/src/*/{CRATE}-{VERSION}/src/{name}"))
    exports = {}
    with open(paths[0]) as f:
        for line in f:
            parts = line.split()
            if not parts or parts[0].startswith(";") or parts[0] in ("LIBRARY", "EXPORTS"):
                continue
            exports[parts[0]] = "data" if "DATA" in parts[1:] else "func"
    return exports


def main():
    full = def_file("python314.def")
    stable = def_file("python3.def")
    rows = {}
    for name, kind in full.items():
        if name.startswith("_") or WINDOWS_ONLY.search(name):
            continue
        rows[name] = (kind, ["abi3"] if name in stable else [])
    for name in POSIX_ONLY:
        rows[name] = ("func", ["posix"])
    for name in PRIVATE + WHEEL_PRIVATE:
        if name in full:
            rows[name] = (full[name], ["private"])
    with open(OUT, "w") as f:
        f.write("# CPython 3.14 C-API surface the facade exports: name, func|data, flags.\n")
        f.write(f"# Made by ci/gen-symbol-list.py from {CRATE} {VERSION} (python314.def,\n")
        f.write("# python3.def); abi3 = stable ABI, posix = POSIX-only, private = used by headers or imported by popular wheels.\n")
        for name in sorted(rows):
            kind, flags = rows[name]
            f.write("\t".join([name, kind] + flags) + "\n")
    print(f"{len(rows)} symbols ({sum('abi3' in r[1] for r in rows.values())} stable ABI) -> {OUT}")
    so = "/root/.pyenv/versions/3.13.0/lib/libpython3.13.so"
    if os.path.exists(so):
        nm = subprocess.run(["nm", "-D", "--defined-only", so], capture_output=True, text=True).stdout
        names = {l.split()[-1] for l in nm.splitlines() if l.split()}
        extra = sorted(n for n in names if not n.startswith("_") and not n.startswith("PyInit_") and n not in rows and n not in full)
        print("in libpython3.13.so, not in the 3.14 list:", " ".join(extra) or "none")


if __name__ == "__main__":
    sys.exit(main())
