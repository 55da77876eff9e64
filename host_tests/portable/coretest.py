"""Helpers for the portable core tests: build a meter and drive it on a virtual clock."""
from meter.core import calendar, codes
from meter.core.clock import from_unix
from meter.core.config import Config
from meter.core.meter import Meter

BUILD_MINUTE = from_unix(calendar.utc_from_local(2019, 1, 1, 0, 0, 0))[0]


def local_minute(y, mo, d, h=0, mi=0):
    """UTC minute since 2000 of a Brussels local time."""
    return from_unix(calendar.utc_from_local(y, mo, d, h, mi, 0))[0]


class Rig:
    """A meter with a perfect RTC and tick counter, moved by whole minutes."""

    def __init__(self, start_minute, overrides=None, balance=0):
        self.cfg = Config(overrides)
        self.meter = Meter(self.cfg, BUILD_MINUTE)
        # provisioned: the clock set at the factory, to the second
        self.meter.clock.anchor(start_minute, 0, start_minute, 1, 0, codes.TIME_PROVISIONED)
        self.meter.credit.balance = balance
        self.minute = start_minute
        self.mono = 0
        self.rtc_offset = 0                   # minutes the RTC is off from the truth
        self.status = 0
        self.osf = False
        self.step(0)

    def step(self, pulses=0):
        return self.meter.step(self.status, self.osf, self.minute + self.rtc_offset, 0,
                               self.mono, pulses)

    def advance(self, minutes, pulses_per_minute=0):
        """Steps minute by minute; returns the list of supply states seen."""
        seen = []
        for _ in range(minutes):
            self.minute += 1
            self.mono += 60
            seen.append(self.step(pulses_per_minute))
        return seen

    def drain(self):
        out = []
        while True:
            e = self.meter.pop_event()
            if e is None:
                return out
            out.append(e)
