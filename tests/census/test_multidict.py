from multidict import CIMultiDict, MultiDict


def test_multidict():
    # The C extension, not the pure-Python fallback.
    assert MultiDict.__module__ == "multidict._multidict"
    d = MultiDict([("a", 1), ("a", 2), ("b", 3)])
    assert d.getall("a") == [1, 2] and d["a"] == 1 and len(d) == 3
    d.add("b", 4)
    assert list(d.items()) == [("a", 1), ("a", 2), ("b", 3), ("b", 4)]
    ci = CIMultiDict(Content_Type="text")
    assert ci["content_type"] == "text"
