"""Clock trust as a bounded error (docs/clock.md; METER.md §4).

Core time is held as two small ints: `minute` = minutes since 2000-01-01 00:00 UTC (fits a
31-bit small int until 4041) and `second` 0-59.  Unix seconds would be long ints on a 32-bit
MicroPython (> 2**30), so they appear only at the edges (console, tokens, storage).

The meter keeps, at every instant, an interval [lo, hi] that provably contains the true time.
It is built only from authenticated statements (`anchor`: provisioning, set-time tokens, the
issue time of any valid token, network samples) and carried forward by the monotonic seconds
counter with a drift bound (`clock_drift_ppm`): lo grows slower than the counter, hi faster.
Across a power-off lo is the stored lower bound; hi is carried by the RTC's own elapsed time
only when the RTC answers, its oscillator-stop flag is clear and it did not run backwards,
otherwise hi is unbounded.  The RTC is unauthenticated: it is the best estimate (billing,
display) while it lies inside the interval, never a proof; outside the interval it is wrong and
the app rewrites it from the estimate (`rtc_fix`).

`trusted` = hi is bounded and hi - lo <= `clock_max_error_s`.  A cut additionally needs the
whole interval inside the allowed window (meter.core.policy).

Internally the interval is kept relative to a base minute (`_base`) in seconds, so that the
steady-state check works on small ints and allocates nothing.
"""
from micropython import const

# codes this module gives (meter.core.codes, docs/codes.md), compiled in as constants:
# a board keeps no name for them (issue 11); host_tests/test_codes.py holds each to
# its number in meter.core.codes
_CLOCK_NOT_SET = const(30)
_OSC_STOPPED = const(31)
_CLOCK_BACKWARDS = const(32)
_CLOCK_JUMPED = const(33)
_CLOCK_TOO_EARLY = const(36)
_CLOCK_TOO_LATE = const(37)
_TOKEN_ACCEPTED = const(40)
_TIME_SET = const(47)
_TOKEN_TIME_BAD = const(53)
_CLOCK_UNSURE = const(100)
_CLOCK_CONFLICT = const(101)
_TIME_CHALLENGE = const(105)


EPOCH_2000_UNIX = const(946684800)
CHALLENGE_LIMIT = const(100000)  # 5 digits on the LCD
CHALLENGE_RENEW_S = const(900)   # a challenge is renewed this often (its hi grows with its age)
_RTC_SLACK_S = const(2)    # an RTC reading (whole seconds) against the whole-second counter
_FAR_MIN = const(8000000)  # minutes (~15 years): farther than this needs no seconds arithmetic
_MAX_PPM = const(1000)     # drift_s() stays in small ints up to this
_RATE_BAD = const(-2)      # p_rtc_min: the RTC's rate was seen wrong (see snapshot)


def to_unix(minute, second=0):
    return EPOCH_2000_UNIX + minute * 60 + second


def from_unix(utc_seconds):
    """-> (minute, second) since 2000; raises ValueError before 2000."""
    t = utc_seconds - EPOCH_2000_UNIX
    if t < 0:
        raise ValueError("before 2000")
    return t // 60, t % 60


def drift_s(elapsed, ppm):
    """An upper bound (whole seconds) on elapsed * ppm / 10**6, in small-int arithmetic for
    elapsed < 2**30 s and ppm <= 1000."""
    if elapsed <= 0 or ppm <= 0:
        return 0
    return (elapsed // 1000 + 1) * ppm // 1000 + 1


class ClockTrust:
    """The proven interval, the best estimate and trust.  Read by the rest of the core:
    trusted, code, lo_minute/lo_second, hi_minute/hi_second (hi_minute -1: unbounded), error_s
    (-1: unbounded), minute/second (the estimate), rtc_code, rtc_fix."""

    def __init__(self, cfg, build_minute):
        self.cfg = cfg
        self.build_minute = build_minute
        # reference: at monotonic second _m0 the true time lies in
        # [_base*60 + _l0, _base*60 + _h0] (no upper bound unless _bounded)
        self._base = build_minute
        self._l0 = 0
        self._h0 = 0
        self._bounded = False
        self._m0 = 0
        self._mono = 0
        # the interval now (seconds from _base*60), and as minute/second for the others
        self._lo = 0
        self._hi = 0
        self.lo_minute = build_minute
        self.lo_second = 0
        self.hi_minute = -1
        self.hi_second = 0
        self.error_s = -1
        # why the interval is unbounded or too wide (0 = no reason recorded); persisted
        self.why = _CLOCK_NOT_SET
        self.rtc_code = 0             # the last reading against the interval: 0 or a fault
        self.trusted = False
        self.code = _CLOCK_NOT_SET
        self.changed = False          # trust or code changed at the last check/anchor
        self.trust_changed = False
        # the best estimate (billing, display): the RTC while it agrees, else carried
        self.minute = build_minute
        self.second = 0
        self._est = 0                 # seconds from _base*60
        self._est_mono = 0
        self._est_ok = False
        self.rtc_fix = False          # the RTC is readable but wrong: write the estimate into it
        # last healthy RTC reading and the counter then: measures the RTC's elapsed time
        self._rtc_min = -1
        self._rtc_sec = 0
        self._rtc_mono = 0
        # persisted (meter.core.record): the interval and an RTC reading at one instant
        self.p_lo_min = build_minute
        self.p_lo_sec = 0
        self.p_hi_min = -1
        self.p_hi_sec = 0
        self.p_rtc_min = -1
        self.p_rtc_sec = 0
        # the RTC's rate against the counter since the last write: an RTC whose rate is out
        # of the drift bound cannot carry hi over a power-off
        self._rate_min = -1
        self._rate_sec = 0
        self._rate_mono = 0
        self.rtc_rate_ok = True
        self._boot = False            # the first reading after a loaded record carries it
        # a vending token contradicted the interval: untrusted until a strong anchor agrees
        self._conflict = False
        # the set-time challenge shown on the LCD/console (-1: none yet, the app draws one)
        # and the counter second it was first shown at: a token whose MAC covers it was made
        # after that instant, which bounds the true time from above (docs/clock.md)
        self.challenge = -1
        self.challenge_mono = 0
        self.prev_challenge = -1      # the one before (a token made just before a renewal)
        self.prev_challenge_mono = 0
        self._tlo = 0                 # scratch of _at()
        self._thi = 0

    # --- persistence -----------------------------------------------------------------------

    def loaded(self):
        """After the record is loaded: the first reading carries the stored interval across
        the time the controller was off."""
        self._boot = True
        self._conflict = self.why == _CLOCK_CONFLICT
        if self.p_rtc_min == _RATE_BAD:
            self.rtc_rate_ok = False
        self._set_reference(self.p_lo_min, self.p_lo_sec, -1, 0, self._mono)
        self._publish()
        self.code = self.why if self.why else _CLOCK_UNSURE

    def powered_since_record(self, age_s):
        """At boot, after loaded(): the battery-backed store proves the controller ran age_s
        counter seconds after the record was written, so the true time at the power cut was
        at least the stored lower bound plus that, less the drift bound."""
        lo = self.p_lo_sec + age_s - drift_s(age_s, self.cfg.clock_drift_ppm)
        self.p_lo_min += lo // 60
        self.p_lo_sec = lo % 60
        self.loaded()

    def snapshot(self):
        """Fills the p_* fields for the record: lo now, hi at the instant of the last healthy
        RTC reading (or now, without one), which the RTC's elapsed time carries across a
        power-off.  Called by record.pack."""
        if self._boot:
            return                    # not judged since loading: keep what was loaded
        # lo at this instant: a lower bound now stays one after any power-off (the world
        # model saw lo stored from the last healthy reading, hours old while the RTC did not
        # answer, give a standing charge back at the reboot); hi where the RTC can carry it
        self._at(self._mono)
        lo = self._tlo
        base = self._base
        self.p_lo_min = base + lo // 60
        self.p_lo_sec = lo % 60
        mono = self._rtc_mono if self._rtc_min >= 0 else self._mono
        self._at(mono)
        if self._bounded:
            hi = self._thi
            self.p_hi_min = base + hi // 60
            self.p_hi_sec = hi % 60
        else:
            self.p_hi_min = -1
            self.p_hi_sec = 0
        # -2: the RTC's rate was seen out of tolerance while powered; remembered across boots
        # until a strong anchor re-vouches (an RTC seen running slow must not bound an off time)
        self.p_rtc_min = self._rtc_min if self.rtc_rate_ok else _RATE_BAD
        self.p_rtc_sec = self._rtc_sec
        if self.trusted:
            self.why = 0

    def _carry(self, status, osf, minute, second, mono_s):
        """The first reading after a boot: lo is the stored lower bound; hi is the stored upper
        bound plus the RTC's elapsed time (with drift), only if the RTC can vouch for it."""
        why = self.why if self.why else _CLOCK_UNSURE
        hi_min = -1
        hi_sec = 0
        if self.p_hi_min >= 0 and self.p_rtc_min >= 0:
            if status != 0:
                why = status
            elif osf:
                why = _OSC_STOPPED
            else:
                dm = minute - self.p_rtc_min
                if dm < -1:
                    why = _CLOCK_BACKWARDS
                elif dm > self.cfg.max_off_days * 1440:
                    why = _CLOCK_TOO_LATE
                else:
                    e = dm * 60 + second - self.p_rtc_sec
                    if e < -_RTC_SLACK_S:
                        why = _CLOCK_BACKWARDS
                    else:
                        if e < 0:
                            e = 0
                        hi = self.p_hi_sec + e + drift_s(e, self.cfg.clock_drift_ppm) + \
                            _RTC_SLACK_S
                        hi_min = self.p_hi_min + hi // 60
                        hi_sec = hi % 60
                        why = 0
        self.why = why
        self._set_reference(self.p_lo_min, self.p_lo_sec, hi_min, hi_sec, mono_s)

    # --- the interval --------------------------------------------------------------------

    def _set_reference(self, lo_min, lo_sec, hi_min, hi_sec, mono_s):
        """The interval is [lo, hi] at counter second mono_s (hi_min -1: unbounded); the
        estimate moves with the base.  Also the lower bound never goes before the build."""
        if lo_min < self.build_minute:
            lo_min = self.build_minute
            lo_sec = 0
        old_base = self._base
        self._base = lo_min
        self._l0 = lo_sec
        self._bounded = hi_min >= 0
        self._h0 = (hi_min - lo_min) * 60 + hi_sec if hi_min >= 0 else 0
        if self._bounded and self._h0 < self._l0:
            self._h0 = self._l0
        if self._est_ok:
            self._est += (old_base - lo_min) * 60
        self._m0 = mono_s

    def _at(self, mono_s):
        """The interval at counter second mono_s (before or after the reference) into
        _tlo/_thi (seconds from _base*60).  Allocation-free."""
        e = mono_s - self._m0
        if e == 0:
            self._tlo = self._l0
            self._thi = self._h0
            return
        # whole counter seconds: the true elapsed time is within 1 s of e, plus drift
        if e > 0:
            d = drift_s(e, self.cfg.clock_drift_ppm) + 1
            self._tlo = self._l0 + e - d
            self._thi = self._h0 + e + d
        else:
            e = -e
            d = drift_s(e, self.cfg.clock_drift_ppm) + 1
            self._tlo = self._l0 - e - d
            self._thi = self._h0 - e + d

    def _publish(self):
        base = self._base
        lo = self._lo
        self.lo_minute = base + lo // 60
        self.lo_second = lo % 60
        if self._bounded:
            hi = self._hi
            self.hi_minute = base + hi // 60
            self.hi_second = hi % 60
            self.error_s = hi - lo
        else:
            self.hi_minute = -1
            self.hi_second = 0
            self.error_s = -1
        est = self._est
        self.minute = base + est // 60
        self.second = est % 60

    def _estimate(self, mono_s, rtc_ok, r):
        """The best estimate: the RTC reading r when it agrees, else the last estimate carried
        by the counter; always inside the interval."""
        if rtc_ok:
            est = r
        elif self._est_ok:
            est = self._est + (mono_s - self._est_mono)
        else:
            est = self._lo
        if est < self._lo:
            est = self._lo
        if self._bounded and est > self._hi:
            est = self._hi
        self._est = est
        self._est_mono = mono_s
        self._est_ok = True

    def _judge(self):
        cfg = self.cfg
        trusted = self._bounded and self._hi - self._lo <= cfg.clock_max_error_s and \
            not self._conflict
        if trusted:
            self.why = 0
            code = 0
        else:
            code = self.why if self.why else _CLOCK_UNSURE
            if not self._bounded and code == 0:
                code = _CLOCK_UNSURE
        self.trust_changed = trusted != self.trusted
        self.changed = self.trust_changed or code != self.code
        self.trusted = trusted
        self.code = code

    # --- readings ------------------------------------------------------------------------

    def check(self, status, osf, minute, second, mono_s):
        """Judges one RTC reading against the interval at counter second mono_s.  status: 0 or
        an RTC code from the driver.  Returns trusted.  Allocation-free."""
        self._mono = mono_s
        if self._boot:
            self._boot = False
            self._carry(status, osf, minute, second, mono_s)
        self._at(mono_s)
        self._lo = self._tlo
        self._hi = self._thi
        rc = status
        if rc == 0 and osf:
            rc = _OSC_STOPPED
        if rc == 0 and minute < self.build_minute:
            rc = _CLOCK_TOO_EARLY
        r = 0
        if rc == 0:
            dm = minute - self._base
            if dm > _FAR_MIN:
                rc = _CLOCK_JUMPED if self._bounded else _CLOCK_TOO_LATE
            elif dm < -_FAR_MIN:
                rc = _CLOCK_BACKWARDS
            else:
                r = dm * 60 + second
                if r < self._lo - _RTC_SLACK_S:
                    rc = _CLOCK_BACKWARDS
                elif self._bounded:
                    if r > self._hi + _RTC_SLACK_S:
                        rc = _CLOCK_JUMPED
                elif r > self._lo + self.cfg.max_off_days * 86400:
                    rc = _CLOCK_TOO_LATE
        rate_was_ok = self.rtc_rate_ok
        if status == 0 and not osf:
            # the chip is counting: its elapsed time from here can carry hi over a power-off,
            # if its rate agrees with the counter's
            self._rate(minute, second, mono_s)
            self._rtc_min = minute
            self._rtc_sec = second
            self._rtc_mono = mono_s
        self.rtc_code = rc
        self.rtc_fix = rc != 0 and status == 0 and self._bounded
        self._estimate(mono_s, rc == 0, r)
        self._publish()
        self._judge()
        if rate_was_ok and not self.rtc_rate_ok:
            self.changed = True           # committed at once: the next boot must know it
        return self.trusted

    def _rate(self, minute, second, mono_s):
        """Compares the RTC's elapsed time with the counter's since the last write (or boot).
        Out of 2 x the drift bound: the RTC may not carry the time over a power-off, until a
        strong anchor (provisioning, a challenge set-time token, a network sample) re-vouches.
        Allocation-free."""
        if self._rate_min < 0:
            self._rate_min = minute
            self._rate_sec = second
            self._rate_mono = mono_s
            return
        dm = minute - self._rate_min
        e = mono_s - self._rate_mono
        if dm > _FAR_MIN or dm < -_FAR_MIN:
            self.rtc_rate_ok = False
            return
        dev = dm * 60 + second - self._rate_sec - e
        allowed = 2 * drift_s(e, self.cfg.clock_drift_ppm) + _RTC_SLACK_S
        if dev > allowed or dev < -allowed:
            self.rtc_rate_ok = False

    def rtc_written(self, minute, second, mono_s):
        """The app wrote (minute, second) into the RTC (and cleared its oscillator-stop flag)
        at counter second mono_s."""
        self._rtc_min = minute
        self._rtc_sec = second
        self._rtc_mono = mono_s
        self._rate_min = minute
        self._rate_sec = second
        self._rate_mono = mono_s
        self.rtc_fix = False

    # --- authenticated time ----------------------------------------------------------------

    def new_challenge(self, value, mono_s):
        """A fresh challenge (0..CHALLENGE_LIMIT-1) drawn by the app from a random source,
        shown from counter second mono_s on; the previous one stays valid until the next."""
        self.prev_challenge = self.challenge
        self.prev_challenge_mono = self.challenge_mono
        self.challenge = value % CHALLENGE_LIMIT
        self.challenge_mono = mono_s

    def challenge_due(self, mono_s):
        """-> True when the app is to draw a new challenge (none yet, used, or old)."""
        return self.challenge < 0 or mono_s - self.challenge_mono >= CHALLENGE_RENEW_S

    def challenge_used(self):
        """A challenge token was accepted (or refused as old): neither code is valid again."""
        self.challenge = -1
        self.prev_challenge = -1

    def challenge_hi_s(self, issue_minute, skew_s, mono_s, shown_mono=-1):
        """-> the upper bound (seconds since 2000) a challenge token issued in issue_minute
        proves now: it was made after the challenge was shown, and the true time at its issue
        was at most issue + 1 min + skew_s (a vending clock that runs up to skew_s behind);
        since the challenge was shown the counter ran (plus its drift)."""
        e = mono_s - (self.challenge_mono if shown_mono < 0 else shown_mono)
        if e < 0:
            e = 0
        return issue_minute * 60 + 60 + skew_s + e + drift_s(e, self.cfg.clock_drift_ppm) + 1

    def anchor(self, lo_minute, lo_second, hi_minute, hi_second, mono_s, source):
        """An authenticated statement: the true time now is within [lo, hi] (hi_minute -1: no
        upper bound); source is a codes.* constant naming it, and its strength:

        - TOKEN_ACCEPTED (the issue time of a vending token) is WEAK: a vending office's clock
          can be wrong, so it never raises lo; when it starts after hi the interval is widened
          to it (hull, CLOCK_CONFLICT), so a future-dated token can never exclude the true time.
        - TIME_SET (a plain set-time token) is a strong LOWER bound only: a household can keep
          the token and type it later, so [lo, hi] gives hi only to refuse a stale token (one
          that ends before the proven lo: TOKEN_TIME_BAD, nothing changed), never a bound.
        - TIME_CHALLENGE (a set-time token made for the challenge shown), TIME_PROVISIONED and
          TIME_NETWORK are strong on both sides.  A strong anchor re-vouches for the RTC's rate.

        A strong statement is intersected with the interval; one that starts after hi makes the
        hull (CLOCK_CONFLICT: wider, untrusted, a cut waits for agreement).  Returns 0 when it
        was used.  Not steady-state: may allocate."""
        self._mono = mono_s
        if self._boot:
            # before the first reading after a boot: nothing carried over yet, hi unknown
            self._boot = False
            self._set_reference(self.p_lo_min, self.p_lo_sec, -1, 0, mono_s)
        self._at(mono_s)
        base = self._base
        lo = self._tlo
        hi = self._thi
        bounded = self._bounded
        a_lo = (lo_minute - base) * 60 + lo_second
        a_bounded = hi_minute >= 0
        a_hi = (hi_minute - base) * 60 + hi_second if a_bounded else 0
        if a_bounded and a_hi < a_lo:
            a_hi = a_lo
        weak = source == _TOKEN_ACCEPTED
        result = 0
        challenge = source == _TIME_CHALLENGE
        if a_bounded and a_hi < lo and not weak and not challenge:
            return _TOKEN_TIME_BAD
        if challenge and not (bounded and a_lo > hi):
            # a challenge token is fresh (made for the code shown): its lower bound replaces
            # lo, also below it (lo may have been raised by a set-time token from a vending
            # clock ahead; lowering lo only widens the interval on the side that delays a cut)
            lo = a_lo
        if source == _TIME_SET:
            a_bounded = False
        if weak:
            if bounded and a_lo > hi:
                hi = a_lo
                self._conflict = True
                self.why = _CLOCK_CONFLICT
                result = _CLOCK_CONFLICT
        elif bounded and a_lo > hi:
            # the statement and the proven interval disagree: take the hull, never the
            # convenient side (a cut must wait for agreement)
            if a_bounded:
                if a_hi > hi:
                    hi = a_hi
            else:
                bounded = False
            self._conflict = True
            self.why = _CLOCK_CONFLICT
            result = _CLOCK_CONFLICT
        else:
            if a_lo > lo:
                lo = a_lo
            if a_bounded and (not bounded or a_hi < hi):
                hi = a_hi
                bounded = True
        if a_bounded and result == 0:
            # a strong two-sided anchor that agrees re-vouches for the RTC and ends a conflict
            self.rtc_rate_ok = True
            self._conflict = False
        # the estimate at this instant, then the new reference with its base at lo's minute
        if self._est_ok:
            est = self._est + (mono_s - self._est_mono)
        else:
            est = lo
        lo_min = base + lo // 60
        self._set_reference(lo_min, lo % 60, base + hi // 60 if bounded else -1, hi % 60,
                            mono_s)
        self._lo = self._l0
        self._hi = self._h0
        self._est = est + (base - self._base) * 60
        self._est_mono = mono_s
        self._est_ok = True
        self._estimate(mono_s, False, 0)
        self._publish()
        self._judge()
        return result
