import json
import struct

import pytest

from safetensors import SafetensorError, deserialize


def blob(header):
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h


def test_deserialize():
    data = struct.pack("<3f", 1.0, 2.5, -3.0)
    raw = blob({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 12]}, "__metadata__": {"k": "v"}}) + data
    ((name, tensor),) = deserialize(raw)
    assert name == "w"
    assert tensor["shape"] == [3]
    assert bytes(tensor["data"]) == data
    with pytest.raises(SafetensorError):
        deserialize(blob({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 12]}}) + b"\0" * 4)
