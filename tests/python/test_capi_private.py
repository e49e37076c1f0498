"""Private `_Py*` symbols that popular cp314 wheels import (a census of 20
wheels: Cython-built aiohttp/yarl/lxml/msgpack/pyyaml/frozenlist/propcache,
orjson, multidict, regex, simplejson, cffi), exercised through
tests/ext/capi_private on pyfacade and CPython 3.13."""
import pytest

import capi_private as m


def test_dict_known_hash():
    d, got, missing_ok, delta = m.dict_known_hash("key", "value")
    assert d == {"key": "value", "value": "key"}
    assert got == "value"
    assert missing_ok is True
    assert delta == 0  # borrowed


class BadEq:
    def __hash__(self):
        return hash("key")

    def __eq__(self, other):
        raise ValueError("no comparison")


def test_dict_known_hash_propagates_errors():
    with pytest.raises(ValueError, match="no comparison"):
        m.dict_known_hash_error({"key": 1}, BadEq())


class Base:
    def method(self):
        return "base"

    attr = 41


class Derived(Base):
    attr = 42


def test_type_lookup_walks_the_mro_without_descriptors():
    assert m.type_lookup(Derived, "attr") == 42
    assert m.type_lookup(Derived, "method") is Base.__dict__["method"]
    assert m.type_lookup(Derived, "missing") is None
    assert m.type_lookup(int, "__add__") is int.__dict__["__add__"]
    # Instance attributes are not type attributes.
    assert m.type_lookup(type(Derived()), "__dict__") is not None


def test_dict_ptr_sees_the_instance_dict():
    o = Derived()
    assert m.dict_ptr_lookup(o, "x") == "not found"
    o.x = [1, 2]
    assert m.dict_ptr_lookup(o, "x") == [1, 2]
    o.__dict__ = {"x": "replaced"}
    assert m.dict_ptr_lookup(o, "x") == "replaced"
    assert m.dict_ptr_lookup(5, "x") == "no dict"
    assert m.dict_ptr_lookup(int, "x") in ("no dict", "not found")


@pytest.mark.parametrize(
    "v, sign, bits",
    [(0, 0, 0), (1, 1, 1), (-1, -1, 1), (255, 1, 8), (-256, -1, 9), (2**100, 1, 101), (True, 1, 1)],
)
def test_long_helpers(v, sign, bits):
    s, n, copy, exact = m.long_info(v)
    assert (s, n, copy, exact) == (sign, bits, int(v), True)


def test_long_as_byte_array():
    assert m.as_byte_array(1, 4, 1, 1) == b"\x01\x00\x00\x00"
    assert m.as_byte_array(-2, 4, 0, 1) == b"\xff\xff\xff\xfe"
    assert m.as_byte_array(255, 1, 1, 0) == b"\xff"
    assert m.as_byte_array(2**64 - 1, 8, 1, 0) == b"\xff" * 8
    with pytest.raises(OverflowError, match="int too big to convert"):
        m.as_byte_array(256, 1, 1, 0)
    with pytest.raises(OverflowError, match="int too big to convert"):
        m.as_byte_array(128, 1, 1, 1)
    with pytest.raises(OverflowError, match="can't convert negative int to unsigned"):
        m.as_byte_array(-1, 4, 1, 0)
    assert m.as_byte_array(256, 1, 1, 0, 0) == "failed without exception"


class Idx:
    def __index__(self):
        return 7


def test_slice_index():
    assert m.slice_index(5) == 5
    assert m.slice_index(None) == 12345
    assert m.slice_index(Idx()) == 7
    assert m.slice_index(2**100) == 2**63 - 1
    assert m.slice_index(-(2**100)) == -(2**63)
    with pytest.raises(TypeError, match="slice indices must be integers or None or have an __index__ method"):
        m.slice_index("3")


def test_unicode_ctype():
    s = "Aa Zİ\u0130\t\x1c\u3000x\u00df\u2028\u03a3"
    expected = tuple((ord(c.lower()[0]), int(c.isspace())) for c in s)
    assert m.unicode_ctype(s) == expected


def test_tables():
    lower, ws, empty = m.tables()
    assert lower == bytes(range(256)).translate(bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz"))
    assert ws == bytes(int(chr(i).isspace()) for i in range(128))
    assert empty == 0


def test_new_reference_resets_the_count():
    assert m.new_reference() == 1
