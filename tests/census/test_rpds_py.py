from rpds import HashTrieMap, HashTrieSet, List


def test_persistent_structures():
    m = HashTrieMap({"a": 1})
    m2 = m.insert("b", 2)
    assert dict(m) == {"a": 1} and dict(m2) == {"a": 1, "b": 2}
    assert list(List([1, 2]).push_front(0)) == [0, 1, 2]
    assert HashTrieSet([1, 2]).insert(3) == HashTrieSet([1, 2, 3])
