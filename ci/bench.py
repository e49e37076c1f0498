"""Micro-benchmarks of calls into extensions; prints one JSON object.

Run by ci/bench.sh under pyfacade (cp314 builds) and CPython 3.13 (cp313
builds). Each case is timed as the best of several rounds, in ns per call.
"""
import json
import sys
import time

import classtest as c
import facadetest as f
import rpds


def best(fn, n, rounds=5):
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter_ns()
        fn(n)
        times.append((time.perf_counter_ns() - t0) / n)
    return min(times)


def loop(call):
    def run(n):
        for _ in range(n):
            call()
    return run


obj = object()
counter = c.Counter(0)
m = rpds.HashTrieMap({"a": 1})
N = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
cases = {
    # Baselines: builtins of the running interpreter.
    "builtin abs(-1)": loop(lambda: abs(-1)),
    "builtin len('abc')": loop(lambda: len("abc")),
    # Extension calls.
    "ext add(1, 2)": loop(lambda: f.add(1, 2)),
    "ext echo(obj)": loop(lambda: f.echo(obj)),
    "ext upper('abc')": loop(lambda: f.upper("abc")),
    "ext defaults(1, c='x')": loop(lambda: f.defaults(1, c="x")),
    "ext list_double([1,2,3])": loop(lambda: f.list_double([1, 2, 3])),
    "pyclass method incr()": loop(lambda: counter.incr()),
    "pyclass create+drop": loop(lambda: c.Tracked(1)),
    "rpds insert": loop(lambda: m.insert("b", 2)),
}
print(json.dumps({name: best(fn, N) for name, fn in cases.items()}))
