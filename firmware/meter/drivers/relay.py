"""Supply relay drivers (METER.md §2): a bistable latching relay with set and reset coils, or
a monostable relay module on one pin.

No glitch at boot: board code creates every relay pin at its INACTIVE level before the driver
sees it, e.g. `Pin(14, Pin.OUT, value=0)` for a coil driver that is active high; the
constructors here never drive an active level.  `closed` (default True: supply on) is the
state the driver assumes was commanded last; boot calls redrive() once it knows the state.

Non-blocking: request() and redrive() only start a switch; the app calls poll(now_ms) every
control step and at least every 20 ms while `busy`, which ends coil pulses and checks the
feedback.  Times are millisecond ticks passed in (time.ticks_ms() on a board, a fake clock in
tests); nothing here sleeps.

Feedback (optional input that reads `feedback_active` while the load side is live): sampled at
every poll during the last _FB_WINDOW_MS (30 ms, more than one 50 Hz period) of settle_ms
after a switch, and judged at settle_ms: live if any sample read active.  An optocoupler on
the mains conducts only near the crests of the sine, so without its filter capacitor a single
read can land in a gap and see a live load as dead (docs/wiring.md).  The app's relay task polls
every 7 ms while busy: not a divisor of the 10 ms half-cycle, so the four samples of a window
fall at different phases of the mains, and one live crest is enough.  If it disagrees with the command the relay is `failed`
(`code` _RELAY_FAILED) and the same switch is retried after 1 s, 2 s, 4 s ... capped at 60 s,
for as long as it keeps disagreeing; the first agreeing check clears the failure.  The feedback
sees load-side voltage, so a grid outage while closed reads as a failure too; retrying a pulse
then is harmless.  It is not watched between switches, for the same reason.

Latching relay: a pulse_ms pulse on the set coil closes the contact, on the reset coil opens
it.  The two coils are never energised together: a request for the other state during a pulse
waits until that pulse has ended (the armature finishes its travel), then pulses the other
coil.  A reboot in the middle of a pulse can leave the contact anywhere, hence redrive().

Monostable relay: the pin holds the coil.  By default supply is on while the coil is OFF (the
load is wired through the normally-closed contact, `closed_when_active=False`): a reset, a
brown-out or crashed firmware then never cuts supply, and the coil only draws current while
supply is cut.  With `closed_when_active=True` (normally-open wiring) every reboot opens the
contact until the firmware drives the pin again: avoid it.
"""
from micropython import const

from meter.drivers.ticks import diff

# codes this module gives (meter.core.codes, docs/codes.md), compiled in as constants:
# a board keeps no name for them (issue 11); host_tests/test_codes.py holds each to
# its number in meter.core.codes
_RELAY_FAILED = const(60)

_IDLE = const(0)
_PULSE = const(1)      # a coil is energised (latching relay only)
_SETTLE = const(2)     # switched; waiting for the feedback to settle before checking it
_BACKOFF = const(3)    # the feedback disagreed; waiting to retry

_FB_WINDOW_MS = const(30)
_FIRST_RETRY_MS = const(1000)
_MAX_RETRY_MS = const(60000)


class _Relay:
    def __init__(self, feedback, feedback_active, settle_ms, closed):
        self.state = bool(closed)      # last commanded: True = supply on
        self.failed = False
        self.code = 0                  # 0 or _RELAY_FAILED
        self.attempts = 0              # failed checks since the last good one
        self.switches = 0              # coil pulses / pin changes, for diagnostics
        self._feedback = feedback
        self._feedback_active = 1 if feedback_active else 0
        self._settle_ms = settle_ms
        self._phase = _IDLE
        self._t0 = 0
        self._wait_ms = 0
        self._retry_ms = _FIRST_RETRY_MS
        self._fb_live = False          # a sample in the current settle window read live

    @property
    def busy(self):
        """True while a switch is under way (coil pulse or feedback settling)."""
        return self._phase == _PULSE or self._phase == _SETTLE

    def feedback_closed(self):
        """What the feedback input says now: True (load live), False, or None (no input)."""
        fb = self._feedback
        if fb is None:
            return None
        return fb.value() == self._feedback_active

    def request(self, closed, now_ms):
        """Commands the contact: closed=True supplies the household."""
        closed = bool(closed)
        if closed == self.state:
            return
        self.state = closed
        self.attempts = 0
        self._retry_ms = _FIRST_RETRY_MS
        if self._phase == _PULSE:
            return                      # poll() pulses the other coil when this pulse ends
        self._start(now_ms)

    def redrive(self, now_ms):
        """Drives the contact again to the commanded state (boot: its position is unknown)."""
        if self._phase == _PULSE:
            return
        self._start(now_ms)

    def poll(self, now_ms):
        phase = self._phase
        if phase == _PULSE:
            self._poll_pulse(now_ms)
        elif phase == _SETTLE:
            waited = diff(now_ms, self._t0)
            if waited >= self._settle_ms - _FB_WINDOW_MS and self.feedback_closed():
                self._fb_live = True
            if waited >= self._settle_ms:
                self._check(now_ms)
        elif phase == _BACKOFF:
            if diff(now_ms, self._t0) >= self._wait_ms:
                self._start(now_ms)

    def _switched(self, now_ms):
        if self._feedback is None:
            self._phase = _IDLE          # nothing to check: a failure cannot be seen
            return
        self._phase = _SETTLE
        self._t0 = now_ms
        self._fb_live = False

    def _check(self, now_ms):
        if self._fb_live == self.state:
            self.failed = False
            self.code = 0
            self.attempts = 0
            self._retry_ms = _FIRST_RETRY_MS
            self._phase = _IDLE
            return
        self.failed = True
        self.code = _RELAY_FAILED
        self.attempts += 1
        self._phase = _BACKOFF
        self._t0 = now_ms
        self._wait_ms = self._retry_ms
        self._retry_ms = min(self._retry_ms * 2, _MAX_RETRY_MS)

    # subclasses
    def _start(self, now_ms):
        raise NotImplementedError

    def _poll_pulse(self, now_ms):
        pass


class LatchingRelay(_Relay):
    """Bistable relay: set_pin pulses the closing coil, reset_pin the opening coil; both pins
    are outputs created at the inactive level (not `active`)."""

    def __init__(self, set_pin, reset_pin, pulse_ms=100, feedback=None, feedback_active=1,
                 active=1, settle_ms=50, closed=True):
        if pulse_ms <= 0:
            raise ValueError("pulse_ms")
        _Relay.__init__(self, feedback, feedback_active, settle_ms, closed)
        self._set = set_pin
        self._reset = reset_pin
        self._on = 1 if active else 0
        self._off = 0 if active else 1
        self.pulse_ms = pulse_ms
        self._pulsing = True            # the state the coil being pulsed drives to

    def _start(self, now_ms):
        closed = self.state
        # the other coil first: both are never on together, even after a confused reboot
        if closed:
            self._reset.value(self._off)
            self._set.value(self._on)
        else:
            self._set.value(self._off)
            self._reset.value(self._on)
        self._pulsing = closed
        self._phase = _PULSE
        self._t0 = now_ms
        self.switches += 1

    def _poll_pulse(self, now_ms):
        if diff(now_ms, self._t0) < self.pulse_ms:
            return
        self._set.value(self._off)
        self._reset.value(self._off)
        if self._pulsing != self.state:
            self._start(now_ms)          # the command changed during the pulse
        else:
            self._switched(now_ms)


class MonostableRelay(_Relay):
    """Single-coil relay on one output pin created at the inactive level (not `active`).
    closed_when_active=False (default): supply is on while the coil is off (NC contact)."""

    def __init__(self, pin, active=1, feedback=None, feedback_active=1, settle_ms=50,
                 closed=True, closed_when_active=False):
        _Relay.__init__(self, feedback, feedback_active, settle_ms, closed)
        self._pin = pin
        self._on = 1 if active else 0
        self._off = 0 if active else 1
        self._closed_when_active = bool(closed_when_active)

    def _start(self, now_ms):
        energise = self.state == self._closed_when_active
        self._pin.value(self._on if energise else self._off)
        self.switches += 1
        self._switched(now_ms)
