import jiter


def test_parse():
    assert jiter.from_json(b'{"a": [1, 2.5, "x", null, true]}') == {"a": [1, 2.5, "x", None, True]}
    assert jiter.from_json(b'[1, 2', partial_mode=True) == [1, 2]
