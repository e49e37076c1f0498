"""C-API family group 'scalars', exercised through tests/ext/capi_scalars on pyfacade
and on CPython 3.13 (the oracle): the same assertions must hold on both.
Functions CPython added in 3.14 are looked up at run time: the probe returns
None for them on 3.13, and the tests check that only there."""
import contextvars
import gc
import io
import math
import os
import struct
import sys
import tempfile
import time
import types
import warnings
import weakref

import pytest

import capi_scalars as m

PY314 = sys.version_info >= (3, 14)


def test_loads():
    assert m.infos() is not None


# ---- floats ------------------------------------------------------------------------


@pytest.mark.parametrize("x", [0.0, -0.0, 1.5, -2.25, 1e-300, 3.4e38, 1e300, math.inf, -math.inf, 5e-324])
def test_pack8_and_4_agree_with_struct(x):
    for le, order in ((0, ">"), (1, "<")):
        assert m.float_pack(8, x, le) == struct.pack(order + "d", x)
        assert m.float_unpack(struct.pack(order + "d", x), le) == x or math.isnan(x)
        if abs(x) < 3.5e38 or math.isinf(x):
            assert m.float_pack(4, x, le) == struct.pack(order + "f", x)


def test_pack2_rounding_and_limits():
    assert m.float_pack(2, 1.5, 0) == b">\x00"
    assert m.float_pack(2, 1.5, 1) == b"\x00>"
    assert m.float_pack(2, 65504.0, 0) == b"{\xff"
    assert m.float_pack(2, 65519.0, 0) == b"{\xff"  # rounds down to the largest half
    assert m.float_pack(2, 2**-24, 1) == b"\x01\x00"  # smallest subnormal
    assert m.float_pack(2, -0.0, 0) == b"\x80\x00"
    assert m.float_pack(2, math.inf, 0) == b"|\x00"
    assert m.float_pack(2, 1.0009765625 + 2**-11, 0) == b"<\x02"  # tie: round half to even
    assert m.float_pack(2, math.nan, 0) == b"~\x00"
    for x in (1.0, -3.5, 0.1, 1e-5, 60000.0):
        assert m.float_pack(2, x, 0) == struct.pack(">e", x)


def test_pack_overflow():
    with pytest.raises(OverflowError, match="float too large to pack with e format"):
        m.float_pack(2, 65520.0, 0)
    with pytest.raises(OverflowError, match="float too large to pack with f format"):
        m.float_pack(4, 1e300, 0)


def test_unpack_and_nan_bits():
    assert m.float_unpack(b"\x3c\x00", 0) == 1.0
    assert m.float_unpack(b"\x00\x00\xc0\x3f", 1) == 1.5
    assert m.float_unpack(b"\x00\x01", 0) == 2**-24
    assert m.float_unpack(b"|\x00", 0) == math.inf
    assert m.float_unpack(b"\xfc\x00", 0) == -math.inf
    assert m.float_pack(4, math.nan, 0) == b"\x7f\xc0\x00\x00"
    # A NaN's sign survives a round trip; a signalling float NaN stays signalling
    # through the double, and comes back quiet only as CPython's conversion does.
    assert m.float_pack(4, m.float_unpack(b"\xff\xc0\x00\x00", 0), 0) == b"\xff\xc0\x00\x00"
    # 3.14 keeps a signalling NaN signalling through Pack4 (3.13 quietened it).
    snan = b"\x7f\xa0\x00\x00" if PY314 else b"\x7f\xe0\x00\x00"
    assert m.float_pack(4, m.float_unpack(b"\x7f\xa0\x00\x00", 0), 0) == snan
    assert math.isnan(m.float_unpack(b"\x7e\x00", 0))


def test_info():
    fi, li = m.infos()
    assert fi == sys.float_info and type(fi) is type(sys.float_info)
    assert li == sys.int_info


# ---- ints ---------------------------------------------------------------------------


def test_void_ptr():
    assert m.voidptr(123) == 123
    assert m.voidptr(-1) == 2**64 - 1
    assert m.voidptr(2**64 - 1) == 2**64 - 1
    with pytest.raises(OverflowError):
        m.voidptr(2**64)
    with pytest.raises(TypeError, match="an integer is required"):
        m.voidptr("x")


def test_sign_predicates():
    r = m.long_sign(5)
    if r is None:
        assert not PY314
        return
    assert r == (1, 0, 0, 1)
    assert m.long_sign(-2**100) == (0, 1, 0, -1)
    assert m.long_sign(0) == (0, 0, 1, 0)
    assert m.long_sign(True) == (1, 0, 0, 1)
    with pytest.raises(TypeError, match="int, got str"):
        m.long_sign("x")


def test_compact():
    assert m.compact(5) == (1, 5)
    assert m.compact(-7) == (1, -7)
    assert m.compact(0) == (1, 0)
    assert m.compact(True) == (1, 1)
    assert m.compact(2**30 - 1) == (1, 2**30 - 1)
    assert m.compact(2**30)[0] == 0
    assert m.compact(-2**40) == (0, None)


def test_is_checks():
    assert m.is_checks(True) == (1, 0, 0)
    assert m.is_checks(False) == (0, 1, 0)
    assert m.is_checks(None) == (0, 0, 1)
    assert m.is_checks(1) == (0, 0, 0)


# ---- hashing --------------------------------------------------------------------------


def test_hash_pointer_rotates_by_4():
    for p in (0x1234560, 0x7F00DEADBEE0, 16):
        expected = ((p >> 4) | (p << 60)) & (2**64 - 1)
        if expected >= 2**63:
            expected -= 2**64
        assert m.hash_pointer(p) == expected
    assert m.hash_pointer(0) == 0
    assert m.hash_pointer(0xFFFFFFFFFFFFFFFF) == -2  # -1 is reserved for errors


def test_hash_buffer_and_funcdef():
    for data in (b"abc", b"", b"x" * 100):
        hb, fh, name, hash_bits, seed_bits = m.hash_buffer(data)
        assert hb is None and not PY314 or hb == hash(data)
        if data:  # the raw function does not special-case the empty buffer
            assert fh == hash(data)
        assert name == sys.hash_info.algorithm
        assert hash_bits == sys.hash_info.hash_bits
        assert seed_bits == sys.hash_info.seed_bits


# ---- bytes --------------------------------------------------------------------------


def test_bytes_from_format():
    ints, strs, ptr, unknown, err = m.bytes_format()
    assert ints == b"-5|7|-9|11|-13|15|17|ff|%"
    assert strs == b"[hello][abc][xy][\xc8]"  # width ignored, precision limits %s
    assert ptr == b"0x1234"
    assert unknown == b"a%qb %d"  # an unknown unit copies the rest verbatim
    assert err == (OverflowError, "PyBytes_FromFormatV(): %c format expects an integer in range [0; 255]")


def test_decode_escape():
    assert m.decode_escape(rb"a\n\x41\\", None) == b"a\nA\\"
    assert m.decode_escape(rb"\x4", "ignore") == b""
    assert m.decode_escape(rb"\x4z", "replace") == b"?z"
    with pytest.raises(ValueError, match=r"invalid \\x escape"):
        m.decode_escape(rb"\x4", None)


def test_bytes_repr():
    assert m.bytes_repr(b"it's", 1) == repr(b"it's") == 'b"it\'s"'
    assert m.bytes_repr(b"it's", 0) == "b'it\\'s'"
    assert m.bytes_repr(b"a\x00\t\xff\\", 1) == repr(b"a\x00\t\xff\\")
    assert m.bytes_repr(b"\"'", 1) == repr(b"\"'")


def test_bytes_join():
    r = m.bytes_join(b",", [b"a", bytearray(b"b"), memoryview(b"c")])
    if r is None:
        assert not PY314
        return
    assert r == b"a,b,c"
    assert m.bytes_join(b"", iter([])) == b""
    with pytest.raises(TypeError):
        m.bytes_join(b",", ["s"])
    with pytest.raises(SystemError):
        m.bytes_join(",", [b"a"])


def test_bytes_from_object():
    assert m.bytes_from_object([1, 2]) == b"\x01\x02"
    assert m.bytes_from_object((3,)) == b"\x03"
    assert m.bytes_from_object(memoryview(b"xy")) == b"xy"
    assert m.bytes_from_object(iter([65])) == b"A"
    b = b"same object"
    assert m.bytes_from_object(b) is b

    class WithBytes:
        def __bytes__(self):
            return b"never used"

    for bad, name in (("s", "str"), (3, "int"), (WithBytes(), "WithBytes")):
        with pytest.raises(TypeError, match=f"cannot convert '{name}' object to bytes"):
            m.bytes_from_object(bad)
    with pytest.raises(ValueError):
        m.bytes_from_object([256])


def test_bytes_concat():
    other = b"cd" * 3
    # (result, refcount delta of w): Concat borrows w, ConcatAndDel steals it.
    assert m.bytes_concat(b"ab", other, 0) == (b"abcdcdcd", 1)
    assert m.bytes_concat(b"ab", other, 1) == (b"abcdcdcd", 0)
    assert m.bytes_concat(b"ab", bytearray(b"z"), 0) == (b"abz", 1)
    bad = ["not", "bytes"]
    assert m.bytes_concat(b"ab", bad, 0) == ((TypeError, "can't concat list to bytes"), 1)
    assert m.bytes_concat(b"ab", bad, 1) == ((TypeError, "can't concat list to bytes"), 0)
    assert m.bytes_concat(b"ab", None, 0) == (None, 0)  # NULL w: *pv cleared


def test_bytearray_concat_and_resize():
    r = m.bytearray_concat(b"a", bytearray(b"b"))
    assert r == bytearray(b"ab") and type(r) is bytearray
    with pytest.raises(TypeError, match="can't concat str to bytes"):
        m.bytearray_concat(b"a", "b")
    ba = bytearray(b"hello")
    assert m.bytearray_resize(ba, 2) is None and ba == bytearray(b"he")
    m.bytearray_resize(ba, 4)
    assert len(ba) == 4 and ba[:2] == b"he"
    view = memoryview(ba)
    with pytest.raises(BufferError):
        m.bytearray_resize(ba, 10)
    view.release()
    if PY314:
        with pytest.raises(ValueError, match="Can only resize to positive sizes, got -1"):
            m.bytearray_resize(ba, -1)


# ---- capsules and modules -------------------------------------------------------------


def test_capsule_set_name_and_destructor():
    before = m.destroyed()
    cap = m.capsule_new()
    name, valid_new, valid_old, destroyed, bad_rc, bad_exc = m.capsule_info(cap)
    assert (name, valid_new, valid_old) == ("renamed.cap", 1, 0)
    assert destroyed == before
    assert (bad_rc, bad_exc) == (-1, ValueError)
    del cap
    gc.collect()
    assert m.destroyed() == before + 1


def test_module_add_type_and_filename():
    mod = types.ModuleType("mm")
    m.module_add_type(mod, dict)
    assert mod.dict is dict
    T = m.ss_newtype()  # a type named "capi_scalars.Rec": added as "Rec"
    m.module_add_type(mod, T)  # (type objects are immortal on pyfacade: no refcount probe)
    assert mod.Rec is T
    mod.__file__ = "/x/y.py"
    assert m.module_filename(mod) == "/x/y.py"
    del mod.__file__
    with pytest.raises(SystemError, match="module filename missing"):
        m.module_filename(mod)
    mod.__file__ = 5
    with pytest.raises(SystemError, match="module filename missing"):
        m.module_filename(mod)


# ---- weak references ---------------------------------------------------------------


class Obj:
    pass


def test_weakref_new_and_get():
    o = Obj()
    r = m.weak_new(o, None, 0)
    assert type(r) is weakref.ref and r() is o
    rc, got, dead = m.weak_get(r)
    assert rc == 1 and got is o
    assert dead == 0 or (dead is None and not PY314)
    obj, delta, same = m.weak_getobject(r)
    assert obj is o and delta == 0 and same == 1  # borrowed: no new reference
    p = m.weak_new(o, None, 1)
    assert isinstance(p, weakref.ProxyType)
    fired = []
    r2 = m.weak_new(o, fired.append, 0)
    del o, obj, got
    gc.collect()
    assert fired == [r2]
    rc, got, dead = m.weak_get(r)
    assert (rc, got) == (0, None)
    assert dead == 1 or (dead is None and not PY314)
    assert m.weak_getobject(r)[0] is None
    assert m.weak_get(p)[:2] == (0, None)


def test_weakref_errors():
    r = m.weak_bad(3)
    assert r == (-1, 1, TypeError, "expected a weakref") or (r[:3] == (-1, 1, TypeError) and r[3].startswith("expected a weakref"))
    with pytest.raises(TypeError, match="cannot create weak reference to 'int' object"):
        m.weak_new(3, None, 0)
    with pytest.raises(SystemError):
        m.weak_getobject(3)


# ---- struct sequences --------------------------------------------------------------------


def test_structseq_type():
    T = m.ss_newtype()
    assert (T.__name__, T.__module__, T.__doc__) == ("Rec", "capi_scalars", "A record.")
    assert T.__mro__ == (T, tuple, object)
    assert (T.n_sequence_fields, T.n_fields, T.n_unnamed_fields) == (3, 4, 1)
    assert T.__match_args__ == ("alpha", "beta")
    assert T.alpha.__doc__ == "first"


def test_structseq_from_c():
    T = m.ss_newtype()
    vals = [["a"], ["b"], ["u"], ["g"]]
    inst, g0, g3, t1, size, stolen = m.ss_new(T, *vals)
    assert g0 is vals[0] and g3 is vals[3] and t1 is vals[1]  # GetItem and PyTuple_GET_ITEM
    assert size == 3 and stolen == 1
    assert type(inst) is T and isinstance(inst, tuple)
    assert tuple(inst) == (["a"], ["b"], ["u"]) and len(inst) == 3
    assert inst.alpha is vals[0] and inst.beta is vals[1] and inst.gamma is vals[3]
    # CPython pairs visible item i with the i-th named field.
    assert repr(inst) == "capi_scalars.Rec(alpha=['a'], beta=['b'], gamma=['u'])"
    assert inst.__reduce__() == (T, ((["a"], ["b"], ["u"]), {"gamma": ["g"]}))
    with pytest.raises(AttributeError):
        inst.alpha = 1


def test_structseq_from_python():
    T = m.ss_newtype()
    x = T((1, 2, 3, 4))
    assert x.gamma == 4 and m.ss_get(x, 3) == 4 and m.ss_get(x, 0) == 1
    assert T((1, 2, 3)).gamma is None
    assert T((1, 2, 3), {"gamma": 9}).gamma == 9
    with pytest.raises(TypeError, match=r"capi_scalars.Rec\(\) takes an at least 3-sequence \(2-sequence given\)"):
        T((1, 2))
    with pytest.raises(TypeError, match=r"takes an at most 4-sequence \(5-sequence given\)"):
        T((1, 2, 3, 4, 5))
    y = T((1, 2, 3, 4))
    assert y == x and hash(y) == hash(x)


def test_structseq_static_type():
    S = m.ss_static()
    assert S is m.ss_static()  # InitType2 fills the static object once
    assert (S.__name__, S.__module__, S.n_fields) == ("Static", "capi_scalars", 4)
    inst = m.ss_new(S, 1, 2, 3, 4)[0]
    assert type(inst) is S and inst.gamma == 4 and tuple(inst) == (1, 2, 3)


# ---- contexts -------------------------------------------------------------------------


def test_context_enter_exit():
    v = contextvars.ContextVar("v", default="dflt")
    ctx = m.ctx_new(0)
    assert type(ctx) is contextvars.Context and len(ctx) == 0
    assert m.ctx_enter(ctx, v, 0) == (0, "dflt")
    assert ctx[v] == "inside" and v.get() == "dflt"
    rc, exc, msg = m.ctx_enter(ctx, v, 1)
    assert (rc, exc) == (-1, RuntimeError) and msg.startswith("cannot enter context:") and msg.endswith("is already entered")
    assert m.ctx_exit_bad(m.ctx_new(0)) == (-1, RuntimeError)
    assert type(m.ctx_new(1)) is contextvars.Context
    v.set("outer")
    cur = m.ctx_new(1)
    assert cur[v] == "outer"
    copy = m.ctx_new(2, ctx)
    assert copy[v] == "inside" and copy is not ctx
    with pytest.raises(TypeError, match="an instance of Context was expected"):
        m.ctx_new(2, 5)


def test_context_vars():
    w = m.cvar_new("w", None)
    w2 = m.cvar_new("w2", [5])
    assert type(w) is contextvars.ContextVar and w.name == "w"
    assert m.cvar_get(w, None) == (0, None)
    assert m.cvar_get(w, 9) == (0, 9)
    assert m.cvar_get(w2, None) == (0, [5])
    assert m.cvar_get(w2, 7) == (0, 7)
    t = m.cvar_set(w, "x")
    assert type(t) is contextvars.Token and t.var is w
    assert m.cvar_get(w, None) == (0, "x")
    m.cvar_reset(w, t)
    assert m.cvar_get(w, None) == (0, None)
    with pytest.raises(RuntimeError):
        m.cvar_reset(w, t)
    with pytest.raises(TypeError, match="an instance of ContextVar was expected"):
        m.cvar_get(3, None)
    with pytest.raises(TypeError, match="an instance of Token was expected"):
        m.cvar_reset(w, 3)


def test_context_watchers():
    ctx = m.ctx_new(0)
    r = m.ctx_watch(ctx)
    if r is None:
        assert not PY314
        return
    wid, events, rc, rc2, exc, msg = r
    assert 0 <= wid < 8
    assert events[0] == (1, ctx)  # Py_CONTEXT_SWITCHED to the entered context
    assert len(events) == 2 and events[1][0] == 1 and events[1][1] is not ctx
    assert (rc, rc2, exc) == (0, -1, ValueError) and msg == f"No context watcher set for ID {wid}"


def test_context_watchers_see_switches_python_makes():
    # Context.run switches without the C-API; CPython tells the watchers too.
    ctx = m.ctx_new(0)
    seen = []
    r = m.ctx_watch(ctx, lambda: ctx.run(lambda: seen.append(1)))
    if r is None:
        assert not PY314
        return
    wid, events, rc, rc2, exc, msg = r
    assert seen == [1]
    assert events[0] == (1, ctx)
    assert len(events) == 2 and events[1][0] == 1 and events[1][1] is not ctx
    assert rc == 0


# ---- warnings and errors ---------------------------------------------------------------


def test_list_c_holds_is_current_after_python_changed_it():
    # C reads PyList_GET_SIZE inline after an API call ran Python code that
    # changed the list (PyO3's catch_warnings log), with no call on the list.
    lst = []
    assert m.list_size_around(lambda: lst, lambda: lst.extend([1, 2]), "") == (0, 2)
    with warnings.catch_warnings(record=True) as log:
        warnings.simplefilter("always")
        assert m.list_size_around(lambda: log, None, "hello") == (0, 1)
    assert str(log[0].message) == "hello"


def test_python_growing_a_list_c_holds_stays_linear():
    def run(n):
        lst = []
        t = time.perf_counter()
        m.call_n_holding(lst, lambda: lst.append(0), n)
        assert len(lst) == n
        return time.perf_counter() - t

    run(1000)
    small, large = min(run(2000) for _ in range(3)), min(run(16000) for _ in range(3))
    assert large < 24 * small, f"8x the calls took {large / small:.1f}x the time"


def test_warn_explicit():
    with warnings.catch_warnings(record=True) as ws:
        warnings.simplefilter("always")
        assert m.warn_explicit(0, UserWarning, "msg0", "f.py", 3, "mod", None) == 0
        assert m.warn_explicit(1, RuntimeWarning, "msg1", "g.py", 4, None, None) == 0
        assert m.warn_explicit(2, FutureWarning, "msg2", "h.py", 5, None, {}) == 0
        m.resource_warning(None)
    got = [(w.category, str(w.message), w.filename, w.lineno) for w in ws]
    assert got[:3] == [(UserWarning, "msg0", "f.py", 3), (RuntimeWarning, "msg1", "g.py", 4), (FutureWarning, "msg2-42", "h.py", 5)]
    assert got[3][:2] == (ResourceWarning, "unclosed thing")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match="boom"):
            m.warn_explicit(0, UserWarning, "boom", "f.py", 3, None, None)
        with pytest.raises(ResourceWarning, match="unclosed thing"):
            m.resource_warning(None)


@pytest.fixture
def source_file():
    fd, path = tempfile.mkstemp(suffix=".py")
    os.write(fd, b"line one\nline two\n")
    os.close(fd)
    yield path
    os.unlink(path)


def test_syntax_location(source_file):
    e = m.syntax_location(3, SyntaxError("bad"), source_file, 2, 3, 2, 6)
    assert (e.filename, e.lineno, e.offset, e.end_lineno, e.end_offset, e.text) == (source_file, 2, 3, 2, 6, "line two\n")
    e = m.syntax_location(0, SyntaxError("bad"), source_file, 1, 0, 0, 0)
    assert (e.lineno, e.offset, e.end_lineno, e.end_offset, e.text) == (1, None, 1, None, "line one\n")
    e = m.syntax_location(2, SyntaxError("bad"), source_file, 2, 4, 0, 0)
    assert (e.offset, e.end_lineno, e.end_offset, e.text) == (4, 2, None, "line two\n")
    e = m.syntax_location(1, ValueError("v"), None, 7, 2, 0, 0)
    assert (e.lineno, e.offset, e.end_lineno, e.end_offset, e.msg, e.print_file_and_line) == (7, 2, 7, None, "v", None)


def test_program_text(source_file):
    assert m.program_text(source_file, 2, 0) == ("line two\n", 0)
    assert m.program_text(source_file, 1, 1) == ("line one\n", 0)
    assert m.program_text(source_file, 9, 0) == (None, 0)
    assert m.program_text(source_file, 0, 0) == (None, 0)
    assert m.program_text("/nonexistent/file.py", 1, 0) == (None, 0)


def test_import_error():
    e = m.import_error(None, "no mod", "nm", "/p")
    assert type(e) is ImportError and (e.msg, e.name, e.path) == ("no mod", "nm", "/p")
    e = m.import_error(ModuleNotFoundError, "x", None, None)
    assert type(e) is ModuleNotFoundError and (e.name, e.path) == (None, None)
    e = m.import_error(ValueError, "x", None, None)
    assert type(e) is TypeError and str(e) == "expected a subclass of ImportError"
    e = m.import_error(ImportError, None, None, None)
    assert type(e) is TypeError and str(e) == "expected a message argument"


def test_format_unraisable():
    seen = []
    old = sys.unraisablehook
    sys.unraisablehook = lambda u: seen.append((u.exc_type, u.err_msg, u.object))
    try:
        assert m.format_unraisable(KeyError("k"), 1) == (0,)
        assert m.format_unraisable(KeyError("j"), 0) == (0,)
    finally:
        sys.unraisablehook = old
    assert seen == [(KeyError, "Exception ignored in probe #7", None), (KeyError, None, None)]


def _raised(e):
    try:
        raise e
    except BaseException as x:
        return x


def test_prep_reraise_star():
    a, b = ValueError("a"), TypeError("b")
    eg = _raised(ExceptionGroup("eg", [a, b]))
    assert m.prep_reraise_star(eg, []) is None
    assert m.prep_reraise_star(eg, [None]) is None
    sub = eg.split(ValueError)[0]  # a re-raise: same metadata as eg
    r = m.prep_reraise_star(eg, [sub])
    assert type(r) is ExceptionGroup and r.message == "eg" and r.exceptions == (a,)
    new = _raised(KeyError("k"))
    r = m.prep_reraise_star(eg, [new, sub])
    assert type(r) is ExceptionGroup and r.message == ""
    assert r.exceptions[0] is new and r.exceptions[1].exceptions == (a,)
    assert m.prep_reraise_star(eg, [new]) is new
    naked = _raised(OSError("o"))
    assert m.prep_reraise_star(naked, [new]) is new
    with pytest.raises(ValueError, match="orig must be a raised exception"):
        m.prep_reraise_star(ValueError("x"), [])
    with pytest.raises(TypeError, match="orig must be an exception instance"):
        m.prep_reraise_star(3, [])
    with pytest.raises(TypeError, match="excs must be a list of exception instances"):
        m.prep_reraise_star(a, 5)
    with pytest.raises(TypeError, match="item 0 of excs is not an exception"):
        m.prep_reraise_star(eg, [3])


def test_interpreter_errors():
    r = m.interp_errors()
    if r is None:
        assert not PY314
        return
    ie, nf = r
    assert issubclass(ie, Exception) and issubclass(nf, ie)
    assert (ie.__name__, nf.__name__) == ("InterpreterError", "InterpreterNotFoundError")
    assert ie.__module__ == ("concurrent.interpreters" if PY314 else "interpreters")


# ---- files ---------------------------------------------------------------------------


def test_file_getline(tmp_path):
    path = tmp_path / "f.txt"
    path.write_bytes(b"ab\ncd\n")
    with open(path, "rb") as f:
        assert (m.file_getline(f, 0), m.file_getline(f, 1), m.file_getline(f, -1)) == (b"ab\n", b"c", b"d")
        with pytest.raises(EOFError, match="EOF when reading a line"):
            m.file_getline(f, -1)
        assert m.file_getline(f, 0) == b""
    with open(path) as f:
        assert (m.file_getline(f, -1), m.file_getline(f, 0)) == ("ab", "cd\n")

    class R:
        def readline(self, *a):
            return 5

    with pytest.raises(TypeError, match=r"object.readline\(\) returned non-string"):
        m.file_getline(R(), 0)


def test_file_write():
    s = io.StringIO()
    m.file_write(0, "x", s, 0)  # repr
    m.file_write(0, "y", s, 1)  # Py_PRINT_RAW: str
    m.file_write(1, "zz", s, 0)
    assert s.getvalue() == "'x'yzz"
    with pytest.raises(TypeError, match="writeobject with NULL file"):
        m.file_write(0, "x", None, 0)
    with pytest.raises(SystemError, match="null file for PyFile_WriteString"):
        m.file_write(1, "x", None, 0)


def test_file_from_fd_and_open_code(tmp_path):
    path = tmp_path / "f.txt"
    path.write_bytes(b"ab\ncd\n")
    fd = os.open(path, os.O_RDONLY)
    with m.file_from_fd(fd, "r", "utf-8", 1) as f:
        assert isinstance(f, io.TextIOWrapper) and f.read() == "ab\ncd\n"
    with pytest.raises(OSError):
        os.fstat(fd)  # closefd: the file object owned the descriptor
    with m.open_code(str(path), 0) as f:
        assert isinstance(f, io.BufferedReader) and f.read() == b"ab\ncd\n"
    with m.open_code(str(path), 1) as f:
        assert f.mode == "rb"
    with pytest.raises(TypeError, match="'path' must be 'str', not 'bytes'"):
        m.open_code(b"x", 1)


def test_std_printer(capfd):
    p, T = m.std_printer(2)
    assert type(p) is T and T.__name__ == "stderrprinter"
    assert p.fileno() == 2 and p.write("stdprinter ok\n") == 14
    assert capfd.readouterr().err == "stdprinter ok\n"
    with pytest.raises(SystemError, match="returned NULL without setting an exception"):
        m.std_printer(5)  # NULL without an exception, as CPython


def test_generic_alias():
    g = m.generic_alias(list, (int,))
    assert g == list[int] and type(g) is types.GenericAlias
    assert m.generic_alias(dict, str).__args__ == (str,)


def test_structseq_init_type_void():
    V = m.ss_static_void()
    assert V is m.ss_static_void()
    assert (V.__name__, V.n_sequence_fields, V.n_fields) == ("Void", 3, 4)
    assert m.ss_new(V, 1, 2, 3, 4)[0].gamma == 4


def test_open_code_hook(tmp_path):
    first, second, exc = m.set_open_code_hook()
    assert first == 0  # the process's one hook
    assert (second, exc) == (-1, SystemError)  # it cannot be replaced
    path = tmp_path / "f.py"
    path.write_bytes(b"x = 1\n")
    n = m.hook_calls()
    with m.open_code(str(path), 1) as f:
        assert f.read() == b"x = 1\n"
    with m.open_code(str(path), 0) as f:
        assert f.read() == b"x = 1\n"
    assert m.hook_calls() >= n + 2
    n = m.hook_calls()
    import io
    with io.open_code(str(path)) as f:  # Python's open_code goes through the hook too
        assert f.read() == b"x = 1\n"
    assert m.hook_calls() == n + 1


def test_legacy_functions_reviewed():
    assert m.float_from_string("1.5") == 1.5
    assert m.float_from_string(b"2.5") == 2.5
    assert m.float_from_string(bytearray(b"3")) == 3.0
    assert m.float_from_string(5) == (TypeError, "float() argument must be a string or a real number, not 'int'")
    assert m.float_from_string("x") == (ValueError, "could not convert string to float: 'x'")
    raw, neg, cap = m.legacy_checks()
    assert raw == b"\xff\xfeok"  # PyBytes_FromString copies bytes, UTF-8 or not
    assert neg == (SystemError, "Negative size passed to PyByteArray_FromStringAndSize")
    assert cap == (AttributeError, 'PyCapsule_Import "sys.path" is not valid')


def test_structseq_replace():
    import copy
    T = m.ss_newtype()
    with pytest.raises(TypeError, match=r"__replace__\(\) is not supported for capi_scalars.Rec because it has unnamed field\(s\)"):
        copy.replace(T((1, 2, 3, 4)), alpha=5)


def test_structseq_instances_made_in_c_keep_their_heap_type_balanced():
    # Instances built in place (PyStructSequence_New) hold their heap type
    # as CPython's do and release it when freed: many of them come and go,
    # the type stays usable while referenced and is freed once dropped.
    import gc
    import weakref

    T = m.ss_newtype()
    before = m.refcnt(T)
    for _ in range(2000):
        m.ss_new(T, 1, 2, 3, 4)
    gc.collect()
    assert m.refcnt(T) == before
    inst = m.ss_new(T, "a", "b", "c", "d")[0]
    assert type(inst) is T and inst.alpha == "a"
    wr = weakref.ref(T)
    del T, inst
    gc.collect()
    assert wr() is None
