"""S0 pulse counter (METER.md §2, §3): counting in the IRQ, bounce rejection, take()."""
import gc

from fakehw import FakeClock, FakePin
from meter.drivers.s0 import S0Counter


class _Irq:
    def __init__(self):
        self.off = 0
        self.on = 0

    def disable(self):
        self.off += 1
        return 7

    def enable(self, state):
        assert state == 7
        self.on += 1


def _rig(start=0, **kw):
    clock = FakeClock(start)
    pin = FakePin("s0", FakePin.IN, FakePin.PULL_UP)
    irq = _Irq()
    s0 = S0Counter(pin, ticks_ms=clock.ticks_ms, irq_off=irq.disable, irq_on=irq.enable, **kw)
    return clock, pin, irq, s0


def _pulse(clock, pin, width=30, pause=30, bounce=0, bounce_step=1):
    """One S0 pulse (active low), optionally with contact bounce at both edges."""
    for _ in range(bounce):
        pin.drive(0)
        clock.advance(bounce_step)
        pin.drive(1)
        clock.advance(bounce_step)
    pin.drive(0)
    clock.advance(width)
    for _ in range(bounce):
        pin.drive(1)
        clock.advance(bounce_step)
        pin.drive(0)
        clock.advance(bounce_step)
    pin.drive(1)
    clock.advance(pause)


def test_registers_a_both_edges_hard_irq():
    clock, pin, irq, s0 = _rig()
    assert pin.handler is not None
    assert pin.trigger == FakePin.IRQ_FALLING | FakePin.IRQ_RISING
    assert pin.hard is True


def test_counts_clean_pulses_and_take_resets():
    clock, pin, irq, s0 = _rig()
    for _ in range(10):
        _pulse(clock, pin)
    assert s0.take() == 10
    assert irq.off == 1 and irq.on == 1
    assert s0.take() == 0
    _pulse(clock, pin, width=90, pause=500)
    assert s0.take() == 1
    assert s0.total == 11


def test_bounce_at_both_edges_counts_once():
    clock, pin, irq, s0 = _rig()
    for _ in range(20):
        _pulse(clock, pin, width=30, pause=40, bounce=4)
    assert s0.take() == 20
    assert s0.rejected > 0


def test_fastest_legal_rate():
    clock, pin, irq, s0 = _rig()
    for _ in range(100):
        _pulse(clock, pin, width=30, pause=30, bounce=2)
    assert s0.take() == 100


def test_pulse_right_after_boot_counts():
    clock, pin, irq, s0 = _rig(start=5)
    _pulse(clock, pin)
    assert s0.take() == 1


def test_tick_wraparound_and_long_silence():
    clock, pin, irq, s0 = _rig(start=0x3FFFFFFF - 45)
    for _ in range(5):
        _pulse(clock, pin, bounce=3)
    assert s0.take() == 5
    clock.advance(0x20000000 + 12345)              # ~6 days without consumption
    _pulse(clock, pin)
    assert s0.take() == 1


def test_active_high_input():
    clock = FakeClock(0)
    pin = FakePin("s0", FakePin.IN, FakePin.PULL_DOWN)
    s0 = S0Counter(pin, active=1, ticks_ms=clock.ticks_ms)
    for _ in range(3):
        pin.drive(1)
        clock.advance(40)
        pin.drive(0)
        clock.advance(40)
    assert s0.take() == 3


def test_irq_handler_allocates_nothing_under_micropython():
    if not hasattr(gc, "mem_alloc"):
        return
    clock, pin, irq, s0 = _rig()
    handler = pin.handler
    pin.external = 0
    handler(pin)
    gc.collect()
    before = gc.mem_alloc()
    level = 1
    for _ in range(50):
        clock.ms += 40
        pin.external = level
        handler(pin)
        level = 1 - level
    s0.take()
    used = gc.mem_alloc() - before
    assert used == 0, used


def test_a_machine_module_without_disable_irq_is_a_host():
    # the MicroPython unix port has `machine` but no disable_irq/enable_irq (issue 11)
    import sys

    class _Machine:
        pass

    saved = sys.modules.get("machine")
    sys.modules["machine"] = _Machine()
    try:
        clock = FakeClock(0)
        pin = FakePin("s0", FakePin.IN, FakePin.PULL_UP)
        s0 = S0Counter(pin, ticks_ms=clock.ticks_ms)
        _pulse(clock, pin)
        assert s0.take() == 1
    finally:
        if saved is None:
            del sys.modules["machine"]
        else:
            sys.modules["machine"] = saved


class _Esp32Pin(FakePin):
    """Pin.irq as on the ESP32 port: no `hard` argument at all."""
    calls = 0

    def irq(self, handler=None, trigger=3, **kw):
        self.calls += 1
        if kw:
            raise TypeError("unexpected keyword argument")
        return FakePin.irq(self, handler, trigger)


def test_soft_irq_is_asked_for_without_hard():
    # ESP32: board code passes hard=False; the driver then never passes `hard` (one call)
    clock = FakeClock(0)
    pin = _Esp32Pin("s0", FakePin.IN, FakePin.PULL_UP)
    s0 = S0Counter(pin, ticks_ms=clock.ticks_ms, irq_off=_Irq().disable, irq_on=_Irq().enable,
                   hard=False)
    assert pin.handler is not None
    assert pin.calls == 1
    _pulse(clock, pin)
    assert s0.take() == 1


class _Counter:
    """machine.Counter look-alike: a count the hardware keeps."""

    def __init__(self, start=0):
        self.count = start

    def value(self):
        return self.count


def test_hardware_counter_takes_the_difference_of_readings():
    from meter.drivers.s0 import S0HardwareCounter
    unit = _Counter(1234)                 # counting since before the driver existed
    s0 = S0HardwareCounter(unit)
    assert s0.take() == 0
    unit.count += 7
    assert s0.take() == 7 and s0.take() == 0
    unit.count = 3                        # reset behind our back: never a negative count
    assert s0.take() == 0
    unit.count += 2
    assert s0.take() == 2 and s0.total == 9
