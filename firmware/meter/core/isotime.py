"""Time as ISO 8601 text, for the console, the event log's reports and the remote channel:
apart from meter.core.calendar, whose arithmetic runs in the control step, so that a board
loads this only where text is read or written (issue 11: the deploy path's heap).

iso_utc/parse_iso_utc use exactly "YYYY-MM-DDTHH:MM:SSZ" (the console's and log's form);
parse_date exactly "YYYY-MM-DD".  Parsing is strict: ASCII digits only (no signs, spaces or
underscores that int() would accept), fields range-checked, years 1970-2099, no leap second;
anything else raises ValueError.
"""
from micropython import const

from meter.core.calendar import _check_date, _check_time, days_from_civil, ymd_of_day

_SECONDS_PER_DAY = const(86400)
_DIGITS = "0123456789"


def iso_utc(utc_seconds):
    """-> "YYYY-MM-DDTHH:MM:SSZ"."""
    day = utc_seconds // _SECONDS_PER_DAY
    sec = utc_seconds - day * _SECONDS_PER_DAY
    ymd = ymd_of_day(day)
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (ymd // 10000, ymd // 100 % 100, ymd % 100,
                                               sec // 3600, sec // 60 % 60, sec % 60)


def iso_local(y, mo, d, h, mi, s):
    """-> "YYYY-MM-DD HH:MM:SS" (a local time: no zone letter)."""
    return "%04d-%02d-%02d %02d:%02d:%02d" % (y, mo, d, h, mi, s)


def _num(text, start, end):
    n = 0
    for i in range(start, end):
        k = _DIGITS.find(text[i])
        if k < 0:
            raise ValueError("not a digit")
        n = n * 10 + k
    return n


def _check_seps(text, length, seps):
    if not isinstance(text, str) or len(text) != length:
        raise ValueError("bad length")
    for i in range(0, len(seps), 2):
        if text[seps[i]] != seps[i + 1]:
            raise ValueError("bad separator")


def parse_date(text):
    """"YYYY-MM-DD" -> (y, m, d); ValueError on anything else."""
    _check_seps(text, 10, (4, "-", 7, "-"))
    y = _num(text, 0, 4)
    m = _num(text, 5, 7)
    d = _num(text, 8, 10)
    _check_date(y, m, d)
    return y, m, d


def parse_iso_utc(text):
    """"YYYY-MM-DDTHH:MM:SSZ" -> UTC seconds; ValueError on anything else."""
    _check_seps(text, 20, (4, "-", 7, "-", 10, "T", 13, ":", 16, ":", 19, "Z"))
    y = _num(text, 0, 4)
    m = _num(text, 5, 7)
    d = _num(text, 8, 10)
    h = _num(text, 11, 13)
    mi = _num(text, 14, 16)
    s = _num(text, 17, 19)
    _check_date(y, m, d)
    _check_time(h, mi, s)
    return days_from_civil(y, m, d) * _SECONDS_PER_DAY + (h * 3600 + mi * 60 + s)
