"""#[pyclass] / #[pymethods]: types created with PyType_FromSpec, native
instances with RustPython twins, identity and lifetime."""
import gc
import pickle
import weakref

import pytest
from _helpers import rss_kib as _rss_kib

import classtest as c


def test_type_attributes():
    assert c.Counter.__name__ == "Counter"
    assert c.Counter.__qualname__ == "Counter"
    assert c.Counter.__module__ == "classtest"
    assert c.Counter.__doc__ == "A counter."
    assert isinstance(c.Counter, type)
    assert "incr" in dir(c.Counter)
    assert "incr" in c.Counter.__dict__
    assert c.Counter.ORIGIN == 0


def test_construction_and_methods():
    x = c.Counter(5, step=2)
    assert x.incr() == 7
    assert x.count == 7
    assert x.step == 2
    assert len(x) == 7
    assert repr(x) == "Counter(7, step=2)"
    assert c.Counter().count == 0
    with pytest.raises(TypeError):
        c.Counter(1, 2, 3)
    with pytest.raises(TypeError):
        c.Counter("a")


def test_getters_setters():
    x = c.Counter(1)
    x.count = 10
    assert x.count == 10
    x.step = 3
    assert x.incr() == 13
    with pytest.raises(ValueError, match="step must not be 0"):
        x.step = 0
    with pytest.raises(AttributeError):
        x.undefined_attribute = 1
    with pytest.raises(TypeError):
        x.count = "nope"


def test_static_and_class_methods():
    assert c.Counter.describe() == "counts"
    assert c.Counter(0).describe() == "counts"
    made = c.Counter.make(3)
    assert type(made) is c.Counter and made.count == 3


def test_pyref_extraction():
    x = c.Counter(10)
    assert c.counter_value(x) == 10
    assert c.bump(x) == 110
    assert x.count == 110
    with pytest.raises(TypeError):
        c.counter_value(object())
    made = c.make_counter(7)
    assert type(made) is c.Counter and made.count == 7


def test_not_subclassable_without_subclass_flag():
    with pytest.raises(TypeError, match="not an acceptable base type"):
        type("Sub", (c.Counter,), {})


def test_extension_inheritance():
    b = c.Base(3)
    ch = c.Child(4, 5)
    assert (b.kind(), b.doubled()) == ("base", 6)
    assert (ch.kind(), ch.doubled(), ch.total()) == ("child", 8, 9)
    assert (ch.value, ch.extra) == (4, 5)
    assert isinstance(ch, c.Base) and issubclass(c.Child, c.Base)
    assert c.Child.__mro__ == (c.Child, c.Base, object)


def test_python_subclass():
    class Sub(c.Base):
        label = "sub"

        def kind(self):
            return "sub:" + super().kind()

    s = Sub(2)
    assert s.kind() == "sub:base"
    assert s.doubled() == 4
    assert isinstance(s, c.Base) and type(s) is Sub
    s.anything = [1]
    assert s.__dict__ == {"anything": [1]}
    assert Sub.label == "sub"

    class Sub2(Sub):
        def __init__(self, value):
            super().__init__()
            self.tag = value * 10

    s2 = Sub2(4)
    assert (s2.value, s2.tag, s2.kind()) == (4, 40, "sub:base")
    with pytest.raises(TypeError):
        Sub2(4, 5)


def test_frozen_eq_hash_and_number_protocol():
    p, q = c.Point(1, 2), c.Point(1, 2)
    assert p == q and not (p != q)
    assert p != c.Point(0, 0)
    assert hash(p) == hash(q)
    assert {p: 1}[q] == 1
    assert repr(p + q) == "Point(2, 4)"
    assert repr(-p) == "Point(-1, -2)"
    assert bool(p) and not bool(c.Point(0, 0))
    assert (p.x, p.y) == (1, 2)
    with pytest.raises(AttributeError):
        p.x = 5
    with pytest.raises(TypeError):
        p + 1


def test_enum():
    assert c.Color.Red == c.Color.Red
    assert c.Color.Red != c.Color.Blue
    assert repr(c.Color.Green) == "Color.Green"
    assert type(c.Color.Red) is c.Color
    assert int(c.Color.Blue) == 2
    assert c.Color.Red == 0


def test_sequence_protocol():
    bag = c.Bag(1, 2, 3)
    assert len(bag) == 3
    assert (bag[0], bag[-1]) == (1, 3)
    assert 2 in bag and 9 not in bag
    assert list(bag) == [1, 2, 3]
    bag[0] = 10
    del bag[1]
    assert list(bag) == [10, 3]
    with pytest.raises(IndexError, match="Bag index out of range"):
        bag[10]
    with pytest.raises(IndexError):
        del bag[5]
    it = iter(bag)
    assert next(it) == 10 and next(it) == 3
    with pytest.raises(StopIteration):
        next(it)


def test_call():
    a = c.Adder(10)
    assert a() == 10
    assert a(1, 2, x=3) == 16
    assert callable(a)


def test_dict_and_weakref_classes():
    o = c.Open()
    o.foo = 1
    assert o.foo == 1
    assert o.__dict__ == {"foo": 1}
    r = weakref.ref(o)
    assert r() is o


def test_dict_slot_holds_the_instance_dict_once_read():
    # C reading the dict slot at tp_dictoffset after __dict__ was read or set
    # finds that dict, as on CPython; the slot's reference goes with the
    # object (its tp_dealloc releases it), and what the dict holds with it.
    o = c.OpenTracked()
    o.x = [1]
    d = o.__dict__
    assert c.dict_slot(o) is d
    o.__dict__ = {"y": 2}
    assert c.dict_slot(o) is o.__dict__
    assert c.dict_slot(o) == {"y": 2}
    inner = [3]
    o.z = inner
    r = weakref.ref(o)
    before = c.drops()
    del o
    assert r() is None
    assert c.drops() == before + 1
    assert d == {"x": [1]}


def test_object_with_dict_and_weakrefs_is_freed_when_python_drops_it():
    before = c.drops()
    o = c.OpenTracked()
    o.x = [1]
    r = weakref.ref(o)
    del o
    assert r() is None
    assert c.drops() == before + 1


def test_object_is_freed_when_c_drops_its_last_reference_inline():
    # No gc.collect(): on CPython the inline Py_DECREF frees it at once.
    before = c.drops()
    h = c.Holder()
    o = c.OpenTracked()
    o.x = [1]
    r = weakref.ref(o)
    h.put(o)
    del o
    assert r() is not None and r().x == [1]  # C's reference keeps it, __dict__ too
    assert c.drops() == before
    h.clear()
    assert r() is None
    assert c.drops() == before + 1
    t = c.Tracked(5)
    h.put(t)
    t_id = id(t)
    del t
    assert id(h.get()) == t_id
    h.clear()
    assert c.drops() == before + 2


def test_getrefcount_counts_the_references_c_holds():
    import sys

    import facadetest

    o = ["x"]
    before = sys.getrefcount(o)
    h = c.Holder()
    h.put(o)
    assert sys.getrefcount(o) == before + 1
    h.clear()
    assert sys.getrefcount(o) == before
    facadetest.ignore(o)
    assert sys.getrefcount(o) == before
    t = c.Tracked(1)
    before = sys.getrefcount(t)
    h.put(t)
    assert sys.getrefcount(t) == before + 1
    h.clear()
    assert sys.getrefcount(t) == before


def test_identity_kept_by_extension():
    h = c.Holder()
    t = c.Tracked(1)
    t_id = id(t)
    h.put(t)
    del t
    gc.collect()
    t2 = h.get()
    assert id(t2) == t_id
    assert h.get() is t2
    assert t2.tag == 1


def test_drop_runs_exactly_once():
    gc.collect()
    before = c.drops()
    objs = [c.Tracked(i) for i in range(100)]
    assert c.drops() == before
    del objs
    gc.collect()
    assert c.drops() == before + 100
    h = c.Holder()
    h.put(c.Tracked(-1))
    gc.collect()
    assert c.drops() == before + 100
    h.take()
    gc.collect()
    assert c.drops() == before + 101
    gc.collect()
    assert c.drops() == before + 101



def test_create_drop_loop_keeps_rss_flat():
    for i in range(20_000):
        c.Tracked(i)
    gc.collect()
    before = _rss_kib()
    drops_before = c.drops()
    n = 1_000_000
    for i in range(n):
        c.Tracked(i)
    gc.collect()
    assert c.drops() - drops_before == n
    growth = _rss_kib() - before
    assert growth < 16 * 1024, f"RSS grew by {growth} KiB over {n} create/drop iterations"


def test_exception_subclass_with_rust_fields():
    e = c.CodedError(7)
    assert isinstance(e, ValueError) and isinstance(e, Exception)
    assert e.code == 7 and e.describe() == "error 7"
    assert c.coded_code(e) == 7
    with pytest.raises(c.CodedError) as ei:
        c.raise_coded(42)
    assert ei.value.code == 42 and c.coded_code(ei.value) == 42
    with pytest.raises(ValueError):
        c.raise_coded(1)
    try:
        raise c.CodedError(5, "extra")
    except ValueError as caught:
        assert caught.code == 5 and caught.args == (5, "extra")

    class Sub(c.CodedError):
        pass

    s = Sub(9)
    assert s.code == 9 and isinstance(s, c.CodedError)
    gc.collect()


def test_dict_subclass_with_rust_fields():
    d = c.TaggedDict(a=1)  # arguments also reach dict.__init__, as in CPython
    d.update(b=2)
    assert d.tag == "tagged" and d.size() == 2
    assert dict(d) == {"a": 1, "b": 2} and isinstance(d, dict)
    assert len(d) == 2 and "a" in d


def test_ord_str_module_and_pickle():
    a, b = c.Version(1, 2), c.Version(1, 10)
    assert a < b and b > a and a <= c.Version(1, 2) and a != b
    assert str(a) == "Version 1.2"
    assert c.Version.__module__ == "classtest"
    assert (a.major, a.minor) == (1, 2)
    r = pickle.loads(pickle.dumps(a))
    assert type(r) is c.Version and r == a
    assert sorted([b, a]) == [a, b]


def test_mapping_class():
    assert c.Registry.__module__ == "classtest.registry"
    reg = c.Registry()
    val = object()
    reg["x"] = val
    reg["y"] = 2
    assert len(reg) == 2 and reg["x"] is val
    del reg["y"]
    assert reg.keys() == ["x"]
    with pytest.raises(KeyError):
        reg["missing"]
    with pytest.raises(KeyError):
        del reg["missing"]


def test_complex_enum():
    circle = c.Shape.Circle(radius=2.0)
    rect = c.Shape.Rect(w=2.0, h=3.0)
    assert circle.radius == 2.0 and circle.area() == 12.0
    assert rect.area() == 6.0 and c.Shape.Empty().area() == 0.0
    assert isinstance(circle, c.Shape) and isinstance(circle, c.Shape.Circle)
    match rect:
        case c.Shape.Rect(w=w, h=h):
            assert (w, h) == (2.0, 3.0)
        case _:
            raise AssertionError("no match")


def test_typed_pyclass_fields():
    leaf = c.Node(1)
    root = c.Node(2, leaf)
    assert root.child is leaf and root.depth() == 2
    root.child = None
    assert root.child is None and root.depth() == 1
    with pytest.raises(TypeError):
        root.child = "not a node"


def test_async_method():
    import asyncio

    node = c.Node(40)
    assert asyncio.run(node.later(2)) == 42
    coro = node.later(1)
    assert hasattr(coro, "__await__")
    coro.close()


def test_init_subclass_and_class_attributes():
    class MyPlugin(c.Plugin):
        pass

    assert MyPlugin.registered is True
    assert "registered" in MyPlugin.__dict__
    assert "__init_subclass__" in dir(c.Plugin)


def test_cycles_through_traverse_are_collected():
    gc.collect()
    before = c.drops()
    a, b = c.CycleNode(), c.CycleNode()
    a.link(b)
    b.link(a)
    selfref = c.CycleNode()
    selfref.link(selfref)
    del a, b, selfref
    gc.collect()
    assert c.drops() == before + 3
    keep = c.CycleNode()
    other = c.CycleNode()
    keep.link(other)
    other.link(keep)
    del other
    gc.collect()
    assert c.drops() == before + 3  # still reachable through `keep`
    del keep
    gc.collect()
    assert c.drops() == before + 5


def test_cycles_made_in_c_alone_are_collected():
    gc.collect()
    before = c.drops()
    c.make_c_cycles(100)
    gc.collect()
    assert c.drops() == before + 200


def test_number_protocol():
    n = c.Num(7)
    assert (n + 1, 1 + n, n - 2, 10 - n, n * 3) == (c.Num(8), c.Num(8), c.Num(5), c.Num(3), c.Num(21))
    assert n @ 2 == c.Num(7002)
    assert n / 2 == 3.5 and n // 2 == c.Num(3) and n % 4 == c.Num(3) and divmod(n, 4) == (1, 3)
    assert n ** 2 == c.Num(49) and pow(n, 2, 5) == c.Num(4)
    assert (n << 2, n & 3, n | 8, n ^ 1) == (c.Num(28), c.Num(3), c.Num(15), c.Num(6))
    assert (-n, +n, abs(c.Num(-3)), ~n) == (c.Num(-7), c.Num(7), c.Num(3), c.Num(-8))
    assert [10, 20, 30, 40, 50, 60, 70, 80][c.Num(2)] == 30
    assert int(n) == 7 and float(n) == 7.5 and bool(n) and not bool(c.Num(0))
    assert hex(c.Num(255)) == "0xff"
    with pytest.raises(TypeError):
        n + "x"
    a = c.Acc(1)
    a += 5
    a -= 1
    a *= 3
    assert a.v == 15


def test_slices_and_indices():
    s = c.Seq([0, 1, 2, 3, 4, 5])
    assert s[2] == 2 and s[-1] == 5
    assert s[1:4] == [1, 2, 3] and s[::2] == [0, 2, 4] and s[::-1] == [5, 4, 3, 2, 1, 0]
    with pytest.raises(IndexError):
        s[6]
    assert list(s) == [0, 1, 2, 3, 4, 5]  # iteration falls back to __getitem__


def test_descriptor_protocol():
    class Owner:
        f = c.Field()

    o = Owner()
    assert Owner.f == -1
    with pytest.raises(AttributeError):
        o.f
    o.f = 5
    assert o.f == 5
    del o.f
    with pytest.raises(AttributeError):
        o.f


def test_getattr_setattr_delattr():
    d = c.Dyn()
    assert d.real == 7
    d.x = 3
    assert d.x == 3
    with pytest.raises(AttributeError):
        d.missing
    del d.x
    with pytest.raises(AttributeError):
        d.x
    with pytest.raises(AttributeError):
        del d.x


def test_freelist_recycling():
    for round_ in range(3):
        objs = [c.Pooled(i) for i in range(20)]
        assert [o.v for o in objs] == list(range(20))
        ids = {id(o) for o in objs}
        assert len(ids) == 20
        del objs
        gc.collect()
    fresh = c.Pooled(99)
    assert fresh.v == 99 and type(fresh) is c.Pooled


def test_class_text_signature():
    assert c.Counter.__text_signature__ == "(start=0, step=1)"
    assert c.Counter.__doc__ == "A counter."
    assert c.Counter.incr.__text_signature__ == "($self)"


def test_set_and_float_bases():
    s = c.TaggedSet([1, 2])  # set.__init__ receives the arguments
    assert s.size() == 2 and isinstance(s, set) and 2 in s
    s.add(3)
    assert s.size() == 3 and len(s) == 3
    m = c.Meters()
    # PyO3 calls the base tp_new without arguments: the float value is 0.0.
    assert float(m) == 0.0 and m.doubled() == 0.0 and isinstance(m, float)


def test_getter_docs():
    # Field and method getters carry their doc comments (PyGetSetDef.doc).
    assert c.Base.value.__doc__ == "The value it was made with."
    assert c.Base.twice.__doc__ == "Twice the value, computed."
    assert c.Base(4).twice == 8


def test_call_forms_reach_the_same_c_function():
    # Every way Python can call a C function or method: the interpreter's
    # vector calls (positional, keywords, bound and unbound methods) and the
    # generic calls of builtins such as map() and functools.partial.
    import functools
    import facadetest as f

    assert f.add(7, 2) == 9 and f.add(a=7, b=2) == 9 and f.add(7, b=2) == 9
    assert list(map(f.add, [1, 2], [10, 20])) == [11, 22]
    assert functools.partial(f.add, b=5)(1) == 6
    assert f.add(*(3, 4)) == 7 and f.add(**{"a": 3, "b": 4}) == 7
    with pytest.raises(TypeError):
        f.add(1, 2, c=3)
    x = c.Counter(0)
    bound = x.incr
    assert bound() == 1 and c.Counter.incr(x) == 2
    assert list(map(c.Counter.incr, [x, x])) == [3, 4]
    assert functools.partial(c.Counter.incr, x)() == 5
    assert c.Counter.make(start=4).count == 4 and c.Counter.make(4).count == 4
    assert functools.partial(c.Counter.make, start=6)().count == 6
    with pytest.raises(TypeError, match="Counter"):
        c.Counter.incr(5)
    with pytest.raises(TypeError, match=r"unbound method Counter\.incr\(\) needs an argument"):
        c.Counter.incr()
    with pytest.raises(TypeError):
        x.incr(1)
    # Instantiation in every form (the type's constructor takes the argument
    # vector straight to tp_new), and Python subclasses keep their __init__.
    assert c.Counter().count == 0 and c.Counter(3).count == 3
    assert c.Counter(start=2, step=5).incr() == 7 and c.Counter(1, step=2).incr() == 3
    assert c.Counter(*(4,), **{"step": 3}).incr() == 7
    assert [k.count for k in map(c.Counter, [5, 6])] == [5, 6]
    assert functools.partial(c.Counter, step=10)(1).incr() == 11
    with pytest.raises(TypeError):
        c.Counter(1, 2, 3)
    with pytest.raises(TypeError):
        c.Counter(nope=1)

    class Sub(c.Base):
        def __init__(self, value):
            self.seen = value

    sub = Sub(9)
    assert sub.seen == 9 and sub.value == 9 and type(sub) is Sub
    # A base's method on a subclass instance; a subclass's on a base instance.
    ch = c.Child(4, 5)
    assert c.Base.doubled(ch) == 8
    with pytest.raises(TypeError, match="Child"):
        c.Child.total(c.Base(1))


def test_special_method_lookup_binds_descriptors():
    # What PyO3 does for `__int__`, `__complex__`, ...: look the name up on
    # the type and bind it through the attribute type's tp_descr_get (a
    # function, a property, a classmethod), or take a plain callable as it is.
    class SimpleInt:
        def __int__(self):
            return 1

    class Inherited(SimpleInt):
        pass

    class CustomCallable:
        def __call__(self):
            return 7

    class NoDescriptorInt:
        __int__ = CustomCallable()

    class ErrorInDescriptor:
        @property
        def __int__(self):
            raise ValueError("uh-oh!")

    class K:
        @classmethod
        def cm(cls):
            return cls

    assert c.lookup_special(SimpleInt(), "__int__")() == 1
    assert c.lookup_special(Inherited(), "__int__")() == 1
    assert c.lookup_special(NoDescriptorInt(), "__int__")() == 7
    assert c.lookup_special(object(), "__int__") is None
    with pytest.raises(ValueError, match="uh-oh"):
        c.lookup_special(ErrorInDescriptor(), "__int__")
    assert c.lookup_special(K(), "cm")() is K
    assert c.lookup_special(3, "__add__")(4) == 7

    class Prop:
        @property
        def __complex__(self):
            return lambda: 3.0 + 1.2j

    class MyComplex:
        def __call__(self):
            return 3.0 + 1.2j

    class A:
        __complex__ = MyComplex()

    assert c.as_complex(Prop()) == (3.0, 1.2)
    assert c.as_complex(A()) == (3.0, 1.2)
    assert c.as_complex(2) == (2.0, 0.0)

    class Settable:
        def __init__(self):
            self._v = 0

        @property
        def v(self):
            return self._v

        @v.setter
        def v(self, x):
            self._v = x

        @v.deleter
        def v(self):
            self._v = None

    s = Settable()
    assert c.descr_set(s, "v", 5) and s.v == 5
    assert c.descr_set(s, "v", None) and s.v is None
    assert not c.descr_set(s, "__init__", 1)


def test_str_equals_utf8():
    # PyUnicode_EqualToUTF8AndSize compares ASCII strs inline, others by
    # their characters; a str with a lone surrogate equals no UTF-8 string.
    for s in ["key", "", "a" * 100, "héllo", "日本", "\U0001f600"]:
        assert c.str_equals_utf8(s, s.encode()) == (True, True), s
    assert c.str_equals_utf8("key", b"kex") == (False, True)
    assert c.str_equals_utf8("key", b"ke") == (False, True)
    assert c.str_equals_utf8("ke", b"key") == (False, True)
    assert c.str_equals_utf8("abc", "abç".encode()) == (False, True)
    assert c.str_equals_utf8("\ud800", b"\xed\xa0\x80") == (False, None)
    assert c.str_equals_utf8(b"key", b"key")[0] is False
