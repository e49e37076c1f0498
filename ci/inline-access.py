"""Which CPython struct fields the census's classic C and Cython extensions
read or write inline (without calling a function), measured from source.

For each package: its pinned sdist (the census pins) is downloaded into
build/inline; Cython sources are translated with the Cython release the
census wheel was built with (its `_cython_X_Y_Z` shared-type name); every C
file of its extension modules is run through the C preprocessor with
CPython 3.13's headers (the nearest we have to 3.14's: the same inline
functions, see crates/capi/abi/ for the 3.14 layouts). Conditional code for
PyPy, the limited API or older Pythons is thus gone, and what is left in the
package's own lines is what the compiled wheel does: calls of CPython's
header-inline functions (`Py_TYPE`, `PyTuple_GET_ITEM`, ...: their bodies
read fields) and direct field accesses (`->tp_flags`, `->ob_item`, ...).
Missing third-party headers (libyaml's, zstd's) are replaced by empty stubs:
they declare no CPython structures.

Writes crates/capi/abi/inline-access-c-extensions.md. Not part of the test
suite (it reads sources, it does not test pyfacade); rerun when pins change:

    PYENV_VERSION=3.13.0 python3.13 ci/inline-access.py
"""
import collections
import glob
import os
import re
import subprocess
import sys
import sysconfig
import tarfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build", "inline")
OUT = os.path.join(ROOT, "crates", "capi", "abi", "inline-access-c-extensions.md")

# (package, version, Cython release of the census wheel or None, extension
# sources (globs, relative to the sdist), include dirs, defines).
PACKAGES = [
    ("markupsafe", "3.0.4", None, ["src/markupsafe/_speedups.c"], [], []),
    ("pyyaml", "6.0.3", "3.1.4", ["yaml/_yaml.pyx"], ["yaml"], []),
    ("msgpack", "1.2.4", "3.3.0", ["msgpack/_cmsgpack.pyx"], ["."], []),
    ("ujson", "6.1.0", None, ["src/ujson/*.c"], ["src/ujson"], []),
    ("psutil", "7.2.2", None, ["psutil/_psutil_linux.c", "psutil/arch/linux/*.c", "psutil/arch/posix/*.c", "psutil/arch/all/*.c"],
     ["psutil"], ["PSUTIL_LINUX=1", "PSUTIL_POSIX=1", "PSUTIL_VERSION=722", "Py_LIMITED_API=0x03060000"]),
    ("multidict", "7.2.1", None, ["multidict/_multidict.c"], ["multidict", "multidict/_multilib"], []),
    ("frozenlist", "1.8.0", "3.1.4", ["frozenlist/_frozenlist.pyx"], [], []),
    ("regex", "2026.11.15", None, ["src/_regex.c", "src/_regex_unicode.c"], ["src"], []),
    ("zstandard", "0.25.0", None, ["c-ext/backend_c.c"], ["c-ext", "zstd", "zstd/common"], []),
]

# CPython's header-inline functions and function-like macros whose bodies
# read or write struct fields (3.13 headers; 3.14 makes PyUnicode_DATA and
# PyUnicode_KIND exported functions).
INLINE = {
    "Py_TYPE": "ob_type", "Py_IS_TYPE": "ob_type", "Py_SET_TYPE": "ob_type",
    "Py_REFCNT": "ob_refcnt", "Py_SET_REFCNT": "ob_refcnt",
    "Py_INCREF": "ob_refcnt", "Py_DECREF": "ob_refcnt", "Py_XINCREF": "ob_refcnt", "Py_XDECREF": "ob_refcnt",
    "Py_NewRef": "ob_refcnt", "Py_XNewRef": "ob_refcnt", "Py_CLEAR": "ob_refcnt", "Py_SETREF": "ob_refcnt", "Py_XSETREF": "ob_refcnt",
    "Py_SIZE": "ob_size", "Py_SET_SIZE": "ob_size",
    "PyType_HasFeature": "tp_flags", "PyType_FastSubclass": "tp_flags", "PyType_Check": "tp_flags",
    "PyTuple_Check": "tp_flags", "PyList_Check": "tp_flags", "PyDict_Check": "tp_flags", "PyLong_Check": "tp_flags",
    "PyBytes_Check": "tp_flags", "PyUnicode_Check": "tp_flags", "PyExceptionInstance_Check": "tp_flags",
    "PyExceptionClass_Check": "tp_flags", "PyType_IS_GC": "tp_flags", "PyObject_IS_GC": "tp_flags",
    "PyObject_TypeCheck": "ob_type",
    "PyTuple_GET_SIZE": "ob_size", "PyTuple_GET_ITEM": "tuple ob_item", "PyTuple_SET_ITEM": "tuple ob_item",
    "PyList_GET_SIZE": "ob_size", "PyList_GET_ITEM": "list ob_item", "PyList_SET_ITEM": "list ob_item",
    "PySequence_Fast_GET_SIZE": "ob_size", "PySequence_Fast_GET_ITEM": "ob_item", "PySequence_Fast_ITEMS": "ob_item",
    "PyBytes_AS_STRING": "ob_sval", "PyBytes_GET_SIZE": "ob_size",
    "PyByteArray_AS_STRING": "ob_start", "PyByteArray_GET_SIZE": "ob_size",
    "PyFloat_AS_DOUBLE": "ob_fval",
    "PyUnicode_GET_LENGTH": "str length", "PyUnicode_DATA": "str data", "PyUnicode_KIND": "str state.kind",
    "PyUnicode_IS_ASCII": "str state.ascii", "PyUnicode_IS_COMPACT": "str state.compact",
    "PyUnicode_IS_COMPACT_ASCII": "str state", "PyUnicode_READ": "str data", "PyUnicode_WRITE": "str data",
    "PyUnicode_READ_CHAR": "str data", "PyUnicode_1BYTE_DATA": "str data", "PyUnicode_2BYTE_DATA": "str data",
    "PyUnicode_4BYTE_DATA": "str data", "PyUnicode_MAX_CHAR_VALUE": "str state",
    "_PyLong_IsCompact": "long lv_tag", "_PyLong_CompactValue": "long lv_tag/ob_digit", "PyUnstable_Long_IsCompact": "long lv_tag",
    "PyUnstable_Long_CompactValue": "long lv_tag/ob_digit",
    "PyCFunction_GET_FUNCTION": "m_ml", "PyCFunction_GET_SELF": "m_self", "PyCFunction_GET_FLAGS": "m_ml", "PyCFunction_GET_CLASS": "mm_class",
    "PyCell_GET": "ob_ref", "PyCell_SET": "ob_ref", "PyMethod_GET_FUNCTION": "im_func", "PyMethod_GET_SELF": "im_self",
    "PyDict_GET_SIZE": "ma_used", "PySet_GET_SIZE": "set used", "PyWeakref_GET_OBJECT": "wr_object",
    "PyExceptionInstance_Class": "ob_type", "PyThreadState_GET": "(function)",
}
# Field names that only CPython's structures use.
FIELD = re.compile(r"(?:->|\.)\s*((?:tp|nb|sq|mp|bf|am|ob|ma|co|ml|curexc|im|wr)_[a-z_]+|long_value|lv_tag|current_exception|exc_info|exc_state|exc_value|cframe|current_frame|recursion_remaining|interp|f_lineno|f_code|f_back|m_ml|m_self|m_module|mm_class)\b")
# A str's state bits (PyUnicode_KIND and friends are macros in 3.13).
STATE = re.compile(r"->\s*state\s*\.\s*(kind|ascii|compact|interned|statically_allocated)\b")
CALL = re.compile(r"\b(" + "|".join(sorted(INLINE, key=len, reverse=True)) + r")\s*\(")
MARKER = re.compile(r'^# (\d+) "([^"]+)"')


def pip(*args):
    subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet", *args], check=True)


def sdist(name, version):
    dl = os.path.join(BUILD, "sdists")
    os.makedirs(dl, exist_ok=True)
    found = [f for f in glob.glob(os.path.join(dl, "*.tar.gz")) if os.path.basename(f).lower().startswith(f"{name}-{version}".lower())]
    if not found:
        pip("download", "--no-deps", "--no-binary=:all:", "-d", dl, f"{name}=={version}")
        found = [f for f in glob.glob(os.path.join(dl, "*.tar.gz")) if os.path.basename(f).lower().startswith(f"{name}-{version}".lower())]
    src = os.path.join(BUILD, "src")
    with tarfile.open(found[0]) as t:
        top = t.getnames()[0].split("/")[0]
        if not os.path.isdir(os.path.join(src, top)):
            t.extractall(src, filter="data")
    return os.path.join(src, top)


def cythonize(pyx, release):
    target = os.path.join(BUILD, f"cython-{release}")
    if not os.path.isdir(os.path.join(target, "Cython")):
        pip("install", "--no-deps", "--target", target, f"cython=={release}")
    env = dict(os.environ, PYTHONPATH=target)
    subprocess.run([sys.executable, "-m", "cython", "-3", "--fast-fail", pyx], check=True, env=env, cwd=os.path.dirname(pyx))
    out = os.path.splitext(pyx)[0]
    return out + ".cpp" if os.path.exists(out + ".cpp") else out + ".c"


def preprocess(path, includes, defines):
    """The preprocessed text of `path`, with empty stubs for missing headers."""
    stubs = os.path.join(BUILD, "stubs")
    os.makedirs(stubs, exist_ok=True)
    compiler = "g++" if path.endswith(".cpp") else "gcc"
    cmd = [compiler, "-E", "-DNDEBUG", f"-I{sysconfig.get_paths()['include']}", f"-I{stubs}"]
    cmd += [f"-I{i}" for i in includes] + [f"-D{d}" for d in defines] + [path]
    for _ in range(40):
        r = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
        missing = re.search(r"fatal error: ([^:]+): No such file or directory", r.stderr)
        if r.returncode == 0:
            return r.stdout
        if not missing:
            raise RuntimeError(f"{path}: {r.stderr.strip()[-300:]}")
        stub = os.path.join(stubs, missing.group(1))
        os.makedirs(os.path.dirname(stub), exist_ok=True)
        open(stub, "w").close()
    raise RuntimeError(f"{path}: too many missing headers")


def scan(text, own_dir):
    """Inline calls and field accesses in lines that come from `own_dir`."""
    calls, fields = collections.Counter(), collections.Counter()
    own = False
    for line in text.splitlines():
        m = MARKER.match(line)
        if m:
            f = os.path.abspath(m.group(2))
            own = f.startswith(own_dir) and not f.startswith(os.path.join(BUILD, "stubs"))
            continue
        if own:
            calls.update(CALL.findall(line))
            fields.update(FIELD.findall(line))
            fields.update(f"str state.{b}" for b in STATE.findall(line))
    return calls, fields


def main():
    os.makedirs(BUILD, exist_ok=True)
    rows = []
    for name, version, cython, sources, includes, defines in PACKAGES:
        top = sdist(name, version)
        files = sorted({f for g in sources for f in glob.glob(os.path.join(top, g))})
        if cython:
            files = [cythonize(f, cython) for f in files]
        calls, fields = collections.Counter(), collections.Counter()
        for f in files:
            c, d = scan(preprocess(f, [os.path.join(top, i) for i in includes], defines), top)
            calls.update(c)
            fields.update(d)
        rows.append((name, version, cython, [os.path.relpath(f, top) for f in files], calls, fields))
        print(f"{name}: {sum(calls.values())} inline calls, {sum(fields.values())} field accesses", file=sys.stderr)
    with open(OUT, "w") as out:
        out.write(HEADER)
        for name, version, cython, files, calls, fields in rows:
            kind = f"Cython {cython}" if cython else "C"
            out.write(f"\n## {name} {version} ({kind}: {', '.join(files)})\n\n")
            out.write("| inline function or macro | uses | reads or writes |\n|---|---:|---|\n")
            for fn, n in sorted(calls.items(), key=lambda kv: (-kv[1], kv[0])):
                out.write(f"| `{fn}` | {n} | {INLINE[fn]} |\n")
            if fields:
                out.write("\n| field accessed directly | uses |\n|---|---:|\n")
                for fld, n in sorted(fields.items(), key=lambda kv: (-kv[1], kv[0])):
                    out.write(f"| `{fld}` | {n} |\n")
    print(f"wrote {os.path.relpath(OUT, ROOT)}", file=sys.stderr)


HEADER = """# Inline CPython struct accesses of the census's classic C and Cython extensions

Made by `ci/inline-access.py` (see its docstring for the method): each
package's extension sources, preprocessed with CPython 3.13's headers
(Cython sources first translated with the Cython release the census wheel
was built with), and, in the package's own lines, the calls of CPython's
header-inline functions and macros that read or write struct fields, and
the CPython struct fields accessed directly (`->tp_flags`, ...). Counts are
occurrences in the source, not executions. The layouts pyfacade gives these
fields are in `crates/capi/src/abi/` and `layout-cp314.txt`; every package
below passes its census smoke test (and its upstream suite, where there is
one) on pyfacade.

`Py_INCREF`/`Py_DECREF` and friends appear everywhere: they read and write
`ob_refcnt` inline and call `_Py_Dealloc` at zero. `PyTuple_SET_ITEM`/
`PyList_SET_ITEM` write `ob_item` of objects made by `PyTuple_New`/`PyList_New`
(pyfacade's builders), `PyUnicode_DATA`/`PyUnicode_KIND` are functions in
3.14 (exported by pyfacade), and `tp_flags` is read through every
`Py*_Check`.
"""

if __name__ == "__main__":
    main()
