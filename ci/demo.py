"""The main job: a wheel-built (cp314) PyO3 extension imported and used by pyfacade."""
import sys

import facadetest as f

print(f"interpreter: {sys.implementation.name} {sys.version_info[:3]}, extension: {f.__file__.rsplit('/', 1)[-1]}")
print("add(2, 40) =", f.add(2, 40))
print("i128 round trip:", f.i128_roundtrip(-(2**127)))
print("upper('héllo 🐍') =", f.upper("héllo 🐍"))
print("dict from Rust:", f.make_dict())
print("callback:", f.map_sum(lambda i: i * i, 10))
try:
    f.raise_custom()
except f.FacadeError as e:
    print("exception from Rust:", type(e).__name__, e)
obj = object()
print("identity preserved:", f.echo(obj) is obj)

# Real wheels from PyPI, unmodified (cp314 manylinux builds), installed by
# `pip install` into the virtual environment ci/demo.sh made with `-m venv`.
import blake3
import jiter
import rpds

print("pip installed them in:", rpds.__file__.rsplit("/rpds/", 1)[0], f"(sys.prefix {sys.prefix})")

print("jiter.from_json:", jiter.from_json(b'{"a": [1, 2.5, "\\u00e9"], "b": null}'))
print("rpds:", rpds.HashTrieMap({"x": 1}).insert("y", 2))
print("blake3(b'hello'):", blake3.blake3(b"hello").hexdigest())
