"""C-API family group 'code', exercised through tests/ext/capi_code on pyfacade
and on CPython 3.13 (the oracle): the same assertions must hold on both."""
import builtins
import sys
import traceback

import pytest

import capi_code as m


def bad_internal_call(e):
    # CPython's PyErr_BadInternalCall prefixes "<file>:<line>: ".
    return e[0] == "SystemError" and e[1].endswith("bad argument to internal function")


def test_loads():
    assert m.ping() is True


# ---- code objects -------------------------------------------------------------------


def test_code_new_empty():
    co = m.code_new_empty("f.py", "fn", 7)
    assert type(co) is type(test_loads.__code__)
    assert (co.co_filename, co.co_name, co.co_qualname, co.co_firstlineno) == ("f.py", "fn", "fn", 7)
    assert (co.co_argcount, co.co_varnames, co.co_freevars, co.co_cellvars) == (0, (), (), ())


def test_code_new_with_posonly_args():
    co = m.code_new(1, ("a", "b", "c", "d"), "f.py", "nm", "Q.nm", 3, False)
    assert co.co_varnames == ("a", "b", "c", "d")
    assert (co.co_argcount, co.co_posonlyargcount, co.co_kwonlyargcount, co.co_nlocals) == (2, 1, 1, 4)
    assert (co.co_name, co.co_qualname, co.co_filename, co.co_firstlineno) == ("nm", "Q.nm", "f.py", 3)
    assert co.co_flags & 3 == 3
    # PyUnstable_Code_New: no positional-only arguments.
    assert m.code_new(-1, ("a", "b", "c", "d"), "f.py", "nm", "Q.nm", 3, False).co_posonlyargcount == 0
    # A list for varnames: PyErr_BadInternalCall.
    assert bad_internal_call(m.code_new(1, ("a", "b", "c", "d"), "f.py", "nm", "Q.nm", 3, True))


def test_code_parts():
    def g(a, b=1, *, c):
        x = a

        def inner():
            return x

        return inner

    co = g.__code__
    code, varnames, cellvars, freevars, line, loc, optimize_same = m.code_parts(co)
    assert code == co.co_code and isinstance(code, bytes)
    assert varnames == co.co_varnames == ("a", "b", "c", "inner")
    assert cellvars == co.co_cellvars == ("x",)
    assert freevars == ()
    assert m.code_parts(g(1, c=2).__code__)[3] == ("x",)
    # Offset -1: the first line; Addr2Location gives columns 0.
    assert line == co.co_firstlineno
    assert loc == (1, co.co_firstlineno, 0, co.co_firstlineno, 0)
    assert optimize_same is True
    # An instruction inside the body maps to a line of the function.
    lines = {m.addr2line(co, 2 * i) for i in range(8)} - {-1}
    assert lines and all(co.co_firstlineno <= ln <= co.co_firstlineno + 6 for ln in lines)


def test_code_watcher():
    wid, events, clear, clear2, err2, clear3, err3 = m.code_watch()
    assert 0 <= wid < 8
    assert events == [0]  # PY_CODE_EVENT_CREATE for the PyCode_NewEmpty code
    assert clear == 0
    assert (clear2, err2) == (-1, ("ValueError", f"No code watcher set for ID {wid}"))
    assert (clear3, err3) == (-1, ("ValueError", "Invalid code watcher ID 99"))


def test_code_extra():
    co = m.code_new_empty("x.py", "x", 1)
    before, s1, got, s2, freed, bad, bad_e, g2, unset_is_null, nfreed = m.code_extra(co)
    assert before == 0 and s1 == 0 and got == 0x1234 and s2 == 0
    # Replacing a value frees the old one with the index's free function.
    assert (freed, nfreed) == (0x1234, 1)
    assert bad == -1 and bad_internal_call(bad_e)
    assert (g2, unset_is_null) == (0, 1)


def test_stack_effect_invalid_opcode():
    # PY_INVALID_STACK_EFFECT (INT_MAX) for an opcode CPython does not know.
    assert m.stack_effect() == (2**31 - 1, 2**31 - 1)


# ---- frames and tracebacks -------------------------------------------------------------


def test_traceback_here_cython_style():
    g = {"__name__": "cymod"}
    with pytest.raises(ValueError, match="boom") as ei:
        m.raise_here("foo.pyx", "myfunc", 42, 42, g)
    tb = ei.value.__traceback__
    while tb.tb_next:
        tb = tb.tb_next
    assert tb.tb_frame.f_code.co_filename == "foo.pyx"
    assert tb.tb_frame.f_code.co_name == "myfunc"
    assert tb.tb_lineno == 42
    assert tb.tb_frame.f_lineno == 42
    assert tb.tb_frame.f_globals is g
    text = "".join(traceback.format_exception(ei.value))
    assert 'File "foo.pyx", line 42, in myfunc' in text


def test_traceback_here_chains_entries():
    g = {"__name__": "cymod"}

    def outer():
        m.raise_here("bar.pyx", "inner_c", 7, 7, g)

    with pytest.raises(ValueError) as ei:
        outer()
    entries = traceback.extract_tb(ei.value.__traceback__)
    assert [(e.filename, e.name, e.lineno) for e in entries[-1:]] == [("bar.pyx", "inner_c", 7)]
    assert entries[-2].name == "outer"


def test_frame_new():
    co = m.code_new_empty("f.py", "fn", 7)
    g = {"__name__": "zz"}
    f, code_same, globals_same, builtins_dict, loc, line, delta = m.frame_new(co, g, None)
    assert type(f) is type(sys._getframe())
    assert f.f_code is co and code_same and globals_same and builtins_dict
    assert f.f_globals is g
    assert loc == {}
    assert line == 7 == f.f_lineno
    assert delta == 1  # PyFrame_GetCode: a new reference
    assert m.frame_new(co, g, {"q": 1})[4] == {"q": 1}
    assert bad_internal_call(m.frame_new_bad(co, [1]))


def test_current_frame():
    def h():
        x = 5  # noqa: F841
        return m.current_frame(), sys._getframe()

    r, me = h()
    f, code, back, line, lasti_ok, loc, globals_same, ftl, delta, icode, iline, ilasti_ok = r
    assert f is me and code is h.__code__ and back is me.f_back
    assert line == h.__code__.co_firstlineno + 2
    assert lasti_ok and globals_same
    assert loc["x"] == 5
    assert ftl == 0
    assert delta == 0  # PyEval_GetFrame: borrowed
    assert icode is h.__code__ and iline == line and ilasti_ok


def test_frame_back_of():
    f = sys._getframe()
    assert m.frame_back_of(f) == (f.f_back, False)


def test_frame_vars():
    def vv():
        a = 1
        b = "x"  # noqa: F841
        return m.frame_vars(("a", "b", "zz", 5))

    assert vv() == [1, "x", ("NameError", "variable 'zz' does not exist"), ("TypeError", "name must be str, not int"), 1]


def test_frame_generator():
    def gen():
        yield m.frame_generator()

    g = gen()
    assert next(g) is g
    assert m.frame_generator() is None


# ---- evaluation ---------------------------------------------------------------------


def test_eval_scope():
    def sc():
        y = 2  # noqa: F841
        return m.eval_scope()

    b, g, loc, fb, fg, floc, d_borrowed, d_new = sc()
    assert b is builtins.__dict__ and fb is builtins.__dict__
    assert g is globals() and fg is globals()
    assert loc == {"y": 2} and floc == {"y": 2}
    assert d_borrowed == 0  # PyEval_GetGlobals: borrowed
    assert d_new == 1  # PyEval_GetFrameGlobals: new


def test_eval_code():
    g = {}
    assert m.eval_code(compile("x = 1 + 2", "s", "exec"), g, None) is None
    assert g["x"] == 3
    assert m.eval_code(compile("a * 2", "s", "eval"), {"a": 21}, None) == 42
    loc = {}
    assert m.eval_code(compile("y = 3", "s", "exec"), {}, loc) is None
    assert loc == {"y": 3}
    assert m.eval_code(compile("1/0", "s", "eval"), {}, None)[0] == "ZeroDivisionError"


def test_eval_code_ex():
    def f3(a, b=2, *, c=3):
        return (a, b, c)

    assert m.eval_code_ex(f3.__code__, {}, (1,), {}, (2,), {"c": 3}) == (1, 2, 3)
    assert m.eval_code_ex(f3.__code__, {}, (1, 5), {"c": 9}, (), None) == (1, 5, 9)
    g = {"k": 10}
    assert m.eval_code_ex(compile("k + 1", "s", "eval"), g, (), {}, (), None) == 11


def kw(*a, **k):
    return (a, k)


class O:
    def method(self, x):
        return ("m", x)


def test_call_object_with_keywords():
    assert m.call_kw(kw, (1,), {"k": 2}) == ((1,), {"k": 2})
    assert m.call_kw(kw, None, None) == ((), {})
    assert m.call_kw(kw, [1], None) == ("TypeError", "argument list must be a tuple")
    assert m.call_kw(kw, (), [1]) == ("TypeError", "keyword list must be a dictionary")


def test_call_function_and_method_formats():
    assert m.call_fmt(kw, O()) == (((7, "x"), {}), ("m", 5))


def test_cfunction_call():
    assert m.call_cfunction(kw, (1,), None) == ((1,), {})
    assert m.call_cfunction(kw, (), {"z": 1}) == ((), {"z": 1})
    assert m.call_cfunction(m.ping, (), None) is True


def test_func_name_and_desc():
    got = [m.func_name(x) for x in (kw, len, int, 5, O().method, O)]
    assert got == [("kw", "()"), ("len", "()"), ("type", " object"), ("int", " object"), ("method", "()"), ("type", " object")]


def test_merge_compiler_flags():
    # This module has no __future__ imports.
    assert m.merge_flags(0) == (0, 0)
    assert m.merge_flags(1) == (1, 1)


def test_recursion_guard():
    depth, err, balanced = m.recursion()
    assert depth > 1000
    assert err == ("RecursionError", "maximum recursion depth exceeded in probe")
    assert balanced == 1


def test_recursion_limit():
    old = sys.getrecursionlimit()
    assert m.recursion_limit(old + 100) == (old, old + 100)
    assert sys.getrecursionlimit() == old


# ---- functions, methods -------------------------------------------------------------


def test_function_new():
    def tmpl(a, b):
        return a + b

    g = {"__name__": "modx"}
    f, events, clear, clear2, err2, clear3, err3 = m.func_new(tmpl.__code__, g, None)
    assert type(f) is type(tmpl)
    assert f.__code__ is tmpl.__code__ and f.__globals__ is g
    assert f.__name__ == "tmpl" and f.__qualname__ == tmpl.__code__.co_qualname
    assert f.__module__ == "modx"
    assert f.__defaults__ == (1,) and f(2) == 3
    assert events == [0, 3]  # CREATE, then MODIFY_DEFAULTS
    assert clear == 0 and clear2 == -1 and err2[0] == "ValueError" and err2[1].startswith("no func watcher set for ID")
    assert (clear3, err3) == (-1, ("ValueError", "invalid func watcher ID -1"))
    f2 = m.func_new(tmpl.__code__, g, "Outer.tmpl")[0]
    assert f2.__qualname__ == "Outer.tmpl"


def test_function_getters():
    def fa(a, b=1, *, c=2):
        return a

    code, g, mod, defaults, kwdefaults, closure, ann, delta = m.func_get(fa)
    assert code is fa.__code__ and g is globals() and mod == __name__
    assert defaults == (1,) and kwdefaults == {"c": 2}
    assert closure is None and ann is None
    assert delta == 0  # borrowed

    x = 1

    def fb(p: int) -> str:
        return x

    r = m.func_get(fb)
    assert r[3] is None and r[4] is None
    assert len(r[5]) == 1 and r[5][0].cell_contents == 1
    assert r[6] == {"p": int, "return": str}
    assert bad_internal_call(m.func_get(len))


def test_function_setters():
    def fs(a, *, k):
        return (a, k)

    assert m.func_set(fs, "defaults", (5,)) == 0 and fs.__defaults__ == (5,)
    assert m.func_set(fs, "defaults", None) == 0 and fs.__defaults__ is None
    assert m.func_set(fs, "defaults", [1]) == ("SystemError", "non-tuple default args")
    assert m.func_set(fs, "kwdefaults", {"k": 3}) == 0 and fs(1) == (1, 3)
    assert m.func_set(fs, "kwdefaults", [1]) == ("SystemError", "non-dict keyword only default args")
    assert m.func_set(fs, "annotations", {"a": int}) == 0 and fs.__annotations__ == {"a": int}
    assert m.func_set(fs, "annotations", 5) == ("SystemError", "non-dict annotations")
    assert m.func_set(fs, "closure", None) == 0 and fs.__closure__ is None
    assert m.func_set(fs, "closure", 5) == ("SystemError", "expected tuple for closure, got 'int'")
    # NULL is not None: an error, as CPython's.
    assert m.func_set(fs, "defaults", ...) == ("SystemError", "non-tuple default args")
    assert bad_internal_call(m.func_set(len, "defaults", None))


def test_classmethod_staticmethod_instancemethod():
    def fm(self_or_cls, x=0):
        "fm doc"
        return (self_or_cls, x)

    cm, sm, im, im_func_same, im_type_same = m.wrap_methods(fm)
    assert type(cm) is classmethod and cm.__func__ is fm
    assert type(sm) is staticmethod and sm.__func__ is fm
    assert im_func_same and im_type_same
    assert type(im).__name__ == "instancemethod"
    assert im.__func__ is fm and im.__doc__ == "fm doc" and im.__name__ == "fm"
    assert im(1, 2) == (1, 2)

    class K:
        c = cm
        s = sm
        i = im

    k = K()
    assert K.c(3) == (K, 3) and K.s(4, 5) == (4, 5)
    assert k.i(6) == (k, 6)
    assert K.i is fm
    # Only instancemethod(...) from Python checks the function is callable.
    assert m.wrap_methods(5)[2].__func__ == 5
    with pytest.raises(TypeError, match="first argument must be callable"):
        type(im)(5)


def test_method_new():
    def fm(self, x):
        return (self, x)

    o = O()
    meth, func, slf = m.method_new(fm, o)
    assert type(meth) is type(o.method)
    assert meth(1) == (o, 1)
    assert func is fm and slf is o
    assert bad_internal_call(m.method_new(fm, None))
    a, b = m.method_parts(5)
    assert bad_internal_call(a) and bad_internal_call(b)
    a, b = m.method_parts(o.method)
    assert a is O.method and bad_internal_call(b)


def test_cfunction_parts():
    assert m.cfunction_parts(m.ping) == (True, 0x0004, m)  # METH_NOARGS, self: the module
    assert m.cfunction_parts(m.func_name) == (True, 0x0008, m)[0:0] or m.cfunction_parts(m.func_name)[1:] == (0x0008, m)
    r = m.cfunction_parts(kw)
    assert all(bad_internal_call(e) for e in r)


# ---- cells, generators ----------------------------------------------------------------


def test_cells():
    a, b, after_clear, empty_new, cell = m.cells("v")
    assert (a, b, after_clear, empty_new) == ("v", 7, None, None)
    assert type(cell).__name__ == "cell"
    with pytest.raises(ValueError):
        cell.cell_contents
    ga, sa = m.cell_bad(5)
    assert bad_internal_call(ga) and bad_internal_call(sa)


def test_gen_get_code():
    def gen():
        yield 1

    g = gen()
    assert m.gen_code(g) is gen.__code__


# ---- descriptors, members ---------------------------------------------------------------


def test_descriptors():
    class K:
        pass

    dm, dc, dg, dw, isdata, native, dmem = m.descriptors(K)
    K.meth, K.cmeth, K.gs, K.__wrapped_call__ = dm, dc, dg, dw
    k = K()
    assert k.meth(5) == (k, 5)
    assert K.cmeth(6) == (K, 6) and k.cmeth(7) == (K, 7)
    assert k.gs == 42
    k.gs = 43
    assert k.gs == 43
    assert k.__wrapped_call__(1, 2) == (k, (1, 2), 1)
    assert isdata == (0, 0, 1, 0, 1)
    bound = m.wrapper_new(dw, k)
    assert bound(3) == (k, (3,), 1)
    n = native()
    assert n.x == 0
    n.x = 9
    assert n.x == 9
    assert dmem.__name__ == "x"


def test_member_get_set_one():
    assert m.member_get("i") == 0
    assert m.member_set("i", 5) == 0 and m.member_get("i") == 5
    assert m.member_set("i", "x") == ("TypeError", "'str' object cannot be interpreted as an integer")
    assert m.member_set("i", 2**64) == ("OverflowError", "Python int too large to convert to C long")
    assert m.member_set("i", ...) == ("TypeError", "can't delete numeric/char attribute")
    assert m.member_set("ro", 1) == ("AttributeError", "readonly attribute")
    assert m.member_get("ro") == 5
    assert m.member_set("d", 2.5) == 0 and m.member_get("d") == 2.5
    assert m.member_set("ll", -(2**40)) == 0 and m.member_get("ll") == -(2**40)
    assert m.member_get("c") == "x"
    assert m.member_set("c", "y") == 0 and m.member_get("c") == "y"
    assert m.member_set("c", "yz")[0] == "TypeError"
    assert m.member_set("b", 1) == ("TypeError", "attribute value type must be bool")
    assert m.member_set("b", True) == 0 and m.member_get("b") is True
    assert m.member_get("s") == "text"
    assert m.member_set("s", "t") == ("TypeError", "readonly attribute")
    assert m.member_get("none") is None
    assert m.member_get("o") == ("AttributeError", "'int' object has no attribute 'o'")
    v = object()
    assert m.member_set("o", v) == 0 and m.member_get("o") is v
    assert m.member_set("o", ...) == 0
    assert m.member_set("o", ...) == ("AttributeError", "o")
