"""Thread stress: 8 threads x 10k extension calls mixing shared lists and
dicts, pyclass getters/setters and object creation, with every result
checked. Runs on CPython 3.13 and on pyfacade."""
import threading

import classtest as c
import facadetest as f

THREADS = 8
ROUNDS = 2_000  # 5 extension calls per round: 10k calls per thread


def test_mixed_calls_from_threads():
    shared_list = list(range(100))
    shared_dict = {i: str(i) for i in range(100)}
    counter = c.Counter(0)
    lock = threading.Lock()
    errors = []
    done = []

    def work(tid):
        try:
            mine = []
            for r in range(ROUNDS):
                assert f.list_sum(shared_list) == 4950
                assert f.dict_count(shared_dict) == 100
                assert f.list_append(mine, r) == r + 1
                with lock:
                    counter.count = counter.count + 1
                obj = c.Counter(r, 2)
                assert obj.incr() == r + 2
                assert obj.step == 2
            assert mine == list(range(ROUNDS))
            done.append(tid)
        except BaseException as e:  # reported below with its thread
            errors.append((tid, repr(e)))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert errors == []
    assert sorted(done) == list(range(THREADS))
    assert counter.count == THREADS * ROUNDS
    assert shared_list == list(range(100))
