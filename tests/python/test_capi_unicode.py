"""C-API family group 'unicode', exercised through tests/ext/capi_unicode on pyfacade
and on CPython 3.13 (the oracle): the same assertions must hold on both.

Expected values are CPython's (checked on 3.13). `None` passed to a probe
stands for a NULL argument; `const char*` arguments are bytes."""
import codecs
import io
import pathlib
import struct
import sys
import warnings

import pytest

import capi_unicode as m

PY314 = sys.version_info >= (3, 14)
# A lone surrogate, built at run time: RustPython's compile() of a rewritten
# assert (pytest) loses lone surrogates in string literals.
SURR = chr(0xDCFF)


def test_loads():
    assert m.ping() is True


def bad_internal(excinfo):
    # CPython prefixes the C source location: "Objects/unicodeobject.c:NNN: ..."
    assert excinfo.type is SystemError
    assert str(excinfo.value).endswith("bad argument to internal function")


# ---- builders: WriteChar, Fill, CopyCharacters, Resize ---------------------------------

def test_write_char():
    assert m.write_char(3, 0x7F, 1, ord("z")) == (0, ".z.")
    assert m.write_char(3, 0xFFFF, 2, 0x20AC) == (0, "..\u20ac")
    with pytest.raises(ValueError, match="^character out of range$"):
        m.write_char(3, 0x7F, 1, 0xE9)
    with pytest.raises(IndexError, match="^string index out of range$"):
        m.write_char(3, 0x7F, 3, 65)
    with pytest.raises(IndexError, match="^string index out of range$"):
        m.write_char(3, 0x7F, -1, 65)


def test_fill():
    assert m.fill(5, 0x7F, 1, 2, ord("z")) == (2, ".zz..")
    assert m.fill(5, 0x7F, 3, 10, ord("z")) == (2, "...zz")
    assert m.fill(5, 0x7F, 9, 2, ord("z")) == (0, ".....")
    assert m.fill(3, 0x10FFFF, 0, 3, 0x1F600) == (3, "\U0001f600" * 3)
    with pytest.raises(IndexError, match="^string index out of range$"):
        m.fill(5, 0x7F, -1, 2, ord("z"))
    with pytest.raises(ValueError, match="^fill character is bigger than the string maximum character$"):
        m.fill(5, 0x7F, 1, 2, 0xE9)


def test_copy_characters():
    assert m.copy_chars(5, 0xFF, 1, "abc\xe9", 1, 10) == (3, ".bc\xe9.")
    assert m.copy_chars(5, 0x7F, 1, "abcd", 1, 10) == (3, ".bcd.")
    assert m.copy_chars(5, 0xFFFF, 0, "x\u20ac", 0, 2) == (2, "x\u20ac...")
    assert m.copy_chars(5, 0x7F, 0, "abcd", 4, 3) == (0, ".....")
    with pytest.raises(SystemError, match="^Cannot write 3 characters at 1 in a string of 2 characters$"):
        m.copy_chars(2, 0x7F, 1, "abcd", 1, 10)
    with pytest.raises(IndexError, match="^string index out of range$"):
        m.copy_chars(5, 0x7F, 6, "abcd", 1, 10)
    with pytest.raises(IndexError, match="^string index out of range$"):
        m.copy_chars(5, 0x7F, 0, "abcd", 5, 1)
    with pytest.raises(SystemError, match="^how_many cannot be negative$"):
        m.copy_chars(5, 0x7F, 0, "abcd", 1, -1)
    with pytest.raises(SystemError, match="^Cannot copy UCS4 characters into a string of ascii characters$"):
        m.copy_chars(5, 0x7F, 0, "ab\U0001f600", 0, 3)
    with pytest.raises(SystemError, match="^Cannot copy UCS2 characters into a string of latin1 characters$"):
        m.copy_chars(5, 0xFF, 0, "a\u20ac", 0, 2)


@pytest.mark.parametrize("func", ["WriteChar", "Fill", "CopyCharacters"])
def test_modify_shared_string(func):
    s = "shared" + str(len(func))  # a fresh str Python also holds
    with pytest.raises(SystemError, match="^Cannot modify a string currently used$"):
        m.modify_shared(func, s)
    assert s == "shared" + str(len(func))


def test_modify_wrong_type():
    with pytest.raises(TypeError, match="^bad argument type for built-in operation$"):
        m.modify_shared("WriteChar", 5)
    for func in ("Fill", "CopyCharacters"):
        with pytest.raises(SystemError) as e:
            m.modify_shared(func, 5)
        bad_internal(e)


def test_resize():
    assert m.resize_fresh(3, 0x7F, 5) == "xxxyy"
    # A UCS2 string holding only 'x' (CPython keeps the kind: compare code points).
    assert [ord(c) for c in m.resize_fresh(3, 0xFFFF, 1)] == [120]
    assert m.resize_fresh(3, 0xFFFF, 0) == ""
    # A shared str is replaced by a resized copy (the old reference released);
    # the same length keeps the object.
    assert m.resize_shared("hello world", 5) == ("hello", "hello world", 0)
    assert m.resize_shared("h\xe9", 4) == ("h\xe9yy", "h\xe9", 0)
    assert m.resize_shared("h\xe9", 2) == ("h\xe9", "h\xe9", 1)
    assert m.resize_shared("h\xe9", 0) == ("", "h\xe9", 0)
    errors = m.resize_bad()
    assert [r for r, _ in errors] == [-1, -1]
    for _, e in errors:
        assert type(e) is SystemError and str(e).endswith("bad argument to internal function")


# ---- str operations ----------------------------------------------------------------

def test_append():
    assert m.append("ab", "cd", 0) == ("abcd", 0)
    assert m.append("ab", "", 0) == ("ab", 0)
    # AppendAndDel steals `right` (the probe added the reference it steals).
    assert m.append("ab", "cd", 1) == ("abcd", 0)
    for right in (5, None):
        e, delta = m.append("ab", right, 0)
        assert delta == 0
        assert type(e) is SystemError and str(e).endswith("bad argument to internal function")


def test_substring():
    assert m.substring("abcdef", 1, 3) == "bc"
    assert m.substring("abcdef", 2, 100) == "cdef"
    assert m.substring("abcdef", 4, 2) == ""
    assert m.substring("abcdef", 9, 12) == ""
    assert m.substring("h\U0001f600i", 1, 2) == "\U0001f600"
    with pytest.raises(IndexError, match="^string index out of range$"):
        m.substring("abcdef", -1, 2)
    with pytest.raises(IndexError, match="^string index out of range$"):
        m.substring("abcdef", 1, -2)
    # The whole of an exact str is the same object, a new reference.
    assert m.refdelta("Substring", "xyz" + str(1)) == (1, True)


def test_from_object():
    s = "xyz" + str(2)
    assert m.refdelta("FromObject", s) == (1, True)

    class S(str):
        pass

    r = m.call1("FromObject", S("ab"))
    assert type(r) is str and r == "ab"
    assert m.refdelta("FromObject", S("ab")) == (0, False)
    with pytest.raises(TypeError, match="^Can't convert 'int' object to str implicitly$"):
        m.call1("FromObject", 5)


def test_partition_join_format():
    assert m.call2("Partition", "a-b-c", "-") == ("a", "-", "b-c")
    assert m.call2("RPartition", "a-b-c", "-") == ("a-b", "-", "c")
    assert m.call2("Partition", "abc", "-") == ("abc", "", "")
    with pytest.raises(TypeError, match="^must be str, not int$"):
        m.call2("Partition", "abc", 5)
    with pytest.raises(TypeError, match="^must be str, not int$"):
        m.call2("RPartition", 5, "-")
    with pytest.raises(ValueError, match="^empty separator$"):
        m.call2("Partition", "abc", "")
    assert m.call2("Join", "-", ["a", "b"]) == "a-b"
    assert m.call2("Join", None, ["a", "b"]) == "a b"
    assert m.call2("Join", "-", iter(["x", "y", "z"])) == "x-y-z"
    # A single exact str is returned before the separator is looked at.
    one = "only" + str(1)
    assert m.call2("Join", 5, [one]) is one
    with pytest.raises(TypeError, match="^separator: expected str instance, int found$"):
        m.call2("Join", 5, ["a", "b"])
    with pytest.raises(TypeError, match="^sequence item 1: expected str instance, int found$"):
        m.call2("Join", "-", ["a", 1])
    with pytest.raises(TypeError, match="^can only join an iterable$"):
        m.call2("Join", "-", 5)
    assert m.call2("Format", "%s-%d", ("x", 3)) == "x-3"
    assert m.call2("Format", "%(a)s", {"a": 1}) == "1"
    with pytest.raises(TypeError, match="^must be str, not int$"):
        m.call2("Format", 5, ())
    with pytest.raises(TypeError, match="^not enough arguments for format string$"):
        m.call2("Format", "%s %s", ("x",))


def test_split():
    assert m.split("Split", "a b  c", None, -1) == ["a", "b", "c"]
    assert m.split("Split", "a,b,c", ",", 1) == ["a", "b,c"]
    assert m.split("RSplit", "a,b,c", ",", 1) == ["a,b", "c"]
    assert m.split("RSplit", " a b ", None, -1) == ["a", "b"]
    with pytest.raises(ValueError, match="^empty separator$"):
        m.split("Split", "a", "", -1)
    with pytest.raises(TypeError, match="^must be str, not int$"):
        m.split("Split", 5, None, -1)
    with pytest.raises(TypeError, match="^must be str, not int$"):
        m.split("RSplit", "a", 5, -1)
    assert m.splitlines("a\nb\r\nc", 0) == ["a", "b", "c"]
    assert m.splitlines("a\nb\r\nc", 1) == ["a\n", "b\r\n", "c"]
    with pytest.raises(TypeError, match="^must be str, not int$"):
        m.splitlines(5, 1)


def test_replace():
    assert m.replace("aaa", "a", "b", -1) == "bbb"
    assert m.replace("aaa", "a", "b", 2) == "bba"
    assert m.replace("a\u20aca", "\u20ac", "\U0001f600", -1) == "a\U0001f600a"
    with pytest.raises(TypeError, match="^must be str, not int$"):
        m.replace("aaa", "a", 5, -1)


def test_translate():
    table = {97: "x", 98: None}
    with pytest.raises(UnicodeTranslateError, match="^can't translate character '\\\\x62' in position 1: character maps to <undefined>$"):
        m.translate("abc", table, None)
    assert m.translate("abc", table, b"ignore") == "xc"
    assert m.translate("abc", table, b"replace") == "x\ufffdc"
    assert m.translate("abc", {97: 0x20AC, 99: "zz"}, None) == "\u20acbzz"
    assert m.translate("abc", [], None) == "abc"
    with pytest.raises(TypeError, match="^character mapping must return integer, None or str$"):
        m.translate("abc", {97: 1.5}, None)
    with pytest.raises(ValueError, match="^character mapping must be in range\\(0x110000\\)$"):
        m.translate("abc", {97: 0x110000}, None)
    with pytest.raises(TypeError, match="^must be str, not int$"):
        m.translate(5, {}, None)


def test_rich_compare_and_equal():
    assert [m.richcompare("a", "b", op) for op in range(6)] == [True, True, False, True, False, False]
    assert [m.richcompare("b", "b", op) for op in range(6)] == [False, True, True, False, False, True]
    assert m.richcompare("a", 5, 2) is NotImplemented
    assert m.richcompare(5, "a", 2) is NotImplemented
    if not PY314:
        assert m.equal("a", "a") is None  # PyUnicode_Equal is new in 3.14
        return
    assert m.equal("a\xe9", "a\xe9") == 1
    assert m.equal("a", "b") == 0
    with pytest.raises(TypeError, match="^second argument must be str, not int$"):
        m.equal("a", 5)
    with pytest.raises(TypeError, match="^first argument must be str, not int$"):
        m.equal(5, "a")


def test_contains():
    assert m.contains("abc", "bc") == 1
    assert m.contains("abc", "x") == 0
    assert m.contains("abc", "") == 1
    with pytest.raises(TypeError, match="^'in <string>' requires string as left operand, not int$"):
        m.contains("abc", 5)
    with pytest.raises(TypeError, match="^must be str, not int$"):
        m.contains(5, "a")


def test_find_count_tailmatch():
    assert m.find("abcabc", "bc", 0, 6, 1) == (1, None)
    assert m.find("abcabc", "bc", 0, 6, -1) == (4, None)
    assert m.find("abcabc", "bc", -3, 100, 1) == (4, None)
    assert m.find("abc", "x", 0, 3, 1) == (-1, None)
    r, e = m.find("abc", 5, 0, 3, 1)
    assert r == -2 and type(e) is TypeError and str(e) == "must be str, not int"
    assert m.findchar("abcabc", ord("b"), 0, 6, 1) == (1, None)
    assert m.findchar("abcabc", ord("b"), 0, 6, -1) == (4, None)
    assert m.findchar("abcabc", ord("b"), -2, 100, 1) == (4, None)
    assert m.findchar("abc", ord("a"), 2, 1, 1) == (-1, None)
    assert m.findchar("a\U0001f600", 0x1F600, 0, 2, 1) == (1, None)
    assert m.count("aaaa", "aa", 0, 4) == (2, None)
    assert m.count("aaaa", "a", 1, -1) == (2, None)
    r, e = m.count("aaa", 5, 0, 3)
    assert r == -1 and type(e) is TypeError and str(e) == "must be str, not int"
    assert m.tailmatch("abcd", "ab", 0, 4, -1) == (1, None)
    assert m.tailmatch("abcd", "cd", 0, 4, 1) == (1, None)
    assert m.tailmatch("abcd", "ab", 1, 4, -1) == (0, None)
    assert m.tailmatch("abcd", "", 5, 9, 1) == (0, None)
    assert m.tailmatch("abcd", "cd", 0, 3, 1) == (0, None)
    r, e = m.tailmatch(5, "a", 0, 1, 1)
    assert r == -1 and type(e) is TypeError and str(e) == "must be str, not int"


def test_is_identifier():
    assert [m.isidentifier(s) for s in ("abc", "1a", "", "\xe9_x", "a b")] == [1, 0, 0, 1, 0]


def test_misc():
    assert m.default_encoding() == b"utf-8"
    assert m.hexdigits() == b"0123456789abcdef"
    with pytest.raises(RuntimeError, match="^PyUnicode_GetSize has been removed.$"):
        m.get_size("abc")
    s = "".join(["zz", "interned_q"])
    r = m.intern_immortal(s)
    assert r == s and r is sys.intern("zzinterned_q")


# ---- fixed-width data ----------------------------------------------------------------

def u32(*cps):
    return struct.pack("=%dI" % len(cps), *cps)


def test_from_kind_and_data():
    assert m.from_kind(1, b"ab\xe9", 3) == "ab\xe9"
    assert m.from_kind(2, struct.pack("=2H", 0x20AC, 0x41), 2) == "\u20acA"
    assert m.from_kind(4, u32(0x1F600, 0x41), 2) == "\U0001f600A"
    assert m.from_kind(1, b"ab", 0) == ""
    with pytest.raises(SystemError, match="^invalid maximum character passed to PyUnicode_New$"):
        m.from_kind(4, u32(0x110000), 1)
    with pytest.raises(SystemError, match="^invalid kind$"):
        m.from_kind(3, b"ab", 1)
    with pytest.raises(ValueError, match="^size must be positive$"):
        m.from_kind(1, b"ab", -1)


def test_from_wide_char():
    w = u32(0x68, 0x1F600, 0x69, 0)
    assert m.from_wide(w, -1) == "h\U0001f600i"
    assert m.from_wide(w, 2) == "h\U0001f600"
    assert m.from_wide(None, 0) == ""
    with pytest.raises(SystemError) as e:
        m.from_wide(None, 3)
    bad_internal(e)
    with pytest.raises(ValueError, match="^character U\\+110000 is not in range \\[U\\+0000; U\\+10ffff\\]$"):
        m.from_wide(u32(0x110000, 0), 1)


def test_as_wide_char():
    assert m.as_wide("abc", 5) == (3, [97, 98, 99, 0, 42])
    assert m.as_wide("abc", 3) == (3, [97, 98, 99])
    assert m.as_wide("abc", 2) == (2, [97, 98])
    assert m.as_wide("abc", -1) == (4, [])
    assert m.as_wide("\U0001f600", 2) == (1, [0x1F600, 0])
    with pytest.raises(TypeError, match="^bad argument type for built-in operation$"):
        m.as_wide(5, 3)
    assert m.as_wide_string("a\0b", 1) == ([97, 0], 3)  # the probe stops at the first NUL
    assert m.as_wide_string("h\U0001f600", 0) == ([104, 0x1F600, 0], None)
    with pytest.raises(ValueError, match="^embedded null character$"):
        m.as_wide_string("a\0b", 0)
    with pytest.raises(TypeError, match="^bad argument type for built-in operation$"):
        m.as_wide_string(5, 0)


def test_as_ucs4():
    assert m.as_ucs4("abc", 4, 1) == (True, [97, 98, 99, 0])
    assert m.as_ucs4("abc", 3, 0) == (True, [97, 98, 99])
    assert m.as_ucs4("a\U0001f600", 3, 1) == (True, [97, 0x1F600, 0])
    e, buf = m.as_ucs4("abc", 3, 1)
    assert type(e) is SystemError and str(e) == "string is longer than the buffer" and buf == [0, 42, 42]
    e, buf = m.as_ucs4("abc", 2, 0)
    assert type(e) is SystemError and str(e) == "string is longer than the buffer" and buf == [42, 42]
    assert m.as_ucs4_copy("a\U0001f600") == [97, 0x1F600, 0]
    assert m.as_ucs4_copy("") == [0]


# ---- codecs: PyUnicode_Decode*/Encode*/As*String -------------------------------------

def test_simple_decoders():
    assert m.decode("UTF7", b"a+AOk-b", None) == "a\xe9b"
    assert m.decode("UTF7", b"a+AOk", None) == "a\xe9"
    assert m.decode("Latin1", b"a\xe9", None) == "a\xe9"
    assert m.decode("ASCII", b"a\xe9", b"replace") == "a\ufffd"
    with pytest.raises(UnicodeDecodeError, match="^'ascii' codec can't decode byte 0xe9 in position 1: ordinal not in range\\(128\\)$"):
        m.decode("ASCII", b"a\xe9", None)
    with pytest.raises(LookupError, match="^unknown error handler name 'bogus'$"):
        m.decode("ASCII", b"a\xe9", b"bogus")
    assert m.decode("UnicodeEscape", b"a\\u20ac\\n", None) == "a\u20ac\n"
    assert m.decode("UnicodeEscape", b"a\\x4", b"replace") == "a\ufffd"
    with pytest.raises(UnicodeDecodeError, match="truncated \\\\xXX escape"):
        m.decode("UnicodeEscape", b"a\\x4", None)
    assert m.decode("RawUnicodeEscape", b"a\\u20ac\\n", None) == "a\u20ac\\n"


def test_stateful_decoders():
    with pytest.raises(UnicodeDecodeError, match="^'utf-8' codec can't decode bytes in position 3-4: unexpected end of data$"):
        m.decode_stateful("UTF8", b"a\xc3\xa9\xe2\x82", None, 0)
    assert m.decode_stateful("UTF8", b"a\xc3\xa9\xe2\x82", None, 1) == ("a\xe9", 3)
    assert m.decode_stateful("UTF8", b"a\xff", b"replace", 0) == ("a\ufffd", None)
    assert m.decode_stateful("UTF8", b"a\xff", b"replace", 1) == ("a\ufffd", 2)
    assert m.decode_stateful("UTF7", b"a+AOk", None, 0) == ("a\xe9", None)
    assert m.decode_stateful("UTF7", b"a+AOk", None, 1) == ("a", 1)


LE, BE, NO = b"\xff\xfea\x00b\x00", b"\xfe\xff\x00a\x00b", b"a\x00b\x00"


@pytest.mark.parametrize("data, bo, text, bo_out", [
    (LE, None, "ab", None), (LE, 0, "ab", -1), (LE, -1, "\ufeffab", -1), (LE, 1, "\ufffe\u6100\u6200", 1),
    (BE, None, "ab", None), (BE, 0, "ab", 1), (BE, -1, "\ufffe\u6100\u6200", -1), (BE, 1, "\ufeffab", 1),
    (NO, None, "ab", None), (NO, 0, "ab", 0), (NO, -1, "ab", -1), (NO, 1, "\u6100\u6200", 1),
])
def test_utf16(data, bo, text, bo_out):
    assert m.decode_wide("UTF16", data, None, bo, 0) == (text, bo_out, None)
    assert m.decode_wide("UTF16Stateful", data, None, bo, 1) == (text, bo_out, len(data))


def test_utf16_errors_and_partial():
    with pytest.raises(UnicodeDecodeError, match="^'utf-16-le' codec can't decode byte 0x62 in position 2: truncated data$"):
        m.decode_wide("UTF16", b"a\x00b", None, 0, 0)
    with pytest.raises(UnicodeDecodeError, match="^'utf-16-be' codec can't decode byte 0x61 in position 0: truncated data$"):
        m.decode_wide("UTF16", b"a", None, 1, 0)
    assert m.decode_wide("UTF16Stateful", b"a\x00b", None, 0, 1) == ("a", 0, 2)
    assert m.decode_wide("UTF16Stateful", b"a\x00b", None, 1, 1) == ("\u6100", 1, 2)
    assert m.decode_wide("UTF16Stateful", b"a", None, -1, 1) == ("", -1, 0)
    with pytest.raises(UnicodeDecodeError, match="^'utf-16-le' codec can't decode bytes in position 0-1: illegal UTF-16 surrogate$"):
        m.decode_wide("UTF16", b"\x00\xd8a\x00", None, -1, 0)
    assert m.decode_wide("UTF16", b"\x00\xd8a\x00", b"replace", -1, 0) == ("\ufffda", -1, None)


LE4, BE4, NO4 = b"\xff\xfe\x00\x00a\x00\x00\x00", b"\x00\x00\xfe\xff\x00\x00\x00a", b"a\x00\x00\x00"


@pytest.mark.parametrize("data, bo, text, bo_out", [
    (LE4, None, "a", None), (LE4, 0, "a", -1), (LE4, -1, "\ufeffa", -1),
    (BE4, None, "a", None), (BE4, 0, "a", 1), (BE4, 1, "\ufeffa", 1),
    (NO4, None, "a", None), (NO4, 0, "a", 0), (NO4, -1, "a", -1),
])
def test_utf32(data, bo, text, bo_out):
    assert m.decode_wide("UTF32", data, None, bo, 0) == (text, bo_out, None)
    assert m.decode_wide("UTF32Stateful", data, None, bo, 1) == (text, bo_out, len(data))


def test_utf32_errors_and_partial():
    with pytest.raises(UnicodeDecodeError, match="^'utf-32-be' codec can't decode bytes in position 0-3: code point not in range\\(0x110000\\)$"):
        m.decode_wide("UTF32", LE4, None, 1, 0)
    with pytest.raises(UnicodeDecodeError, match="^'utf-32-le' codec can't decode bytes in position 4-5: truncated data$"):
        m.decode_wide("UTF32", NO4 + b"b\x00", None, 0, 0)
    assert m.decode_wide("UTF32Stateful", NO4 + b"b\x00", None, 0, 1) == ("a", 0, 4)
    assert m.decode_wide("UTF32Stateful", b"a", None, 1, 1) == ("", 1, 0)


def test_charmap():
    assert m.decode_charmap(b"a\xe9", None, None) == "a\xe9"
    assert m.decode_charmap(b"\x00\x01\x02", "xyz", None) == "xyz"
    assert m.decode_charmap(b"\x00\x05", "xyz", b"replace") == "x\ufffd"
    assert m.decode_charmap(b"\x00\x01", {0: "A", 1: 0x20AC}, None) == "A\u20ac"
    with pytest.raises(UnicodeDecodeError, match="^'charmap' codec can't decode byte 0x05 in position 1: character maps to <undefined>$"):
        m.decode_charmap(b"\x00\x05", "xyz", None)
    assert m.call2("AsCharmapString", "ab", {97: 65, 98: b"BB"}) == b"ABB"
    with pytest.raises(UnicodeEncodeError, match="^'charmap' codec can't encode characters in position 1-2: character maps to <undefined>$"):
        m.call2("AsCharmapString", "abc", {97: 65})
    with pytest.raises(TypeError, match="^bad argument type for built-in operation$"):
        m.call2("AsCharmapString", "ab", None)
    emap = m.call1("BuildEncodingMap", "ba")
    assert m.call2("AsCharmapString", "ab", emap) == b"\x01\x00"
    assert m.call1("BuildEncodingMap", "abc") == {97: 0, 98: 1, 99: 2}
    with pytest.raises(TypeError, match="^bad argument type for built-in operation$"):
        m.call1("BuildEncodingMap", 5)


@pytest.mark.parametrize("func, text, expected", [
    ("AsUTF16String", "a\xe9\u20ac\n", b"\xff\xfea\x00\xe9\x00\xac \n\x00"),
    ("AsUTF32String", "a\xe9", b"\xff\xfe\x00\x00a\x00\x00\x00\xe9\x00\x00\x00"),
    ("AsLatin1String", "a\xe9", b"a\xe9"),
    ("AsASCIIString", "ab", b"ab"),
    ("AsUnicodeEscapeString", "a\xe9\u20ac\n", b"a\\xe9\\u20ac\\n"),
    ("AsRawUnicodeEscapeString", "a\xe9\u20ac\n", b"a\xe9\\u20ac\n"),
])
def test_encoders(func, text, expected):
    assert m.call1(func, text) == expected
    with pytest.raises(TypeError, match="^bad argument type for built-in operation$"):
        m.call1(func, 5)


def test_encoder_errors():
    with pytest.raises(UnicodeEncodeError, match="^'latin-1' codec can't encode character '\\\\u20ac' in position 2: ordinal not in range\\(256\\)$"):
        m.call1("AsLatin1String", "a\xe9\u20ac")
    with pytest.raises(UnicodeEncodeError, match="^'ascii' codec can't encode characters in position 1-2: ordinal not in range\\(128\\)$"):
        m.call1("AsASCIIString", "a\xe9\u20ac")


def test_locale():
    assert m.decode("Locale", b"a\xc3\xa9", None) == "a\xe9"
    assert m.decode("Locale", b"a\xff", b"surrogateescape") == "a" + SURR
    assert m.decode("LocaleAndSize", b"ab\xc3\xa9", None) == "ab\xe9"
    with pytest.raises(UnicodeDecodeError, match="^'locale' codec can't decode byte 0xff in position 1: decoding error$"):
        m.decode("Locale", b"a\xff", b"strict")
    with pytest.raises(ValueError, match="^unsupported error handler$"):
        m.decode("Locale", b"a", b"replace")
    with pytest.raises(ValueError, match="^embedded null byte$"):
        m.decode("LocaleAndSize", b"a\0b", None)
    assert m.encode_locale("a\xe9", None) == b"a\xc3\xa9"
    assert m.encode_locale("a" + SURR, b"surrogateescape") == b"a\xff"
    with pytest.raises(UnicodeEncodeError, match="^'locale' codec can't encode character '\\\\udcff' in position 1: encoding error$"):
        m.encode_locale("a" + SURR, None)
    with pytest.raises(ValueError, match="^embedded null character$"):
        m.encode_locale("a\0", None)
    with pytest.raises(ValueError, match="^unsupported error handler$"):
        m.encode_locale("a", b"replace")
    with pytest.raises(TypeError, match="^bad argument type for built-in operation$"):
        m.encode_locale(5, None)


def test_fs_converters():
    assert m.fs("FSConverter", "a/\xe9") == (0x20000, b"a/\xc3\xa9", True)
    assert m.fs("FSConverter", b"a/b") == (0x20000, b"a/b", True)
    assert m.fs("FSConverter", pathlib.PurePosixPath("/tmp/x")) == (0x20000, b"/tmp/x", True)
    with pytest.raises(ValueError, match="^embedded null byte$"):
        m.fs("FSConverter", "a\0b")
    with pytest.raises(TypeError, match="^expected str, bytes or os.PathLike object, not int$"):
        m.fs("FSConverter", 5)
    assert m.fs("FSDecoder", b"a/\xff") == (0x20000, "a/" + SURR, True)
    assert m.fs("FSDecoder", "x") == (0x20000, "x", True)
    with pytest.raises(ValueError, match="^embedded null character$"):
        m.fs("FSDecoder", b"a\0")
    with pytest.raises(TypeError, match="^expected str, bytes or os.PathLike object, not float$"):
        m.fs("FSDecoder", 5.0)


def test_deprecated_coded():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DeprecationWarning, match="^PyUnicode_AsDecodedObject\\(\\) is deprecated; use PyCodec_Decode\\(\\) to decode from str$"):
            m.coded("AsDecodedObject", "abc", b"rot13", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in ("AsDecodedObject", "AsDecodedUnicode", "AsEncodedObject", "AsEncodedUnicode"):
            assert m.coded(name, "abc", b"rot13", None) == "nop"
            with pytest.raises(TypeError, match="^bad argument type for built-in operation$"):
                m.coded(name, 5, b"utf-8", None)
            with pytest.raises(LookupError, match="^unknown encoding: nope$"):
                m.coded(name, "abc", b"nope", None)
        assert m.coded("AsEncodedObject", "abc", b"utf-8", None) == b"abc"
        with pytest.raises(TypeError, match="^'utf-8' encoder returned 'bytes' instead of 'str'; use codecs.encode\\(\\) to encode to arbitrary types$"):
            m.coded("AsEncodedUnicode", "abc", b"utf-8", None)
        with pytest.raises(TypeError, match="bytes-like object is required"):
            m.coded("AsDecodedObject", "abc", b"utf-8", None)


# ---- PyCodec_* ---------------------------------------------------------------------

ENC = UnicodeEncodeError("ascii", "a\xe9\u20acb", 1, 3, "r")
DEC = UnicodeDecodeError("ascii", b"a\xff\xfeb", 1, 2, "r")
TRANS = UnicodeTranslateError("a\xe9b", 1, 2, "r")


@pytest.mark.parametrize("handler, exc, expected", [
    ("IgnoreErrors", ENC, ("", 3)), ("IgnoreErrors", DEC, ("", 2)), ("IgnoreErrors", TRANS, ("", 2)),
    ("ReplaceErrors", ENC, ("??", 3)), ("ReplaceErrors", DEC, ("\ufffd", 2)), ("ReplaceErrors", TRANS, ("\ufffd", 2)),
    ("XMLCharRefReplaceErrors", ENC, ("&#233;&#8364;", 3)),
    ("BackslashReplaceErrors", ENC, ("\\xe9\\u20ac", 3)), ("BackslashReplaceErrors", DEC, ("\\xff", 2)),
    ("BackslashReplaceErrors", TRANS, ("\\xe9", 2)),
    ("NameReplaceErrors", ENC, ("\\N{LATIN SMALL LETTER E WITH ACUTE}\\N{EURO SIGN}", 3)),
])
def test_error_handlers(handler, exc, expected):
    assert m.call1(handler, exc) == expected


@pytest.mark.parametrize("handler, exc", [
    ("IgnoreErrors", ValueError("v")), ("ReplaceErrors", ValueError("v")),
    ("XMLCharRefReplaceErrors", DEC), ("XMLCharRefReplaceErrors", TRANS),
    ("BackslashReplaceErrors", ValueError("v")), ("NameReplaceErrors", DEC),
])
def test_error_handler_wrong_exception(handler, exc):
    with pytest.raises(TypeError, match="^don't know how to handle %s in error callback$" % type(exc).__name__):
        m.call1(handler, exc)


def test_strict_errors():
    for exc in (ENC, DEC, TRANS, ValueError("v")):
        with pytest.raises(type(exc)) as e:
            m.call1("StrictErrors", exc)
        assert e.value is exc


def test_codec_encode_decode():
    assert m.codec("KnownEncoding", b"utf-8") == 1
    assert m.codec("KnownEncoding", b"UTF8") == 1
    assert m.codec("KnownEncoding", b"nope") == 0
    assert m.codec("Encode", "a\xe9", b"latin-1", None) == b"a\xe9"
    assert m.codec("Encode", "a\xe9", b"ascii", b"replace") == b"a?"
    assert m.codec("Encode", "abc", b"rot13", None) == "nop"
    with pytest.raises(UnicodeEncodeError, match="^'ascii' codec can't encode character '\\\\xe9' in position 1: ordinal not in range\\(128\\)"):
        m.codec("Encode", "a\xe9", b"ascii", None)
    with pytest.raises(LookupError, match="^unknown encoding: nope$"):
        m.codec("Encode", "abc", b"nope", None)
    assert m.codec("Decode", b"a\xe9", b"latin-1", None) == "a\xe9"
    assert m.codec("Decode", b"a\xe9", b"ascii", b"ignore") == "a"
    assert m.codec("Decode", b"6869", b"hex", None) == b"hi"


def test_codec_functions():
    enc = m.codec("Encoder", b"utf-8")
    assert enc is codecs.lookup("utf-8").encode and enc("abc") == (b"abc", 3)
    assert m.refdelta("Encoder", enc) == (1, True)  # a new reference
    dec = m.codec("Decoder", b"latin-1")
    assert dec is codecs.lookup("latin-1").decode and dec(b"ab") == ("ab", 2)
    with pytest.raises(LookupError, match="^unknown encoding: nope$"):
        m.codec("Encoder", b"nope")
    with pytest.raises(LookupError, match="^unknown encoding: nope$"):
        m.codec("Decoder", b"nope")
    ie = m.codec("IncrementalEncoder", b"utf-16", None)
    assert ie.errors == "strict" and ie.encode("a") == b"\xff\xfea\x00"
    idec = m.codec("IncrementalDecoder", b"utf-8", b"replace")
    assert idec.errors == "replace"
    assert (idec.decode(b"\xc3"), idec.decode(b"\xa9"), idec.decode(b"\xff", True)) == ("", "\xe9", "\ufffd")
    with pytest.raises(LookupError, match="^unknown encoding: nope$"):
        m.codec("IncrementalEncoder", b"nope", None)
    r = m.codec("StreamReader", b"utf-8", io.BytesIO(b"\xc3\xa9x"), None)
    assert r.errors == "strict" and r.read() == "\xe9x"
    bio = io.BytesIO()
    w = m.codec("StreamWriter", b"latin-1", bio, b"replace")
    w.write("a\u20ac")
    assert w.errors == "replace" and bio.getvalue() == b"a?"


def test_codec_register():
    def search(name):
        if name == "capi_unicode_test":
            return codecs.CodecInfo(lambda s, e="strict": (s.upper().encode(), len(s)),
                                    lambda b, e="strict": (bytes(b).decode().lower(), len(b)),
                                    name="capi_unicode_test")
        return None

    assert m.codec("Register", search) == 0
    try:
        assert m.codec("Encode", "abc", b"capi_unicode_test", None) == b"ABC"
        assert m.codec("KnownEncoding", b"capi_unicode_test") == 1
    finally:
        assert m.codec("Unregister", search) == 0
    assert m.codec("Unregister", search) == 0
    with pytest.raises(TypeError, match="^argument must be callable$"):
        m.codec("Register", 5)


def test_codec_error_registry():
    def handler(exc):
        return ("<%d>" % exc.start, exc.end)

    assert m.codec("RegisterError", b"capi_unicode_h", handler) == 0
    assert m.codec("LookupError", b"capi_unicode_h") is handler
    assert m.refdelta("LookupError", handler) == (1, True)  # a new reference
    assert "a\xe9".encode("ascii", "capi_unicode_h") == b"a<1>"
    with pytest.raises(TypeError, match="^handler must be callable$"):
        m.codec("RegisterError", b"x", 5)
    with pytest.raises(LookupError, match="^unknown error handler name 'nope'$"):
        m.codec("LookupError", b"nope")
    assert m.codec("LookupError", None) is codecs.strict_errors
    assert m.codec("LookupError", b"replace") is codecs.replace_errors


# ---- PyUnicodeWriter (3.14) -----------------------------------------------------------

def test_writer():
    r = m.writer()
    if not PY314:
        assert r is None  # PyUnicodeWriter is new in 3.14
        return
    text, consumed, errors = r
    assert text == "A\U0001f600Bc\xe9cel" + "x\xe9" + "\ufffd" + "<42:ok>"
    assert consumed == 3
    assert [(type(e), str(e)) for e in errors] == [
        (ValueError, "invalid start argument"),
        (ValueError, "invalid end argument"),
        (TypeError, "expect str, not NoneType"),
        (ValueError, "size must be positive"),
    ]


# ---- functions exported before this group, reviewed for CPython's semantics --------------

def test_existing_functions():
    e = m.existing
    with pytest.raises(SystemError, match="^NULL string with positive size with NULL passed to PyUnicode_FromStringAndSize$"):
        e("FromStringAndSize", None, 3)
    with pytest.raises(SystemError, match="^Negative size passed to PyUnicode_FromStringAndSize$"):
        e("FromStringAndSize", b"abc", -1)
    assert e("Compare", "a", "b") == -1 and e("Compare", "b", "b") == 0
    with pytest.raises(TypeError, match="^Can't compare str and int$"):
        e("Compare", "a", 5)
    with pytest.raises(TypeError, match="^Can't compare int and str$"):
        e("Compare", 5, "a")
    assert e("Concat", "a", "\xe9") == "a\xe9"
    with pytest.raises(TypeError, match='^can only concatenate str \\(not "int"\\) to str$'):
        e("Concat", "a", 5)
    with pytest.raises(TypeError, match="^must be str, not int$"):
        e("Concat", 5, "a")
    assert e("AsUTF8AndSize", "a\xe9") == b"a\xc3\xa9"
    assert e("GetLength", "a\U0001f600") == 2
    assert e("ReadChar", "a\U0001f600", 1) == 0x1F600
    with pytest.raises(IndexError, match="^string index out of range$"):
        e("ReadChar", "ab", 2)
    for name, args in [("AsUTF8AndSize", (5,)), ("AsUTF8String", (5,)), ("EncodeFSDefault", (5,)),
                       ("AsEncodedString", (5, b"utf-8", None)), ("GetLength", (5,)), ("ReadChar", (5, 0))]:
        with pytest.raises(TypeError, match="^bad argument type for built-in operation$"):
            e(name, *args)
    with pytest.raises(UnicodeEncodeError, match="surrogates not allowed"):
        e("AsUTF8AndSize", "a" + chr(0xDC80))
    assert e("AsEncodedString", "abc", None, None) == b"abc"
    with pytest.raises(LookupError, match="^'rot13' is not a text encoding; use codecs.encode\\(\\) to handle arbitrary codecs$"):
        e("AsEncodedString", "abc", b"rot13", None)
    assert e("Decode", b"ab", None, None) == "ab"
    with pytest.raises(LookupError, match="^'hex' is not a text encoding; use codecs.decode\\(\\) to handle arbitrary codecs$"):
        e("Decode", b"6869", b"hex", None)
    assert e("FromEncodedObject", memoryview(b"ab\xc3\xa9"), None, None) == "ab\xe9"
    assert e("FromEncodedObject", bytearray(b"\xe9"), b"latin-1", None) == "\xe9"
    assert e("FromEncodedObject", b"", b"nope", None) == ""
    with pytest.raises(TypeError, match="^decoding str is not supported$"):
        e("FromEncodedObject", "abc", None, None)
    with pytest.raises(TypeError, match="^decoding to str: need a bytes-like object, int found$"):
        e("FromEncodedObject", 5, None, None)
    assert e("EncodeFSDefault", "a" + SURR) == b"a\xff"
    assert e("InternInPlace", 5) == 5
    s = "".join(["in", "terned_x"])
    assert e("InternInPlace", s) is sys.intern("interned_x")
