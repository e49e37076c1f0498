"""C-API family group 'run' (pythonrun.h, sysmodule.h, marshal.h, import.h),
exercised through tests/ext/capi_run on pyfacade and on CPython 3.13 (the
oracle): the same assertions must hold on both.

Known, intended differences: magic number and cache tag are each
interpreter's own (checked against importlib/sys), and marshalled code
objects hold each interpreter's own bytecode (only round trips are checked)."""
import importlib.util
import marshal
import os
import sys
import types
import warnings

import pytest

import capi_run as m

EVAL, FILE, SINGLE = 258, 257, 256
E_EOF = 11
PyCF_ONLY_AST = 0x400


def test_loads():
    assert m.frozen_table_names() == []  # PyImport_FrozenModules is NULL


# ---- PyRun_String* -------------------------------------------------------

@pytest.mark.parametrize("which", [0, 1])
def test_run_string(which):
    g = {}
    assert m.run_string(which, "1 + 2", EVAL, g, None, 0) == (3, None)
    # __builtins__ is inserted into globals, as CPython does.
    assert g["__builtins__"] is __builtins__ or g["__builtins__"] is __import__("builtins")
    assert m.run_string(which, "x = 40\ny = x + 2", FILE, g, None, 0) == (None, None)
    assert g["y"] == 42
    # locals separate from globals
    loc = {"y": 2}
    assert m.run_string(which, "y", EVAL, {"y": 1}, loc, 0) == (2, None)
    assert m.run_string(which, "z = 5", FILE, g, loc, 0) == (None, None)
    assert loc["z"] == 5 and "z" not in g
    # errors
    r, e = m.run_string(which, "x +", EVAL, {}, None, 0)
    assert r is None and type(e) is SyntaxError and e.filename == "<string>" and e.lineno == 1
    r, e = m.run_string(which, "undefined_name_zz", EVAL, {}, None, 0)
    assert type(e) is NameError
    r, e = m.run_string(which, "1", EVAL, [], None, 0)
    assert type(e) is SystemError and str(e) == "globals must be a real dict"


def test_run_string_single_input_uses_displayhook(capfd):
    seen = []
    old = sys.displayhook
    sys.displayhook = seen.append
    try:
        assert m.run_string(0, "6 * 7", SINGLE, {}, None, 0) == (None, None)
    finally:
        sys.displayhook = old
    assert seen == [42]


def test_run_string_flags_future():
    # CO_FUTURE_ANNOTATIONS (0x1000000) makes annotations strings.
    g = {}
    src = "def f(a: undefined_zz): pass\nA = f.__annotations__"
    assert m.run_string(1, src, FILE, g, None, 0x1000000) == (None, None)
    assert g["A"] == {"a": "undefined_zz"}


def test_run_simple_string(capfd):
    import __main__
    assert m.run_simple(0, "capi_run_simple_v = 3\nprint('hi from simple')", 0) == (0, None)
    assert __main__.capi_run_simple_v == 3
    del __main__.capi_run_simple_v
    assert m.run_simple(1, "raise KeyError('kk')", 0) == (-1, None)  # printed, cleared
    out, err = capfd.readouterr()
    assert out == "hi from simple\n"
    assert "KeyError: 'kk'" in err and err.startswith("Traceback (most recent call last):")


# ---- PyRun_File* ---------------------------------------------------------

@pytest.mark.parametrize("which", [0, 1, 2, 3])
def test_run_file(tmp_path, which):
    p = tmp_path / "s.py"
    p.write_text("x = 40\ny = x + 2\nF = __file__ if '__file__' in dir() else None\n")
    g = {}
    closeit = 1
    r, e, closed = m.run_file(which, str(p), "named.py", FILE, g, None, closeit)
    assert (r, e) == (None, None)
    assert g["y"] == 42
    # closeit is honoured only by the *Ex* variants.
    assert closed == (which in (1, 3))
    p.write_text("raise ValueError('boom')\n")
    r, e, closed = m.run_file(which, str(p), "named.py", FILE, {}, None, 0)
    assert r is None and type(e) is ValueError and str(e) == "boom" and not closed
    assert e.__traceback__.tb_frame.f_code.co_filename == "named.py"
    p.write_text("2 ** 10\n")
    assert m.run_file(which, str(p), "e.py", EVAL, {}, None, 0)[:2] == (1024, None)


@pytest.mark.parametrize("which", range(7))
def test_simple_file_runs_as_main(tmp_path, capfd, which):
    import __main__
    had_file = "__file__" in vars(__main__)
    p = tmp_path / "main.py"
    p.write_text("import __main__\nprint('ran', __name__, __main__.__file__)\ncapi_run_sf = 1\n")
    rc, closed, err_set = m.simple_file(which, str(p), "fname.py", 1)
    assert rc == 0 and not err_set
    assert closed == (which in (1, 2, 4, 6))
    assert __main__.capi_run_sf == 1
    del __main__.capi_run_sf
    out, _ = capfd.readouterr()
    expected_file = __main__.__file__ if had_file else "fname.py"
    assert out == f"ran __main__ {expected_file}\n"
    assert ("__file__" in vars(__main__)) == had_file


def test_simple_file_sets_main_loader(tmp_path, capfd):
    import __main__
    saved = vars(__main__).get("__loader__")
    p = tmp_path / "main.py"
    p.write_text("pass\n")
    try:
        assert m.simple_file(2, str(p), "fname.py", 1) == (0, True, False)
        loader = __main__.__loader__
        assert type(loader).__name__ == "SourceFileLoader"
        assert (loader.name, loader.path) == ("__main__", "fname.py")
    finally:
        __main__.__loader__ = saved


def test_simple_file_pyc(tmp_path, capfd):
    import __main__
    import py_compile
    src = tmp_path / "p.py"
    src.write_text("print('from pyc', __name__)\n")
    pyc = str(tmp_path / "p.pyc")
    py_compile.compile(str(src), cfile=pyc, doraise=True)  # this interpreter's format
    saved = vars(__main__).get("__loader__")
    try:
        assert m.simple_file(2, pyc, pyc, 1) == (0, True, False)
        assert type(__main__.__loader__).__name__ == "SourcelessFileLoader"
        # recognised by its magic number when closeit, whatever its name
        other = str(tmp_path / "p.bin")
        with open(pyc, "rb") as f, open(other, "wb") as g:
            g.write(f.read())
        assert m.simple_file(2, other, other, 1) == (0, True, False)
        bad = tmp_path / "bad.pyc"
        bad.write_bytes(b"\0" * 16)
        assert m.simple_file(2, str(bad), str(bad), 1) == (-1, True, False)
    finally:
        __main__.__loader__ = saved
    out, err = capfd.readouterr()
    assert out == "from pyc __main__\n" * 2
    assert "RuntimeError: Bad magic number in .pyc file" in err


def test_simple_file_error_is_printed(tmp_path, capfd):
    p = tmp_path / "bad.py"
    p.write_text("1/0\n")
    assert m.simple_file(2, str(p), "fname.py", 0) == (-1, False, False)
    _, err = capfd.readouterr()
    assert err.startswith("Traceback (most recent call last):")
    assert 'File "fname.py", line 1' in err and "ZeroDivisionError: division by zero" in err


# ---- PyRun_Interactive* --------------------------------------------------

@pytest.fixture
def prompts():
    old = {k: getattr(sys, k) for k in ("ps1", "ps2") if hasattr(sys, k)}
    sys.ps1, sys.ps2 = "P1> ", "P2> "
    yield
    for k in ("ps1", "ps2"):
        if k in old:
            setattr(sys, k, old[k])
        elif hasattr(sys, k):
            delattr(sys, k)


@pytest.mark.parametrize("which", [0, 1, 2])
def test_interactive_one(tmp_path, capfd, prompts, which):
    import __main__
    p = tmp_path / "in.txt"
    p.write_text("capi_run_ia = 1\ncapi_run_ia\nif capi_run_ia:\n  print('yes')\n\nprint('last'\n")
    assert m.interactive(which, str(p), "<inter>") == [0, 0, 0, -1, E_EOF]
    out, err = capfd.readouterr()
    assert out == "1\nyes\n"
    # prompts go to the C stderr; a newline is written at end of input
    assert err.startswith("P1> P1> P1> P2> P2> P1> P2> \n")
    assert "SyntaxError: '(' was never closed" in err
    assert err.endswith("P1> \n")
    assert __main__.capi_run_ia == 1
    del __main__.capi_run_ia


def test_interactive_errors_continue(tmp_path, capfd, prompts):
    import __main__
    p = tmp_path / "in.txt"
    p.write_text("capi_run_ib = 2\n1/0\ncapi_run_ib\n")
    assert m.interactive(2, str(p), "<inter>") == [0, -1, 0, E_EOF]
    out, err = capfd.readouterr()
    assert out == "2\n"
    assert "ZeroDivisionError: division by zero" in err


@pytest.mark.parametrize("which", [3, 4])
def test_interactive_loop(tmp_path, capfd, which):
    import __main__
    had = {k: getattr(sys, k) for k in ("ps1", "ps2") if hasattr(sys, k)}
    for k in ("ps1", "ps2"):
        if hasattr(sys, k):
            delattr(sys, k)
    try:
        p = tmp_path / "in.txt"
        p.write_text("capi_run_ic = 3\n1/0\ncapi_run_ic\n")
        assert m.interactive(which, str(p), "<loop>") == 0
        # the loop sets the default prompts when they are unset
        assert (sys.ps1, sys.ps2) == (">>> ", "... ")
    finally:
        for k in ("ps1", "ps2"):
            if k in had:
                setattr(sys, k, had[k])
            elif hasattr(sys, k):
                delattr(sys, k)
    out, err = capfd.readouterr()
    assert out == "3\n"
    assert err.startswith(">>> >>> ") and "ZeroDivisionError" in err and err.endswith(">>> \n")
    del __main__.capi_run_ic


def test_any_file_on_a_terminal_runs_interactively(capfd):
    import __main__
    master, slave = os.openpty()
    try:
        os.write(master, b"capi_run_tty = 5\ncapi_run_tty + 1\n\x04")  # ^D: end of input
        assert m.simple_file(3, os.ttyname(slave), "<stdin>", 0) == (0, False, False)
    finally:
        os.close(slave)
        os.close(master)
    out, err = capfd.readouterr()
    assert out == "6\n"  # statements ran one by one, echoed by sys.displayhook
    assert err.startswith(sys.ps1 if hasattr(sys, "ps1") else ">>> ")
    assert __main__.capi_run_tty == 5
    del __main__.capi_run_tty


# ---- Py_CompileString* ---------------------------------------------------

@pytest.mark.parametrize("which", [0, 1, 2, 3])
def test_compile_string(which):
    co, e = m.compile(which, "a + 1", "fn.py", EVAL, 0, 13, -1)
    assert e is None and isinstance(co, types.CodeType) and co.co_filename == "fn.py"
    assert eval(co, {"a": 41}) == 42
    co, e = m.compile(which, "x = 1\n", "fn.py", FILE, 0, 13, -1)
    assert isinstance(co, types.CodeType)
    r, e = m.compile(which, "x = = 1", "bad.py", FILE, 0, 13, -1)
    assert r is None and type(e) is SyntaxError and e.filename == "bad.py" and e.lineno == 1


@pytest.mark.parametrize("which", [1, 2, 3])
def test_compile_only_ast(which):
    import ast
    tree, e = m.compile(which, "a + 1", "fn.py", EVAL, PyCF_ONLY_AST, 13, -1)
    assert e is None and isinstance(tree, ast.Expression)
    assert isinstance(tree.body, ast.BinOp)
    tree, _ = m.compile(which, "x = 1", "fn.py", FILE, PyCF_ONLY_AST, 13, -1)
    assert isinstance(tree, ast.Module)
    tree, _ = m.compile(which, "x = 1\n", "fn.py", SINGLE, PyCF_ONLY_AST, 13, -1)
    assert isinstance(tree, ast.Interactive)


@pytest.mark.parametrize("which", [2, 3])
def test_compile_optimize(which):
    co, _ = m.compile(which, "assert 0, 'kept'", "o.py", FILE, 0, 13, 0)
    with pytest.raises(AssertionError, match="kept"):
        exec(co, {})
    co, _ = m.compile(which, "assert 0\nD = __debug__", "o.py", FILE, 0, 13, 1)
    g = {}
    exec(co, g)  # the assert is gone
    assert g["D"] is False


def test_compile_flags():
    import ast
    # Py_func_type_input (345) with PyCF_ONLY_AST
    tree, e = m.compile(1, "(int, str) -> None", "f", 345, PyCF_ONLY_AST, 13, -1)
    assert e is None and isinstance(tree, ast.FunctionType) and len(tree.argtypes) == 2
    # cf_feature_version applies to ONLY_AST parses
    src = "match x:\n case 1: pass\n"
    r, e = m.compile(1, src, "f", FILE, PyCF_ONLY_AST, 9, -1)
    assert type(e) is SyntaxError and str(e).startswith("Pattern matching is only supported in Python 3.10")
    assert m.compile(1, src, "f", FILE, PyCF_ONLY_AST, 10, -1)[1] is None
    # PyCF_ALLOW_TOP_LEVEL_AWAIT
    co, e = m.compile(1, "await x", "f", FILE, 0x2000, 13, -1)
    assert e is None and isinstance(co, types.CodeType)
    r, e = m.compile(1, "await x", "f", FILE, 0, 13, -1)
    assert type(e) is SyntaxError and "'await' outside function" in str(e)
    # PyCF_TYPE_COMMENTS
    tree, _ = m.compile(1, "x = 1 # type: int", "f", FILE, PyCF_ONLY_AST | 0x1000, 13, -1)
    assert tree.body[0].type_comment == "int"
    # an optimize level above 2 is not an error at the C level
    co, e = m.compile(2, "1", "f", EVAL, 0, 13, 7)
    assert e is None and eval(co) == 1


# ---- PyErr_Display* ------------------------------------------------------

def _raise():
    raise ValueError("shown")


def test_err_display(capfd):
    try:
        _raise()
    except ValueError as exc:
        e = exc
    tb = e.__traceback__
    e.__traceback__ = None
    assert m.display(0, e, tb) is False  # no exception is left set
    _, err = capfd.readouterr()
    assert err.startswith("Traceback (most recent call last):")
    assert "in _raise" in err and err.endswith("ValueError: shown\n")
    assert m.display(1, e, None) is False
    _, err2 = capfd.readouterr()
    assert err2 == err
    assert m.display(1, KeyError("no tb"), None) is False
    _, err3 = capfd.readouterr()
    assert err3 == "KeyError: 'no tb'\n"


# ---- PySys_GetObject / SetObject ------------------------------------------

def test_sys_get_object():
    v, is_null, delta, err = m.sys_get("path")
    assert v is sys.path and not is_null and delta == 0 and not err  # borrowed
    assert m.sys_get("capi_run_absent_zz") == (None, True, 0, False)  # NULL, no error


def test_sys_set_object():
    assert m.sys_set("capi_run_zz", 5) == (0, None)
    assert sys.capi_run_zz == 5
    assert m.sys_get("capi_run_zz")[0] == 5
    assert m.sys_set("capi_run_zz", None) == (0, None)  # NULL deletes
    assert not hasattr(sys, "capi_run_zz")
    assert m.sys_set("capi_run_zz", None) == (0, None)  # absent: no error


# ---- PySys_Write* / Format* ----------------------------------------------

def test_sys_write(capsys):
    assert m.sys_write(0, "out %s %ld\n", "abc", 42) is True
    assert m.sys_write(1, "err %s %ld\n", "abc", -7) is True
    assert m.sys_write(2, "fmt %s %ld\n", "d\u00e9f", 1) is True
    assert m.sys_write(3, "fmte %s %ld\n", "ghi", 2) is True
    out, err = capsys.readouterr()
    assert out == "out abc 42\nfmt d\u00e9f 1\n"
    assert err == "err abc -7\nfmte ghi 2\n"


def test_sys_write_truncates_to_1000_bytes(capsys):
    m.sys_write(0, "%s%ld\n", "x" * 1200, 1)
    m.sys_write(2, "%s%ld\n", "y" * 1200, 1)  # Format* does not truncate
    out, _ = capsys.readouterr()
    assert out == "x" * 1000 + "... truncated" + "y" * 1200 + "1\n"


# ---- audit hooks ---------------------------------------------------------

def test_audit_hooks():
    assert m.add_hook() == (0, None)
    n = len(m.audit_log())
    assert m.audit("capi_run.a", 0) == (0, None)
    assert m.audit("capi_run.b", 1) == (0, None)
    assert m.audit("capi_run.c", 2) == (0, None)  # a non-tuple becomes a 1-tuple
    assert m.audit("capi_run.d", 3) == (0, None)
    assert m.audit_tuple("capi_run.e", (1, 2)) == (0, None)
    assert m.audit_tuple("capi_run.f", None) == (0, None)
    r, e = m.audit_tuple("capi_run.g", [1])
    assert r == -1 and type(e) is TypeError and str(e) == "args must be tuple, got list"
    r, e = m.audit("capi_run.veto", 0)
    assert r == -1 and type(e) is ValueError and str(e) == "vetoed by C hook"
    sys.audit("capi_run.py", 1, "two")  # Python's sys.audit reaches C hooks too
    with pytest.raises(ValueError, match="vetoed by C hook"):
        sys.audit("capi_run.veto")
    assert m.audit_log()[n:] == [
        ("capi_run.a", (), 42), ("capi_run.b", (7, "x"), 42), ("capi_run.c", (7,), 42),
        ("capi_run.d", (), 42), ("capi_run.e", (1, 2), 42), ("capi_run.f", (), 42),
        ("capi_run.py", (1, "two"), 42),
    ]


def test_audit_reaches_python_hooks():
    seen = []

    def hook(event, args):
        if event.startswith("capi_run.h"):
            seen.append((event, args))
    sys.addaudithook(hook)
    assert m.audit("capi_run.h1", 1) == (0, None)
    assert m.audit_tuple("capi_run.h2", ("a",)) == (0, None)
    assert seen == [("capi_run.h1", (7, "x")), ("capi_run.h2", ("a",))]


# ---- warn options / X options / path / argv ------------------------------

def test_warn_options():
    saved = list(sys.warnoptions)
    try:
        assert m.warn(3, None) == (0, None)  # ResetWarnOptions
        assert sys.warnoptions == [] and m.warn(2, None) == (0, None)
        assert m.warn(0, "ignore::DeprecationWarning") == (0, None)
        assert m.warn(1, "error") == (0, None)
        assert sys.warnoptions == ["ignore::DeprecationWarning", "error"]
        assert m.warn(2, None) == (1, None)
        assert m.warn(3, None) == (0, None)
        assert sys.warnoptions == [] and m.warn(2, None) == (0, None)
    finally:
        sys.warnoptions[:] = saved


def test_x_options():
    saved = dict(sys._xoptions)
    try:
        assert m.warn(4, "capi_run_flag") == (0, None)
        assert m.warn(4, "capi_run_k=v=1") == (0, None)
        assert sys._xoptions["capi_run_flag"] is True
        assert sys._xoptions["capi_run_k"] == "v=1"
        x, _delta = m.xoptions()
        # Borrowed (CPython 3.13 leaks a reference here, so the delta is not compared).
        assert x is sys._xoptions
    finally:
        sys._xoptions.clear()
        sys._xoptions.update(saved)


def test_set_path():
    saved = list(sys.path)
    try:
        assert m.warn(5, "/a:/b::c") == (0, None)
        assert sys.path == ["/a", "/b", "", "c"]
    finally:
        sys.path = saved


def test_set_argv(tmp_path):
    saved_path, saved_argv = list(sys.path), list(sys.argv)
    script = tmp_path / "prog.py"
    script.write_text("")
    try:
        m.set_argv(["prog.py", "x"], 0)
        assert sys.argv == ["prog.py", "x"] and sys.path == saved_path
        m.set_argv(None, 0)
        assert sys.argv == [""]
        m.set_argv([str(script), "a"], 1)
        assert sys.argv == [str(script), "a"]
        assert sys.path[0] == os.path.realpath(str(tmp_path))
        del sys.path[0]
        m.set_argv(["-c"], -1)  # PySys_SetArgv updates the path
        assert sys.argv == ["-c"] and sys.path[0] == ""
        del sys.path[0]
        m.set_argv(["-m"], 1)
        assert sys.path[0] == os.getcwd()
        del sys.path[0]
        m.set_argv([], 1)
        assert sys.argv == [""] and sys.path[0] == ""
        del sys.path[0]
        m.set_argv(["nodir_zz.py"], 1)
        assert sys.path[0] == ""
        del sys.path[0]
        assert sys.path == saved_path
    finally:
        sys.path[:] = saved_path
        sys.argv[:] = saved_argv


# ---- marshal -------------------------------------------------------------

OBJ = {"a": [1, 2.5, (3, "x")], "b": b"y", "c": None, "d": {1, 2}, "e": 10 ** 30, "f": frozenset({True})}


def test_marshal_strings():
    b, e = m.m_dumps(OBJ, 4)
    assert e is None and b == marshal.dumps(OBJ, 4)
    assert marshal.loads(b) == OBJ
    assert m.m_loads(marshal.dumps(OBJ)) == (OBJ, None)
    r, e = m.m_loads(b"")
    assert r is None and type(e) is EOFError
    r, e = m.m_loads(b"\x00")
    assert r is None and type(e) is ValueError and str(e).startswith("bad marshal data")
    r, e = m.m_dumps(object(), 4)
    assert r is None and type(e) is ValueError and str(e) == "unmarshallable object"


def test_marshal_code_round_trip():
    co = compile("X = 6 * 7", "f.py", "exec")
    b, _ = m.m_dumps(co, 4)
    for back in (m.m_loads(b)[0], marshal.loads(b)):
        g = {}
        exec(back, g)
        assert g["X"] == 42


def test_marshal_files(tmp_path):
    p = str(tmp_path / "m.bin")
    assert m.m_write(p, [("l", 0x01020304), ("l", -2), ("o", OBJ, 4), ("o", "tail", 2)]) is True
    data = open(p, "rb").read()
    assert data[:8] == b"\x04\x03\x02\x01\xfe\xff\xff\xff"
    end_obj = 8 + len(marshal.dumps(OBJ, 4))
    assert data == data[:8] + marshal.dumps(OBJ, 4) + marshal.dumps("tail", 2)
    assert m.m_read(p, "lloo") == [
        (0x01020304, None, 4), (-2, None, 8), (OBJ, None, end_obj), ("tail", None, len(data))]
    assert m.m_read(p, "ss") == [(0x0304, None, 2), (0x0102, None, 4)]
    # ReadLastObjectFromFile reads the rest of the file
    assert m.m_read(p, "llO") == [(0x01020304, None, 4), (-2, None, 8), (OBJ, None, len(data))]
    v, e, pos = m.m_read(p, "llooo")[-1]
    assert v is None and type(e) is EOFError and pos == len(data)
    open(p, "wb").write(b"\x01")
    v, e, pos = m.m_read(p, "s")[0]
    assert v == -1 and type(e) is EOFError and str(e) == "EOF read where not expected"
    v, e, pos = m.m_read(p, "l")[0]
    assert v == -1 and type(e) is EOFError
    # an unmarshallable object writes TYPE_UNKNOWN and raises nothing
    assert m.m_write(p, [("o", object(), 4)]) is True
    assert open(p, "rb").read() == b"?"


# ---- import --------------------------------------------------------------

def test_get_module():
    assert m.get_module("sys") == (sys, None, False)
    assert m.get_module("capi_run_absent_zz") == (None, None, True)
    assert m.get_module(5) == (None, None, True)  # any key: absent, no error


@pytest.mark.parametrize("which", [0, 1, 2])
def test_add_module(which):
    name = f"capi_run_newmod{which}"
    mod, e, delta = m.add_module(which, name)
    assert e is None and type(mod) is types.ModuleType and mod.__name__ == name
    assert sys.modules[name] is mod
    assert sorted(vars(mod)) == ["__doc__", "__loader__", "__name__", "__package__", "__spec__"]
    assert delta == (1 if which == 2 else 0)  # AddModuleRef: new; the others borrowed
    assert m.add_module(which, "sys")[0] is sys
    sys.modules["capi_run_notmod"] = 42  # not a module: replaced
    mod2 = m.add_module(which, "capi_run_notmod")[0]
    assert type(mod2) is types.ModuleType and sys.modules["capi_run_notmod"] is mod2
    del sys.modules[name], sys.modules["capi_run_notmod"]


def test_import_module_level():
    assert m.import_level(0, "os.path", None, None, None, 0) == (os, None)
    assert m.import_level(1, "os.path", None, None, ["join"], 0) == (os.path, None)
    pkg = {"__name__": "json.decoder", "__package__": "json"}
    import json.decoder
    assert m.import_level(1, "decoder", pkg, None, None, 1) == (json.decoder, None)
    r, e = m.import_level(1, None, None, None, None, 0)
    assert type(e) is ValueError and str(e) == "Empty module name"
    r, e = m.import_level(1, 5, None, None, None, 0)
    assert type(e) is TypeError and str(e) == "module name must be a string"
    r, e = m.import_level(1, "os", None, None, None, -1)
    assert type(e) is ValueError and str(e) == "level must be >= 0"
    r, e = m.import_level(1, "", None, None, None, 0)
    assert type(e) is ValueError and str(e) == "Empty module name"
    r, e = m.import_level(1, "capi_run_nope_zz", None, None, None, 0)
    assert type(e) is ModuleNotFoundError and str(e) == "No module named 'capi_run_nope_zz'"


def test_import_module_no_block():
    import json
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert m.import_level(2, "json", None, None, None, 0) == (json, None)
    assert [x.category for x in w] == [DeprecationWarning]
    assert "PyImport_ImportModuleNoBlock() is deprecated" in str(w[0].message)


@pytest.mark.skipif(sys.version_info < (3, 14), reason="PyImport_ImportModuleAttr* are new in 3.14")
def test_import_module_attr():
    assert m.import_attr(0, "os.path", "join") == (os.path.join, None)
    assert m.import_attr(1, "os", "sep") == (os.sep, None)
    r, e = m.import_attr(0, "os", "capi_run_nope_zz")
    assert type(e) is AttributeError
    r, e = m.import_attr(1, "capi_run_nope_zz", "x")
    assert type(e) is ModuleNotFoundError


@pytest.mark.parametrize("which", [0, 1, 2, 3])
def test_exec_code_module(which):
    tag = sys.implementation.cache_tag
    cpath = f"/tmp/__pycache__/src.{tag}.pyc"
    co = compile("X = 42\nNAME = __name__\n", "orig.py", "exec")
    name = f"capi_run_exec{which}"
    if which >= 2:
        args = (name, co, "/tmp/src.py", cpath)
    else:
        args = (name, co, "/tmp/src.py" if which == 1 else None, None)
    mod, e = m.exec_code(which, *args)
    assert e is None and sys.modules[name] is mod
    assert (mod.X, mod.NAME) == (42, name)
    assert mod.__file__ == ("orig.py" if which == 0 else "/tmp/src.py")
    assert mod.__cached__ == (cpath if which >= 2 else None)
    assert type(mod.__loader__).__name__ == "SourceFileLoader"
    assert mod.__spec__.name == name
    assert mod.__spec__.origin == os.path.abspath(mod.__file__)
    del sys.modules[name]


def test_exec_code_module_errors():
    bad = compile("1/0", "b.py", "exec")
    for which in (0, 3):
        name = f"capi_run_bad{which}"
        r, e = m.exec_code(which, name, bad, None, None)
        assert r is None and type(e) is ZeroDivisionError
        assert name not in sys.modules  # removed again, as CPython


def test_reload_module():
    import json
    assert m.reload(json) == (json, None)
    r, e = m.reload(5)
    assert type(e) is TypeError and str(e) == "reload() argument must be a module"


def test_get_importer():
    d = os.path.dirname(os.__file__)
    imp, e = m.get_importer(d)
    assert e is None and imp is sys.path_importer_cache[d]
    missing = "/capi_run/nonexistent/zz"
    assert m.get_importer(missing) == (None, None)
    r, e = m.get_importer(5)
    assert type(e) is TypeError


def test_magic():
    number, tag = m.magic()
    # each interpreter's own .pyc format
    assert number == int.from_bytes(importlib.util.MAGIC_NUMBER, "little")
    assert tag == sys.implementation.cache_tag


@pytest.mark.parametrize("which", [0, 1])
def test_import_frozen_module(which, capfd):
    assert m.frozen(which, "capi_run_absent_zz") == (0, None)
    sys.modules.pop("__hello__", None)
    assert m.frozen(which, "__hello__") == (1, None)
    mod = sys.modules["__hello__"]
    assert mod.initialized is True
    del sys.modules["__hello__"]
