import pendulum


def test_datetimes():
    dt = pendulum.datetime(2024, 1, 31, 12, 30, tz="UTC")
    assert dt.add(months=1).to_date_string() == "2024-02-29"
    parsed = pendulum.parse("2024-03-10T08:15:00+02:00")
    assert parsed.utcoffset().total_seconds() == 7200
    assert parsed.in_timezone("UTC").hour == 6
    diff = pendulum.datetime(2024, 1, 1).diff(pendulum.datetime(2025, 3, 4))
    assert (diff.years, diff.months, diff.remaining_days, diff.in_days()) == (1, 2, 3, 428)
    assert pendulum.duration(days=2, hours=3).in_hours() == 51
    assert dt.to_iso8601_string() == "2024-01-31T12:30:00Z"
