"""C-API family group 'abstract', exercised through tests/ext/capi_abstract on pyfacade
and on CPython 3.13 (the oracle): the same assertions must hold on both.

`m.call(name, sig, *args)` calls the C function `name` with CPython's
signature (see the probe's docs) and returns (result, outs, exception, deltas)
where deltas are the Py_REFCNT changes of the object arguments across the call
(before the probe releases the result): 1 for a new reference to an argument
that is returned, 0 for a borrowed one.
"""
import sys

import pytest

import capi_abstract as m

NULL = m.NULL


def call(name, sig, *args):
    return m.call(name, sig, *args)


def ok(name, sig, *args):
    r, outs, exc, _ = call(name, sig, *args)
    assert exc is None, exc
    return (r, *outs) if outs else r


def err(name, sig, *args):
    """The exception the call raised (and checks the C error value)."""
    r, outs, exc, _ = call(name, sig, *args)
    assert exc is not None, f"{name} did not fail (returned {r!r})"
    ret = sig.split(":")[0]
    if ret in "OB":
        assert r is NULL
    elif ret in "in":
        assert r == -1
    return exc


def raises(name, sig, *args, exc_type, match=None):
    e = err(name, sig, *args)
    assert type(e) is exc_type, repr(e)
    if match is not None:
        assert match in str(e), str(e)
    return e


def test_loads():
    assert m.ping() is True


# ---- number protocol ----------------------------------------------------------------

def test_number_inplace_power_and_to_base():
    assert ok("PyNumber_InPlacePower", "O:OOO", 3, 4, None) == 81
    assert ok("PyNumber_InPlacePower", "O:OOO", 3, 4, 5) == 1

    class P:
        def __ipow__(self, other):
            return ("ipow", other)

        def __pow__(self, other, mod=None):
            return ("pow", other, mod)

    assert ok("PyNumber_InPlacePower", "O:OOO", P(), 2, None) == ("ipow", 2)
    # CPython's __ipow__ slot drops the modulus
    assert ok("PyNumber_InPlacePower", "O:OOO", P(), 2, 7) == ("ipow", 2)

    class Q:
        def __ipow__(self, other):
            return NotImplemented

        def __pow__(self, other, mod=None):
            return ("pow", other, mod)

    assert ok("PyNumber_InPlacePower", "O:OOO", Q(), 2, 7) == ("pow", 2, 7)
    raises("PyNumber_InPlacePower", "O:OOO", "a", 2, None, exc_type=TypeError)
    assert ok("PyNumber_ToBase", "O:Oi", 10, 2) == "0b1010"
    assert ok("PyNumber_ToBase", "O:Oi", -10, 8) == "-0o12"
    assert ok("PyNumber_ToBase", "O:Oi", 255, 16) == "0xff"
    assert ok("PyNumber_ToBase", "O:Oi", 2**70, 10) == str(2**70)
    raises("PyNumber_ToBase", "O:Oi", 10, 3, exc_type=SystemError, match="base must be 2, 8, 10 or 16")
    raises("PyNumber_ToBase", "O:Oi", 1.5, 2, exc_type=TypeError)


# ---- sequence protocol --------------------------------------------------------------

def test_sequence_concat_repeat():
    assert ok("PySequence_Concat", "O:OO", [1], [2]) == [1, 2]
    assert ok("PySequence_Concat", "O:OO", (1,), (2,)) == (1, 2)
    raises("PySequence_Concat", "O:OO", 1, [2], exc_type=TypeError, match="'int' object can't be concatenated")
    raises("PySequence_Concat", "O:OO", [1], (2,), exc_type=TypeError)
    lst = [1]
    r, _, exc, deltas = call("PySequence_InPlaceConcat", "O:OO", lst, [2])
    assert exc is None and r is lst and lst == [1, 2] and deltas[0] == 1
    assert ok("PySequence_InPlaceConcat", "O:OO", (1,), (2,)) == (1, 2)
    assert ok("PySequence_Repeat", "O:On", "ab", 3) == "ababab"
    assert ok("PySequence_Repeat", "O:On", [1], 0) == []
    raises("PySequence_Repeat", "O:On", 5, 2, exc_type=TypeError, match="'int' object can't be repeated")
    raises("PySequence_Repeat", "O:On", {}, 2, exc_type=TypeError, match="'dict' object can't be repeated")
    lst = [1, 2]
    assert ok("PySequence_InPlaceRepeat", "O:On", lst, 2) is lst
    assert lst == [1, 2, 1, 2]
    raises("PySequence_InPlaceRepeat", "O:On", 5, 2, exc_type=TypeError, match="'int' object can't be repeated")


def test_sequence_search():
    assert ok("PySequence_Count", "n:OO", [1, 2, 1, 1.0], 1) == 3
    assert ok("PySequence_Count", "n:OO", "abcab", "a") == 2
    assert ok("PySequence_Index", "n:OO", [5, 6, 7], 7) == 2
    raises("PySequence_Index", "n:OO", [5, 6], 9, exc_type=ValueError, match="sequence.index(x): x not in sequence")
    raises("PySequence_Count", "n:OO", 3, 9, exc_type=TypeError, match="argument of type 'int' is not iterable")
    assert ok("PySequence_In", "i:OO", [1, 2], 2) == 1
    assert ok("PySequence_In", "i:OO", [1, 2], 3) == 0
    nan = float("nan")
    assert ok("PySequence_Index", "n:OO", [1, nan], nan) == 1  # identity implies equality


def test_sequence_set_del_item_and_slice():
    lst = [1, 2, 3]
    assert ok("PySequence_SetItem", "i:OnO", lst, -1, "x") == 0
    assert lst == [1, 2, "x"]
    assert ok("PySequence_DelItem", "i:On", lst, 0) == 0
    assert lst == [2, "x"]
    raises("PySequence_SetItem", "i:OnO", lst, 5, 0, exc_type=IndexError)
    raises("PySequence_SetItem", "i:OnO", (1,), 0, 0, exc_type=TypeError, match="'tuple' object does not support item assignment")
    raises("PySequence_SetItem", "i:OnO", {}, 0, 0, exc_type=TypeError, match="dict is not a sequence")
    raises("PySequence_SetItem", "i:OnO", 5, 0, 0, exc_type=TypeError, match="'int' object does not support item assignment")
    raises("PySequence_DelItem", "i:On", {}, 0, exc_type=TypeError, match="dict is not a sequence")
    raises("PySequence_GetItem", "O:On", {}, 0, exc_type=TypeError, match="dict is not a sequence")
    raises("PySequence_GetItem", "O:On", 5, 0, exc_type=TypeError, match="'int' object does not support indexing")
    assert ok("PySequence_GetItem", "O:On", [1, 2, 3], -1) == 3
    raises("PySequence_DelItem", "i:On", (1,), 0, exc_type=TypeError, match="'tuple' object doesn't support item deletion")
    lst = list(range(6))
    assert ok("PySequence_SetSlice", "i:OnnO", lst, 1, 3, "ab") == 0
    assert lst == [0, "a", "b", 3, 4, 5]
    assert ok("PySequence_DelSlice", "i:Onn", lst, 0, 2) == 0
    assert lst == ["b", 3, 4, 5]
    assert ok("PySequence_SetSlice", "i:OnnO", lst, 1, 100, NULL) == 0
    assert lst == ["b"]
    raises("PySequence_SetSlice", "i:OnnO", (1, 2), 0, 1, [], exc_type=TypeError, match="'tuple' object doesn't support slice assignment")
    raises("PySequence_DelSlice", "i:Onn", 5, 0, 1, exc_type=TypeError, match="'int' object doesn't support slice deletion")

    class S:
        def __init__(self):
            self.log = []

        def __len__(self):
            return 10

        def __getitem__(self, i):
            return i

        def __setitem__(self, i, v):
            self.log.append((i, v))

    s = S()
    ok("PySequence_SetItem", "i:OnO", s, -2, "v")
    assert s.log == [(8, "v")]
    assert ok("PySequence_GetItem", "O:On", s, -1) == 9


def test_sequence_fast():
    lst = [1, 2]
    r, _, exc, deltas = call("PySequence_Fast", "O:Os", lst, "msg")
    assert exc is None and r is lst and deltas == (1,)
    t = (1,)
    assert ok("PySequence_Fast", "O:Os", t, "msg") is t
    assert ok("PySequence_Fast", "O:Os", range(3), "msg") == [0, 1, 2]
    assert type(ok("PySequence_Fast", "O:Os", "ab", "msg")) is list

    class L(list):
        pass

    sub = L([1])
    r = ok("PySequence_Fast", "O:Os", sub, "msg")
    assert r == [1] and type(r) is list
    raises("PySequence_Fast", "O:Os", 5, "custom message", exc_type=TypeError, match="custom message")

    def bad():
        yield 1
        raise KeyError("inner")

    raises("PySequence_Fast", "O:Os", bad(), "m", exc_type=KeyError)


# ---- mapping protocol ---------------------------------------------------------------

def test_mapping_string_and_optional():
    d = {"a": 1}
    assert ok("PyMapping_Length", "n:O", d) == 1
    raises("PyMapping_Length", "n:O", 5, exc_type=TypeError)
    assert ok("PyMapping_GetItemString", "O:Os", d, "a") == 1
    raises("PyMapping_GetItemString", "O:Os", d, "b", exc_type=KeyError)
    raises("PyMapping_GetItemString", "O:Os", d, None, exc_type=SystemError, match="null argument to internal routine")
    assert ok("PyMapping_SetItemString", "i:OsO", d, "b", 2) == 0
    assert d == {"a": 1, "b": 2}
    r, outs, exc, deltas = call("PyMapping_GetOptionalItem", "i:OO&", d, "a")
    assert (r, outs, exc) == (1, (1,), None)
    r, outs, exc, _ = call("PyMapping_GetOptionalItem", "i:OO&", d, "zz")
    assert (r, outs, exc) == (0, (NULL,), None)
    r, outs, exc, _ = call("PyMapping_GetOptionalItem", "i:OO&", d, [])
    assert r == -1 and outs == (NULL,) and type(exc) is TypeError
    r, outs, exc, _ = call("PyMapping_GetOptionalItemString", "i:Os&", d, "b")
    assert (r, outs, exc) == (1, (2,), None)
    r, outs, exc, _ = call("PyMapping_GetOptionalItemString", "i:Os&", [1], "b")
    assert r == -1 and outs == (NULL,) and type(exc) is TypeError
    # sequences: IndexError is not "missing"
    r, outs, exc, _ = call("PyMapping_GetOptionalItem", "i:OO&", [1], 5)
    assert r == -1 and type(exc) is IndexError


def test_mapping_has_key():
    d = {"a": 1}
    assert ok("PyMapping_HasKeyWithError", "i:OO", d, "a") == 1
    assert ok("PyMapping_HasKeyWithError", "i:OO", d, "b") == 0
    raises("PyMapping_HasKeyWithError", "i:OO", d, [], exc_type=TypeError)
    assert ok("PyMapping_HasKeyStringWithError", "i:Os", d, "a") == 1
    assert ok("PyMapping_HasKeyStringWithError", "i:Os", d, "q") == 0
    raises("PyMapping_HasKeyStringWithError", "i:Os", 5, "q", exc_type=TypeError)
    assert ok("PyMapping_HasKey", "i:OO", d, "a") == 1
    seen = []
    old = sys.unraisablehook
    sys.unraisablehook = lambda u: seen.append(u)
    try:
        # errors are swallowed and reported as unraisable (3.13+)
        assert call("PyMapping_HasKey", "i:OO", d, []) == (0, (), None, (1, 1)) or call("PyMapping_HasKey", "i:OO", d, [])[:3] == (0, (), None)
        assert call("PyMapping_HasKeyString", "i:Os", 5, "x")[:3] == (0, (), None)
        assert call("PyMapping_HasKeyString", "i:Os", d, "a")[:3] == (1, (), None)
    finally:
        sys.unraisablehook = old
    assert len(seen) >= 2
    assert all(type(u.exc_value) is TypeError for u in seen)
    assert "PyMapping_HasKeyString" in (seen[-1].err_msg or "")
