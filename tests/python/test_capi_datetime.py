"""The datetime C-API through tests/ext/capi_datetime on pyfacade and on
CPython 3.13 (the oracle): the capsule `datetime.datetime_CAPI`, its
constructors, the type checks, and the struct fields C reads inline."""
import datetime as dt
import sys

import pytest

import capi_datetime as m

UTC = dt.timezone.utc
PLUS2 = dt.timezone(dt.timedelta(hours=2), "EET")


class MyDateTime(dt.datetime):
    pass


class MyDate(dt.date):
    pass


class MyTZ(dt.tzinfo):
    def utcoffset(self, d):
        return dt.timedelta(hours=-5)


def test_capsule_is_published():
    import datetime

    # PyDateTime_IMPORT (in the module's init) found it by name.
    assert type(datetime.datetime_CAPI).__name__ == "PyCapsule"


def test_capi_types_and_utc():
    assert m.capi_objects() == (dt.date, dt.datetime, dt.time, dt.timedelta, dt.tzinfo, UTC)
    assert m.capi_objects()[5] is dt.timezone.utc


@pytest.mark.parametrize(
    "value, expected",
    [
        (dt.datetime(2024, 2, 29, 23, 59, 58, 999_999), ("datetime", 2024, 2, 29, 23, 59, 58, 999_999, 0, None)),
        (dt.datetime(1, 1, 1), ("datetime", 1, 1, 1, 0, 0, 0, 0, 0, None)),
        (dt.datetime(9999, 12, 31, 1, 2, 3, 65536, tzinfo=UTC), ("datetime", 9999, 12, 31, 1, 2, 3, 65536, 0, UTC)),
        (dt.datetime(2021, 11, 7, 1, 30, fold=1), ("datetime", 2021, 11, 7, 1, 30, 0, 0, 1, None)),
        (dt.date(2000, 12, 31), ("date", 2000, 12, 31)),
        (dt.date(300, 3, 4), ("date", 300, 3, 4)),
        (dt.time(12, 34, 56, 789_012), ("time", 12, 34, 56, 789_012, 0, None)),
        (dt.time(1, 2, 3, 4, tzinfo=PLUS2, fold=1), ("time", 1, 2, 3, 4, 1, PLUS2)),
        (dt.timedelta(days=-1, seconds=5, microseconds=7), ("delta", -1, 5, 7)),
        (dt.timedelta(days=999_999_999, seconds=86399, microseconds=999_999), ("delta", 999_999_999, 86399, 999_999)),
        (dt.timedelta(microseconds=-1), ("delta", -1, 86399, 999_999)),
    ],
)
def test_inline_fields(value, expected):
    assert m.fields(value) == expected
    # The same object crossing again reads the same.
    assert m.fields(value) == expected


def test_subclass_instances_have_the_base_layout():
    v = MyDateTime(2020, 5, 17, 8, 9, 10, 11, tzinfo=MyTZ())
    f = m.fields(v)
    assert f[:9] == ("datetime", 2020, 5, 17, 8, 9, 10, 11, 0)
    assert f[9] is v.tzinfo
    assert m.fields(MyDate(1999, 1, 2)) == ("date", 1999, 1, 2)


def test_type_checks():
    d = dt.datetime(2020, 1, 1)
    assert m.checks(d) == (1, 0, 1, 1, 0, 0, 0, 0, 0, 0)
    assert m.checks(dt.date(2020, 1, 1)) == (1, 1, 0, 0, 0, 0, 0, 0, 0, 0)
    assert m.checks(dt.time()) == (0, 0, 0, 0, 1, 1, 0, 0, 0, 0)
    assert m.checks(dt.timedelta()) == (0, 0, 0, 0, 0, 0, 1, 1, 0, 0)
    assert m.checks(UTC) == (0, 0, 0, 0, 0, 0, 0, 0, 1, 0)
    assert m.checks(MyDateTime(2020, 1, 1)) == (1, 0, 1, 0, 0, 0, 0, 0, 0, 0)
    assert m.checks(42) == (0,) * 10


def test_constructors():
    assert m.make_date(2024, 1, 31) == dt.date(2024, 1, 31)
    v = m.make_datetime(2024, 1, 31, 13, 14, 15, 16, 0)
    assert type(v) is dt.datetime and v == dt.datetime(2024, 1, 31, 13, 14, 15, 16)
    v = m.make_datetime(2024, 1, 31, 13, 14, 15, 16, 1, UTC)
    assert v.fold == 1 and v.tzinfo is UTC
    assert m.make_time(1, 2, 3, 4, 0) == dt.time(1, 2, 3, 4)
    t = m.make_time(1, 2, 3, 4, 1, PLUS2)
    assert (t.fold, t.tzinfo) == (1, PLUS2)
    assert m.make_delta(1, 2, 3, 1) == dt.timedelta(1, 2, 3)
    assert m.make_delta(0, 90000, 0, 1) == dt.timedelta(days=1, seconds=3600)
    assert m.make_timezone(dt.timedelta(hours=3)) == dt.timezone(dt.timedelta(hours=3))
    tz = m.make_timezone(dt.timedelta(hours=3), "X")
    assert tz.tzname(None) == "X"


def test_constructors_honour_the_given_type():
    v = m.make_datetime(2024, 1, 31, 0, 0, 0, 0, 0, None, MyDateTime)
    assert type(v) is MyDateTime
    assert type(m.make_date(2024, 1, 31, MyDate)) is MyDate


def test_timestamps():
    assert m.datetime_from_timestamp(0, tz=UTC) == dt.datetime(1970, 1, 1, tzinfo=UTC)
    assert m.datetime_from_timestamp(86400.5, UTC) == dt.datetime(1970, 1, 2, 0, 0, 0, 500_000, tzinfo=UTC)
    assert m.date_from_timestamp(0) == dt.date.fromtimestamp(0)


def test_bad_input_raises_what_cpython_raises():
    with pytest.raises(ValueError, match="month must be in 1..12"):
        m.make_date(2024, 13, 1)
    # 3.13 says "day is out of range for month"; 3.14 (and RustPython) name the values.
    with pytest.raises(ValueError, match=r"day (is out of range for month|29 must be in range 1\.\.28 for month 2 in year 2023)"):
        m.make_date(2023, 2, 29)
    with pytest.raises(ValueError, match="hour must be in 0..23"):
        m.make_time(24, 0, 0, 0, 0)
    with pytest.raises(OverflowError):
        m.make_delta(1_000_000_000, 0, 0, 1)
    with pytest.raises(TypeError):
        m.make_datetime(2024, 1, 1, 0, 0, 0, 0, 0, "not a tzinfo")


def test_tzinfo_accessor_is_borrowed():
    assert m.tzinfo_borrowed(dt.datetime(2020, 1, 1, tzinfo=PLUS2)) == 0


def test_many_crossings_do_not_grow():
    from _helpers import rss_growth_kib

    values = [dt.datetime(2020, 1, 1, tzinfo=PLUS2) + dt.timedelta(seconds=i) for i in range(100)]

    def churn(n):
        for i in range(n):
            m.fields(values[i % 100])

    assert rss_growth_kib(churn, warm=5_000, n=50_000) < 4096


# ---- PyO3's datetime API (tests/ext/classtest, non-abi3: inline reads) ----


def test_pyo3_tzinfo_subclass():
    import classtest

    tz = classtest.FixedTz("Plus1", 3600)
    assert isinstance(tz, dt.tzinfo)
    assert tz.name == "Plus1"
    d = dt.datetime(2024, 1, 1, tzinfo=tz)
    assert d.utcoffset() == dt.timedelta(hours=1)
    assert d.tzname() == "Plus1"
    assert d.astimezone(UTC) == dt.datetime(2023, 12, 31, 23, tzinfo=UTC)


def test_pyo3_datetime_roundtrip():
    import classtest

    tz = classtest.FixedTz("X", -7200)
    v = classtest.make_datetime(2024, 2, 29, 23, 59, 58, 999_999, tz, True)
    assert v == dt.datetime(2024, 2, 29, 23, 59, 58, 999_999, tzinfo=tz, fold=1)
    assert v.fold == 1
    assert classtest.datetime_fields(v) == (2024, 2, 29, 23, 59, 58, 999_999, True, tz)
    assert classtest.datetime_fields(dt.datetime(1, 1, 1)) == (1, 1, 1, 0, 0, 0, 0, False, None)
    assert classtest.datetime_fields(MyDateTime(3, 4, 5, 6, 7, 8, 9)) == (3, 4, 5, 6, 7, 8, 9, False, None)
    assert classtest.delta_roundtrip(0, -1, 0) == (-1, 86399, 0)
    assert classtest.delta_roundtrip(1, 86400 * 2 + 5, 1_000_001) == (3, 6, 1)
    date, time, fields = classtest.date_and_time(1999, 12, 31)
    assert (date, time, fields) == (dt.date(1999, 12, 31), dt.time(1, 2, 3, 4), (1999, 12, 31))
    with pytest.raises(ValueError):
        classtest.make_datetime(2023, 2, 29, 0, 0, 0, 0)
