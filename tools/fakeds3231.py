"""Fake DS3231 (register map, BCD time, OSF, temperature, faults) and machine.RTC."""

from fakei2c import FakeRegisterDevice


def _bcd(n):
    return (n // 10) << 4 | n % 10


def _unbcd(b):
    return (b >> 4) * 10 + (b & 15)


def _leap(y):
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def _dim(y, m):
    if m == 2:
        return 29 if _leap(y) else 28
    return 30 if m in (4, 6, 9, 11) else 31


def _days(y, m, d):
    """Days since 1970-01-01 (proleptic Gregorian)."""
    if m <= 2:
        y -= 1
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m - 3 if m > 2 else m + 9) + 2) // 5 + d - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


def _civil(z):
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (1 if m <= 2 else 0), m, d


class FakeDS3231(FakeRegisterDevice):
    """DS3231 registers.  A fresh chip (no `when`) reads 2000-01-01 00:00:00 with OSF set, as
    at first power-up.  With a `clock` the time advances with it (whole seconds; writing the
    seconds register restarts the second, as on the chip).  The calendar is Gregorian (the
    real chip would also call 2100 a leap year; the firmware rejects the century bit anyway).

    Faults: fault("osf"), ("stop": oscillator stopped, time frozen, OSF set), ("nobus"),
    ("allff"), ("absent"), ("none": clears the faults but not OSF); poke(reg, value).

    Drift: set_drift(ppm) makes the oscillator run fast (ppm > 0) or slow (ppm < 0) by that
    many parts per million of the clock's time from then on, exactly: the fraction of a second
    is carried in integers (ns), so a day at +1273 ppm gains 109.9872 s, never rounded."""

    def __init__(self, when=None, clock=None, addr=0x68, osf=None):
        FakeRegisterDevice.__init__(self, addr, 0x13)
        self.clock = clock
        self.stopped = False
        self.ppm = 0
        self._frac = 0              # chip time past its last whole second, in ns (ppm != 0)
        self._base_ms = clock.ms if clock is not None else 0
        self.regs[0x0E] = 0x1C                     # INTCN, RS2, RS1: power-on default
        self.regs[0x0F] = 0x08                     # EN32kHz
        self.set_temperature(100)                  # 25.00 C
        if when is None:
            self.set_datetime(2000, 1, 1, 0, 0, 0)
            if osf is None:
                osf = True
        else:
            self.set_datetime(*when)
        if osf:
            self.regs[0x0F] |= 0x80

    # --- the fake's controls ---
    def set_datetime(self, y, mo, d, h, mi, s):
        r = self.regs
        r[0] = _bcd(s)
        r[1] = _bcd(mi)
        r[2] = _bcd(h)
        r[3] = (_days(y, mo, d) + 3) % 7 + 1
        r[4] = _bcd(d)
        r[5] = _bcd(mo) | (0x80 if (y // 100) % 2 else 0)
        r[6] = _bcd(y % 100)
        if self.clock is not None:
            self._base_ms = self.clock.ms
            self._frac = 0

    def set_drift(self, ppm):
        """The oscillator's rate error from now on, in parts per million (-999999 < ppm)."""
        if not isinstance(ppm, int) or ppm <= -1000000:
            raise ValueError("drift ppm must be an int above -1000000")
        clock = self.clock
        if clock is not None:
            self._sync()
            # the part of a second not yet counted ran at the old rate
            self._frac += (clock.ms - self._base_ms) * (1000000 + self.ppm)
            self._base_ms = clock.ms
        self.ppm = ppm

    def datetime(self):
        """(y, mo, d, h, mi, s) as the chip counts, or None if the registers are not a time."""
        self._sync()
        return self._decode()

    def _decode(self):
        r = self.regs
        h = r[2]
        if h & 0x40:
            hour = _unbcd(h & 0x1F) % 12 + (12 if h & 0x20 else 0)
        else:
            hour = _unbcd(h & 0x3F)
        y = 2000 + _unbcd(r[6]) + (100 if r[5] & 0x80 else 0)
        mo = _unbcd(r[5] & 0x1F)
        d = _unbcd(r[4] & 0x3F)
        mi = _unbcd(r[1] & 0x7F)
        s = _unbcd(r[0] & 0x7F)
        if not (1 <= mo <= 12 and 1 <= d <= _dim(y, mo) and hour <= 23 and mi <= 59
                and s <= 59):
            return None
        return y, mo, d, hour, mi, s

    def advance(self, seconds):
        """Runs the chip's clock forward; registers that hold no valid time stay as they are."""
        t = self._decode()
        if t is None or seconds <= 0:
            return
        y, mo, d, h, mi, s = t
        total = h * 3600 + mi * 60 + s + seconds
        days = _days(y, mo, d) + total // 86400
        total %= 86400
        y, mo, d = _civil(days)
        mode12 = self.regs[2] & 0x40
        r = self.regs
        r[0] = _bcd(total % 60)
        r[1] = _bcd(total // 60 % 60)
        hour = total // 3600
        if mode12:
            r[2] = 0x40 | (0x20 if hour >= 12 else 0) | _bcd((hour + 11) % 12 + 1)
        else:
            r[2] = _bcd(hour)
        r[3] = (days + 3) % 7 + 1
        r[4] = _bcd(d)
        r[5] = _bcd(mo) | (0x80 if (y // 100) % 2 else 0)
        r[6] = _bcd(y % 100)

    def set_temperature(self, quarters):
        q = quarters & 0x3FF                       # 10-bit two's complement
        self.regs[0x11] = q >> 2
        self.regs[0x12] = (q & 3) << 6

    @property
    def osf(self):
        return bool(self.regs[0x0F] & 0x80)

    def fault(self, kind):
        if kind == "osf":
            self.regs[0x0F] |= 0x80
        elif kind == "stop":
            self._sync()
            self.stopped = True
            self.regs[0x0F] |= 0x80
        elif kind == "nobus":
            self.nobus = True
        elif kind == "allff":
            self.allff = True
        elif kind == "absent":
            self.absent = True
        elif kind == "none":
            self._sync()
            self.stopped = False
            self.nobus = False
            self.allff = False
            self.absent = False
        else:
            raise ValueError(kind)

    # --- chip behaviour ---
    def _sync(self):
        clock = self.clock
        if clock is None:
            return
        if self.ppm == 0 and self._frac == 0:
            whole = (clock.ms - self._base_ms) // 1000
            if whole <= 0:
                return
            self._base_ms += whole * 1000
        else:
            # ns of chip time: each ms of the clock is 1e6 + ppm ns on a drifting oscillator
            ns = (clock.ms - self._base_ms) * (1000000 + self.ppm) + self._frac
            if ns < 1000000000:
                return
            whole = ns // 1000000000
            self._frac = ns - whole * 1000000000
            self._base_ms = clock.ms
        if not self.stopped:
            self.advance(whole)

    _WRITABLE = (0x7F, 0x7F, 0x7F, 0x07, 0x3F, 0x9F, 0xFF)

    def write_reg(self, reg, value):
        r = self.regs
        if reg <= 6:
            r[reg] = value & FakeDS3231._WRITABLE[reg]
            if reg == 0 and self.clock is not None:
                self._base_ms = self.clock.ms          # the countdown chain restarts
                self._frac = 0
        elif reg == 0x0F:
            old = r[0x0F]
            # OSF, A2F, A1F can only be cleared; BSY is read-only; bits 6-4 read 0
            r[0x0F] = (old & value & 0x83) | (value & 0x08) | (old & 0x04)
            if self.stopped:
                r[0x0F] |= 0x80                        # still stopped: OSF sets again
        elif reg == 0x11 or reg == 0x12:
            pass                                       # temperature is read-only
        else:
            r[reg] = value


# --- PCF8574 + HD44780 --------------------------------------------------------------------


class FakeMachineRTC:
    """machine.RTC: datetime() -> (y, mo, d, weekday, h, mi, s, subsec); datetime(t) sets.
    Starts at 2021-01-01 00:00:00 like the rp2 port after a reset."""

    def __init__(self):
        self.value = (2021, 1, 1, 4, 0, 0, 0, 0)
        self.fail = False

    def datetime(self, t=None):
        if self.fail:
            raise OSError(5)
        if t is None:
            return self.value
        self.value = tuple(t)
