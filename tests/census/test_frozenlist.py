import pytest

from frozenlist import FrozenList


def test_freeze():
    # The Cython extension, not the pure-Python fallback.
    assert FrozenList.__module__ == "frozenlist._frozenlist"
    fl = FrozenList([1, 2])
    fl.append(3)
    fl.freeze()
    assert fl.frozen and list(fl) == [1, 2, 3]
    with pytest.raises(RuntimeError):
        fl.append(4)
    other = FrozenList([1, 2, 3])
    other.freeze()
    assert hash(fl) == hash(other) and fl == other
