"""Identity, the object protocol, callbacks and errors in both directions."""
import sys

import pytest
from _helpers import rss_growth_kib

import facadetest as f


class Thing:
    def __init__(self):
        self.value = 1

    def method(self, x):
        return ("method", x)

    def __repr__(self):
        return "<Thing>"


def test_identity_roundtrip():
    for obj in [object(), Thing(), [1, 2], {"a": 1}, (1, 2), "s", 10**30, 1.5, None, True, b"b", {1}, f, Thing]:
        assert f.echo(obj) is obj
        assert f.same(obj, obj) is True
    assert f.same([], []) is False
    assert id(f.echo(Thing)) == id(Thing)


def test_object_protocol():
    t = Thing()
    assert f.get_attr(t, "value") == 1
    f.set_attr(t, "value", 5)
    assert t.value == 5
    with pytest.raises(AttributeError):
        f.get_attr(t, "missing")
    assert f.get_item({"a": 1}, "a") == 1
    with pytest.raises(KeyError):
        f.get_item({}, "a")
    assert f.get_item([10, 20], -1) == 20
    assert f.repr_of(t) == "<Thing>"
    assert f.repr_of("é") == "'é'"
    assert f.str_of(1.5) == "1.5"
    assert f.hash_of("abc") == hash("abc")
    assert f.hash_of(123) == hash(123)
    with pytest.raises(TypeError):
        f.hash_of([])
    assert f.compare(1, 2) == (True, False, False)
    assert f.compare("b", "a") == (False, False, True)
    with pytest.raises(TypeError):
        f.compare(1, "a")
    assert f.length([1, 2, 3]) == 3
    with pytest.raises(TypeError):
        f.length(5)
    assert f.is_instance(True, int) is True
    assert f.is_instance(t, Thing) is True
    assert f.is_instance(1, str) is False
    assert f.contains([1, 2], 2) is True
    assert f.contains("abc", "z") is False
    assert f.iterate(range(3)) == [0, 1, 2]
    assert f.iterate({"x": 1}) == ["x"]
    assert f.type_name(t) == "Thing"
    assert f.type_name(1) == "int"


def test_callbacks():
    assert f.call0(lambda: 7) == 7
    assert f.call1(lambda x: x * 2, 21) == 42
    assert f.call(lambda *a, **k: (a, sorted(k.items())), 1, 2, z=3) == ((1, 2), [("z", 3)])
    assert f.call_method(Thing(), "method", 9) == ("method", 9)
    assert f.map_sum(lambda i: i * i, 10) == 285
    assert f.import_and_get("math", "pi") == 3.141592653589793
    with pytest.raises(ModuleNotFoundError):
        f.import_and_get("no_such_module_xyz", "x")


def test_errors_from_extension():
    with pytest.raises(ValueError, match="bad value") as ei:
        f.raise_value_error("bad value")
    assert ei.value.args == ("bad value",)
    with pytest.raises(KeyError) as ei:
        f.raise_key_error()
    assert ei.value.args == ("missing", 7)
    with pytest.raises(f.FacadeError, match="custom failure") as ei:
        f.raise_custom()
    assert isinstance(ei.value, RuntimeError)
    assert f.FacadeError.__module__ == "facadetest"
    assert f.FacadeError.__doc__ == "Raised by facadetest on request."
    with pytest.raises(TypeError, match="outer") as ei:
        f.raise_with_cause()
    assert isinstance(ei.value.__cause__, ValueError)
    assert str(ei.value.__cause__) == "inner"
    with pytest.raises(OverflowError):
        f.overflow_i32(2**40)


def test_errors_from_python():
    def boom():
        raise LookupError("deep")

    assert f.catch(boom) == ("LookupError", "deep")
    assert f.catch(lambda: 5) == ("ok", "5")
    with pytest.raises(RuntimeError, match="wrapped") as ei:
        f.wrap_error(boom)
    assert isinstance(ei.value.__cause__, LookupError)
    exc, has_tb = f.caught_exception(boom)
    assert isinstance(exc, LookupError) and has_tb is True
    assert exc.__traceback__ is not None
    with pytest.raises(ValueError, match="did not raise"):
        f.caught_exception(lambda: None)

    class Custom(Exception):
        pass

    def raise_custom():
        raise Custom("mine")

    with pytest.raises(Custom, match="mine"):
        f.call0(raise_custom)


def test_panic_becomes_panic_exception():
    with pytest.raises(BaseException) as ei:
        f.panic_now("kaboom")
    assert type(ei.value).__name__ == "PanicException"
    assert "kaboom" in str(ei.value)
    assert not isinstance(ei.value, Exception)


def test_detach():
    assert f.detached_sum(1000) == 499500



def _churn(n):
    s = "héllo"
    for i in range(n):
        f.add(i, 1)
        f.upper(s)
        f.echo([i, (i, "x"), {"k": i}])
        f.make_dict()
        f.list_double([i, i])
        f.i128_roundtrip(i * 10**20)


def test_no_memory_growth():
    growth = rss_growth_kib(_churn, warm=2_000)
    assert growth < 16 * 1024, f"RSS grew by {growth} KiB over 100k iterations"


def test_frozenset_filled_while_new():
    # PyFrozenSet_New(NULL) gives a new frozenset that PySet_Add fills
    # before anything else sees it (PyO3's PyFrozenSet::new).
    fs, n = f.make_frozenset([3, 1, 3, "a"])
    assert type(fs) is frozenset and fs == frozenset({1, 3, "a"}) and n == 3
    empty, n = f.make_frozenset([])
    assert empty == frozenset() and n == 0
    big, n = f.make_frozenset(list(range(20_000)))
    assert n == 20_000 and big == frozenset(range(20_000)) and hash(big) == hash(frozenset(range(20_000)))
    with pytest.raises(TypeError):
        f.make_frozenset([[]])
