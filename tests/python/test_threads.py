"""Threads: the GIL the extension assumes, callbacks that wait on other
threads, and native threads attaching through PyGILState_Ensure."""
import threading

import facadetest as f


def test_python_threads_call_extension_concurrently():
    results = {}

    def work(i):
        results[i] = f.map_sum(lambda x: x + i, 200)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert results == {i: sum(range(200)) + 200 * i for i in range(8)}


def test_callback_can_wait_for_a_thread_that_enters_the_extension():
    out = []

    def other():
        out.append(f.add(1, 2))

    def callback():
        t = threading.Thread(target=other)
        t.start()
        t.join(timeout=60)
        return len(out)

    assert f.call0(callback) == 1
    assert out == [3]


def test_native_threads_attach():
    seen = set()
    lock = threading.Lock()

    def cb(i):
        with lock:
            seen.add(threading.get_ident())
        return i * 10

    assert f.call_from_rust_threads(cb, 6) == [0, 10, 20, 30, 40, 50]
    assert threading.get_ident() not in seen
    assert len(seen) >= 1


def test_detached_work_runs_in_parallel_with_python():
    assert f.detached_sum(10_000) == sum(range(10_000))


def _wait_for_other_thread_calling_extension():
    out = []
    t = threading.Thread(target=lambda: out.append(f.add(2, 3)))
    t.start()
    t.join(timeout=60)
    return out


def test_python_code_run_by_c_api_functions_releases_the_gil():
    class Probe:
        @property
        def attr(self):
            return _wait_for_other_thread_calling_extension()

        def __eq__(self, other):
            return _wait_for_other_thread_calling_extension() == [5]

        __hash__ = object.__hash__

        def __lt__(self, other):
            return False

        __gt__ = __lt__

        def __len__(self):
            return len(_wait_for_other_thread_calling_extension())

    p = Probe()
    assert f.get_attr(p, "attr") == [5]  # PyObject_GetAttr
    assert f.compare(p, p) == (False, True, False)  # PyObject_RichCompare
    assert f.length(p) == 1  # PyObject_Size

    def gen():
        yield _wait_for_other_thread_calling_extension()

    assert f.iterate(gen()) == [[5]]  # PyIter_Next


def test_warning_from_a_host_thread():
    # PyErr_WarnEx from a thread with no Python frames reaches the Python
    # warnings machinery (catch_warnings records it).
    import warnings

    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        f.warn_from_new_thread("from a thread")
    assert [(x.category, str(x.message)) for x in w] == [(UserWarning, "from a thread")]
