"""A C-style extension (raw pyo3-ffi): CPython's inline macros read the
facade's memory directly, every METH_* convention, single- and multi-phase
init, module state, package submodules, and import failures."""
import importlib
import pickle
import sys

import pytest

import rawmulti as m
import rawsingle as s


def test_multi_phase_init():
    assert m.CREATED_BY == "Py_mod_create"
    assert m.EXEC_COUNT == 2  # both exec slots ran, in order
    assert m.KIND == "multi-phase"
    assert m.__doc__ == "multi-phase raw module"
    assert m.__name__ == "rawmulti"
    assert m.__spec__.origin == m.__file__
    assert sys.modules["rawmulti"] is m


def test_single_phase_init():
    assert s.KIND == "single-phase"
    assert s.__doc__ == "single-phase raw module"
    assert s.__file__.endswith(".so")
    assert s.va_sum(1, 2) == 3


def test_module_state_is_per_module():
    assert m.state_incr() == 1
    assert m.state_incr() == 2
    assert s.state_incr() == 1
    assert m.state_incr() == 3


def test_package_submodule():
    sub = importlib.import_module("rawpkg.rawsub")
    assert sub.__name__ == "rawpkg.rawsub"
    assert sub.KIND == "multi-phase"
    import rawpkg

    assert rawpkg.rawsub is sub


def test_single_phase_submodule_is_named_after_its_package():
    # CPython's _Py_PackageContext: PyModule_Create of "rawsingle" while
    # "rawpkg.rawsingle" is being imported names the module in full.
    sub = importlib.import_module("rawpkg.rawsingle")
    assert sub.__name__ == "rawpkg.rawsingle"
    assert sub.va_sum.__module__ == "rawpkg.rawsingle"
    assert sub is not s and sub.va_sum(2, 3) == 5


def test_module_functions_are_bound_to_their_module():
    for mod in (s, m):
        f = mod.va_sum
        assert f.__self__ is mod
        assert repr(f) == "<built-in function va_sum>"
        assert f.__qualname__ == "va_sum"
        assert f(1, 2) == 3
        assert pickle.loads(pickle.dumps(f)) is f


def test_meth_conventions():
    assert m.va_sum() == 0
    assert m.va_sum(1, 2, 3) == 6
    with pytest.raises(TypeError):
        m.va_sum(1, x=2)
    assert m.va_kw(1, 2, b=1, a=2) == (2, ["a", "b"])
    assert m.va_kw() == (0, [])
    assert m.type_name(1.5) == "float"
    assert m.type_name(m) == "module"
    with pytest.raises(TypeError):
        m.type_name()
    with pytest.raises(TypeError):
        m.type_name(1, 2)
    with pytest.raises(TypeError):
        m.state_incr(1)
    assert m.fc_count() == 0
    assert m.fc_count(1, 2, 3) == 3
    with pytest.raises(TypeError):
        m.fc_count(a=1)
    assert m.fc_kw(1, 2, x=3, y=4) == (2, ("x", "y"), 4)
    assert m.fc_kw(7) == (1, None, 7)
    assert m.fc_kw() == (0, None, None)


def test_text_signature_and_doc():
    assert m.va_sum.__doc__ == "Sum of the arguments."
    assert m.va_sum.__text_signature__ == "(*args)"
    assert m.type_name.__doc__ == "tp_name of type(x)"


class MyInt(int):
    pass


class MyList(list):
    pass


def test_inline_type_flags_and_checks():
    # Subclass bits: LONG 0x01, LIST 0x02, TUPLE 0x04, BYTES 0x08, UNICODE 0x10,
    # DICT 0x20, BASE_EXC 0x40, TYPE 0x80.
    assert m.subclass_bits(1) == 0x01
    assert m.subclass_bits(True) == 0x01
    assert m.subclass_bits(MyInt(3)) == 0x01
    assert m.subclass_bits([]) == 0x02
    assert m.subclass_bits(MyList()) == 0x02
    assert m.subclass_bits(()) == 0x04
    assert m.subclass_bits(b"") == 0x08
    assert m.subclass_bits("") == 0x10
    assert m.subclass_bits({}) == 0x20
    assert m.subclass_bits(ValueError()) == 0x40
    assert m.subclass_bits(int) == 0x80
    assert m.subclass_bits(1.5) == 0
    assert m.subclass_bits(object()) == 0
    names = ["long", "long_exact", "bool", "float", "unicode", "unicode_exact", "bytes", "tuple",
             "tuple_exact", "list", "list_exact", "dict", "dict_exact", "type", "exc_instance", "exc_class"]

    def checks(x):
        return {n for n, v in zip(names, m.checks(x)) if v}

    assert checks(1) == {"long", "long_exact"}
    assert checks(True) == {"long", "bool"}
    assert checks(MyInt(1)) == {"long"}
    assert checks(2.0) == {"float"}
    assert checks("s") == {"unicode", "unicode_exact"}
    assert checks(b"b") == {"bytes"}
    assert checks((1,)) == {"tuple", "tuple_exact"}
    assert checks([1]) == {"list", "list_exact"}
    assert checks(MyList()) == {"list"}
    assert checks({}) == {"dict", "dict_exact"}
    assert checks(str) == {"type"}
    assert checks(KeyError("k")) == {"exc_instance"}
    assert checks(KeyError) == {"type", "exc_class"}
    assert checks(None) == set()


def test_inline_reads():
    assert m.float_double(1.25) == 2.5
    assert m.float_double(-0.0) == -0.0
    assert m.list_sum([1, 2, 3, 4]) == 10
    assert m.list_sum([]) == 0
    big = list(range(1000))
    assert m.list_sum(big) == sum(big)
    lst = [1, 2]
    assert m.list_append_inline(lst, "new") == "new"
    assert lst == [1, 2, "new"]
    lst.append(99)  # mutated by Python after C saw the list
    assert m.list_sum(lst[:2] + [lst[3]]) == 102
    assert m.list_append_inline(lst, 5) == 5
    items = (object(), "b", 3)
    rev = m.tuple_reverse(items)
    assert rev == items[::-1] and rev[0] is items[2] and rev[2] is items[0]
    assert m.tuple_reverse(()) == ()
    assert m.bytes_sum(b"\x01\x02\xff") == 258
    assert m.bytes_sum(b"") == 0


def test_unicode_layout():
    def chars(s):
        return [ord(c) for c in s]

    assert m.unicode_info("abc") == (3, 1, 3, chars("abc"))
    assert m.unicode_info("é") == (1, 1, 2, chars("é"))
    assert m.unicode_info("€x") == (2, 2, 4, chars("€x"))
    assert m.unicode_info("🐍") == (1, 4, 4, chars("🐍"))
    assert m.unicode_info("") == (0, 1, 0, [])
    # Non-ASCII text read inline, as markupsafe's speedups read it.
    text = "こんにちは&<>'\"xyz🍣" * 3
    assert m.unicode_info(text)[3] == chars(text)
    assert m.unicode_info(text[:5] + "&")[3] == chars(text[:5] + "&")


class IndexAndItems:
    def __index__(self):
        return 3

    def __getitem__(self, k):
        return ("item", k)

    def __len__(self):
        return 9


def test_protocol_tables_read_inline():
    # (PyIndex_Check, nb_int, nb_add(o, o), sq_item(o, 0), sq_length, sq_contains(o, key), mp_subscript(o, key))
    assert m.type_slots(5, 5) == (True, 5, 10, None, None, None, None)
    assert m.type_slots(2.5, 0) == (False, 2, 5.0, None, None, None, None)
    assert m.type_slots(True, 0) == (True, 1, 2, None, None, None, None)
    assert m.type_slots([10, 20], 0) == (False, None, None, 10, 2, 0, 10)
    assert m.type_slots((7, 8), 1) == (False, None, None, 7, 2, 0, 8)
    assert m.type_slots({"k": 1}, "k") == (False, None, None, None, None, 1, 1)
    assert m.type_slots(range(4), 2) == (False, None, None, 0, 4, 1, 2)
    assert m.type_slots(IndexAndItems(), "q") == (True, None, None, ("item", 0), 9, None, ("item", "q"))
    assert m.type_slots(object(), 0) == (False, None, None, None, None, None, None)
    with pytest.raises(TypeError, match="string indices must be integers"):
        m.type_slots("ab", "a")


def test_type_slot_writes():
    lst = [1, 2, 3]
    assert m.type_slot_writes(lst, "a") == (["a", 3, "a", 3], 2)
    assert lst == ["a", 3]
    d = {"old": 1}
    assert m.type_slot_writes(d, 5) is d and d == {"new": 5}
    with pytest.raises(KeyError):
        m.type_slot_writes({}, 5)
    assert m.type_slot_writes(object(), 1) is None


def test_bytearray_inline_layout():
    b = bytearray(b"abc")
    assert m.bytearray_inline(b) == b"abc"
    assert b == bytearray(b"ABC")  # written through ob_start
    b.extend(b"def" * 1000)
    assert m.bytearray_inline(b) == b"ABC" + b"def" * 1000
    assert b == bytearray(b"ABC" + b"DEF" * 1000)
    assert m.bytearray_inline(bytearray()) == b""


def test_built_in_place():
    t, lst, ascii_, wide, b = m.build()
    assert t == (1, "x")
    assert lst == [0, 1, 2]
    assert ascii_ == "abc"
    assert wide == "🐍é"
    assert b == b"0123"
    assert type(ascii_) is str and type(b) is bytes


def test_singletons_and_refcounts():
    assert m.singletons() == (None, True, False, Ellipsis, NotImplemented)
    assert all(a is b for a, b in zip(m.singletons(), (None, True, False, Ellipsis, NotImplemented)))
    assert m.is_none(None) is True
    assert m.is_none(0) is False
    assert m.incref_delta(object()) == 1
    assert m.incref_delta([]) == 1


def test_borrowed_dict_item():
    val = [1, 2]
    d = {"k": val}
    assert m.dict_get_borrowed(d, "k") is val
    assert m.dict_get_borrowed(d, "missing") is None
    # PyDict_GetItem swallows errors (unhashable key), returns NULL, and since
    # 3.13 reports the error as unraisable.
    seen = []
    old_hook = sys.unraisablehook
    sys.unraisablehook = seen.append
    try:
        assert m.dict_get_borrowed(d, []) is None
    finally:
        sys.unraisablehook = old_hook
    assert len(seen) == 1
    assert isinstance(seen[0].exc_value, TypeError)
    assert "PyDict_GetItem" in seen[0].err_msg


def test_errors():
    def kerr():
        raise KeyError("x")

    def verr():
        raise ValueError("v")

    assert m.catch_key_error(kerr) == "KeyError"
    assert m.catch_key_error(lambda: 5) == 5
    with pytest.raises(ValueError, match="v"):
        m.catch_key_error(verr)
    t, v, has_tb = m.legacy_fetch(verr)
    assert t is ValueError and isinstance(v, ValueError) and v.args == ("v",) and has_tb
    with pytest.raises(KeyError) as ei:
        m.raise_with(KeyError, "missing")
    assert ei.value.args == ("missing",)
    with pytest.raises(SystemError, match="without setting an exception"):
        m.null_no_error()


def test_import_failures():
    with pytest.raises(ValueError, match="exec slot failed on purpose"):
        import rawexecfail  # noqa: F401
    with pytest.raises(RuntimeError, match="init raised on purpose"):
        import rawinitraise  # noqa: F401
    with pytest.raises(SystemError, match="without raising an exception"):
        import rawnull  # noqa: F401
    with pytest.raises(ImportError, match="undefined symbol: PyFacade_NoSuchSymbol"):
        import brokenext  # noqa: F401
    for name in ["rawexecfail", "rawinitraise", "rawnull", "brokenext"]:
        assert name not in sys.modules


def test_variadic_formatting():
    with pytest.raises(ValueError) as ei:
        m.fmt_error("é")
    assert str(ei.value) == "bad thing: 42 ('é') é 100%"
    assert m.fmt_str("ü") == "[   ab|7   |abc|🐍|-5|ü|ff|-1099511627776|007]"


def test_build_value():
    obj = object()
    r = m.build_value(obj)
    assert r == (1, obj, "xy", [1.5, 2.5], {"k": 3}, None, 9)
    assert r[1] is obj
    assert m.build_shapes() == (5, None, ())


def test_arg_parsing():
    assert m.parse_kw("a") == ("a", 10, 1.0)
    assert m.parse_kw("a", 3, scale=2.5) == ("a", 3, 2.5)
    assert m.parse_kw(count=4, name="n") == ("n", 4, 1.0)
    with pytest.raises(TypeError):
        m.parse_kw()
    with pytest.raises(TypeError):
        m.parse_kw("a", 1, 2.0)  # scale is keyword-only
    with pytest.raises(TypeError):
        m.parse_kw("a", bogus=1)
    with pytest.raises(TypeError):
        m.parse_kw("a", name="b")
    with pytest.raises(TypeError):
        m.parse_kw(5)
    with pytest.raises(OverflowError):
        m.parse_kw("a", 2**40)
    o = object()
    assert m.parse_pos(o, b"abc") == (o, 3, 0)
    assert m.parse_pos(o, b"", []) == (o, 0, 0)
    assert m.parse_pos(o, b"\x00z", "yes") == (o, 2, 1)
    with pytest.raises(TypeError):
        m.parse_pos(o, "not bytes")
    with pytest.raises(TypeError):
        m.parse_pos(o)
    # Buffer units and D: bytes, bytearray (written through) and memoryview;
    # z* takes None; s*/y* count as one unit each in the argument count.
    out = bytearray(b"xyz")
    assert m.parse_buffers(b"ab") == (b"ab", None, None, 0j)
    assert m.parse_buffers(memoryview(b"abc"), out, None, 1 + 2j) == (b"abc", b"!yz", None, 1 + 2j)
    assert out == bytearray(b"!yz")
    assert m.parse_buffers(b"", opt=b"four", c=2.5) == (b"", None, 4, 2.5 + 0j)
    with pytest.raises(TypeError, match="bytes-like object"):
        m.parse_buffers("text")
    with pytest.raises(TypeError, match="read-write bytes-like object"):
        m.parse_buffers(b"a", b"read-only")
    with pytest.raises(TypeError):
        m.parse_buffers()
    # es / et#: encoded into buffers the parse allocates (freed by the
    # caller; freed by the parse itself when a later unit fails).
    assert m.parse_encoded("caf\xe9") == (b"caf\xe9", None, None, -1)
    assert m.parse_encoded("a", "\u20ac", (1, ("x", 2.5)), 7) == (b"a", "\u20ac".encode(), (1, "x", 2.5), 7)
    assert m.parse_encoded("a", b"\x00raw\xff") == (b"a", b"\x00raw\xff", None, -1)
    assert m.parse_encoded("a", bytearray(b"ba")) == (b"a", b"ba", None, -1)
    assert m.parse_encoded(text="t", n=3) == (b"t", None, None, 3)
    with pytest.raises(UnicodeEncodeError):
        m.parse_encoded("\u20ac")
    with pytest.raises(TypeError, match=r"parse_encoded\(\) argument 1 must be str, not bytes"):
        m.parse_encoded(b"bytes")
    with pytest.raises(TypeError, match="argument 1 must be encoded string without null bytes, not str"):
        m.parse_encoded("a\x00b")
    with pytest.raises(TypeError, match="argument 2 must be str, bytes or bytearray, not int"):
        m.parse_encoded("a", 5)
    # Nested groups: any sequence but bytes, of the right length, item errors
    # name the item.
    assert m.parse_encoded("a", b"", [2, ["y", 1]])[2] == (2, "y", 1.0)
    with pytest.raises(TypeError, match=r"argument 3 must be 2-item sequence, not int"):
        m.parse_encoded("a", b"", 5)
    with pytest.raises(TypeError, match=r"argument 3 must be sequence of length 2, not 3"):
        m.parse_encoded("a", b"", (1, 2, 3))
    with pytest.raises(TypeError, match=r"argument 3, item 1 must be 2-item sequence, not int"):
        m.parse_encoded("a", b"", (1, 2))
    with pytest.raises(TypeError, match=r"argument 3, item 1, item 0 must be str, not int"):
        m.parse_encoded("a", b"", (1, (2, 3.0)))
    with pytest.raises(TypeError, match="'str' object cannot be interpreted as an integer"):
        m.parse_encoded("a", b"", (1, ("s", 3.0)), "n")
    # es# into the caller's buffer; too long for it is a ValueError.
    assert m.parse_into("1234567") == b"1234567"
    with pytest.raises(ValueError, match=r"encoded string too long \(8, maximum length 7\)"):
        m.parse_into("12345678")
    assert m.parse_misc(b"A", 2**64 + 5, -1, bytearray(b"q")) == (65, 5, 2**64 - 1, bytearray(b"q"))
    assert m.parse_misc(bytearray(b"B"), 0, 0, bytearray())[0] == 66
    with pytest.raises(TypeError, match="argument 2 must be int, not float"):
        m.parse_misc(b"A", 1.0, 0, bytearray())
    with pytest.raises(TypeError, match="argument 4 must be bytearray, not bytes"):
        m.parse_misc(b"A", 1, 0, b"")
    assert m.unpack(1) == (1, None)
    assert m.unpack(1, 2) == (1, 2)
    with pytest.raises(TypeError):
        m.unpack()
    with pytest.raises(TypeError):
        m.unpack(1, 2, 3)


def test_variadic_calls():
    def f(*args):
        return args

    r = m.call_variadic(f)
    assert r == ((3, "x"), (f,))


def test_types_defined_outside_the_type_zoo():
    import collections
    import contextvars

    od = collections.OrderedDict(a=1)
    for obj, name in [
        (od, "OrderedDict"),
        (od.keys(), "odict_keys"),
        (contextvars.ContextVar("v"), "ContextVar"),
        (contextvars.copy_context(), "Context"),
    ]:
        assert m.type_name(obj).rsplit(".", 1)[-1] == name
    assert m.subclass_bits(od) == 0x20  # OrderedDict is a dict subclass


def test_static_type_readied_by_pytype_ready():
    S = m.Static
    assert S.__name__ == "Static" and S.__module__ == "rawmulti"
    assert S.__doc__ == "A static type."
    a, b = S(2), S(40)
    assert repr(a + b) == "Static(42)" and (a + b).value() == 42
    assert a.raw == 2
    assert type(a) is S and isinstance(a, S)
    assert S().value() == 0
    with pytest.raises(TypeError):
        S("x")
    with pytest.raises(TypeError):
        a + 1
    with pytest.raises(AttributeError):
        a.raw = 5  # read-only member
    with pytest.raises(TypeError):
        S.new_attribute = 1  # static types are immutable

    class Sub(S):
        def double(self):
            return self.value() * 2

    assert Sub(21).double() == 42 and repr(Sub(1)) == "Static(1)"


def test_list_item_array_is_stable_unless_the_list_grows():
    lst = ["a", "b", "c"]
    stable, first = m.list_array_stable(lst, lambda: None)
    assert stable is True and first == "a"
    stable, first = m.list_array_stable(lst, lambda: lst.__setitem__(0, "z"))
    assert stable is True and lst[0] == "z"


def test_bad_input_gives_cpython_errors():
    with pytest.raises(SystemError, match="is not a BaseException subclass"):
        m.raise_with(int, "x")
    with pytest.raises(TypeError, match="a bytes-like object is required, not 'int'"):
        m.parse_pos(1, 2)
    with pytest.raises(TypeError, match="list required"):
        m.list_sum((1, 2))


def test_type_data_api():
    assert m.type_data(m.Static(77)) == (8, 77)


def test_capsules():
    import gc

    assert m.cap_read(m.CAP) == 4242
    assert m.cap_import() == 4242
    assert "capsule" in repr(m.CAP)
    other = m.cap_with_dtor()
    with pytest.raises(ValueError):
        m.cap_read(other)  # wrong name
    with pytest.raises(ValueError):
        m.cap_read(object())
    before = m.dtor_count()
    del other
    gc.collect()
    assert m.dtor_count() == before + 1


def test_pythread_locks_threads_and_keys():
    # (acquire, non-blocking retry, 1 ms timed retry, acquired after another
    # thread released it, join, TSS, old key API, thread idents)
    assert m.thread_api() == (1, 0, 0, 1, 0, True, True, True)


def test_pythread_parse_timeout_arg():
    # A PyTime_t in nanoseconds; unset = -1 second.
    assert m.parse_timeout() == -1_000_000_000
    assert m.parse_timeout(None) == -1_000_000_000
    assert m.parse_timeout(None, 0) == 0
    assert m.parse_timeout(1.5) == 1_500_000_000
    assert m.parse_timeout(2) == 2_000_000_000
    assert m.parse_timeout(0) == 0
    assert m.parse_timeout(1e-7) == 100
    for args in [(-1, 0), (2, 0)]:
        with pytest.raises(ValueError, match="can't specify a timeout for a non-blocking call"):
            m.parse_timeout(*args)
    for bad in (-1, -2):
        with pytest.raises(ValueError, match="timeout value must be a non-negative number"):
            m.parse_timeout(bad)
    with pytest.raises(OverflowError):
        m.parse_timeout(1e300)
    with pytest.raises(OverflowError, match="timestamp too large to convert to C PyTime_t"):
        m.parse_timeout(10**10)
    with pytest.raises(TypeError, match="'str' object cannot be interpreted as an integer"):
        m.parse_timeout("1")


def test_memory_domains():
    assert m.mem_domains() == (True, True, True, True)


def test_version():
    text, hexversion = m.version()
    assert text == sys.version
    assert hexversion >> 16 == (sys.version_info.major << 8 | sys.version_info.minor)


class _Complexish:
    def __complex__(self):
        return 3 - 4j


class _BadComplex:
    def __complex__(self):
        return 1.0


def test_complex_api():
    assert m.complex_parts(1.5 + 2j) == (1.5, 2.0, 1.5 + 2j, 1.5 - 2j, 2.0)
    assert m.complex_parts(7) == (7.0, 0.0, 7 + 0j, 7 - 0j, None)
    assert m.complex_parts(_Complexish()) == (3.0, -4.0, 3 - 4j, 3 + 4j, None)
    with pytest.raises(TypeError, match="__complex__ returned non-complex"):
        m.complex_parts(_BadComplex())
    with pytest.raises(TypeError):
        m.complex_parts("x")


def test_errors_from_errno():
    import errno
    import os

    with pytest.raises(FileNotFoundError) as e:
        m.errno_error(errno.ENOENT, "missing.txt")
    assert (e.value.errno, e.value.strerror, e.value.filename) == (errno.ENOENT, os.strerror(errno.ENOENT), "missing.txt")
    with pytest.raises(PermissionError) as e:
        m.errno_error(errno.EACCES, None)
    assert e.value.args == (errno.EACCES, os.strerror(errno.EACCES))
    with pytest.raises(OSError) as e:
        m.errno_error(0, None)
    assert e.value.args == (0, "Error")


def test_unicode_error_api():
    exc, first, start, end, reason = m.decode_error()
    assert type(exc) is UnicodeDecodeError
    assert first == ("utf-8", b"ab\xff\xfe", 2, 3, "invalid start byte")
    assert (start, end, reason) == (3, 4, "changed")  # end clamped to len(object)
    assert (exc.start, exc.end) == (3, 99)
    try:
        "aé".encode("ascii")
    except UnicodeEncodeError as e:
        assert m.unicode_error_parts(e) == (1, 2, "aé", "ordinal not in range(128)", "ascii")
    t = UnicodeTranslateError("abc", 1, 2, "nope")
    assert m.unicode_error_parts(t) == (1, 2, "abc", "nope")
    t.object = b"bytes"
    with pytest.raises(TypeError, match="object attribute must be unicode"):
        m.unicode_error_parts(t)


def test_bytes_resize():
    assert m.bytes_resize(5, 3) == b"abc"
    assert m.bytes_resize(3, 6) == b"abczzz"
    assert m.bytes_resize(0, 4) == b"zzzz"
    assert m.bytes_resize(4, 0) == b""
    assert m.bytes_resize(2, 2) == b"ab"
    assert m.bytes_resize(3, 5, True) == b"abczz"
    with pytest.raises(SystemError, match="bad argument to internal function"):
        m.bytes_resize(3, -1)


def test_handled_exception_and_exc_info():
    assert m.handled() is None
    assert m.exc_info() == (None, None, None)
    try:
        raise KeyError("k")
    except KeyError as e:
        assert m.handled() is e
        assert m.exc_info() == sys.exc_info()
    assert m.exc_class_name(KeyError) == "KeyError"
    assert m.exc_class_name(UnicodeDecodeError) == "UnicodeDecodeError"


def test_set_interrupt_runs_the_signal_handler():
    import signal

    seen = []
    old = signal.signal(signal.SIGUSR1, lambda signum, frame: seen.append(signum))
    try:
        assert m.set_interrupt(signal.SIGUSR1) == 0
        for _ in range(10_000):
            if seen:
                break
            sum(range(10))
    finally:
        signal.signal(signal.SIGUSR1, old)
    assert seen == [signal.SIGUSR1]
    assert m.set_interrupt(0) == -1
    assert m.set_interrupt(1000) == -1


def test_string_to_double():
    assert m.strtod(b"1.5", False, None) == (1.5, -1)
    assert m.strtod(b"1.5xyz", True, None) == (1.5, 3)
    assert m.strtod(b".5e-3", True, None) == (0.0005, 5)
    assert m.strtod(b"1_0", True, None) == (1.0, 1)
    assert m.strtod(b"+1e", True, None) == (1.0, 2)
    assert m.strtod(b"1e999", False, None) == (float("inf"), -1)
    assert m.strtod(b"-inf", False, OverflowError) == (float("-inf"), -1)
    v, _ = m.strtod(b"nan", False, None)
    assert v != v
    with pytest.raises(OverflowError, match="value too large to convert to float: '1e999'"):
        m.strtod(b"1e999", False, OverflowError)
    for text, partial in [(b"xyz", True), (b"  1", False), (b"1.5x", False)]:
        with pytest.raises(ValueError, match="could not convert string to float"):
            m.strtod(text, partial, None)


def test_double_to_string():
    dtsf_sign, dtsf_add_dot_0, dtsf_alt, dtsf_no_neg_0 = 1, 2, 4, 8
    assert m.dtoa(1.5, b"r", 0, 0) == ("1.5", 0)
    assert m.dtoa(1.0, b"r", 0, 0) == ("1", 0)
    assert m.dtoa(1.0, b"r", 0, dtsf_add_dot_0) == ("1.0", 0)
    assert m.dtoa(1e22, b"r", 0, 0) == ("1e+22", 0)
    assert m.dtoa(1.0, b"g", 17, dtsf_add_dot_0) == ("1.0", 0)
    assert m.dtoa(123.0, b"g", 12, dtsf_add_dot_0) == ("123.0", 0)
    assert m.dtoa(0.1, b"e", 3, 0) == ("1.000e-01", 0)
    assert m.dtoa(2.5, b"f", 0, dtsf_alt) == ("2.", 0)
    assert m.dtoa(-0.0, b"f", 2, dtsf_no_neg_0) == ("0.00", 0)
    assert m.dtoa(3.0, b"g", 5, dtsf_sign) == ("+3", 0)
    assert m.dtoa(float("inf"), b"r", 0, 0) == ("inf", 1)
    assert m.dtoa(float("nan"), b"g", 3, 0) == ("nan", 2)
    with pytest.raises(SystemError, match="bad argument to internal function"):
        m.dtoa(1.0, b"r", 3, 0)


def test_ascii_case_insensitive_compare():
    assert m.stricmp(b"Hello", b"hELLo", 3) == (0, 0)
    assert m.stricmp(b"abc", b"abd", 2) == (-1, 0)
    assert m.stricmp(b"abc", b"ABD", 5) == (-1, -1)


def test_cython_inline_accesses():
    """Fields Cython-compiled code reads and writes without calling the API."""
    def boom():
        raise KeyError("k")

    exc, has_tb, cleared, restored, added, first = m.cython_inline(boom)
    assert type(exc) is KeyError and exc.args == ("k",)
    assert has_tb and cleared and restored
    assert exc.__traceback__ is not None
    assert added == 42 and m.Static.added == 42
    assert first == 17


def test_str_inline_hash():
    """A hashed str carries its hash inline (Cython compares keyword names by it)."""
    for text in ("ext_hook" + str(len(sys.argv)), "caf\xe9" * 3, "\U0001f40d-name"):
        h = hash(text)
        assert m.str_inline_hash(text) == h


def test_call_passes_the_callers_tuple_and_dict():
    # PyObject_Call of a METH_VARARGS function hands it the caller's own
    # tuple and dict, as CPython does.
    t, d = (1, "two"), {"k": 3}
    args, kw = m.call_object(m.echo_call, t, d)
    assert args is t and kw is d
    args, kw = m.call_object(m.echo_call, t, None)
    assert args is t and kw is None
    # From Python the function sees the arguments as usual.
    assert m.echo_call(1, 2, a=3) == ((1, 2), {"a": 3})


def test_mro_and_bases_read_inline():
    class A:
        pass

    class B(A, Exception):
        pass

    for t in (bool, int, object, dict, A, B, ValueError):
        mro, bases = m.mro_bases(t)
        assert mro == t.__mro__ and bases == t.__bases__, t
