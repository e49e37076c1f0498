from blake3 import blake3


def test_hash():
    assert blake3(b"").hexdigest() == "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
    h = blake3()
    h.update(b"ab")
    h.update(b"c")
    assert h.digest() == blake3(b"abc").digest()
