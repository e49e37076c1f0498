"""Module-level PyO3 functions: every common argument and return type."""
import math
import sys

import pytest

import facadetest as f


def test_module_attributes():
    assert f.ANSWER == 42
    assert f.GREETING == "héllo wörld 🐍"
    assert f.PI == 3.5
    assert f.NOTHING is None
    assert f.__name__ == "facadetest"
    assert f.__file__.endswith(".so")
    assert f.__spec__.name == "facadetest"
    assert sys.modules["facadetest"] is f
    assert f.add.__name__ == "add"
    assert f.add.__module__ == "facadetest"


def test_ints():
    assert f.add(2, 3) == 5
    # Across the 30-bit digit boundaries (one, two and three digits), both signs.
    for v in (0, 1, 2**30 - 1, 2**30, 2**31, 2**60 - 1, 2**60, 2**63 - 1, 123456789012345):
        for x in (v, -v):
            assert f.add(x, 0) == x
            assert f.add(0, x) == x
    assert f.add(-(2**63), 0) == -(2**63)
    assert f.add(True, True) == 2
    with pytest.raises(OverflowError):
        f.add(2**63, 0)
    assert f.add(-(2**62), -(2**62)) == -(2**63)
    with pytest.raises(OverflowError):
        f.add(2**62, 2**62)
    with pytest.raises(OverflowError):
        f.add(2**64, 1)
    assert f.add_u64(2**64 - 1, 1) == 0
    with pytest.raises(OverflowError):
        f.add_u64(-1, 0)
    assert f.as_u8(255) == 255
    with pytest.raises(OverflowError):
        f.as_u8(256)
    assert f.as_i32(-(2**31)) == -(2**31)
    with pytest.raises(OverflowError):
        f.as_i32(2**31)
    assert f.as_usize(2**64 - 1) == 2**64 - 1
    with pytest.raises(TypeError):
        f.add("1", 2)
    with pytest.raises(TypeError):
        f.add(1.5, 2)


def test_wide_and_big_ints():
    for v in [0, 1, -1, 2**63, -(2**127), 2**127 - 1, 12345678901234567890123]:
        assert f.i128_roundtrip(v) == v
    with pytest.raises(OverflowError):
        f.i128_roundtrip(2**127)
    assert f.u128_roundtrip(2**128 - 1) == 2**128 - 1
    # PyO3 0.30 extracts 128-bit ints through PyLong_AsNativeBytes on 3.13
    # (ValueError "Cannot convert negative int"), through PyLong_Export on 3.14
    # (ValueError "can't convert negative int to unsigned"), and through the
    # function API in abi3 builds (OverflowError, same message).
    with pytest.raises((ValueError, OverflowError), match="(?i)(cannot|can't) convert negative int"):
        f.u128_roundtrip(-1)
    with pytest.raises(OverflowError):
        f.i128_neg(-(2**127))
    assert f.big_mul(3**100, 7**50) == 3**100 * 7**50
    assert f.big_mul(-(10**40), 10**40) == -(10**80)


def test_floats_and_bools():
    assert f.fsum([0.5, 1.25, 2]) == 3.75
    assert f.float_value(2.5) == 2.5
    assert math.isnan(f.float_value(float("nan")))
    assert f.float_value(float("-inf")) == float("-inf")
    assert f.negate(True) is False
    assert f.negate(False) is True
    assert f.make_bool(True) is True
    assert f.make_bool(False) is False
    assert f.truthy([]) is False
    assert f.truthy([0]) is True
    assert f.truthy(0.0) is False
    with pytest.raises(TypeError):
        f.negate(1)


def test_strings():
    assert f.upper("abc") == "ABC"
    assert f.upper("straße") == "STRASSE"
    assert f.str_len_chars("a🐍b") == 3
    assert f.str_concat("héllo ", "🐍") == "héllo 🐍"
    assert f.str_chars("a€𝄞") == ["a", "€", "𝄞"]
    assert f.char_code("𝄞") == 0x1D11E
    assert f.upper("") == ""
    with pytest.raises(TypeError):
        f.upper(b"bytes")
    with pytest.raises(UnicodeEncodeError):
        f.upper(chr(0xDC80))  # built at run time: a lone surrogate


def test_bytes():
    assert f.reverse_bytes(b"abc") == b"cba"
    assert f.reverse_bytes(b"") == b""
    assert f.bytes_filled(5, 0x41) == b"AAAAA"
    assert f.bytes_vec(b"\x00\x01\x02") == 3
    assert f.bytes_vec(bytearray(b"xy")) == 2


def test_tuples_and_lists():
    assert f.tuple_sum((1, 2, 3)) == 6
    with pytest.raises(ValueError, match="expected tuple of length 3"):
        f.tuple_sum((1, 2))
    assert f.make_tuple() == (1, "two", None)
    items = [object(), "x", 3]
    t = tuple(items)
    assert all(a is b for a, b in zip(f.tuple_items(t), items))
    assert f.list_double([1, 2, 3]) == [2, 4, 6]
    assert f.list_double([]) == []
    lst = [1]
    assert f.list_append(lst, "z") == 2
    assert lst == [1, "z"]
    assert f.list_get(lst, 1) == "z"
    with pytest.raises(IndexError):
        f.list_get(lst, 5)
    n = f.nested()
    assert n == [[1, 2, 3], ([1, 2, 3],)]
    assert n[0] is n[1][0]


def test_dicts_and_sets():
    assert f.dict_keys_sorted({"b": 1, "a": 2}) == ["a", "b"]
    assert f.dict_invert({"x": 1, "y": 2}) == {1: "x", 2: "y"}
    d = {"k": [1], 2: "v"}
    items = f.dict_items(d)
    assert items == [("k", [1]), (2, "v")]
    assert items[0][1] is d["k"]
    assert f.dict_set(d, "new", 5) == 3 and d["new"] == 5
    assert f.dict_get(d, "k") is d["k"]
    assert f.dict_get(d, "missing") is None
    with pytest.raises(TypeError):
        f.dict_get(d, [])
    assert f.make_dict() == {"a": 1, "b": [1.5, 2.5], 3: None}
    assert f.set_size({1, 2, 2, 3}) == 3
    assert f.set_len({1, 2}) == 2
    assert f.frozenset_len(frozenset("abc")) == 3
    assert f.make_set() == {1, 2, 3}
    assert f.maybe(None) is None
    assert f.maybe(1) == 2


def test_argument_conventions():
    assert f.defaults(1) == "1-10-c"
    assert f.defaults(1, 2) == "1-2-c"
    assert f.defaults(1, c="z") == "1-10-z"
    assert f.defaults(a=5, b=6, c="q") == "5-6-q"
    with pytest.raises(TypeError):
        f.defaults()
    with pytest.raises(TypeError):
        f.defaults(1, 2, 3)
    with pytest.raises(TypeError):
        f.defaults(1, d=4)
    assert f.varargs() == (0, [])
    assert f.varargs(1, 2, x=1, y=2) == (2, ["x", "y"])
    assert f.mixed(1, 2, 3, 4, last=5, z=1) == (1, 2, [3, 4], 5, 1)
    assert f.mixed(1, second=2, last=3) == (1, 2, [], 3, 0)
    with pytest.raises(TypeError):
        f.mixed(first=1, second=2, last=3)
    assert f.no_args() == "nothing"
    assert f.noargs() is None
    with pytest.raises(TypeError, match="takes no arguments"):
        f.noargs(1)
    with pytest.raises(TypeError):
        f.no_args(1)
