"""Guarded watchdog (METER.md §2, §11 hung task): fed only while the control step beats."""
from fakehw import FakeClock, FakeWDT
from meter.drivers.watchdog import GuardedWatchdog


def _run(clock, g, seconds, beat=True):
    """The app on a fake clock: a control step (heartbeat) and a feeder, once a second."""
    for _ in range(seconds):
        clock.advance(1000)
        now = clock.ticks_ms()
        if beat:
            g.heartbeat(now)
        g.feed(now)


def test_wdt_is_created_lazily_on_start():
    clock = FakeClock(0)
    make = FakeWDT.factory(clock)
    g = GuardedWatchdog(make, timeout_ms=8000)
    assert make.made == []
    assert g.feed(0) is False                      # not started: nothing to feed
    g.start(100)
    g.start(200)
    assert len(make.made) == 1 and make.made[0].timeout == 8000


def test_first_heartbeat_starts_it_unless_told_not_to():
    clock = FakeClock(0)
    make = FakeWDT.factory(clock)
    g = GuardedWatchdog(make)
    g.heartbeat(0)
    assert g.started and len(make.made) == 1
    make2 = FakeWDT.factory(clock)
    g2 = GuardedWatchdog(make2, auto_start=False)
    g2.heartbeat(0)
    assert not g2.started and make2.made == []


def test_feeds_while_healthy_and_stops_when_the_control_step_hangs():
    clock = FakeClock(0)
    make = FakeWDT.factory(clock)
    g = GuardedWatchdog(make, timeout_ms=8000, heartbeat_limit_ms=3000)
    g.start(clock.ticks_ms())
    _run(clock, g, 60)
    wdt = make.made[0]
    assert wdt.feeds == 60 and not wdt.fired() and not g.starving
    hang = clock.ms
    _run(clock, g, 30, beat=False)                 # control step hung; feeder still runs
    assert g.starving
    assert wdt.feeds == 60 + 3                     # fed while the last beat was <= 3 s old
    assert wdt.fired()
    assert wdt.fired_at == hang + 3000 + 8000


def test_timeout_is_clamped_for_rp2040_and_limit_below_timeout():
    clock = FakeClock(0)
    make = FakeWDT.factory(clock)
    g = GuardedWatchdog(make, timeout_ms=20000, heartbeat_limit_ms=9000)
    g.start(0)
    assert g.timeout_ms == 8388 and make.made[0].timeout == 8388
    assert g.heartbeat_limit_ms == 4194
    assert GuardedWatchdog(make, timeout_ms=10).timeout_ms == 1000


def test_accepts_a_ready_wdt_object():
    clock = FakeClock(0)
    wdt = FakeWDT(clock, 5000)
    g = GuardedWatchdog(wdt, timeout_ms=5000)
    g.heartbeat(0)
    _run(clock, g, 10)
    assert wdt.feeds == 10 and not wdt.fired()


def test_fake_wdt_fires_without_feeding():
    clock = FakeClock(0)
    wdt = FakeWDT(clock, 1000)
    clock.advance(1000)
    assert not wdt.fired()
    wdt.feed()
    clock.advance(1001)
    assert wdt.fired() and wdt.fired_at == 2000
    wdt.feed()                                     # too late: the board already reset
    assert wdt.fired() and wdt.feeds == 1


def test_recovers_from_a_slow_step_inside_the_limit():
    clock = FakeClock(0)
    make = FakeWDT.factory(clock)
    g = GuardedWatchdog(make)
    g.heartbeat(clock.ticks_ms())
    clock.advance(2500)                            # one slow step (e.g. a flash write)
    assert g.feed(clock.ticks_ms()) is True
    _run(clock, g, 5)
    assert not make.made[0].fired()
