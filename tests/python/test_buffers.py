"""The buffer protocol both ways: extension types exporting buffers to
Python, and extension code reading RustPython's buffers."""
import array
import gc

import pytest

import classtest as c


def test_extension_exports_buffer():
    blob = c.Blob(b"\x01\x02\x03")
    m = memoryview(blob)
    assert m.readonly and m.format == "B" and m.itemsize == 1 and m.ndim == 1
    assert m.tobytes() == b"\x01\x02\x03"
    assert bytes(blob) == b"\x01\x02\x03"
    assert blob.exports >= 1
    m.release()
    gc.collect()
    assert blob.exports == 0
    assert c.buffer_sum(blob) == 6
    assert blob.exports == 0
    with pytest.raises(AttributeError):
        c.Blob(b"a").__dict__  # no instance dict; buffer export does not add one


def test_reading_python_buffers():
    assert c.buffer_sum(b"\x01\x02\x03") == 6
    assert c.buffer_sum(bytearray(b"\x05\x05")) == 10
    assert c.buffer_sum(memoryview(b"\x00\x01\x02\x03\x04")[1:4]) == 6
    # Strided: copied out through PyBuffer_ToContiguous.
    assert c.buffer_sum(memoryview(b"\x01\x02\x03\x04\x05")[::2]) == 9
    assert c.buffer_sum(memoryview(b"\x01\x02\x03\x04\x05")[::-2]) == 9
    assert c.buffer_sum(array.array("B", [7, 8])) == 15
    assert c.buffer_sum(b"") == 0
    with pytest.raises(TypeError):
        c.buffer_sum("text")
    with pytest.raises(BufferError):
        c.buffer_sum(array.array("i", [1, 2]))  # format 'i' is not u8


def test_buffer_metadata():
    assert c.buffer_info(b"abc") == (3, 1, "B", 1, True, True)
    assert c.buffer_info(bytearray(b"ab")) == (2, 1, "B", 1, False, True)
    assert c.buffer_info(array.array("d", [1.0, 2.0])) == (16, 8, "d", 1, False, True)
    strided = memoryview(b"abcdef")[::2]
    n, itemsize, fmt, ndim, readonly, contiguous = c.buffer_info(strided)
    assert (n, itemsize, fmt, ndim, readonly, contiguous) == (3, 1, "B", 1, True, False)


def test_held_buffer_locks_bytearray():
    ba = bytearray(b"xyz")
    hold = c.BufferHold(ba)
    with pytest.raises(BufferError):
        ba.extend(b"more")
    ba[0] = ord("X")  # in-place writes are still allowed
    hold.release()
    ba.extend(b"more")
    assert ba == bytearray(b"Xyzmore")
