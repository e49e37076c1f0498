import tiktoken


def test_byte_level_bpe_roundtrip():
    ranks = {bytes([i]): i for i in range(256)}
    ranks[b"he"] = 256
    ranks[b"ll"] = 257
    ranks[b"hell"] = 258
    enc = tiktoken.Encoding(
        name="smoke", pat_str=r"\S+|\s+", mergeable_ranks=ranks, special_tokens={"<|end|>": 300}
    )
    ids = enc.encode("hello world")
    assert ids[:2] == [258, ord("o")]
    assert enc.decode(ids) == "hello world"
    assert enc.encode("hi <|end|>", allowed_special="all")[-1] == 300
    assert enc.n_vocab == 301
    assert enc.decode_bytes([258]) == b"hell"
