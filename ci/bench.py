"""Benchmarks of the bridge's costs; prints one JSON object.

Run by ci/bench.sh under pyfacade (cp314 builds) and CPython 3.13 (cp313
builds). Each case is timed as the best of several rounds, in ns per call,
and names the builtin case it is compared with on the same interpreter
(the nearest RustPython builtin doing the same kind of work).
"""
import gc
import hashlib
import json
import sys
import time

import blake3
import classtest as c
import facadetest as f
import jiter
import rpds

SCALE = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0


def best(fn, n, rounds=5):
    """Best time per iteration over `rounds`; the cyclic garbage collector is
    off while a round runs, as timeit does (a collection pass over the
    benchmark's own large lists would land in whichever case was running)."""
    times = []
    for _ in range(rounds):
        gc.disable()
        try:
            t0 = time.perf_counter_ns()
            fn(n)
            times.append((time.perf_counter_ns() - t0) / n)
        finally:
            gc.enable()
    return min(times)


def loop(stmt, **names):
    """A runner executing `stmt` n times, compiled on its own as timeit does:
    every case gets its own code object, so that the interpreter's adaptive
    specialisation of one case's call site cannot slow down another's (one
    shared `for _ in range(n): call()` made whichever case ran first look
    fastest on RustPython 0.6). The statement is inlined, with no lambda in
    between."""
    src = f"def run(n):\n    for _ in range(n):\n        {stmt}\n"
    ns = {}
    exec(compile(src, f"<bench {stmt}>", "exec"), {**globals(), **names}, ns)
    return ns["run"]


def json_doc(size):
    """A deterministic JSON document of about `size` bytes."""
    items, total, i = [], 2, 0
    while total < size:
        item = {"id": i, "name": f"user{i}", "score": i * 1.5, "tags": ["a", "bb", f"t{i % 7}"], "ok": i % 2 == 0}
        s = json.dumps(item)
        items.append(s)
        total += len(s) + 1
        i += 1
    return "[" + ",".join(items) + "]"


obj = object()
counter = c.Counter(0)
m = rpds.HashTrieMap({"a": 1})
lists = {n: list(range(n)) for n in (10, 10_000, 100_000)}
mib = b"x" * (1 << 20)
b16 = b"y" * 16
four_mib = bytes(range(256)) * (1 << 14)
dicts = {n: {i: i for i in range(n)} for n in (1_000, 8_000)}
doc = json_doc(1_500_000)
doc_bytes = doc.encode()
for l in lists.values():
    f.ignore(l)


def rpds_inserts(n):
    h = rpds.HashTrieMap()
    for i in range(n):
        h = h.insert(i, i)


def dict_inserts(n):
    d = {}
    for i in range(n):
        d[i] = i


# name -> (runner, iterations, builtin case it is compared with)
cases = {}


def case(name, runner, iters, pair=None):
    cases[name] = (runner, max(1, int(iters * SCALE)), pair)


# Builtins of the running interpreter (the baselines).
case("builtin abs(1)", loop("abs(1)"), 20_000)
case("builtin divmod(7, 2)", loop("divmod(7, 2)"), 20_000)
case("builtin id(obj)", loop("id(obj)"), 20_000)
case("builtin object()", loop("object()"), 20_000)
for n, l in lists.items():
    case(f"builtin len(list {n})", loop("len(l)", l=l), 20_000)
case("builtin len(bytes 16 B)", loop("len(b16)"), 20_000)
case("builtin len(bytes 1 MiB)", loop("len(mib)"), 20_000)
case("builtin list(range(2k))", loop("list(range(2_000))"), 200)
case("builtin list(range(16k))", loop("list(range(16_000))"), 25)
for n, d in dicts.items():
    case(f"builtin list(dict {n}.items())", loop("list(d.items())", d=d), 8_000 // n * 25)
case("builtin sha256(4 MiB)", loop("hashlib.sha256(four_mib).digest()"), 5)
case("builtin json.loads(1.5 MB)", loop("json.loads(doc)"), 3)
case("builtin dict 20k inserts", loop("dict_inserts(20_000)"), 3)

# Calls into extensions.
case("ext noargs()", loop("noargs()", noargs=f.noargs), 20_000, "builtin abs(1)")
case("ext no_args() -> str", loop("f.no_args()"), 20_000, "builtin abs(1)")
case("ext add(7, 2)", loop("add(7, 2)", add=f.add), 20_000, "builtin divmod(7, 2)")
case("ext echo(obj)", loop("echo(obj)", echo=f.echo), 20_000, "builtin id(obj)")
case("ext upper('abc')", loop("f.upper('abc')"), 20_000, "builtin abs(1)")
case("ext list_double([1,2,3])", loop("f.list_double([1, 2, 3])"), 20_000, "builtin abs(1)")
case("pyclass method incr()", loop("counter.incr()"), 20_000, "builtin abs(1)")
case("pyclass create+drop", loop("c.Tracked(1)"), 20_000, "builtin object()")
# Crossing containers and bytes that do not change.
for n, l in lists.items():
    case(f"ext ignore(list {n})", loop("f.ignore(l)", l=l), 20_000, f"builtin len(list {n})")
case("ext bytes_len(16 B)", loop("f.bytes_len(b16)"), 20_000, "builtin len(bytes 16 B)")
case("ext bytes_len(1 MiB)", loop("f.bytes_len(mib)"), 20_000, "builtin len(bytes 1 MiB)")
# Container APIs at scale.
case("ext PyList_Append x2k", loop("f.build_list(2_000)"), 200, "builtin list(range(2k))")
case("ext PyList_Append x16k", loop("f.build_list(16_000)"), 25, "builtin list(range(16k))")
for n, d in dicts.items():
    case(f"ext PyDict_Next x{n}", loop("f.dict_count(d)", d=d), 8_000 // n * 25, f"builtin list(dict {n}.items())")
# Native-bound work through real wheels.
case("blake3(4 MiB)", loop("blake3.blake3(four_mib).digest()"), 5, "builtin sha256(4 MiB)")
case("jiter from_json(1.5 MB)", loop("jiter.from_json(doc_bytes)"), 3, "builtin json.loads(1.5 MB)")
case("rpds 20k inserts", loop("rpds_inserts(20_000)"), 3, "builtin dict 20k inserts")
case("rpds insert", loop("m.insert('b', 2)"), 20_000, "builtin abs(1)")

def paired(run, n, pair_run, pair_n, rounds=5):
    """Best times of a case and its builtin, measured alternately so that a
    change of machine speed during the run affects both alike."""
    mine, theirs = [], []
    for _ in range(rounds):
        theirs.append(best(pair_run, pair_n, rounds=1))
        mine.append(best(run, n, rounds=1))
    return min(mine), min(theirs)


out = {}
for name, (run, n, pair) in cases.items():
    if pair is None:
        out[name] = [best(run, n), None, None]
    else:
        pair_run, pair_n, _ = cases[pair]
        t, base = paired(run, n, pair_run, pair_n)
        out[name] = [t, pair, base]
print(json.dumps(out))
