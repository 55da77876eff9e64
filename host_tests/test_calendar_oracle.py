"""meter.core.calendar against CPython oracles: zoneinfo (Europe/Brussels), datetime and the
`holidays` package (BE), over 2000-2099.  Belgium has followed the EU summer-time rule since
1996, so zoneinfo and the module agree over the whole range."""
from datetime import date, datetime, timedelta, timezone
from itertools import repeat
from zoneinfo import ZoneInfo

import holidays
from hypothesis import given, settings
from hypothesis import strategies as st

from meter.core import calendar as cal

from meter.core import isotime

BRUSSELS = ZoneInfo("Europe/Brussels")
EPOCH = date(1970, 1, 1)
T2000 = 946684800                    # 2000-01-01T00:00:00Z
T2100 = 4102444800                   # 2100-01-01T00:00:00Z
DAY_1970 = 0
DAY_2100 = 47482


def zone_tuple(t):
    d = datetime.fromtimestamp(t, BRUSSELS)
    return (d.year, d.month, d.day, d.hour, d.minute, d.second, d.weekday())


def first_mismatch(ours, theirs, keys):
    for k, a, b in zip(keys, ours, theirs):
        if a != b:
            return "%r: ours %r, zoneinfo %r" % (k, a, b)
    return None


def test_local_time_every_hour_2000_2099_matches_zoneinfo():
    fromts = datetime.fromtimestamp
    lt = cal.local_time
    count = 0
    chunk = 3600 * 24 * 366      # a year at a time keeps the lists (and the GC's work) small
    for first in range(T2000, T2100, chunk):
        hours = range(first, min(first + chunk, T2100), 3600)
        ours = [lt(t) for t in hours]
        theirs = [(d.year, d.month, d.day, d.hour, d.minute, d.second, d.weekday())
                  for d in map(fromts, hours, repeat(BRUSSELS))]
        assert ours == theirs, first_mismatch(ours, theirs, hours)
        count += len(ours)
    assert count == 876600


def transition_days():
    """Local dates of every zoneinfo transition 2000-2099, found from zoneinfo's own offsets
    (not from the module's rule): the UTC days whose offset at 00:00 and 23:59 differ."""
    found = []
    day = datetime(2000, 1, 1, tzinfo=timezone.utc)
    week = timedelta(days=7)
    one = timedelta(days=1)
    # offsets change at most twice a year and stay for months: scan weekly, then narrow down
    while day.year < 2100:
        nxt = day + week
        if day.astimezone(BRUSSELS).utcoffset() != nxt.astimezone(BRUSSELS).utcoffset():
            d = day
            while d.astimezone(BRUSSELS).utcoffset() == (d + one).astimezone(BRUSSELS).utcoffset():
                d += one
            found.append(d.date())
        day = nxt
    return found


def test_transitions_are_the_eu_rule_days():
    days = transition_days()
    assert len(days) == 200
    ours = []
    for y in range(2000, 2100):
        ours.append(EPOCH + timedelta(days=cal.eu_dst_start_day(y)))
        ours.append(EPOCH + timedelta(days=cal.eu_dst_end_day(y)))
    assert days == ours


def test_utc_from_local_around_every_transition_matches_zoneinfo():
    """Every minute from 00:00 to 04:00 local on each switch day, plus the last second of each
    hour, both folds: covers the gap, the repeated hour and both sides of each."""
    bad = []
    for switch in transition_days():
        base = datetime(switch.year, switch.month, switch.day)
        walls = [base + timedelta(minutes=m) for m in range(4 * 60 + 1)]
        walls += [base + timedelta(hours=h, minutes=59, seconds=59) for h in range(4)]
        for w in walls:
            for fold in (0, 1):
                want = int(w.replace(fold=fold, tzinfo=BRUSSELS).timestamp())
                got = cal.utc_from_local(w.year, w.month, w.day, w.hour, w.minute, w.second, fold)
                if got != want:
                    bad.append((w, fold, got, want))
    assert not bad, bad[:5]


def test_public_holidays_every_day_2000_2099_match_holidays_package():
    package = holidays.country_holidays("BE", years=range(2000, 2100))
    theirs = set(package)
    ours = set()
    day = cal.days_from_civil(2000, 1, 1)
    end = cal.days_from_civil(2100, 1, 1)
    while day < end:
        y, m, d = cal.civil_from_days(day)
        hol = cal.is_public_holiday(y, m, d)
        assert cal.holiday_day(day) == hol, (y, m, d)
        if hol:
            ours.add(date(y, m, d))
        day += 1
    # every spec holiday is a legal holiday in the package
    assert ours - theirs == set()
    # The package also lists Easter Sunday and Whit Sunday (legal holidays, but always on a
    # Sunday: no cut happens on a Sunday anyway, so the spec leaves them out).  Nothing else
    # may be missing from ours, and those two must really be Sundays.
    extra_in_package = theirs - ours
    for d in extra_in_package:
        easter = EPOCH + timedelta(days=cal.easter_day(d.year))
        assert d in (easter, easter + timedelta(days=49)), (d, package.get(d))
        assert d.weekday() == 6, d
    assert len(extra_in_package) == 200
    # a weekday holiday in the package is always one of ours
    assert {d for d in theirs if d.weekday() != 6} <= ours


def test_civil_every_day_1970_2099_matches_datetime():
    for day in range(DAY_1970, DAY_2100):
        d = EPOCH + timedelta(days=day)
        assert cal.civil_from_days(day) == (d.year, d.month, d.day)
        assert cal.days_from_civil(d.year, d.month, d.day) == day
        assert cal.year_of_day(day) == d.year
        assert cal.weekday(day) == d.weekday()
    for y in range(1970, 2100):
        assert cal.is_leap(y) == ((date(y, 3, 1) - date(y, 2, 28)).days == 2)
        for m in range(1, 13):
            nxt = date(y + (m == 12), m % 12 + 1, 1)
            assert cal.days_in_month(y, m) == (nxt - date(y, m, 1)).days


# local dates 2000-2099 (utc_from_local takes years 1970-2099; UTC 2099-12-31 23:00 is 2100 local)
utc_seconds = st.integers(min_value=T2000, max_value=T2100 - 3601)


@given(utc_seconds)
@settings(max_examples=600, deadline=None)
def test_local_time_any_second_matches_zoneinfo(t):
    assert cal.local_time(t) == zone_tuple(t)


@given(utc_seconds)
@settings(max_examples=600, deadline=None)
def test_utc_from_local_round_trips_local_time(t):
    # zoneinfo marks the second pass of a repeated local time with fold=1
    fold = datetime.fromtimestamp(t, BRUSSELS).fold
    y, mo, d, h, mi, s, _ = cal.local_time(t)
    assert cal.utc_from_local(y, mo, d, h, mi, s, fold) == t
    other = cal.utc_from_local(y, mo, d, h, mi, s, 1 - fold)
    if other != t:      # only in the repeated hour: the other fold is one hour away
        assert abs(other - t) == 3600
        assert datetime.fromtimestamp(t, BRUSSELS).replace(fold=1 - fold).utcoffset() != \
            datetime.fromtimestamp(t, BRUSSELS).utcoffset()


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31, 23, 59, 59)),
       st.integers(0, 1))
@settings(max_examples=600, deadline=None)
def test_utc_from_local_any_time_matches_zoneinfo(w, fold):
    want = int(w.replace(microsecond=0, fold=fold, tzinfo=BRUSSELS).timestamp())
    assert cal.utc_from_local(w.year, w.month, w.day, w.hour, w.minute, w.second, fold) == want


@given(st.integers(min_value=0, max_value=T2100 - 1))
@settings(max_examples=400, deadline=None)
def test_iso_utc_matches_datetime_and_round_trips(t):
    text = isotime.iso_utc(t)
    assert text == datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert isotime.parse_iso_utc(text) == t


@given(st.text(alphabet="0123456789-:TZ tz+_.\uff10\u0660", min_size=0, max_size=22))
@settings(max_examples=500, deadline=None)
def test_parse_iso_utc_accepts_only_its_own_output(text):
    try:
        t = isotime.parse_iso_utc(text)
    except ValueError:
        return
    assert isotime.iso_utc(t) == text


@given(st.integers(min_value=0, max_value=T2100 - 1), st.integers(0, 19),
       st.sampled_from("0123456789-:TZ z+_.\uff10\u0660\u00b2"))
@settings(max_examples=500, deadline=None)
def test_parse_iso_utc_one_char_changed(t, pos, ch):
    text = isotime.iso_utc(t)
    text = text[:pos] + ch + text[pos + 1:]
    try:
        t = isotime.parse_iso_utc(text)
    except ValueError:
        return
    assert isotime.iso_utc(t) == text


@given(st.dates(min_value=date(1960, 1, 1), max_value=date(2110, 12, 31)))
def test_parse_date(d):
    text = d.isoformat()
    if 1970 <= d.year <= 2099:
        assert isotime.parse_date(text) == (d.year, d.month, d.day)
    else:
        try:
            isotime.parse_date(text)
        except ValueError:
            return
        raise AssertionError("accepted %s" % text)


@given(st.lists(st.integers(0, 20991231), max_size=5),
       st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_extra_holidays(extra, d):
    base = cal.is_public_holiday(d.year, d.month, d.day)
    mmdd = d.month * 100 + d.day
    listed = mmdd in extra or d.year * 10000 + mmdd in extra
    assert cal.is_public_holiday(d.year, d.month, d.day, extra) == (base or listed)
    assert cal.holiday_day((d - EPOCH).days, extra) == (base or listed)
