"""Calendar, local time and public holidays, in integers only (METER.md §4, §5).

The project's own calendar: never the port's epoch or `time.localtime()` (ESP32 counts from
2000, RP2040 from 1970, weekday conventions differ).  Units:
  day  = days since 1970-01-01 (proleptic Gregorian), a small int;
  sec  = second of the UTC day, 0..86399;
  utc_seconds = seconds since 1970-01-01 00:00 UTC.  These exceed 2**30 and are long ints on a
  32-bit MicroPython, so only the edge functions (local_time, utc_from_local, iso_*) take them.
days_from_civil, year_of_day, weekday, utc_offset and holiday_day work on small ints only and
allocate nothing: they run every second or once a day in the control step.
Correct for 1970-2099 (the range MicroPython and the DS3231 support); the day arithmetic is
Howard Hinnant's civil-days algorithm, valid far beyond it.

Local time: standard offset `std_s` (default 3600, CET) plus, when `eu_dst`, the EU summer-time
rule: +1 h from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of
October, whatever the zone (EU directive 2000/84/EC).  The rule is applied to every year: it is
Belgium's real history only from 1996 (before, summer time ended in September, and there was
none before 1977), which matters to no meter.  Should the EU drop summer time, eu_dst=False
(configuration) keeps the standard offset all year.  Weekday: Monday = 0 .. Sunday = 6.

Local -> UTC (utc_from_local) follows PEP 495, as CPython's zoneinfo does:
  - a repeated local time (autumn, 02:00-02:59 in Brussels) gives the first instant (summer
    time) for fold=0 and the second (standard time) for fold=1;
  - a nonexistent local time (spring gap, 02:00-02:59) is read with the offset in force BEFORE
    the gap for fold=0 (02:30 -> 01:30 UTC, shown as 03:30 CEST) and with the offset AFTER it
    for fold=1 (02:30 -> 00:30 UTC, shown as 01:30 CET).
  So with the default fold=0 a time typed inside the gap lands after it (02:30 -> 03:30 on
  the clock): a scheduled action never fires before the wall clock has passed its time.

Public holidays (Belgium): 1 Jan, Easter Monday, 1 May, Ascension (Easter + 39), Whit Monday
(Easter + 50), 21 Jul, 15 Aug, 1 Nov, 11 Nov, 25 Dec.  Easter Sunday and Whit Sunday are legal
holidays too but always Sundays, so they change nothing for the meter and are left out.
`extra` is the configured extra-dates list: ints yyyymmdd (that date once) or mmdd (< 10000,
that date every year); values matching no real date are simply never met.

ISO text (formatting and strict parsing) is in meter.core.isotime, which only the console, the
reports and the remote channel load.  utc_from_local and is_public_holiday check their date as
its parsers do (ValueError); the small-int functions check nothing.
"""
from micropython import const

_SECONDS_PER_DAY = const(86400)
_DAYS_0000_03_01_TO_1970 = const(719468)   # shift so eras start on 1 March of year 0
_DAYS_PER_ERA = const(146097)              # 400 Gregorian years
_DST_SWITCH_S = const(3600)                # EU rule: switches at 01:00 UTC
_DST_SHIFT_S = const(3600)
_MIN_YEAR = const(1970)
_MAX_YEAR = const(2099)

# mmdd of the Belgian holidays on fixed dates
_FIXED_HOLIDAYS = (101, 501, 721, 815, 1101, 1111, 1225)


def is_leap(y):
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def days_in_month(y, m):
    if m == 2:
        return 29 if is_leap(y) else 28
    if m == 4 or m == 6 or m == 9 or m == 11:
        return 30
    return 31


def days_from_civil(y, m, d):
    """Day number of a Gregorian date.  Does not check the date (see _check_date)."""
    if m <= 2:
        y -= 1
    era = y // 400
    yoe = y - era * 400
    mp = m - 3 if m > 2 else m + 9
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * _DAYS_PER_ERA + doe - _DAYS_0000_03_01_TO_1970


def ymd_of_day(day):
    """Date of a day number packed as the int yyyymmdd: no tuple, so allocation-free."""
    z = day + _DAYS_0000_03_01_TO_1970
    era = z // _DAYS_PER_ERA
    doe = z - era * _DAYS_PER_ERA
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    if mp < 10:
        m = mp + 3
        y = yoe + era * 400
    else:
        m = mp - 9
        y = yoe + era * 400 + 1
    return y * 10000 + m * 100 + d


def civil_from_days(day):
    """-> (year, month, day)."""
    ymd = ymd_of_day(day)
    return ymd // 10000, ymd // 100 % 100, ymd % 100


def year_of_day(day):
    z = day + _DAYS_0000_03_01_TO_1970
    era = z // _DAYS_PER_ERA
    doe = z - era * _DAYS_PER_ERA
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    y = yoe + era * 400
    # days from 1 March: January and February (doy >= 306) belong to the next civil year
    return y + 1 if doy >= 306 else y


def weekday(day):
    """Monday = 0 .. Sunday = 6 (1970-01-01 was a Thursday)."""
    return (day + 3) % 7


def _last_sunday(day):
    return day - (day + 4) % 7    # weekday(day) + 1 days back, mod 7


def easter_day(y):
    """Day number of Gregorian Easter Sunday (anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a = y % 19
    b = y // 100
    c = y % 100
    h = (19 * a + b - b // 4 - (b - (b + 8) // 25 + 1) // 3 + 15) % 30
    el = (32 + 2 * (b % 4) + 2 * (c // 4) - h - c % 4) % 7
    n = h + el - 7 * ((a + 11 * h + 22 * el) // 451) + 114
    return days_from_civil(y, n // 31, n % 31 + 1)


def eu_dst_start_day(y):
    """Last Sunday of March: summer time starts at 01:00 UTC."""
    return _last_sunday(days_from_civil(y, 3, 31))


def eu_dst_end_day(y):
    """Last Sunday of October: summer time ends at 01:00 UTC."""
    return _last_sunday(days_from_civil(y, 10, 31))


def utc_offset(day, sec, std_s=3600, eu_dst=True):
    """Local offset from UTC in seconds at UTC `day`, `sec`.  Small ints only, allocation-free
    and call-free: it runs every second.  Works on the day's place in a March-based year (as in
    ymd_of_day), where both switch days fall at fixed distances from 1 March."""
    if not eu_dst:
        return std_s
    doe = (day + _DAYS_0000_03_01_TO_1970) % _DAYS_PER_ERA
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)    # days since 1 March
    if 30 < doy < 214:              # 1 April .. 30 September
        return std_s + _DST_SHIFT_S
    if doy < 24 or doy > 244:       # before 25 March (incl. Jan, Feb), or November, December
        return std_s
    march1 = day - doy
    start = march1 + 30 - (march1 + 34) % 7     # last Sunday on or before 31 March
    end = march1 + 244 - (march1 + 248) % 7     # last Sunday on or before 31 October
    if day < start or (day == start and sec < _DST_SWITCH_S):
        return std_s
    if day > end or (day == end and sec >= _DST_SWITCH_S):
        return std_s
    return std_s + _DST_SHIFT_S


def local_time(utc_seconds, std_s=3600, eu_dst=True):
    """-> (year, month, day, hour, minute, second, weekday) local time at `utc_seconds`."""
    day = utc_seconds // _SECONDS_PER_DAY
    sec = utc_seconds - day * _SECONDS_PER_DAY
    sec += utc_offset(day, sec, std_s, eu_dst)
    # the offset moves at most a day either way (|offset| < 86400)
    while sec < 0:
        sec += _SECONDS_PER_DAY
        day -= 1
    while sec >= _SECONDS_PER_DAY:
        sec -= _SECONDS_PER_DAY
        day += 1
    ymd = ymd_of_day(day)
    return (ymd // 10000, ymd // 100 % 100, ymd % 100,
            sec // 3600, sec // 60 % 60, sec % 60, (day + 3) % 7)


def _offset_at(utc_seconds, std_s, eu_dst):
    day = utc_seconds // _SECONDS_PER_DAY
    return utc_offset(day, utc_seconds - day * _SECONDS_PER_DAY, std_s, eu_dst)


def _check_date(y, m, d):
    if not _MIN_YEAR <= y <= _MAX_YEAR:
        raise ValueError("year out of range")
    if not 1 <= m <= 12:
        raise ValueError("month out of range")
    if not 1 <= d <= days_in_month(y, m):
        raise ValueError("day out of range")


def _check_time(h, mi, s):
    if not (0 <= h < 24 and 0 <= mi < 60 and 0 <= s < 60):
        raise ValueError("time out of range")


def utc_from_local(y, mo, d, h, mi, s, fold=0, std_s=3600, eu_dst=True):
    """UTC seconds of a local wall-clock time; folds and gaps as PEP 495 (module docstring).
    Raises ValueError for an invalid date or time."""
    _check_date(y, mo, d)
    _check_time(h, mi, s)
    if fold != 0 and fold != 1:
        raise ValueError("fold must be 0 or 1")
    wall = days_from_civil(y, mo, d) * _SECONDS_PER_DAY + (h * 3600 + mi * 60 + s)
    std = wall - std_s
    if not eu_dst:
        return std
    summer = std - _DST_SHIFT_S
    std_ok = _offset_at(std, std_s, eu_dst) == std_s
    summer_ok = _offset_at(summer, std_s, eu_dst) != std_s
    if std_ok and summer_ok:        # repeated hour: summer instant comes first
        return std if fold else summer
    if std_ok:
        return std
    if summer_ok:
        return summer
    # Gap: only the spring switch makes one, so before it was standard time, after it summer.
    return summer if fold else std


def _holiday(y, mmdd, day, extra):
    if mmdd in _FIXED_HOLIDAYS:
        return True
    if 300 < mmdd < 700:        # Easter Monday (>= 23 Mar) .. Whit Monday (<= 14 Jun)
        after = day - easter_day(y)
        if after == 1 or after == 39 or after == 50:
            return True
    if extra:
        ymd = y * 10000 + mmdd
        for v in extra:
            if v == mmdd or v == ymd:
                return True
    return False


def holiday_day(day, extra=None):
    """Is local `day` a public holiday (Belgium, plus `extra`)?  Allocation-free."""
    ymd = ymd_of_day(day)
    return _holiday(ymd // 10000, ymd % 10000, day, extra)


def is_public_holiday(y, m, d, extra=None):
    """Is the date a public holiday (Belgium, plus `extra`)?  ValueError on an invalid date."""
    _check_date(y, m, d)
    return _holiday(y, m * 100 + d, days_from_civil(y, m, d), extra)
