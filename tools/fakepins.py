"""Fake pins and time: FakeClock (wrapping ticks_ms), FakePin (machine.Pin look-alike with a
write history and an external level), active_intervals."""

_TICKS_MASK = 0x3FFFFFFF


class FakeClock:
    def __init__(self, start_ms=0):
        self.ms = start_ms

    def ticks_ms(self):
        return self.ms & _TICKS_MASK

    def __call__(self):
        return self.ms & _TICKS_MASK

    def advance(self, ms):
        self.ms += ms

    def sleep_ms(self, ms):
        self.ms += ms


# --- pins ---------------------------------------------------------------------------------

class FakePin:
    IN = 0
    OUT = 1
    OPEN_DRAIN = 2
    PULL_UP = 1
    PULL_DOWN = 2
    IRQ_RISING = 1
    IRQ_FALLING = 2

    def __init__(self, id=None, mode=-1, pull=-1, value=None, clock=None, record=True):
        self.id = id
        self.mode = mode
        self.pull = pull
        self.clock = clock
        self.record = record
        self.history = []        # (time ms, value) of every value() write
        self.writes = 0
        self.reads = 0
        self.external = None     # level something outside drives onto the pin (None: nothing)
        self.floating = 0        # what an input reads with nothing driving and no pull
        self.handler = None
        self.trigger = 0
        self.hard = False
        self._out = 1 if value else 0
        self._level = self.level()

    # machine.Pin API
    def value(self, x=None):
        if x is None:
            self.reads += 1
            return self.level()
        self._write(x)

    def __call__(self, x=None):
        return self.value(x)

    def on(self):
        self._write(1)

    def off(self):
        self._write(0)

    def init(self, mode=-1, pull=-1, value=None):
        if mode != -1:
            self.mode = mode
        if pull != -1:
            self.pull = pull
        if value is not None:
            self._out = 1 if value else 0
        self._changed()

    def irq(self, handler=None, trigger=3, hard=False):
        self.handler = handler
        self.trigger = trigger
        self.hard = hard
        return self

    # the fake's side
    def level(self):
        """The electrical level of the pin now."""
        mode = self.mode
        if mode == FakePin.OUT:
            return self._out
        if mode == FakePin.OPEN_DRAIN and self._out == 0:
            return 0
        return self._input_level()

    def _input_level(self):
        if self.external is not None:
            return self.external
        if self.pull == FakePin.PULL_UP:
            return 1
        if self.pull == FakePin.PULL_DOWN:
            return 0
        return self.floating

    def _write(self, x):
        v = 1 if x else 0
        self._out = v
        self.writes += 1
        if self.record:
            self.history.append((self.clock.ms if self.clock is not None else self.writes, v))
        self._changed()

    def drive(self, level):
        """Something outside drives the pin (None: lets go of it); fires the IRQ on an edge."""
        self.external = level
        self._changed()

    def _changed(self):
        old = self._level
        new = self.level()
        self._level = new
        if new == old or self.handler is None:
            return
        edge = FakePin.IRQ_RISING if new else FakePin.IRQ_FALLING
        if self.trigger & edge:
            self.handler(self)

    def out(self):
        """The value last written (what the driver asked for)."""
        return self._out


def active_intervals(pin, active=1):
    """[(start, end or None)] of the times a pin's written value was `active` (from history)."""
    out = []
    start = None
    for t, v in pin.history:
        if v == active and start is None:
            start = t
        elif v != active and start is not None:
            out.append((start, t))
            start = None
    if start is not None:
        out.append((start, None))
    return out


# --- I2C ----------------------------------------------------------------------------------
