"""Relay drivers (METER.md §2): no boot glitch, exact pulses, never both coils, feedback
failure with backoff."""
from fakehw import FakeClock, FakePin, active_intervals
from meter.core.codes import RELAY_FAILED
from meter.drivers.relay import LatchingRelay, MonostableRelay


def _latching(active=1, feedback=None, pulse_ms=100):
    clock = FakeClock(1000)
    off = 0 if active else 1
    s = FakePin("set", FakePin.OUT, value=off, clock=clock)
    r = FakePin("reset", FakePin.OUT, value=off, clock=clock)
    relay = LatchingRelay(s, r, pulse_ms=pulse_ms, feedback=feedback, feedback_active=0,
                          active=active)
    return clock, s, r, relay


def _run(clock, relay, ms, step=1, model=None):
    end = clock.ms + ms
    while clock.ms < end:
        clock.advance(step)
        relay.poll(clock.ticks_ms())
        if model is not None:
            model()


def test_constructor_does_not_drive_pins():
    for active in (1, 0):
        clock, s, r, relay = _latching(active)
        assert s.history == [] and r.history == []
        assert s.value() == (0 if active else 1) and r.value() == (0 if active else 1)
        assert relay.state is True and not relay.busy and not relay.failed
    p = FakePin("mono", FakePin.OUT, value=0)
    MonostableRelay(p)
    assert p.history == [] and p.value() == 0


def test_latching_pulse_is_exactly_pulse_ms():
    clock, s, r, relay = _latching()
    relay.request(False, clock.ticks_ms())
    assert relay.busy and r.value() == 1 and s.value() == 0
    _run(clock, relay, 300)
    assert active_intervals(r) == [(1000, 1100)]
    assert active_intervals(s) == []
    assert not relay.busy and relay.state is False
    t = clock.ms
    relay.request(True, t)
    _run(clock, relay, 300)
    assert active_intervals(s) == [(t, t + 100)]
    assert len(active_intervals(r)) == 1


def test_pulse_length_is_configurable_and_active_low_works():
    clock, s, r, relay = _latching(active=0, pulse_ms=40)
    relay.request(False, clock.ticks_ms())
    _run(clock, relay, 100)
    assert active_intervals(r, active=0) == [(1000, 1040)]
    assert r.value() == 1 and s.value() == 1


def _overlap(a, b):
    for s1, e1 in a:
        for s2, e2 in b:
            if s1 < e2 and s2 < e1:
                return True
    return False


def test_never_both_coils_even_when_reversed_mid_pulse():
    clock, s, r, relay = _latching()
    relay.request(False, clock.ticks_ms())
    _run(clock, relay, 30)
    relay.request(True, clock.ticks_ms())         # change of mind during the reset pulse
    assert r.value() == 1 and s.value() == 0      # the running pulse finishes first
    _run(clock, relay, 300)
    ri = active_intervals(r)
    si = active_intervals(s)
    assert ri == [(1000, 1100)]
    assert si == [(1100, 1200)]
    assert not _overlap(ri, si)
    assert relay.state is True and not relay.busy


def test_same_state_request_does_nothing_and_redrive_pulses_again():
    clock, s, r, relay = _latching()
    relay.request(True, clock.ticks_ms())
    assert s.history == [] and r.history == [] and not relay.busy
    relay.redrive(clock.ticks_ms())               # boot: the contact position is unknown
    _run(clock, relay, 200)
    assert active_intervals(s) == [(1000, 1100)]
    assert r.history == [] or active_intervals(r) == []
    relay.request(False, clock.ticks_ms())
    _run(clock, relay, 200)
    t = clock.ms
    relay.redrive(t)
    _run(clock, relay, 200)
    assert active_intervals(r)[-1] == (t, t + 100)


class _Contact:
    """A physical latching relay: the set coil closes it, the reset coil opens it, unless it
    is stuck; the feedback (active low) reads the load-side voltage."""

    def __init__(self, s, r, fb, closed=True):
        self.s = s
        self.r = r
        self.fb = fb
        self.closed = closed
        self.stuck = False
        self.update()

    def update(self):
        if not self.stuck:
            if self.s.out() == 1:
                self.closed = True
            elif self.r.out() == 1:
                self.closed = False
        self.fb.drive(0 if self.closed else 1)


def test_feedback_confirms_a_good_switch():
    fb = FakePin("fb", FakePin.IN, FakePin.PULL_UP)
    clock, s, r, relay = _latching(feedback=fb)
    contact = _Contact(s, r, fb)
    relay.request(False, clock.ticks_ms())
    contact.update()
    _run(clock, relay, 100 + 49, model=contact.update)
    assert relay.busy                              # still settling
    _run(clock, relay, 2, model=contact.update)
    assert not relay.busy and not relay.failed and relay.code == 0
    assert relay.feedback_closed() is False


def test_feedback_failure_reports_and_retries_with_backoff():
    fb = FakePin("fb", FakePin.IN, FakePin.PULL_UP)
    clock, s, r, relay = _latching(feedback=fb)
    contact = _Contact(s, r, fb)
    contact.stuck = True                           # welded contact: stays closed
    relay.request(False, clock.ticks_ms())
    _run(clock, relay, 200, step=10, model=contact.update)
    assert relay.failed and relay.code == RELAY_FAILED and relay.attempts == 1
    _run(clock, relay, 200000, step=10, model=contact.update)
    starts = [a for a, b in active_intervals(r)]
    gaps = [starts[i + 1] - starts[i] for i in range(len(starts) - 1)]
    # each retry waits 1, 2, 4 ... s (capped at 60 s) after the failed check, which itself
    # comes pulse + settle (150 ms) after the pulse started
    waits = [g - 150 for g in gaps]
    assert waits[:6] == [1000, 2000, 4000, 8000, 16000, 32000]
    assert waits[6:] and all(w == 60000 for w in waits[6:])
    assert active_intervals(s) == []               # never tried the wrong coil
    contact.stuck = False                          # it frees itself at the next retry
    _run(clock, relay, 61000, step=10, model=contact.update)
    assert not relay.failed and relay.code == 0 and relay.attempts == 0
    n = len(active_intervals(r))
    _run(clock, relay, 200000, step=100, model=contact.update)
    assert len(active_intervals(r)) == n           # no more retries once it switched


def test_new_command_during_backoff_starts_at_once_with_fresh_backoff():
    fb = FakePin("fb", FakePin.IN, FakePin.PULL_UP)
    clock, s, r, relay = _latching(feedback=fb)
    contact = _Contact(s, r, fb)
    contact.stuck = True
    relay.request(False, clock.ticks_ms())
    _run(clock, relay, 5000, step=10, model=contact.update)
    assert relay.failed
    contact.stuck = False
    t = clock.ms
    relay.request(True, t)                         # the stuck-closed contact is closed: ok
    assert active_intervals(s) == [(t, None)]
    _run(clock, relay, 200, step=10, model=contact.update)
    assert not relay.failed and relay.state is True


def test_monostable_default_keeps_supply_on_with_coil_off():
    clock = FakeClock(0)
    p = FakePin("relay", FakePin.OUT, value=0, clock=clock)
    relay = MonostableRelay(p)
    relay.redrive(0)
    assert p.value() == 0
    relay.request(False, 10)
    assert p.value() == 1 and relay.state is False
    relay.request(True, 20)
    assert p.value() == 0
    relay.poll(30)
    assert not relay.busy and not relay.failed


def test_monostable_active_low_and_normally_open_wiring():
    p = FakePin("relay", FakePin.OUT, value=1)
    relay = MonostableRelay(p, active=0, closed_when_active=True)
    assert p.history == []
    relay.redrive(0)
    assert p.value() == 0                          # energised = closed
    relay.request(False, 5)
    assert p.value() == 1


def test_monostable_feedback_failure():
    clock = FakeClock(0)
    p = FakePin("relay", FakePin.OUT, value=0, clock=clock)
    fb = FakePin("fb", FakePin.IN, FakePin.PULL_UP)
    fb.drive(0)                                    # load live and stays live
    relay = MonostableRelay(p, feedback=fb, feedback_active=0)
    relay.request(False, clock.ticks_ms())
    assert relay.busy
    _run(clock, relay, 60, step=5)
    assert relay.failed and relay.code == RELAY_FAILED
    fb.drive(1)
    _run(clock, relay, 1100, step=5)
    assert not relay.failed and relay.code == 0


def test_without_feedback_never_failed():
    clock, s, r, relay = _latching()
    relay.request(False, clock.ticks_ms())
    _run(clock, relay, 1000, step=10)
    assert not relay.failed and relay.feedback_closed() is None


def test_tick_wraparound():
    clock = FakeClock(0x3FFFFFFF - 50)
    s = FakePin("set", FakePin.OUT, value=0, clock=clock)
    r = FakePin("reset", FakePin.OUT, value=0, clock=clock)
    relay = LatchingRelay(s, r)
    relay.request(False, clock.ticks_ms())
    _run(clock, relay, 200)
    a, b = active_intervals(r)[0]
    assert b - a == 100


def test_unfiltered_mains_feedback_is_sampled_over_a_50hz_period():
    # an optocoupler on the mains without its filter capacitor: while the load is live it
    # pulls the input low only near each crest (3 ms of every 10 ms half-cycle).  A single
    # read at settle_ms landing in a gap saw a live load as dead (issue 11).  The app's relay
    # task polls every 7 ms, which walks across the mains phase; every phase must pass.
    for phase in range(10):
        clock = FakeClock(1000 + phase)
        fb = FakePin("fb", FakePin.IN, FakePin.PULL_UP)
        s = FakePin("set", FakePin.OUT, value=0, clock=clock)
        r = FakePin("reset", FakePin.OUT, value=0, clock=clock)
        relay = LatchingRelay(s, r, pulse_ms=100, feedback=fb, feedback_active=0,
                              closed=False)
        closed = [False]

        def mains():
            if s.out() == 1:
                closed[0] = True
            elif r.out() == 1:
                closed[0] = False
            fb.drive(0 if closed[0] and (clock.ms % 10) < 3 else 1)
        relay.request(True, clock.ticks_ms())
        for _ in range(60):
            for _ in range(7):
                clock.advance(1)
                mains()
            relay.poll(clock.ticks_ms())
        assert not relay.failed and relay.attempts == 0, phase
