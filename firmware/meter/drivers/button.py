"""The reconnect push button (METER.md §2, §3), debounced by polling.

The pin is an input that reads `active` (0: button to GND with a pull-up) while pressed.
poll(now_ms) every ~20 ms returns True once per press: when the pin has read pressed
continuously for debounce_ms (default 40 ms).  A release must likewise hold for debounce_ms
before the next press can count, so contact bounce at either edge, or a finger resting on the
button, gives one press.  A pin that reads pressed from boot (a stuck button, a missing
pull-up) counts nothing until it has been released once: a fault never reconnects by itself.
Allocation-free: ints only.
"""
from meter.drivers.ticks import diff


class Button:
    def __init__(self, pin, active=0, debounce_ms=40):
        self.pin = pin
        self._active = 1 if active else 0
        self.debounce_ms = debounce_ms
        self.presses = 0
        self._down = True            # the accepted state; True until a release is seen
        self._raw = True
        self._since = 0
        self._started = False

    def poll(self, now_ms):
        """-> True when a new press has just been accepted."""
        raw = self.pin.value() == self._active
        if not self._started:
            self._started = True
            self._raw = raw
            self._since = now_ms
            return False
        if raw != self._raw:
            self._raw = raw
            self._since = now_ms
            return False
        if raw == self._down or diff(now_ms, self._since) < self.debounce_ms:
            return False
        self._down = raw
        if raw:
            self.presses += 1
            return True
        return False
