import msgpack


def test_roundtrip_and_streaming():
    value = {"a": [1, 2.5, None], "b": b"\x00"}
    packed = msgpack.packb(value)
    assert msgpack.unpackb(packed) == value
    u = msgpack.Unpacker()
    u.feed(packed + msgpack.packb(7))
    assert list(u) == [value, 7]
    assert msgpack.Packer.__module__ == "msgpack._cmsgpack"
