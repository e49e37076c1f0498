"""Real PyPI wheels (the seed packages), unmodified: cp314 builds on
pyfacade, cp313 builds of the same releases on CPython as the oracle."""
import array
import json
import sys

import pytest

import blake3
import jiter
import rpds


def test_wheels_come_from_the_expected_builds():
    suffix = ".cpython-%d%d-x86_64-linux-gnu.so" % sys.version_info[:2]
    for mod in (blake3, jiter, rpds):
        ext = [m for m in sys.modules.values() if getattr(m, "__file__", "") and m.__name__.startswith(mod.__name__)]
        assert any(str(m.__file__).endswith(suffix) for m in ext), mod.__name__


def test_blake3_vectors_and_buffers():
    # Published BLAKE3 test vectors.
    assert blake3.blake3(b"").hexdigest() == "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
    assert blake3.blake3(b"hello").hexdigest() == "ea8f163db38682925e4491c5e58d4bb3506ef8c14eb78a86e908c5624a67200f"
    h = blake3.blake3()
    h.update(bytearray(b"hel"))
    h.update(memoryview(b"xxlo")[2:])
    assert h.hexdigest() == blake3.blake3(b"hello").hexdigest()
    assert h.digest(length=64)[:32] == h.digest()
    assert blake3.blake3(array.array("B", b"hello")).digest() == blake3.blake3(b"hello").digest()
    with pytest.raises(BufferError):
        blake3.blake3(array.array("i", [1]))
    big = b"x" * 300_000
    assert blake3.blake3(big, max_threads=blake3.blake3.AUTO).digest() == blake3.blake3(big).digest()
    keyed = blake3.blake3(b"msg", key=b"k" * 32).hexdigest()
    assert len(keyed) == 64 and keyed != blake3.blake3(b"msg").hexdigest()
    c = h.copy()
    c.update(b"!")
    assert c.hexdigest() != h.hexdigest()


DOC = '{"a": [1, 2.5, "x\\u00e9\\ud83d\\udc0d", null, true, false], "b": {"c": 12345678901234567890123, "d": -0.0}, "e": ""}'


def test_jiter_matches_json():
    assert jiter.from_json(DOC.encode()) == json.loads(DOC)
    assert jiter.from_json(b"[1, 2]", cache_mode="keys") == [1, 2]
    assert jiter.from_json(b'{"x": 1.5}', float_mode="decimal") == {"x": __import__("decimal").Decimal("1.5")}
    with pytest.raises(ValueError):
        jiter.from_json(b"{not json")
    big = json.dumps({str(i): list(range(i % 7)) for i in range(2000)}).encode()
    assert jiter.from_json(big) == json.loads(big)


def test_rpds_persistent_structures():
    m = rpds.HashTrieMap({"a": 1})
    m2 = m.insert("b", 2)
    assert dict(m) == {"a": 1} and dict(m2) == {"a": 1, "b": 2}
    assert m2["b"] == 2 and len(m2) == 2 and "a" in m2
    assert m2.remove("a") == rpds.HashTrieMap({"b": 2})
    with pytest.raises(KeyError):
        m["zz"]
    assert hash(rpds.HashTrieMap({"x": 1})) == hash(rpds.HashTrieMap({"x": 1}))
    s = rpds.HashTrieSet([1, 2, 3])
    assert s.insert(4) == rpds.HashTrieSet([1, 2, 3, 4])
    assert s & rpds.HashTrieSet([2, 9]) == rpds.HashTrieSet([2])
    lst = rpds.List([1, 2, 3])
    assert list(lst.push_front(0)) == [0, 1, 2, 3] and lst.first == 1
    assert list(lst.rest) == [2, 3]
    q = rpds.Queue([1, 2]).enqueue(3)
    assert list(q) == [1, 2, 3] and q.peek() == 1
    keys = {object() for _ in range(50)}
    big = rpds.HashTrieMap({k: i for i, k in enumerate(keys)})
    assert all(big[k] is not None for k in keys)
    assert repr(rpds.List([1])) == "List([1])"


def test_jiter_repeated_parses_keep_memory_flat():
    import gc

    from _helpers import rss_growth_kib

    doc = json.dumps({"a": "b", "cc": ["d", "é", "x" * 40], "n": [1, 2.5, None, True]}).encode()
    want = json.loads(doc)

    def churn(n):
        for _ in range(n):
            assert jiter.from_json(doc) == want

    grown = rss_growth_kib(churn, warm=5_000, n=50_000)
    assert grown < 16 * 1024, f"RSS grew by {grown} KiB"
    try:
        import _pyfacade
    except ImportError:
        return
    gc.collect()
    before = _pyfacade.live_mirrors()
    churn(10_000)
    gc.collect()
    assert _pyfacade.live_mirrors() - before < 64
