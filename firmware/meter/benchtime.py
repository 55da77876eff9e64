"""Test mode on a board: how a bench rig moves time and load (docs/bench.md, "Time on a board").

A bench cannot wait days, so a board in test mode answers the simulator's `advance <s>` and
`load <W>` itself:

  load <W>     an imaginary load of W watts from now on: the S0 pulses it would give are
               counted by `advance` (the real S0 input still counts too)
  advance <s>  moves the meter's world s seconds on, in the simulator's event-driven steps
               (Meter.seconds_to_change): for each step the monotonic seconds are moved on
               and the DS3231 is written forward by all the counter moved (the step's seconds
               and the real time the step took), so the meter sees a consistent clock, not a
               jump, the load's pulses are added, and the
               control step runs.  The watchdog is fed between steps, as the feeder task would.

Imported only when a test-mode command asks for it; a production meter never loads it.
"""
from micropython import const

from meter import overlay

_MAX_ADVANCE = const(10 * 366 * 86400)
_DAY = const(86400)


class BenchTime:
    def __init__(self, app):
        self.app = app
        self.load_w = 0
        self._acc = 0            # watt-seconds x pulses per kWh not yet a whole pulse

    def command(self, cmd, args):
        if cmd == "load":
            if len(args) != 1 or not args[0].isdigit() or int(args[0]) > 100000:
                return {"ok": False, "error": "load: watts 0..100000"}
            self.load_w = int(args[0])
            self.app.meter.set_power(self.load_w)
            self.app.control_step()
            return self.app.status()
        if cmd == "advance":
            if len(args) != 1 or not args[0].isdigit():
                return {"ok": False, "error": "advance: seconds (a whole number)"}
            secs = int(args[0])
            if secs > _MAX_ADVANCE:
                return {"ok": False, "error": "advance: at most %d seconds" % _MAX_ADVANCE}
            self.advance(secs)
            return self.app.status()
        return None

    def advance(self, seconds):
        """The DS3231 is read once and written once, at the end: in between the steps see the
        time it would show, as the simulator's RTC would: its reading + the seconds the counter
        moved since, which is the bench's seconds PLUS the time the steps themselves took (a
        chip's control steps and commits take real time, which the counter counts from the
        ticks and the DS3231 counted too: writing back the reading + the bench's seconds only
        would set the RTC behind the counter by that, and after long advances below the proven
        lower bound: clock_backwards on the emulated Pico, july2020.txt)."""
        app = self.app
        status = app.read_rtc()
        # the planning code stays loaded for the whole advance, not one load a step
        from meter.core import plan
        try:
            return self._steps(plan, status, app.rtc_minute, app.rtc_second, app.mono_s,
                               seconds)
        finally:
            overlay.release(("meter.core.plan",))

    def _steps(self, plan, status, minute, second, mono0, remaining):
        app = self.app
        m = app.meter
        moved = 0
        steps = 0
        while remaining > 0:
            m.set_power(self.load_w)
            dt = plan.seconds_to_change(m, self.load_w)
            dt = min(remaining, max(1, dt), _DAY)
            moved += dt
            app.mono_s += dt
            self._acc += self.load_w * dt * app.cfg.imp_per_kwh
            pulses = self._acc // 3600000
            self._acc -= pulses * 3600000
            pulses += app.hw.s0.take() + app.extra_pulses
            app.extra_pulses = 0
            now = app._tick()
            if status == 0:
                s = second + (app.mono_s - mono0)
                app.rtc_minute = minute + s // 60
                app.rtc_second = s % 60
            was_closed = m.relay_closed()
            m.step(status, app.osf, app.rtc_minute, app.rtc_second, app.mono_s, pulses)
            app._after_change(now, was_closed)
            wdt = app.wdt
            if wdt is not None:
                wdt.heartbeat(now)
                wdt.feed(now)
            remaining -= dt
            steps += 1
        if status == 0 and moved:
            try:
                app._write_rtc(app.rtc_minute, app.rtc_second)
            except OSError:
                pass                    # a bus fault: the next control step reports it
        return steps
