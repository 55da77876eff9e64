"""meter/benchtime.py (a board's `advance` in test mode, docs/bench.md) on the simulator's
hardware, with the one difference a chip has: its control steps take time, so the tick counter
(and the DS3231, which keeps counting) move on during an advance by more than the bench's
seconds.  The RTC that benchtime writes back must agree with the counter, as the world's does:
the emulated Pico failed july2020.txt with `clock_backwards` after the long 2020 advances when
the RTC was written as its first reading plus the bench's seconds only.  Judged against the
TRUE time of the simulated world (its FakeClock), not the meter's belief."""
import json

import sim as simmod
from meter.benchtime import BenchTime
from meter.core import codes

parse = simmod.isotime.parse_iso_utc
STEP_MS = 300       # what each ticks_ms() read costs: a slow chip's control step, exaggerated


class SlowChip:
    """The simulator's hardware, but every ticks_ms() read lets STEP_MS of world time pass
    (the FakeClock drives the tick counter and the DS3231 model alike)."""

    def __init__(self, hw):
        self._hw = hw

    def __getattr__(self, name):
        return getattr(self._hw, name)

    def ticks_ms(self):
        self._hw.clock.advance_ms(STEP_MS)
        return self._hw.clock.ticks_ms()


def test_long_advance_keeps_rtc_with_the_counter(tmp_path):
    start = parse("2020-07-01T10:00:00Z")
    s = simmod.Simulator(start, {}, str(tmp_path / "state"))
    try:
        app = s.app
        app.hw = SlowChip(app.hw)
        bench = BenchTime(app)
        bench.command("load", ["600"])
        total = 0
        for secs in (126000, 86400, 43200, 161940, 120):
            ms0 = s.clock.ms
            bench.advance(secs)
            total += secs
            out = json.loads(json.dumps(app.status()))
            clock = out["clock"]
            # the world moved on by the bench's seconds plus what the steps took
            true_utc = start + total + s.clock.ms // 1000
            assert s.clock.ms > ms0
            assert clock["rtc"] == "ok", clock
            assert clock["trusted"], clock
            assert app.meter.clock.rtc_code == 0, clock
            lo, hi = parse(clock["lo"]), parse(clock["hi"])
            assert lo <= true_utc <= hi, (clock, true_utc)
            # the DS3231 shows the world's time (within the whole-second phase), not less
            assert app.read_rtc() == 0
            rtc_utc = parse(simmod.isotime.iso_utc(
                946684800 + app.rtc_minute * 60 + app.rtc_second))
            assert abs(rtc_utc - true_utc) <= 2, (rtc_utc, true_utc)
        assert app.meter.clock.code != codes.CLOCK_BACKWARDS
    finally:
        s.close()
