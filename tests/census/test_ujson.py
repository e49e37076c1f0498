import ujson


def test_roundtrip():
    value = {"a": [1, 2.5, None, True], "s": "é"}
    text = ujson.dumps(value, ensure_ascii=False, sort_keys=True)
    assert text == '{"a":[1,2.5,null,true],"s":"é"}'
    assert ujson.loads(text) == value
    try:
        ujson.loads("{")
    except ujson.JSONDecodeError:
        pass
    else:
        raise AssertionError("no error")
