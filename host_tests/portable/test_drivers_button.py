"""The reconnect button's debounce (meter.drivers.button)."""
from fakehw import FakeClock, FakePin
from meter.drivers.button import Button


def _rig():
    clock = FakeClock(0)
    pin = FakePin("button", FakePin.IN, FakePin.PULL_UP)
    return clock, pin, Button(pin)


def _hold(clock, pin, button, level, ms, step=20):
    pin.drive(level)
    n = 0
    for _ in range(ms // step):
        clock.advance(step)
        if button.poll(clock.ticks_ms()):
            n += 1
    return n


def test_one_press_counts_once_with_bounce():
    clock, pin, b = _rig()
    assert _hold(clock, pin, b, 1, 200) == 0
    n = 0
    for _ in range(5):                       # bounce: 10 ms pieces
        n += _hold(clock, pin, b, 0, 10, 10)
        n += _hold(clock, pin, b, 1, 10, 10)
    n += _hold(clock, pin, b, 0, 500)        # held half a second: still one
    n += _hold(clock, pin, b, 1, 200)
    n += _hold(clock, pin, b, 0, 100)
    assert n == 2 and b.presses == 2


def test_short_glitch_is_not_a_press():
    clock, pin, b = _rig()
    _hold(clock, pin, b, 1, 200)
    assert _hold(clock, pin, b, 0, 20) == 0
    assert _hold(clock, pin, b, 1, 200) == 0


def test_stuck_from_boot_counts_nothing_until_released():
    clock, pin, b = _rig()
    assert _hold(clock, pin, b, 0, 2000) == 0
    _hold(clock, pin, b, 1, 100)
    assert _hold(clock, pin, b, 0, 100) == 1
