import zstandard


def test_roundtrip():
    data = b"pyfacade " * 1000
    packed = zstandard.ZstdCompressor(level=3).compress(data)
    assert len(packed) < 200
    assert zstandard.ZstdDecompressor().decompress(packed) == data
    assert zstandard.backend == "cext"
