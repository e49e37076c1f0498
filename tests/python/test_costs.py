"""The bridge's cost model: container APIs with CPython's complexity, O(1)
crossings of unchanged objects, and no growth on long-lived objects.

Timings compare n and 8n items (or a small and a large object) in the same
run with generous bounds: they fail on O(n^2) or O(n)-per-crossing, not on a
slow machine. The same file runs on CPython 3.13 and on pyfacade.
"""
import gc
import sys
import time
import weakref

import pytest

import classtest as c
import facadetest as f
from _helpers import rss_growth_kib, rss_kib


def best(fn, rounds=3):
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return min(out)


def ratio(small, large, rounds=3):
    return best(large, rounds) / max(best(small, rounds), 1e-6)


def test_list_append_is_linear():
    n = 20_000
    assert f.build_list(10) == list(range(10))
    r = ratio(lambda: f.build_list(n), lambda: f.build_list(8 * n))
    assert r < 24, f"8x the appends took {r:.1f}x the time"


def test_list_insert_and_set_item():
    l = [1, 2]
    assert f.list_insert_front(l, 0, 3) == 5
    assert l == [0, 0, 0, 1, 2]
    f.list_fill(l, "x")
    assert l == ["x"] * 5
    assert f.list_sum([5] * 1000) == 5000


def test_dict_next_is_linear():
    n = 20_000
    small = {i: i for i in range(n)}
    large = {i: i for i in range(8 * n)}
    assert f.dict_count(small) == n
    r = ratio(lambda: f.dict_count(small), lambda: f.dict_count(large))
    assert r < 24, f"iterating 8x the keys took {r:.1f}x the time"


def test_dict_next_after_deletions():
    d = {i: str(i) for i in range(1000)}
    for i in range(0, 1000, 2):
        del d[i]
    assert f.dict_count(d) == 500
    assert sorted(k for k, _ in f.dict_items(d)) == list(range(1, 1000, 2))


def test_crossing_an_unchanged_list_is_constant():
    small = list(range(10))
    large = list(range(100_000))
    calls = 2000

    def cross(x):
        return lambda: [f.ignore(x) for _ in range(calls)]

    f.ignore(large)
    r = ratio(cross(small), cross(large))
    assert r < 20, f"crossing a 100k list costs {r:.1f}x a 10-item one"


def test_crossing_large_bytes_is_constant():
    small = b"x" * 16
    large = b"x" * (1 << 20)
    calls = 2000
    assert f.bytes_len(large) == 1 << 20
    r = ratio(lambda: [f.bytes_len(small) for _ in range(calls)], lambda: [f.bytes_len(large) for _ in range(calls)])
    assert r < 20, f"crossing 1 MiB of bytes costs {r:.1f}x 16 bytes"


def test_python_mutations_are_seen():
    l = [1, 2, 3]
    assert f.list_sum(l) == 6
    l.append(4)
    assert f.list_sum(l) == 10
    l[0] = 10
    assert f.list_sum(l) == 19
    del l[1:3]
    assert f.list_sum(l) == 14
    l.extend(range(5))
    assert f.list_sum(l) == 24
    l.sort()
    assert [f.list_get(l, i) for i in range(len(l))] == sorted(l)
    l.sort(reverse=True)
    assert f.list_get(l, 0) == 10
    l.reverse()
    assert f.list_get(l, 0) == 0
    l.clear()
    assert f.list_sum(l) == 0


def test_list_sort_is_still_a_method():
    assert [3, 1, 2].sort() is None
    l = ["b", "A", "c"]
    l.sort(key=str.lower, reverse=True)
    assert l == ["c", "b", "A"]
    assert "sort" in list.sort.__doc__.lower() or list.sort.__doc__


def test_nested_containers_are_refreshed():
    inner = [1, 2]
    t = (inner,)
    assert f.tuple_list_sum(t) == 3
    inner.append(10)
    assert f.tuple_list_sum(t) == 13
    d = {}
    td = (d,)
    assert f.tuple_dict_len(td) == 0
    d["a"] = 1
    d["b"] = 2
    assert f.tuple_dict_len(td) == 2
    outer = [[1], [2]]
    assert f.list_sum(outer[0]) == 1
    outer[0].append(5)
    assert f.tuple_list_sum((outer[0],)) == 6


class Canary:
    pass


def test_values_replaced_in_a_dict_are_released():
    d = {"k": Canary()}
    wr = weakref.ref(d["k"])
    assert f.dict_count(d) == 1
    d["k"] = 1
    assert wr() is None


def test_objects_in_dropped_containers_are_collected():
    c = Canary()
    wr = weakref.ref(c)
    l = [c, 1, "s"]
    t = (c, b"b")
    f.ignore(l)
    f.ignore(t)
    f.ignore({"c": c})
    del c, l, t
    gc.collect()
    assert wr() is None


def test_classes_that_crossed_into_c_are_freed():
    # A class whose instance crossed into C (so its type object was made),
    # a Python subclass of an extension class (whose instances hold their
    # type through tp_alloc) and an exception class raised through C: each is
    # freed once Python drops it, as on CPython.
    class Plain:
        def m(self):
            return super().__repr__()

    class Sub(c.Base):
        pass

    class Err(Exception):
        pass

    def fail():
        raise Err("x")

    f.echo(Plain())
    assert Sub(1).kind() == "base"
    try:
        f.call(fail)
    except Err:
        pass
    refs = [weakref.ref(k) for k in (Plain, Sub, Err)]
    del Plain, Sub, Err, fail
    gc.collect()
    assert [r() for r in refs] == [None, None, None]


def test_a_class_c_holds_stays_alive():
    class Held:
        pass

    # C takes the type from Py_TYPE(o) with an inline Py_INCREF.
    f.keep_type(Held())
    wr = weakref.ref(Held)
    del Held
    gc.collect()
    try:
        assert wr() is not None
        (held,) = f.kept()
        assert held is wr() and held.__name__ == "Held" and isinstance(held(), held)
        del held
    finally:
        f.release_kept()
    gc.collect()
    assert wr() is None


def test_no_growth_creating_classes_that_cross_into_c():
    def churn(n):
        for _ in range(n):
            class K:
                def m(self):
                    return super().m()

            f.echo(K())

    grown = rss_growth_kib(churn, warm=2_000, n=20_000)
    assert grown < 16 * 1024, f"RSS grew by {grown} KiB"


def test_no_growth_crossing_new_containers():
    def churn(n):
        for i in range(n):
            f.ignore([i, str(i)])
            f.ignore((i, b"x"))
            f.list_sum([i])
            f.dict_count({i: i})

    grown = rss_growth_kib(churn)
    assert grown < 16 * 1024, f"RSS grew by {grown} KiB"


def test_no_growth_on_a_long_lived_dict():
    d = {"k": 0}
    f.dict_count(d)
    gc.collect()
    before = rss_kib()
    for i in range(100_000):
        d["k"] = str(i)
        f.dict_count(d)
    grown = rss_kib() - before
    assert grown < 16 * 1024, f"RSS grew by {grown} KiB"


def test_closures_are_released_with_their_function():
    dropped = []
    token = Canary()
    wr = weakref.ref(token)
    fn = f.make_closure(token, lambda: dropped.append(1))
    assert fn(1, 2) == (token, (1, 2))
    assert fn.__name__
    del token
    assert wr() is not None
    del fn
    assert dropped == [1]
    # PyO3 defers the release of `Py<T>` dropped outside a call into the
    # extension to its next call (on CPython as well).
    f.no_args()
    assert wr() is None


def test_no_growth_creating_closures():
    def churn(n):
        for i in range(n):
            fn = f.make_closure(i, lambda: None)
            assert fn()[0] == i

    grown = rss_growth_kib(churn)
    assert grown < 16 * 1024, f"RSS grew by {grown} KiB"


def test_empty_singletons_keep_identity():
    t, b = f.empties()
    assert t is ()
    assert b is b""
    assert f.same((), f.empties()[0])


def test_extension_objects_are_released_at_once():
    import classtest as c

    before = c.drops()
    t = c.Tracked(1)
    del t
    assert c.drops() == before + 1
    c.Tracked(2)
    assert c.drops() == before + 2
    h = c.Holder()
    h.put(c.Tracked(3))
    assert c.drops() == before + 2
    got = h.take()
    assert got.tag == 3
    assert c.drops() == before + 2
    del got
    assert c.drops() == before + 3
    objs = [c.Tracked(i) for i in range(100)]
    assert f.list_sum([o.tag for o in objs]) == sum(range(100))
    del objs
    assert c.drops() == before + 103


def test_identity_of_a_released_twin_is_restored_while_c_holds_it():
    import classtest as c

    h = c.Holder()
    t = c.Tracked(7)
    h.put(t)
    assert h.get() is t
    t_id = id(t)
    del t
    t2 = h.get()
    assert id(t2) == t_id and t2.tag == 7
    assert h.get() is t2


def test_replacing_a_nested_list_through_c():
    inner = [1]
    outer = [inner, [2]]
    assert f.tuple_list_sum((outer[0],)) == 1
    f.list_fill(outer, 0)
    del inner
    gc.collect()
    assert outer == [0, 0]
    assert f.list_sum(outer) == 0
    # The outer list crosses again: nothing stale is re-checked.
    assert f.tuple_list_sum(([5, 6],)) == 11
    assert f.list_get(outer, 1) == 0


def test_identity_of_new_objects_c_keeps():
    # Objects C makes through the API (here a hundred ints and strs, more
    # than the bridge's list of escaped unregistered mirrors holds) and keeps
    # while Python gets them in a list, a tuple and a dict: each crossing
    # back into C is the very pointer C keeps.
    f.release_kept()
    try:
        l, t, d = f.make_and_keep(100)
        assert l == [1_000_000 + i for i in range(100)]
        assert t == tuple(f"s{i}" for i in range(100))
        for i in range(100):
            assert f.is_kept(l[i], 2 * i)
            assert f.is_kept(t[i], 2 * i + 1)
            assert f.is_kept(d[t[i]], 2 * i)
            assert f.same(f.echo(l[i]), l[i])
        assert all(f.is_kept(k, 2 * i + 1) for i, k in enumerate(d))
    finally:
        f.release_kept()


def test_new_dicts_c_keeps_are_the_same_objects():
    # A dict C made and holds alone needs no identity entry until Python can
    # reach it: when C returns it (here more of them than the short list of
    # escaped objects holds), or through the collector, which tracks dicts
    # (gc.get_referrers, gc.get_objects). Each way, the dict Python gets
    # crosses back as the very pointer C keeps.
    import gc

    f.release_kept()
    try:
        marker = []  # tracked by the collector, so the dicts holding it are too
        l = f.keep_new_dicts(100, marker, True)
        assert [d["i"] for d in l] == list(range(100))
        assert all(f.is_kept(d, i) for i, d in enumerate(l))
        del l
        f.release_kept()

        f.keep_new_dicts(50, marker, False)
        found = [r for r in gc.get_referrers(marker) if type(r) is dict]
        assert sorted(d["i"] for d in found) == list(range(50))
        assert all(f.is_kept(d, d["i"]) for d in found)

        f.keep_new_dicts(50, marker, False)
        seen = {id(d) for d in found}
        more = [o for o in gc.get_objects() if type(o) is dict and id(o) not in seen and o.get("marker") is marker]
        assert sorted(d["i"] for d in more) == list(range(50))
        assert all(f.is_kept(d, 50 + d["i"]) for d in more)
    finally:
        f.release_kept()


def test_key_equality_run_by_a_c_dict_store_lets_other_threads_call_c():
    # PyDict_SetItem on a dict C made with string keys stores a key whose
    # hash collides with one of them: its __eq__ runs Python code, which
    # waits for a thread that calls into C; the store releases the GIL for
    # it (a store of another str key needs not, and runs no Python code).
    import threading

    calls = []

    class Key:
        def __hash__(self):
            return hash("a")

        def __eq__(self, other):
            t = threading.Thread(target=lambda: calls.append(f.noargs()))
            t.start()
            t.join(timeout=30)
            calls.append(("eq", other, t.is_alive()))
            return False

    k = Key()
    d = f.str_keyed_dict_then(k, 3)
    assert d == {"a": 1, "b": 2, k: 3}
    assert calls[0] is None
    assert calls[1] == ("eq", "a", False)
    assert f.str_keyed_dict_then("c", 3) == {"a": 1, "b": 2, "c": 3}


def test_gc_debug_flags_round_trip():
    import gc

    old = gc.get_debug()
    try:
        gc.set_debug(gc.DEBUG_SAVEALL)
        assert gc.get_debug() == gc.DEBUG_SAVEALL
        d = f.make_dict()
        assert type(d) is dict
        gc.set_debug(0)
        assert gc.get_debug() == 0
    finally:
        gc.set_debug(old)


def test_new_objects_returned_to_python_are_the_same_objects():
    # A result C made and returned crosses back as one object with one identity.
    l = f.build_list(50)
    assert all(f.same(x, y) for x, y in zip(l, f.tuple_items(tuple(l))))
    assert f.echo(l) is l
    assert [f.echo(x) for x in l] == list(range(50))


def test_no_growth_building_containers_in_c():
    def churn(n):
        for i in range(n):
            f.build_list(20)
            f.nested()
            f.make_dict()
            f.make_tuple()
            f.str_chars("abc")
            f.make_and_keep(3)
            f.release_kept()

    grown = rss_growth_kib(churn, warm=5_000, n=50_000)
    assert grown < 8 * 1024, f"RSS grew by {grown} KiB"


def test_dict_iteration_follows_changes_and_releases_values():
    # PyDict_Next lends each entry's key and value; a dict iterated again
    # after Python changed it lends the new objects, and a value only the
    # dict held is released when Python replaces it, as on CPython.
    import classtest as c

    a, b = object(), object()
    d = {"k": a, 1: "one", 2.5: b"x"}
    assert f.dict_items(d) == [("k", a), (1, "one"), (2.5, b"x")]
    assert f.dict_items(d)[0][1] is a
    d["k"] = b
    del d[1]
    d[3] = "three"
    assert f.dict_items(d) == [("k", b), (2.5, b"x"), (3, "three")]
    assert all(f.same(v, d[k]) for k, v in f.dict_items(d))
    d.clear()
    assert f.dict_items(d) == []
    before = c.drops()
    d = {i: c.Tracked(i) for i in range(50)}
    assert f.dict_count(d) == 50 and f.dict_count(d) == 50
    for i in range(50):
        d[i] = None
    assert c.drops() == before + 50
    # A dict holding itself is lent as itself.
    d = {}
    d["self"] = d
    assert f.dict_items(d)[0][1] is d


def test_dict_iteration_leaves_reference_counts_alone():
    # What PyDict_Next lent is not a reference Python can count (ujson's
    # suite checks this for every kind of key).
    import sys

    for key in ["key", b"key", 10**20, 2.5, (1, "x")]:
        data = {key: "abc"}
        before = sys.getrefcount(key)
        assert f.dict_count(data) == 1
        assert f.dict_items(data) == [(key, "abc")]
        assert sys.getrefcount(key) == before, key


def test_list_builder_inserts_and_reads():
    # PyList_New + PyList_Insert/Append/Size/GetItem on a list C is still
    # filling (edited in its C array), then returned.
    l, n, items, past_end = f.list_builder_ops()
    assert l == [-1, 0, 1, 2, 3, 4] and n == 6 and items == l and past_end
    assert f.list_builder_ops()[0] == l


def test_tracemalloc_traces_what_c_allocates():
    # tracemalloc (on pyfacade: the blocks C allocates through PyMem_* and
    # PyObject_Malloc) sees a block an extension allocates, resizes and
    # frees, with the Python line that made it.
    import tracemalloc

    f.pymem_release()
    assert not tracemalloc.is_tracing()
    with pytest.raises(RuntimeError):
        tracemalloc.take_snapshot()
    tracemalloc.start(5)
    try:
        assert tracemalloc.is_tracing() and tracemalloc.get_traceback_limit() == 5
        base = tracemalloc.get_traced_memory()[0]
        f.pymem_hold(1_000_000); line = sys._getframe().f_lineno
        assert tracemalloc.get_traced_memory()[0] - base >= 1_000_000
        stats = tracemalloc.take_snapshot().statistics("lineno")
        big = [s for s in stats if s.size >= 1_000_000]
        assert big and big[0].traceback[0].filename == __file__ and big[0].traceback[0].lineno == line
        f.pymem_hold(3_000_000)
        current, peak = tracemalloc.get_traced_memory()
        assert current - base >= 3_000_000 and peak >= current
        f.pymem_release()
        assert tracemalloc.get_traced_memory()[0] - base < 1_000_000
        assert tracemalloc.get_traced_memory()[1] >= 3_000_000
        tracemalloc.reset_peak()
        assert tracemalloc.get_traced_memory()[1] < 1_000_000
    finally:
        tracemalloc.stop()
    assert tracemalloc.get_traced_memory() == (0, 0)
    with pytest.raises(ValueError):
        tracemalloc.start(0)


def test_containers_passed_to_c_and_dropped_release_their_items():
    # An object only a list or dict passed to an extension holds goes when
    # Python drops the container after the call (on pyfacade: by the next
    # entry into extension code or sys.getrefcount, not the next sweep).
    class K:
        pass

    k = K()
    r = weakref.ref(k)
    f.ignore([k])
    del k
    f.noargs()
    assert r() is None
    k = K()
    old = sys.getrefcount(k)
    f.dict_count({k: 1})
    assert sys.getrefcount(k) == old
    r = weakref.ref(k)
    f.dict_count({"x": (k,)})
    del k
    f.noargs()
    assert r() is None
