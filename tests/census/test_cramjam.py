import cramjam


def test_codecs_roundtrip():
    data = b"pyfacade " * 1000
    for codec in (cramjam.snappy, cramjam.gzip, cramjam.zstd, cramjam.lz4, cramjam.brotli, cramjam.deflate):
        packed = codec.compress(data)
        assert len(packed) < len(data)
        assert bytes(codec.decompress(packed)) == data
    buf = cramjam.Buffer(b"abc")
    assert bytes(buf.read()) == b"abc"
