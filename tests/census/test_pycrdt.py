from pycrdt import Array, Doc, Map, Text


def test_sync_two_documents():
    a = Doc()
    a["text"] = text = Text()
    a["list"] = arr = Array()
    a["map"] = m = Map()
    text += "hello"
    arr.extend([1, 2])
    m["k"] = "v"
    b = Doc()
    b.apply_update(a.get_update())
    assert str(b.get("text", type=Text)) == "hello"
    assert list(b.get("list", type=Array)) == [1.0, 2.0]
    assert b.get("map", type=Map)["k"] == "v"
