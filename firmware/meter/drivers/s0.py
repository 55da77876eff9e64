"""S0 pulse input from a kWh meter (DIN 43864 / IEC 62053-31; METER.md §2, §3).

The S0 output is an open collector: the input idles high through a pull-up and a pulse pulls it
low (`active=0`) for at least 30 ms, followed by at least 30 ms of pause.  The pin IRQ fires on
both edges; the handler reads the pin level and accepts a change of level only when at least
min_gap_ms (default 20 ms, under the 30 ms minimum pulse and pause) have passed since the last
accepted change.  Contact bounce at either edge therefore counts nothing extra, and a pulse is
counted once, when its active level is accepted.  A bounce burst can only ever confirm the new
level of a transition, never invent one, because only a change from the accepted level counts.

The handler is registered as a hard IRQ where the port supports it: it allocates nothing (int
attribute updates; `ticks_ms` is injected, time.ticks_ms by default).  take() reads and zeroes
the count with IRQs disabled (machine.disable_irq/enable_irq by default, injectable for tests),
so no pulse is lost between the read and the reset.

Board code creates the pin as an input with its pull-up (`Pin(n, Pin.IN, Pin.PULL_UP)`; on ESP32
GPIO 34-39 need the external 4k7 pull-up) and passes it in.
"""
from meter.drivers.ticks import add, elapsed


def _default_ticks():
    import time
    try:
        return time.ticks_ms
    except AttributeError:                # CPython: a host clock only for ad-hoc use

        def ticks_ms():
            return int(time.time() * 1000) & 0x3FFFFFFF
        return ticks_ms


def _no_irq_off():
    return 0


def _no_irq_on(state):
    pass


class S0Counter:
    def __init__(self, pin, min_gap_ms=20, active=0, ticks_ms=None, irq_off=None, irq_on=None,
                 hard=True):
        if ticks_ms is None:
            ticks_ms = _default_ticks()
        if irq_off is None or irq_on is None:
            try:
                import machine
                irq_off = machine.disable_irq
                irq_on = machine.enable_irq
            except (ImportError, AttributeError):
                # host: nothing interrupts take(); the unix port has a `machine` module
                # without disable_irq/enable_irq
                irq_off = _no_irq_off
                irq_on = _no_irq_on
        self.pin = pin
        self.min_gap_ms = min_gap_ms
        self._active = 1 if active else 0
        self._ticks_ms = ticks_ms
        self._irq_off = irq_off
        self._irq_on = irq_on
        self.count = 0                    # pulses since the last take()
        self.total = 0                    # pulses since boot (diagnostics)
        self.rejected = 0                 # edges ignored as bounce
        self._level = pin.value()
        self._last = add(ticks_ms(), -min_gap_ms)
        trigger = pin.IRQ_FALLING | pin.IRQ_RISING
        if hard:
            try:
                pin.irq(handler=self._irq, trigger=trigger, hard=True)
            except TypeError:             # a port whose Pin.irq has no `hard`
                pin.irq(handler=self._irq, trigger=trigger)
        else:
            pin.irq(handler=self._irq, trigger=trigger)

    def _irq(self, pin):
        now = self._ticks_ms()
        level = self.pin.value()
        if level == self._level:
            return
        if elapsed(now, self._last) < self.min_gap_ms:
            self.rejected += 1
            return
        self._level = level
        self._last = now
        if level == self._active:
            self.count += 1
            self.total += 1

    def take(self):
        """Pulses counted since the previous take()."""
        state = self._irq_off()
        n = self.count
        self.count = 0
        self._irq_on(state)
        return n

    def close(self):
        self.pin.irq(handler=None)


class S0HardwareCounter:
    """S0 counted by a hardware pulse counter: `counter` is a machine.Counter (the ESP32's PCNT
    unit, MicroPython 1.27 and later) counting the falling edges of the pulled-up S0 input.
    Every pulse counts whatever the VM is doing, where the ESP32's soft pin IRQ can miss one
    while the VM is busy.  The PCNT's glitch filter (at most ~12.8 us) does not debounce
    contacts: S0 outputs are transistors and do not bounce.  take() returns the count since the
    previous take() as a difference of readings, so no pulse is lost between a read and a
    reset."""

    def __init__(self, counter):
        self._counter = counter
        self._last = counter.value()
        self.total = 0

    def take(self):
        now = self._counter.value()
        n = now - self._last
        self._last = now
        if n < 0:                          # the counter was reset behind our back
            n = 0
        self.total += n
        return n
