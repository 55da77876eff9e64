"""Fake machine.WDT."""

class FakeWDT:
    """machine.WDT on a FakeClock: `fired` once the clock passes the last feed + timeout
    (checked on every feed() and fired() call); a fired watchdog stays fired, as the board
    would have reset.  make = FakeWDT.factory(clock) gives a factory(timeout_ms)."""

    def __init__(self, clock, timeout=5000, id=0):
        self.clock = clock
        self.timeout = timeout
        self.feeds = 0
        self.fired_at = None
        self._last = clock.ms

    def fired(self):
        if self.fired_at is None and self.clock.ms - self._last > self.timeout:
            self.fired_at = self._last + self.timeout
        return self.fired_at is not None

    def feed(self):
        if self.fired():
            return
        self._last = self.clock.ms
        self.feeds += 1

    @staticmethod
    def factory(clock):
        return _WdtFactory(clock)


class _WdtFactory:
    """Called as factory(timeout_ms) like the driver's default; keeps what it made."""

    def __init__(self, clock):
        self.clock = clock
        self.made = []

    def __call__(self, timeout_ms):
        w = FakeWDT(self.clock, timeout_ms)
        self.made.append(w)
        return w
