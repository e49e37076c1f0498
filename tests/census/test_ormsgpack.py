import ormsgpack


def test_roundtrip():
    value = {"a": [1, 2.5, None, True], "b": "text", "c": b"\x00\x01", "n": -(2**40)}
    packed = ormsgpack.packb(value)
    assert packed[:1] == b"\x84"
    assert ormsgpack.unpackb(packed) == value
    assert ormsgpack.packb([1, 2], option=ormsgpack.OPT_SORT_KEYS) == b"\x92\x01\x02"


def test_error():
    try:
        ormsgpack.unpackb(b"\xc1")
    except ormsgpack.MsgpackDecodeError:
        pass
    else:
        raise AssertionError("no error")
