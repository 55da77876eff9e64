"""Buzzer and the two LEDs (supply, alert), non-blocking (METER.md §2, §3).

Output pins are created by board code at their inactive level (`Pin(n, Pin.OUT, value=0)` for
active-high parts).  Times are millisecond ticks passed in; poll(now_ms) from the app's display
or control loop ends chirps and toggles blinking LEDs, so their timing is as fine as that loop
(the app's 250 ms display loop is plenty for a 500 ms blink).

Buzzer: an active buzzer (it has its own oscillator, so a level on the pin sounds it).  Whether
to sound at all (never at night, §3) is the app's decision, not the driver's.

Leds.set(supply, alert) takes OFF/ON/BLINK per LED (False/True work as OFF/ON); calling it with
unchanged modes every step costs nothing and does not restart the blink phase.  Both LEDs blink
in step.  Pins are written only when their level changes.
"""
from micropython import const

from meter.drivers.ticks import diff

OFF = const(0)
ON = const(1)
BLINK = const(2)


class Buzzer:
    def __init__(self, pin, active=1):
        self.pin = pin
        self._on = 1 if active else 0
        self._off = 0 if active else 1
        self.sounding = False
        self.chirps = 0                  # chirps started (diagnostics)
        self._t0 = 0
        self._ms = 0
        self._gap_ms = 0
        self._left = 0                   # further chirps after the current one

    def chirp(self, now_ms, ms, count=1, gap_ms=100):
        """Sounds `count` chirps of `ms` each, `gap_ms` apart; replaces any pattern running."""
        self._ms = ms
        self._gap_ms = gap_ms
        self._left = count - 1
        self._start(now_ms)

    def _start(self, now_ms):
        self.pin.value(self._on)
        self.sounding = True
        self._t0 = now_ms
        self.chirps += 1

    def poll(self, now_ms):
        if self.sounding:
            if diff(now_ms, self._t0) >= self._ms:
                self.pin.value(self._off)
                self.sounding = False
                self._t0 = now_ms
        elif self._left > 0 and diff(now_ms, self._t0) >= self._gap_ms:
            self._left -= 1
            self._start(now_ms)

    @property
    def busy(self):
        return self.sounding or self._left > 0

    def stop(self):
        self.pin.value(self._off)
        self.sounding = False
        self._left = 0


class Leds:
    def __init__(self, supply_pin, alert_pin, active=1, blink_ms=500):
        self._supply_pin = supply_pin
        self._alert_pin = alert_pin
        self._on = 1 if active else 0
        self.blink_ms = blink_ms
        self.supply = OFF
        self.alert = OFF
        self._lit = [False, False]
        self._phase = True               # blinking LEDs are lit in this half period
        self._t0 = 0
        self._started = False

    def set(self, supply, alert):
        s = BLINK if supply == BLINK else (ON if supply else OFF)
        a = BLINK if alert == BLINK else (ON if alert else OFF)
        if s == self.supply and a == self.alert:
            return
        if (s == BLINK or a == BLINK) and self.supply != BLINK and self.alert != BLINK:
            self._phase = True
            self._started = False        # the next poll() starts the blink period
        self.supply = s
        self.alert = a
        self._apply()

    def poll(self, now_ms):
        if self.supply != BLINK and self.alert != BLINK:
            return
        if not self._started:
            self._started = True
            self._t0 = now_ms
            return
        if diff(now_ms, self._t0) >= self.blink_ms:
            self._t0 = now_ms
            self._phase = not self._phase
            self._apply()

    def _apply(self):
        self._light(0, self._supply_pin, self.supply)
        self._light(1, self._alert_pin, self.alert)

    def _light(self, i, pin, mode):
        lit = mode == ON or (mode == BLINK and self._phase)
        if lit != self._lit[i]:
            self._lit[i] = lit
            pin.value(self._on if lit else 1 - self._on)

    def lit(self):
        """(supply lit, alert lit) right now, for the simulator and tests."""
        return self._lit[0], self._lit[1]
