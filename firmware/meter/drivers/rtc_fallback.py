"""The MCU's own RTC behind the DS3231 driver's API, for boards without a DS3231.

It is never a trusted clock on its own (METER.md §2, §4): the rp2 port resets it to 2021-01-01
at every boot and the ESP32 one loses it at every power cycle, and neither has a battery.  So
`battery_backed` is False, and osc_stopped() reads True (like the DS3231's oscillator-stop
flag) from power-up until set_time() or clear_osf() is called: the time it holds until then was
not set by this firmware in this power-up.  Trust can only come back from an authenticated
set-time, as for a DS3231 whose oscillator stopped.

`machine_rtc` is a machine.RTC(): datetime() -> (year, month, day, weekday, hour, minute,
second, subsecond).  The weekday it holds is never read; set_time() writes Monday = 0 .. 6, a
value every port accepts (their conventions differ).  read_time() allocates the port's tuple;
a board that needs a zero-allocation tick has a DS3231.
"""
from meter.core.calendar import days_from_civil, days_in_month

from micropython import const

# codes this module gives (meter.core.codes, docs/codes.md), compiled in as constants:
# a board keeps no name for them (issue 11); host_tests/test_codes.py holds each to
# its number in meter.core.codes
_RTC_NO_ANSWER = const(34)
_RTC_BAD_DATA = const(35)


class InternalRTC:
    battery_backed = False

    def __init__(self, machine_rtc):
        self.rtc = machine_rtc
        self._lost = True

    def read_time(self, fields):
        try:
            t = self.rtc.datetime()
        except OSError:
            return _RTC_NO_ANSWER
        y = t[0]
        mo = t[1]
        d = t[2]
        h = t[4]
        mi = t[5]
        s = t[6]
        if not (2000 <= y <= 2099 and 1 <= mo <= 12 and 1 <= d <= days_in_month(y, mo)
                and 0 <= h <= 23 and 0 <= mi <= 59 and 0 <= s <= 59):
            return _RTC_BAD_DATA
        fields[0] = y
        fields[1] = mo
        fields[2] = d
        fields[3] = h
        fields[4] = mi
        fields[5] = s
        return 0

    def set_time(self, y, mo, d, h, mi, s):
        if not (2000 <= y <= 2099 and 1 <= mo <= 12 and 1 <= d <= days_in_month(y, mo)
                and 0 <= h <= 23 and 0 <= mi <= 59 and 0 <= s <= 59):
            raise ValueError("date/time")
        wd = (days_from_civil(y, mo, d) + 3) % 7
        self.rtc.datetime((y, mo, d, wd, h, mi, s, 0))
        self._lost = False

    def osc_stopped(self):
        return self._lost

    def clear_osf(self):
        self._lost = False

    def temperature(self):
        return None
