"""DS3231 battery-backed RTC on I2C (METER.md §2, §4).

read_time(fields) fills fields[0:6] = year, month, day, hour, minute, second and returns a
status: 0, _RTC_NO_ANSWER (OSError on the bus, or every byte 0xFF: what an absent chip with
pull-ups reads) or _RTC_BAD_DATA (a non-BCD digit, a reserved bit set, or a field out of range:
month 1-12, day 1..days in that month with Gregorian leap years, hour 0-23 in 24-hour mode or
1-12 in 12-hour mode, minute and second 0-59).  The century bit (0x05 bit 7) counts
2100-2199, which this firmware cannot represent (MicroPython's range ends at 2099): it reads as
_RTC_BAD_DATA.  `fields` is written only when the status is 0, so the caller keeps the last good
reading otherwise; the raw registers of the last read stay in `regs` for diagnostics.

The weekday register is written (set_time computes it: 1-7, Monday = 1) but never trusted when
reading: the core computes the weekday from the date.

The alarm registers 0x07-0x0D are not used as alarms (INTCN is set and the alarm interrupts
stay disabled): the DS3231 keeps them on its coin cell while the main supply is off, so they
serve as a 7-byte battery-backed store (read_store / write_store; the app keeps the energy
counted since the last record commit there, meter.core.pulsestore).  Writing them does not
wear anything.

osc_stopped(), clear_osf(), read_store(), write_store() raise OSError when the bus fails (the app treats that as no answer);
temperature() returns None instead.  Register buffers are allocated once, so read_time(), the
once-a-second call, allocates nothing.
"""
from micropython import const

from meter.core.calendar import days_from_civil, days_in_month

# codes this module gives (meter.core.codes, docs/codes.md), compiled in as constants:
# a board keeps no name for them (issue 11); host_tests/test_codes.py holds each to
# its number in meter.core.codes
_RTC_NO_ANSWER = const(34)
_RTC_BAD_DATA = const(35)

_REG_TIME = const(0x00)
_REG_ALARMS = const(0x07)    # 0x07-0x0D: alarm 1 (4 bytes) and alarm 2 (3 bytes)
STORE_SIZE = const(7)
_REG_CONTROL = const(0x0E)
_REG_STATUS = const(0x0F)
_REG_TEMP = const(0x11)
_OSF = const(0x80)
_EOSC = const(0x80)          # control bit 7: 1 stops the oscillator on battery
_HOUR_12 = const(0x40)
_HOUR_PM = const(0x20)
_CENTURY = const(0x80)


def _bcd(b, high_mask):
    """BCD byte -> int, or -1 if a digit is over 9 or a bit outside high_mask|0x0F is set."""
    if b & ~(high_mask | 0x0F) & 0xFF:
        return -1
    lo = b & 0x0F
    hi = (b & high_mask) >> 4
    if lo > 9 or hi > 9:
        return -1
    return hi * 10 + lo


def _to_bcd(n):
    return (n // 10) << 4 | n % 10


def weekday(y, mo, d):
    """DS3231 weekday of a date: 1 = Monday .. 7 = Sunday."""
    return (days_from_civil(y, mo, d) + 3) % 7 + 1


class DS3231:
    def __init__(self, i2c, addr=0x68):
        self.i2c = i2c
        self.addr = addr
        self.regs = bytearray(7)     # seconds .. year, as last read
        self._one = bytearray(1)
        self._two = bytearray(2)
        self._out = bytearray(7)

    def read_time(self, fields):
        regs = self.regs
        try:
            self.i2c.readfrom_mem_into(self.addr, _REG_TIME, regs)
        except OSError:
            return _RTC_NO_ANSWER
        if (regs[0] & regs[1] & regs[2] & regs[3] & regs[4] & regs[5] & regs[6]) == 0xFF:
            return _RTC_NO_ANSWER
        second = _bcd(regs[0], 0x70)
        minute = _bcd(regs[1], 0x70)
        h = regs[2]
        if h & _HOUR_12:
            hour = _bcd(h & ~(_HOUR_12 | _HOUR_PM), 0x10)
            if hour < 1 or hour > 12:
                return _RTC_BAD_DATA
            if hour == 12:
                hour = 0
            if h & _HOUR_PM:
                hour += 12
        else:
            hour = _bcd(h, 0x30)
        day = _bcd(regs[4], 0x30)
        mc = regs[5]
        if mc & _CENTURY:
            return _RTC_BAD_DATA
        month = _bcd(mc, 0x10)
        year = _bcd(regs[6], 0xF0)
        if (second < 0 or second > 59 or minute < 0 or minute > 59 or hour < 0 or hour > 23
                or month < 1 or month > 12 or year < 0):
            return _RTC_BAD_DATA
        year += 2000
        if day < 1 or day > days_in_month(year, month):
            return _RTC_BAD_DATA
        fields[0] = year
        fields[1] = month
        fields[2] = day
        fields[3] = hour
        fields[4] = minute
        fields[5] = second
        return 0

    def set_time(self, y, mo, d, h, mi, s):
        """Writes the time (24-hour mode, century bit clear) and makes sure the oscillator
        runs on battery.  Raises ValueError for a date or time it cannot hold, OSError on a
        bus error.  OSF is left alone: clear_osf() once the time came from a trusted source."""
        if not (2000 <= y <= 2099 and 1 <= mo <= 12 and 1 <= d <= days_in_month(y, mo)
                and 0 <= h <= 23 and 0 <= mi <= 59 and 0 <= s <= 59):
            raise ValueError("date/time")
        out = self._out
        out[0] = _to_bcd(s)
        out[1] = _to_bcd(mi)
        out[2] = _to_bcd(h)
        out[3] = weekday(y, mo, d)
        out[4] = _to_bcd(d)
        out[5] = _to_bcd(mo)
        out[6] = _to_bcd(y - 2000)
        self.i2c.writeto_mem(self.addr, _REG_TIME, out)
        one = self._one
        self.i2c.readfrom_mem_into(self.addr, _REG_CONTROL, one)
        if one[0] & _EOSC:
            one[0] &= ~_EOSC & 0xFF
            self.i2c.writeto_mem(self.addr, _REG_CONTROL, one)

    def osc_stopped(self):
        """The oscillator-stop flag: set at first power-up and whenever the oscillator stopped
        (both supplies gone), so the time may be wrong.  An absent chip reads 0xFF: True."""
        one = self._one
        self.i2c.readfrom_mem_into(self.addr, _REG_STATUS, one)
        return bool(one[0] & _OSF)

    def clear_osf(self):
        one = self._one
        self.i2c.readfrom_mem_into(self.addr, _REG_STATUS, one)
        one[0] &= ~_OSF & 0xFF
        self.i2c.writeto_mem(self.addr, _REG_STATUS, one)

    def read_store(self, buf):
        """Reads the 7 battery-backed alarm registers into buf (a bytearray of 7)."""
        self.i2c.readfrom_mem_into(self.addr, _REG_ALARMS, buf)

    def write_store(self, buf):
        """Writes 7 bytes into the alarm registers (every bit of them is kept as written)."""
        self.i2c.writeto_mem(self.addr, _REG_ALARMS, buf)

    def temperature(self):
        """Die temperature in quarter degrees C (the DS3231 updates it every 64 s), or None if
        the bus fails or the bytes are impossible (the low 6 bits of 0x12 always read 0)."""
        two = self._two
        try:
            self.i2c.readfrom_mem_into(self.addr, _REG_TEMP, two)
        except OSError:
            return None
        if two[1] & 0x3F:
            return None
        msb = two[0]
        if msb & 0x80:
            msb -= 256
        return msb * 4 + (two[1] >> 6)
