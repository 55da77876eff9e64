"""Buzzer and LEDs (METER.md §2, §3): non-blocking chirps and blinking on a fake clock."""
from fakehw import FakeClock, FakePin, active_intervals
from meter.drivers.indicators import BLINK, OFF, ON, Buzzer, Leds


def _poll(clock, part, ms, step=10):
    end = clock.ms + ms
    while clock.ms < end:
        clock.advance(step)
        part.poll(clock.ticks_ms())


def test_buzzer_chirp_is_non_blocking_and_exact():
    clock = FakeClock(0)
    pin = FakePin("bz", FakePin.OUT, value=0, clock=clock)
    bz = Buzzer(pin)
    assert pin.history == []
    bz.chirp(clock.ticks_ms(), 50)
    assert pin.value() == 1 and bz.sounding
    _poll(clock, bz, 200)
    assert active_intervals(pin) == [(0, 50)]
    assert not bz.busy


def test_buzzer_pattern_and_stop():
    clock = FakeClock(0)
    pin = FakePin("bz", FakePin.OUT, value=1, clock=clock)
    bz = Buzzer(pin, active=0)
    bz.chirp(0, 100, count=3, gap_ms=200)
    _poll(clock, bz, 2000)
    assert active_intervals(pin, active=0) == [(0, 100), (300, 400), (600, 700)]
    bz.chirp(clock.ticks_ms(), 100, count=5)
    bz.stop()
    assert pin.value() == 1 and not bz.busy
    _poll(clock, bz, 1000)
    assert pin.value() == 1


def test_leds_steady_and_written_only_on_change():
    supply = FakePin("s", FakePin.OUT, value=0)
    alert = FakePin("a", FakePin.OUT, value=0)
    leds = Leds(supply, alert)
    assert supply.history == [] and alert.history == []
    leds.set(True, False)
    leds.set(True, False)
    leds.set(ON, OFF)
    assert supply.value() == 1 and alert.value() == 0
    assert supply.writes == 1 and alert.writes == 0
    leds.set(False, True)
    assert leds.lit() == (False, True)


def test_leds_blink_in_step_without_restarting():
    clock = FakeClock(0)
    supply = FakePin("s", FakePin.OUT, value=0, clock=clock)
    alert = FakePin("a", FakePin.OUT, value=0, clock=clock)
    leds = Leds(supply, alert, blink_ms=500)
    leds.set(ON, BLINK)
    assert alert.value() == 1
    leds.poll(0)
    for _ in range(10):
        clock.advance(100)
        leds.poll(clock.ticks_ms())
        leds.set(ON, BLINK)                        # every control step: no restart
    assert active_intervals(alert) == [(0, 500), (1000, None)]
    assert supply.value() == 1
    leds.set(ON, OFF)
    assert alert.value() == 0
    _poll(clock, leds, 2000)
    assert alert.value() == 0 and supply.value() == 1


def test_leds_active_low():
    supply = FakePin("s", FakePin.OUT, value=1)
    alert = FakePin("a", FakePin.OUT, value=1)
    leds = Leds(supply, alert, active=0)
    leds.set(True, True)
    assert supply.value() == 0 and alert.value() == 0
    leds.set(False, False)
    assert supply.value() == 1 and alert.value() == 1
