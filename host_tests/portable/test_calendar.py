"""Calendar, local time, holidays and ISO text (METER.md §4, §5).  Runs under MicroPython too;
the exhaustive comparisons with zoneinfo and `holidays` are in host_tests/test_calendar_oracle.py."""
import gc

from mpcompat import raises
from meter.core import calendar as cal
from meter.core.calendar import (civil_from_days, days_from_civil, days_in_month, easter_day,
                                 eu_dst_end_day, eu_dst_start_day, holiday_day, is_leap,
                                 is_public_holiday, local_time, utc_from_local, utc_offset,
                                 weekday, year_of_day, ymd_of_day)
from meter.core.isotime import iso_local, iso_utc, parse_date, parse_iso_utc

DAY_2100 = 47482    # 2100-01-01


def utc(y, mo, d, h=0, mi=0, s=0):
    return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s


def test_known_dates():
    # day numbers and weekdays checked against CPython's datetime.date
    for ymd, day, wd in (((1970, 1, 1), 0, 3), ((2000, 1, 1), 10957, 5), ((2000, 3, 1), 11017, 2),
                         ((2024, 3, 31), 19813, 6), ((2038, 1, 19), 24855, 1),
                         ((2036, 2, 29), 24165, 4), ((2100, 1, 1), DAY_2100, 4)):
        assert days_from_civil(*ymd) == day, ymd
        assert civil_from_days(day) == ymd, ymd
        assert year_of_day(day) == ymd[0]
        assert weekday(day) == wd, ymd
    assert ymd_of_day(24165) == 20360229


def test_every_day_1970_2099_round_trips():
    y, m, d = 1969, 12, 31
    wd = 2
    day = 0
    while day < DAY_2100:
        # the next calendar date, worked out independently of the module
        d += 1
        if d > days_in_month(y, m):
            d = 1
            m += 1
            if m > 12:
                m = 1
                y += 1
        wd = (wd + 1) % 7
        assert civil_from_days(day) == (y, m, d), day
        assert days_from_civil(y, m, d) == day
        assert year_of_day(day) == y
        assert weekday(day) == wd
        assert ymd_of_day(day) == y * 10000 + m * 100 + d
        day += 1
    assert (y, m, d) == (2099, 12, 31)


def test_leap_years_29_feb_and_day_366():
    assert is_leap(2000) and is_leap(2024) and is_leap(2036)
    assert not is_leap(1900) and not is_leap(2100) and not is_leap(2023)
    assert days_in_month(2024, 2) == 29 and days_in_month(2023, 2) == 28
    assert days_in_month(2100, 2) == 28 and days_in_month(2000, 2) == 29
    assert [days_in_month(2023, m) for m in range(1, 13)] == [31, 28, 31, 30, 31, 30, 31, 31, 30,
                                                              31, 30, 31]
    jan1 = days_from_civil(2024, 1, 1)
    assert civil_from_days(jan1 + 59) == (2024, 2, 29)
    assert civil_from_days(jan1 + 60) == (2024, 3, 1)
    assert civil_from_days(jan1 + 365) == (2024, 12, 31)    # day 366 of a leap year
    assert civil_from_days(jan1 + 366) == (2025, 1, 1)
    assert year_of_day(jan1 + 365) == 2024 and year_of_day(jan1 + 366) == 2025
    assert civil_from_days(days_from_civil(2023, 1, 1) + 365) == (2024, 1, 1)
    assert local_time(utc(2036, 2, 29, 12)) == (2036, 2, 29, 13, 0, 0, 4)


def test_easter():
    for y, m, d in ((2000, 4, 23), (2008, 3, 23), (2011, 4, 24), (2019, 4, 21), (2020, 4, 12),
                    (2024, 3, 31), (2038, 4, 25), (2043, 3, 29), (2099, 4, 12)):
        assert civil_from_days(easter_day(y)) == (y, m, d), y
        assert weekday(easter_day(y)) == 6


def test_eu_dst_days():
    for y, start, end in ((2020, (2020, 3, 29), (2020, 10, 25)), (2024, (2024, 3, 31), (2024, 10, 27)),
                          (2038, (2038, 3, 28), (2038, 10, 31)), (2036, (2036, 3, 30), (2036, 10, 26))):
        assert civil_from_days(eu_dst_start_day(y)) == start
        assert civil_from_days(eu_dst_end_day(y)) == end
    for y in range(2000, 2100):
        for day, month in ((eu_dst_start_day(y), 3), (eu_dst_end_day(y), 10)):
            assert weekday(day) == 6
            assert civil_from_days(day)[1] == month and civil_from_days(day + 7)[1] != month


def test_utc_offset_switches_at_0100_utc():
    for y in (2020, 2038):
        start = eu_dst_start_day(y)
        end = eu_dst_end_day(y)
        assert utc_offset(start - 1, 86399) == 3600
        assert utc_offset(start, 3599) == 3600
        assert utc_offset(start, 3600) == 7200
        assert utc_offset(start + 1, 0) == 7200
        assert utc_offset(end, 3599) == 7200
        assert utc_offset(end, 3600) == 3600
        assert utc_offset(end + 1, 0) == 3600
        assert utc_offset(days_from_civil(y, 1, 15), 43200) == 3600
        assert utc_offset(days_from_civil(y, 7, 15), 43200) == 7200
        # no DST, and another EU zone (WET/WEST): the switch is still at 01:00 UTC
        assert utc_offset(days_from_civil(y, 7, 15), 43200, 3600, False) == 3600
        assert utc_offset(start, 3599, 0) == 0 and utc_offset(start, 3600, 0) == 3600


def test_local_time_around_switches():
    # spring 2020: 01:59:59 CET is followed by 03:00:00 CEST
    t = utc(2020, 3, 29, 0, 59, 59)
    assert local_time(t) == (2020, 3, 29, 1, 59, 59, 6)
    assert local_time(t + 1) == (2020, 3, 29, 3, 0, 0, 6)
    # autumn 2020: 02:59:59 CEST is followed by 02:00:00 CET
    t = utc(2020, 10, 25, 0, 59, 59)
    assert local_time(t) == (2020, 10, 25, 2, 59, 59, 6)
    assert local_time(t + 1) == (2020, 10, 25, 2, 0, 0, 6)
    # 2038, after the 32-bit time_t rollover (2**31 - 1 = 2038-01-19 03:14:07 UTC)
    assert local_time(2147483647) == (2038, 1, 19, 4, 14, 7, 1)
    assert local_time(2147483648) == (2038, 1, 19, 4, 14, 8, 1)
    assert local_time(utc(2038, 3, 28, 1)) == (2038, 3, 28, 3, 0, 0, 6)
    assert local_time(utc(2038, 10, 31, 1)) == (2038, 10, 31, 2, 0, 0, 6)
    # local midnight and the year boundary
    assert local_time(0) == (1970, 1, 1, 1, 0, 0, 3)
    assert local_time(utc(1999, 12, 31, 23)) == (2000, 1, 1, 0, 0, 0, 5)
    assert local_time(utc(2099, 12, 31, 23, 30)) == (2100, 1, 1, 0, 30, 0, 4)
    assert local_time(utc(2024, 6, 30, 22)) == (2024, 7, 1, 0, 0, 0, 0)
    # other settings
    assert local_time(utc(2024, 6, 30, 22), 3600, False) == (2024, 6, 30, 23, 0, 0, 6)
    assert local_time(utc(2024, 6, 30, 22), 0) == (2024, 6, 30, 23, 0, 0, 6)
    assert local_time(utc(2024, 1, 1, 3), -18000, False) == (2023, 12, 31, 22, 0, 0, 6)


def test_utc_from_local_plain_times():
    assert utc_from_local(2024, 1, 15, 12, 0, 0) == utc(2024, 1, 15, 11)
    assert utc_from_local(2024, 7, 15, 12, 0, 0) == utc(2024, 7, 15, 10)
    assert utc_from_local(2024, 7, 15, 12, 0, 0, 1) == utc(2024, 7, 15, 10)   # fold: no effect
    assert utc_from_local(2000, 1, 1, 0, 0, 0) == 946681200
    assert utc_from_local(2024, 7, 15, 12, 0, 0, 0, 3600, False) == utc(2024, 7, 15, 11)
    assert utc_from_local(2024, 7, 15, 12, 0, 0, 0, 0) == utc(2024, 7, 15, 11)


def test_utc_from_local_autumn_fold():
    # 02:30 on 27 Oct 2024 happens twice: first in CEST (00:30Z), then in CET (01:30Z)
    assert utc_from_local(2024, 10, 27, 2, 30, 0) == utc(2024, 10, 27, 0, 30)
    assert utc_from_local(2024, 10, 27, 2, 30, 0, 1) == utc(2024, 10, 27, 1, 30)
    assert utc_from_local(2038, 10, 31, 2, 0, 0, 0) == utc(2038, 10, 31, 0)
    assert utc_from_local(2038, 10, 31, 2, 0, 0, 1) == utc(2038, 10, 31, 1)
    for fold in (0, 1):
        assert utc_from_local(2024, 10, 27, 1, 59, 59, fold) == utc(2024, 10, 26, 23, 59, 59)
        assert utc_from_local(2024, 10, 27, 3, 0, 0, fold) == utc(2024, 10, 27, 2)


def test_utc_from_local_spring_gap():
    # 02:30 on 31 Mar 2024 never happens.  As zoneinfo: fold=0 reads it with the offset before
    # the gap (CET: 01:30Z = 03:30 CEST), fold=1 with the offset after it (CEST: 00:30Z).
    assert utc_from_local(2024, 3, 31, 2, 30, 0) == utc(2024, 3, 31, 1, 30)
    assert utc_from_local(2024, 3, 31, 2, 30, 0, 1) == utc(2024, 3, 31, 0, 30)
    assert local_time(utc_from_local(2024, 3, 31, 2, 30, 0))[3:5] == (3, 30)
    assert utc_from_local(2038, 3, 28, 2, 0, 0) == utc(2038, 3, 28, 1)
    assert utc_from_local(2038, 3, 28, 2, 0, 0, 1) == utc(2038, 3, 28, 0)
    for fold in (0, 1):
        assert utc_from_local(2024, 3, 31, 1, 59, 59, fold) == utc(2024, 3, 31, 0, 59, 59)
        assert utc_from_local(2024, 3, 31, 3, 0, 0, fold) == utc(2024, 3, 31, 1)


def test_local_round_trip_over_2024_every_17_minutes():
    t = utc(2024, 1, 1)
    end = utc(2025, 1, 1)
    while t < end:
        lt = local_time(t)
        back = utc_from_local(lt[0], lt[1], lt[2], lt[3], lt[4], lt[5])
        if back != t:   # only the second pass of the autumn hour needs fold=1
            assert lt[:3] == (2024, 10, 27) and lt[3] == 2, lt
            assert utc_from_local(lt[0], lt[1], lt[2], lt[3], lt[4], lt[5], 1) == t
        t += 17 * 60


def test_utc_from_local_rejects_bad_fields():
    for args in ((2024, 13, 1, 0, 0, 0), (2024, 0, 1, 0, 0, 0), (2023, 2, 29, 0, 0, 0),
                 (2024, 4, 31, 0, 0, 0), (2024, 1, 1, 24, 0, 0), (2024, 1, 1, 0, 60, 0),
                 (2024, 1, 1, 0, 0, 60), (2024, 1, 1, -1, 0, 0), (1969, 12, 31, 0, 0, 0),
                 (2100, 1, 1, 0, 0, 0), (2024, 1, 1, 0, 0, 0, 2)):
        raises(ValueError, utc_from_local, *args)


def holidays_of(year, extra=None):
    out = []
    day = days_from_civil(year, 1, 1)
    end = days_from_civil(year + 1, 1, 1)
    while day < end:
        if holiday_day(day, extra):
            out.append(ymd_of_day(day) % 10000)
        day += 1
    return out


def test_belgian_holidays():
    assert holidays_of(2024) == [101, 401, 501, 509, 520, 721, 815, 1101, 1111, 1225]
    assert holidays_of(2020) == [101, 413, 501, 521, 601, 721, 815, 1101, 1111, 1225]
    assert holidays_of(2038) == [101, 426, 501, 603, 614, 721, 815, 1101, 1111, 1225]
    assert is_public_holiday(2024, 4, 1) and not is_public_holiday(2024, 3, 31)
    assert not is_public_holiday(2024, 4, 2) and not is_public_holiday(2024, 5, 19)
    assert not is_public_holiday(2024, 12, 24) and not is_public_holiday(2024, 12, 26)
    for y in (2000, 2036, 2099):
        day = days_from_civil(y, 1, 1)
        while day < days_from_civil(y + 1, 1, 1):
            yy, m, d = civil_from_days(day)
            assert is_public_holiday(yy, m, d) == holiday_day(day)
            day += 1
    raises(ValueError, is_public_holiday, 2023, 2, 29)
    raises(ValueError, is_public_holiday, 2024, 13, 1)


def test_extra_holidays():
    extra = [20240102, 1224, 20250000, 1332]     # the last two match no date: never met
    assert is_public_holiday(2024, 1, 2, extra) and not is_public_holiday(2025, 1, 2, extra)
    assert is_public_holiday(2024, 12, 24, extra) and is_public_holiday(2031, 12, 24, extra)
    assert not is_public_holiday(2024, 12, 24)
    assert is_public_holiday(2024, 12, 25, extra)
    assert holidays_of(2024, extra) == [101, 102, 401, 501, 509, 520, 721, 815, 1101, 1111, 1224,
                                        1225]
    assert holidays_of(2025, (1224,)) == [101, 421, 501, 529, 609, 721, 815, 1101, 1111, 1224,
                                          1225]
    assert is_public_holiday(2024, 2, 29, [229]) and not is_public_holiday(2025, 3, 1, [229])
    assert not is_public_holiday(2024, 1, 2, [])


def test_iso_format_and_parse():
    assert iso_utc(0) == "1970-01-01T00:00:00Z"
    assert iso_utc(2147483648) == "2038-01-19T03:14:08Z"
    assert iso_utc(utc(2099, 12, 31, 23, 59, 59)) == "2099-12-31T23:59:59Z"
    assert parse_iso_utc("2024-02-29T23:05:09Z") == utc(2024, 2, 29, 23, 5, 9)
    assert parse_iso_utc("1970-01-01T00:00:00Z") == 0
    for t in (0, 951782400, 2147483647, utc(2036, 2, 29, 1, 2, 3), utc(2099, 12, 31, 23, 59, 59)):
        assert parse_iso_utc(iso_utc(t)) == t
    assert iso_local(2024, 3, 1, 7, 5, 0) == "2024-03-01 07:05:00"
    assert parse_date("2024-02-29") == (2024, 2, 29)
    assert parse_date("2099-12-31") == (2099, 12, 31)


def test_iso_parse_rejects_malformed():
    for text in ("", "2024-01-01", "2024-01-01T00:00:00", "2024-01-01T00:00:00z",
                 "2024-01-01t00:00:00Z", "2024-01-01 00:00:00Z", "2024-01-01T00:00Z",
                 "2024-01-01T00:00:00+00:00", "2024-01-01T00:00:00.0Z", " 2024-01-01T00:00:00Z",
                 "2024-01-01T00:00:00Z\n", "2024/01/01T00:00:00Z", "2024-01-01T00-00-00Z",
                 "2024-1-01T00:00:000Z", "+024-01-01T00:00:00Z", "2024-01-0 T00:00:00Z",
                 "2024-01-01T0_:00:00Z", "2024-01-01T-1:00:00Z", "2024-0a-01T00:00:00Z",
                 "\uff12024-01-01T00:00:00Z",                   # a fullwidth digit int() accepts
                 "2024-13-01T00:00:00Z", "2024-00-01T00:00:00Z", "2024-01-00T00:00:00Z",
                 "2023-02-29T00:00:00Z", "2024-04-31T00:00:00Z", "2024-01-01T24:00:00Z",
                 "2024-01-01T00:60:00Z", "2024-01-01T00:00:60Z", "1969-12-31T23:59:59Z",
                 "2100-01-01T00:00:00Z", None, 1704067200, b"2024-01-01T00:00:00Z"):
        raises(ValueError, parse_iso_utc, text)
    for text in ("", "2024-1-1", "2024-01-01T", "2024-02-30", "2024-13-01", "24-01-01",
                 "2024-01-1 ", "2024_01_01", "20240101", "2024-01-01Z", "0000-01-01", None):
        raises(ValueError, parse_date, text)


def test_hot_paths_do_not_allocate():
    """utc_offset runs every second and holiday_day once a day: no heap under MicroPython (long
    ints or tuples would show up here).  CPython has no gc.mem_alloc: nothing to measure."""
    mem_alloc = getattr(gc, "mem_alloc", None)
    if mem_alloc is None:
        return
    start = eu_dst_start_day(2038)
    extra = [20381224, 1226]
    sink = 0
    gc.collect()
    gc.disable()
    try:
        before = mem_alloc()
        day = start - 2
        while day < start + 3:
            sec = 0
            while sec < 86400:
                sink += utc_offset(day, sec) + utc_offset(day, sec, 0, False)
                sec += 599
            sink += year_of_day(day) + weekday(day) + days_from_civil(2038, 3, 28)
            sink += ymd_of_day(day) + easter_day(2038)
            if holiday_day(day, extra) or cal.holiday_day(day):
                sink += 1
            day += 1
        used = mem_alloc() - before
    finally:
        gc.enable()
    assert sink > 0
    assert used == 0, used
