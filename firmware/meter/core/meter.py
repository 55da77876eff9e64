"""The meter's core state and its control step: clock trust, money, local time and the policy
wired together.  Pure: every reading (RTC fields, tick counter, pulses, power, key presses) is an
argument; the app (firmware/meter/app.py) does the I/O.

Time: `minute`/`second` since 2000-01-01 UTC as in meter.core.clock; `mono_s` is the monotonic
seconds counter since boot.  The steady-state step allocates nothing: local-calendar facts are
recomputed only when the local day changes, events go into a preallocated ring.
"""
from micropython import const

from meter import overlay
from meter.core import calendar, policy
from meter.core.clock import ClockTrust
from meter.core.credit import Credit

# codes this module gives (meter.core.codes, docs/codes.md), compiled in as constants:
# a board keeps no name for them (issue 11); host_tests/test_codes.py holds each to
# its number in meter.core.codes
_SUPPLY_ON = const(0)
_NO_CREDIT = const(1)
_LIMITED = const(14)
_LIMITER_TRIP = const(15)
_ARMED = const(16)
_LOW_CREDIT_1 = const(17)
_LOW_CREDIT_2 = const(18)
_EMERGENCY_OFFER = const(19)
_CUT_CANCELLED = const(21)
_CLOCK_TRUSTED = const(39)
_TOKEN_NOCUT = const(49)
_RECORD_CORRUPT = const(62)
_TOPUP = const(70)
_DEBT_RECOVERED = const(71)
_EMERGENCY_TAKEN = const(72)
_RELAY_OPENED = const(91)
_RELAY_CLOSED = const(92)
_BUTTON = const(93)
_PROTECT_CHANGED = const(95)
_COLD_HOLD_ON = const(122)
_COLD_HOLD_OFF = const(123)
_PROTECT_SET = const(124)
_PROTECT_ENDED = const(125)
_TRUST_READING = const(126)
_WARNING_START = const(128)

_DAY0 = const(10957)          # unix day number of 2000-01-01
# Consumption checkpoint (METER.md §9): committed once 30 min have passed AND 0.1 kWh is
# unsaved, so checkpoints come every 30 min or every 0.1 kWh, whichever is rarer: a power
# cut loses at most the larger of the two (never charged: in the household's favour), and a
# quiet meter does not wear its flash.
CHECKPOINT_S = const(1800)
AGE_COMMIT_S = const(4000)   # a commit at least this often (the store's age is 12 bits, 4,095 s):
                              # the clock's lower bound survives any power cut to the second
_STORE_FULL = const(16000)    # pulses of one rate: commit before the battery-backed store's
                              # 14-bit counts could saturate (meter.core.pulsestore)
_EVENTS = const(16)           # events buffered between two drains by the app

# Protections with an end date (ux): the kind numbers are the protection token's field
# (meter.core.token.protect_value); NO_END marks one set without an end (console, config).
PROTECT_MEDICAL = const(0)
PROTECT_WEATHER = const(1)
PROTECT_COLD = const(2)
PROTECT_CUSTOMER = const(3)
PROTECT_NAMES = ("medical", "weather", "cold", "protected")
NO_END = const(0x3FFFFFFF)
TEMP_UNKNOWN = const(-32768)

# commit urgency
COMMIT_NONE = const(0)
COMMIT_CHECKPOINT = const(1)
COMMIT_NOW = const(2)


class LocalDay:
    """Local-calendar facts of one instant.  update() is allocation-free unless the local day
    changed (then holidays, winter and the week are worked out again, once a day)."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.lday = -1                # local day number since 2000-01-01
        self.mod = 0                  # local minute of day
        self.weekday = 0
        self.holiday = False
        self.holiday_eve = False      # the next non-weekend day is a public holiday
        self.winter = False
        self.week = 0                 # Monday-based week index
        self.ymd = 0                  # yyyymmdd, for display
        self._minute = -1             # the UTC minute the facts are for

    def local_minute(self, minute):
        cfg = self.cfg
        day = minute // 1440
        off = calendar.utc_offset(day + _DAY0, (minute - day * 1440) * 60,
                                  cfg.tz_std_minutes * 60, cfg.tz_eu_dst)
        return minute + off // 60

    def update(self, minute):
        if minute == self._minute:
            return                    # the control step runs every second: once a minute
        self._minute = minute
        lm = self.local_minute(minute)
        lday = lm // 1440
        self.mod = lm - lday * 1440
        if lday != self.lday:
            self._new_day(lday)

    def _new_day(self, lday):
        cfg = self.cfg
        extra = cfg.extra_holidays
        uday = lday + _DAY0
        self.lday = lday
        self.weekday = calendar.weekday(uday)
        self.holiday = calendar.holiday_day(uday, extra)
        nxt = uday + 1
        while calendar.weekday(nxt) >= 5:
            nxt += 1
        self.holiday_eve = calendar.holiday_day(nxt, extra)
        y, m, d = calendar.civil_from_days(uday)
        self.ymd = y * 10000 + m * 100 + d
        mmdd = m * 100 + d
        ws = cfg.winter_start
        we = cfg.winter_end
        if ws <= we:
            self.winter = ws <= mmdd <= we
        else:
            self.winter = mmdd >= ws or mmdd <= we
        self.week = (uday + 3) // 7       # unix day 0 was a Thursday

    def window_end(self, minute):
        """The UTC minute at which the cut window of `minute`'s local day closes."""
        lm = self.local_minute(minute)
        end_local = (lm // 1440) * 1440 + self.cfg.cut_end
        return end_local - (lm - minute)   # cut windows lie clear of DST switches


class Meter:
    def __init__(self, cfg, build_minute):
        self.cfg = cfg
        self.credit = Credit(cfg)
        self.clock = ClockTrust(cfg, build_minute)
        self.sit = policy.Situation()
        self.dec = policy.Decision()
        # persisted state
        self.supply = policy.CLOSED
        self.open_reason = 0
        self.reg_start = -1           # no-cut registration [reg_start, reg_end) in minutes
        self.reg_end = -1
        self.cancel_until = -1        # no credit cut before this minute (cancel-cut, reconnect)
        self.warn_since = -1          # minute the low-credit warning was first shown
        self.medical = False
        self.weather = False
        self.protected = cfg.protected_customer
        # protections' end minutes (-1 off, NO_END: no end date), in PROTECT_* order
        self.medical_until = -1
        self.weather_until = -1
        self.cold = False             # cold protection (token)
        self.cold_until = -1
        self.protected_until = NO_END if cfg.protected_customer else -1
        self.ec_offer_since = -1      # minute emergency credit was first offered (-1: not)
        self.cold_home = False        # cold-home hold on (the DS3231 read below threshold)
        self.free = False
        self.record_lost = False      # no valid record at boot: no cut until a credit token
        self.fault_hold = 0           # set by the app: NO_KEY or CONFIG_ERROR holds every cut
        self.charged_day = -1         # last local day whose standing charge was taken
        self.untrusted_s = 0          # always 0 now (the record keeps the field; see _standing)
        self.standing_due = 0         # standing charges counted, taken at the next commit
        # runtime
        self.reason = _SUPPLY_ON
        self.minute = 0
        self.second = 0
        self.mono_s = 0
        self.power_w = 0
        self.over_limit_s = 0
        self.trip_mono = 0
        self.pressed = False
        self.warn_level = 0
        self.commit = COMMIT_NONE
        self.unsaved_pulses = 0
        self.unsaved_night = 0        # the night-rate part of unsaved_pulses
        self.last_commit_mono = 0
        # counter second from which the powered time since the record is PROVEN (the
        # battery-backed store keeps it for the clock's lower bound across a power cut);
        # unlike last_commit_mono it is never moved back to bring a checkpoint forward
        self.record_mono = 0
        self.started = False
        self.local = LocalDay(cfg)    # local facts of the best estimate (billing, display)
        self.local_lo = LocalDay(cfg)  # of the proven lower bound (the cut decision)
        self._rtc_logged = 0          # RTC disagreement last logged, and when (counter s)
        self._rtc_logged_mono = 0
        self.desk = None              # the token layer, whose state joins the record
        self.trusted_prev = False     # trust at the last decision (restored from the record)
        self.alerts_cleared = False
        self.trust_source = _TRUST_READING  # what the next trust change comes from
        self.temp_q = TEMP_UNKNOWN    # DS3231 temperature, quarter degrees C
        self.cold_since = 0           # mono_s the cold-home hold came on
        # event ring: (code, value) pairs waiting for the app to log them
        self._ev_code = [0] * _EVENTS
        self._ev_value = [0] * _EVENTS
        self._ev_head = 0
        self._ev_count = 0

    # --- events ----------------------------------------------------------------------------

    def event(self, code, value=0):
        i = (self._ev_head + self._ev_count) % _EVENTS
        if self._ev_count == _EVENTS:
            self._ev_head = (self._ev_head + 1) % _EVENTS   # oldest lost, never block
        else:
            self._ev_count += 1
        self._ev_code[i] = code
        self._ev_value[i] = value

    def pop_event(self):
        """-> (code, value) or None.  Called by the app, which adds time and trust."""
        if self._ev_count == 0:
            return None
        i = self._ev_head
        self._ev_head = (i + 1) % _EVENTS
        self._ev_count -= 1
        return self._ev_code[i], self._ev_value[i]

    def is_night(self):
        """Cheaper tariff: night hours, weekends, public holidays, or an untrusted clock."""
        cfg = self.cfg
        lc = self.local
        if not self.clock.trusted or lc.holiday or lc.weekday >= 5:
            return True
        return lc.mod < cfg.day_start or lc.mod >= cfg.day_end

    # --- the control step ------------------------------------------------------------------

    def step(self, status, osf, minute, second, mono_s, pulses):
        """One control step: judge the clock, charge money, decide the supply.

        status/osf: the RTC driver's read status (0 or an RTC code) and oscillator-stop flag;
        minute/second: the RTC reading; mono_s: seconds since boot; pulses: S0 pulses since the
        last step.  Returns the supply state (policy.CLOSED/OPEN/ARMED/LIMITED)."""
        cfg = self.cfg
        clock = self.clock
        dt = mono_s - self.mono_s if self.started else 0
        if dt < 0:
            dt = 0
        self.mono_s = mono_s
        self.trust_source = _TRUST_READING
        # the pulses since the last step were drawn under the tariff of that step (on a board a
        # second ago; in the event-driven simulator, steps land on every tariff switch, so this
        # is exact there too); the first step after boot takes the rate of its own reading
        night = self.is_night() if self.started else -1
        clock.check(status, osf, minute, second, mono_s)
        # (the first reading after boot "changes" the trust from the constructor's default: a
        # reboot that finds the trust the record holds has nothing to commit, so power-cycling
        # does not write the flash)
        if clock.changed and (self.started or clock.trusted != self.trusted_prev):
            self.commit = COMMIT_NOW
        logged = 0
        if clock.trusted != self.trusted_prev:
            # logged by _sync_trust, with the source that changed it
            logged = _CLOCK_TRUSTED if clock.trusted else clock.code
        elif clock.changed and clock.code:
            logged = clock.code
            self.event(logged)
        rc = clock.rtc_code
        if rc == logged:
            self._rtc_logged = rc
            self._rtc_logged_mono = mono_s
        elif rc and (rc != self._rtc_logged or mono_s - self._rtc_logged_mono >= 86400):
            # the RTC disagrees with the proven time: logged once a day at most per kind
            self.event(rc)
            self._rtc_logged = rc
            self._rtc_logged_mono = mono_s
        self._sync_time()
        self._sync_trust()
        self.started = True
        # money
        if pulses > 0:
            if night == -1:
                night = self.is_night()
            self.credit.pulses(pulses, night)
            self.unsaved_pulses += pulses
            if night:
                self.unsaved_night += pulses
        self._standing(dt)
        self._expire()
        self._cold_check()
        self._warnings()
        # limiter timing
        if self.power_w > cfg.limiter_watts > 0 and self.supply == policy.LIMITED:
            self.over_limit_s += dt
        else:
            self.over_limit_s = 0
        return self._decide()

    def _sync_time(self):
        """The estimate and the lower bound from the clock (after a reading or an anchor).
        Allocation-free unless a local day changed."""
        clock = self.clock
        self.minute = clock.minute
        self.second = clock.second
        self.local.update(self.minute)
        self.local_lo.update(clock.lo_minute)

    def hi_ceil(self):
        """The proven upper bound rounded up to a whole minute; -1 when unbounded."""
        clock = self.clock
        if clock.hi_minute < 0:
            return -1
        return clock.hi_minute + (1 if clock.hi_second else 0)

    def span_min(self):
        hi = self.hi_ceil()
        return hi - self.clock.lo_minute if hi >= 0 else 0

    def _sync_trust(self):
        """Notices trust coming back or going, whichever way (a reading, a set-time token, a
        vending token, network time), and logs it once with that source as the value."""
        trusted = self.clock.trusted
        if trusted != self.trusted_prev:
            self.event(_CLOCK_TRUSTED if trusted else self.clock.code, self.trust_source)
            self.commit = COMMIT_NOW
            if trusted:
                self._trust_gained()
        self.trusted_prev = trusted

    def _trust_gained(self):
        # Nothing to restart: standing charges follow the proven lower bound whether trusted
        # or not (see _standing), and the warning's notice is measured from the upper bound at
        # which it started to the lower bound now (see _warnings).
        pass

    def _standing(self, dt):
        """One standing charge for every local day the proven lower bound has entered since
        the last one charged: never early (lo is at or before the true time), never lost (lo
        runs with the counter, trusted or not, and a reboot carries it with the powered time
        the battery-backed store proves), never twice (charged_day is in the record).  After a
        power cut the record's charged_day and the carried lo take again the charges of the
        days the cut lost; an unpowered period nothing vouches for is charged when an anchor
        proves it (the world model saw a reboot give a taken charge back when the untrusted
        clock after it charged by running time instead, and again while a charge waited in
        RAM for the next commit: it is now taken with that commit, see settle)."""
        lday = self.local_lo.lday
        if self.charged_day < 0 or self.untrusted_s:
            # (untrusted_s > 0: a record of the running-time rule before, which charged
            # untrusted days without moving charged_day: restart from today rather than
            # charge those days twice)
            self.charged_day = lday
            self.untrusted_s = 0
        elif lday > self.charged_day:
            # taken with the next commit (settle), so that the record holds the charge and
            # its day together: a reboot before it can never hand a charge back (it is due
            # again, from the record's charged_day); at most 4,000 s of powered time later
            self.standing_due += lday - self.charged_day
            self.charged_day = lday

    def _warnings(self):
        level = self.credit.warning_level()
        if level != self.warn_level:
            if level > self.warn_level:
                self.event(_LOW_CREDIT_1 if level == 1 else _LOW_CREDIT_2,
                           self.credit.credit_left())
            self.warn_level = level
        if level == 0:
            self.warn_since = -1
        elif self.warn_since < 0:
            # the latest instant the warning can have started: the proven upper bound (set
            # once there is one), so that lo - warn_since never overstates the notice given
            self.warn_since = self.hi_ceil()
            if self.warn_since >= 0:
                self.event(_WARNING_START, self.credit.credit_left())
        self._offer()

    def _offer(self):
        """Emergency credit on offer: when the offer started (the LCD shows it from then on;
        no cut before it has been offered for `notice`), or taken by itself when configured
        and a cut would otherwise be due."""
        credit = self.credit
        avail = credit.ec_available()
        if not avail:
            self.ec_offer_since = -1
            return
        if self.cfg.emergency_auto and credit.credit_left() < self.cfg.disconnect_threshold:
            credit.accept_emergency()
            self.event(_EMERGENCY_TAKEN, avail)
            self.commit = COMMIT_NOW
            self.ec_offer_since = -1
            return
        if self.ec_offer_since < 0:
            # as the warning: from the proven upper bound, once there is one
            self.ec_offer_since = self.hi_ceil()
            if self.ec_offer_since >= 0:
                self.event(_EMERGENCY_OFFER, avail)
                self.commit = COMMIT_NOW

    # --- protections with an end date, cold-home hold ------------------------------------

    def _proven_past(self, minute):
        """True when the true time is provably at or after `minute` (the proven lower bound
        is): an expiry errs towards protection, and waits while the clock is untrusted."""
        clock = self.clock
        return clock.trusted and clock.lo_minute >= minute

    def _expire(self):
        # (a flag on with a negative end, e.g. set directly, has no end date)
        m = self.minute
        if self.medical and 0 <= self.medical_until <= m and \
                self._proven_past(self.medical_until):
            self._ended(PROTECT_MEDICAL)
        if self.weather and 0 <= self.weather_until <= m and \
                self._proven_past(self.weather_until):
            self._ended(PROTECT_WEATHER)
        if self.cold and 0 <= self.cold_until <= m and self._proven_past(self.cold_until):
            self._ended(PROTECT_COLD)
        if self.protected and 0 <= self.protected_until <= m and \
                self._proven_past(self.protected_until):
            self._ended(PROTECT_CUSTOMER)

    def _ended(self, kind):
        self._protect(kind, -1)
        self.event(_PROTECT_ENDED, kind)
        self.commit = COMMIT_NOW

    def _protect(self, kind, until):
        on = until >= 0
        if kind == PROTECT_MEDICAL:
            self.medical = on
            self.medical_until = until
        elif kind == PROTECT_WEATHER:
            self.weather = on
            self.weather_until = until
        elif kind == PROTECT_COLD:
            self.cold = on
            self.cold_until = until
        elif kind == PROTECT_CUSTOMER:
            self.protected = on
            self.protected_until = until
        else:
            raise ValueError("unknown protection: %d" % kind)

    def protect_until(self, kind, until):
        """Sets protection `kind` (PROTECT_*) until minute `until` (NO_END: no end date;
        -1 or a past minute: off) and re-decides."""
        if 0 <= until <= self.minute:
            until = -1
        self._protect(kind, until)
        self.event(_PROTECT_SET, kind * 10000 + (
            0 if until < 0 else 9999 if until == NO_END else (until - self.minute) // 1440))
        self.commit = COMMIT_NOW
        return self._decide()

    def protection_end(self, kind):
        """-> the end minute of protection `kind` (-1 off, NO_END no end)."""
        if kind == PROTECT_MEDICAL:
            on, until = self.medical, self.medical_until
        elif kind == PROTECT_WEATHER:
            on, until = self.weather, self.weather_until
        elif kind == PROTECT_COLD:
            on, until = self.cold, self.cold_until
        else:
            on, until = self.protected, self.protected_until
        if not on:
            return -1
        return until if until >= 0 else NO_END

    def temperature(self, quarters):
        """A DS3231 temperature reading (quarter degrees C), or None when the bus failed
        (the hold keeps its state: an unreadable sensor neither starts nor ends it)."""
        if quarters is not None:
            self.temp_q = quarters
        self._cold_check()

    def _cold_check(self):
        cfg = self.cfg
        q = self.temp_q
        if not self.cold_home:
            if cfg.cold_hold and q != TEMP_UNKNOWN and q * 10 < cfg.cold_hold_below * 4:
                self.cold_home = True
                self.cold_since = self.mono_s
                self.event(_COLD_HOLD_ON, q * 10 // 4)
                self.commit = COMMIT_NOW
            return
        if not cfg.cold_hold or (
                q != TEMP_UNKNOWN and
                q * 10 >= (cfg.cold_hold_below + cfg.cold_hold_hysteresis) * 4 and
                self.mono_s - self.cold_since >= cfg.cold_hold_min_s):
            self.cold_home = False
            self.event(_COLD_HOLD_OFF, q * 10 // 4 if q != TEMP_UNKNOWN else 0)
            self.commit = COMMIT_NOW

    def _fill(self, s, lc, m, span):
        """lc: local facts of the lower bound m (minute); span: the interval's width in
        minutes.  Every time fact is taken on the side that favours supply."""
        cfg = self.cfg
        s.trusted = self.clock.trusted
        s.clock_code = self.clock.code
        s.credit_left = self.credit.credit_left()
        s.free = self.free
        s.record_lost = self.record_lost
        s.fault_hold = self.fault_hold
        s.weekday = lc.weekday
        s.minute_of_day = lc.mod
        s.span_min = span
        s.holiday = lc.holiday
        s.holiday_eve = lc.holiday_eve
        s.winter = lc.winter
        s.registration = m < self.reg_end and m + span >= self.reg_start
        s.medical = self.medical
        s.weather = self.weather
        s.cold = self.cold
        s.cold_home = self.cold_home
        s.ec_unoffered = self.credit.ec_available() > 0 and (
            self.ec_offer_since < 0 or m - self.ec_offer_since < cfg.notice)
        s.protected = self.protected
        s.cancelled = m < self.cancel_until
        s.notice_ok = self.warn_since >= 0 and m - self.warn_since >= cfg.notice
        s.supply = self.supply
        s.open_reason = self.open_reason
        s.pressed = self.pressed
        s.over_limit_s = self.over_limit_s
        s.trip_s = self.mono_s - self.trip_mono
        return s

    def _decide(self):
        self._sync_time()
        self._sync_trust()
        dec = self.dec
        supply = policy.decide(self._fill(self.sit, self.local_lo, self.clock.lo_minute,
                                          self.span_min()), self.cfg, dec)
        self.pressed = False
        old = self.supply
        self.reason = dec.reason
        if supply != old:
            self.supply = supply
            if supply == policy.OPEN:
                self.open_reason = dec.reason
                if dec.reason == _LIMITER_TRIP:
                    self.trip_mono = self.mono_s
            self._relay_event(old, supply, dec.reason)
            self.commit = COMMIT_NOW
        if self.commit == COMMIT_NONE and self.checkpoint_due():
            self.commit = COMMIT_CHECKPOINT
        return supply

    def checkpoint_due(self):
        """30 min since the last commit and 0.1 kWh unsaved (or the clock untrusted: its
        standing charge counts running time); or 4,000 s since the last commit whatever the
        consumption (the battery-backed store's age, which carries the clock's lower bound
        and the untrusted running time over a power cut, counts up to 4,095 s: at most 22
        writes a day on a quiet meter); or the store's pulse counts nearly full."""
        unsaved = self.unsaved_pulses
        if unsaved - self.unsaved_night >= _STORE_FULL or self.unsaved_night >= _STORE_FULL:
            return True
        age = self.mono_s - self.last_commit_mono
        if age >= AGE_COMMIT_S:
            return True
        if age < CHECKPOINT_S:
            return False
        return unsaved * 10 >= self.cfg.imp_per_kwh or not self.clock.trusted

    def _relay_event(self, old, new, reason):
        was_closed = old == policy.CLOSED or old == policy.LIMITED
        closed = new == policy.CLOSED or new == policy.LIMITED
        if was_closed and not closed:
            self.event(_RELAY_OPENED, reason)
        elif closed and not was_closed:
            self.event(_RELAY_CLOSED, reason)
        elif new == policy.ARMED or new == policy.LIMITED:
            self.event(_ARMED if new == policy.ARMED else _LIMITED, reason)

    def relay_closed(self):
        return self.supply == policy.CLOSED or self.supply == policy.LIMITED

    def settle(self):
        """Takes the standing charges due; the app calls it just before it writes the record
        (or would, without storage), so a charge and its day reach flash together."""
        if self.standing_due:
            self.credit.standing(self.standing_due)
            self.standing_due = 0

    def committed(self):
        """The app calls this once the record is safely on flash."""
        self.commit = COMMIT_NONE
        self.unsaved_pulses = 0
        self.unsaved_night = 0
        self.last_commit_mono = self.mono_s
        self.record_mono = self.mono_s

    def restore_unsaved(self, age_s, day, night, mono_s):
        """At boot, after the record: what the battery-backed store kept of the time before the
        power cut (meter.core.pulsestore).  The pulses are charged as they were before, and the
        checkpoint clock goes on where it was (a reboot does not restart it); the powered time
        also carries the clock's lower bound (meter.appboot.restore_unsaved), and with it the standing
        charges the cut lost."""
        self.credit.pulses(day, False)
        self.credit.pulses(night, True)
        self.unsaved_pulses += day + night
        self.unsaved_night += night
        self.last_commit_mono = mono_s - age_s
        self.record_mono = mono_s - age_s

    def checkpoint_unknown(self, mono_s):
        """At boot, when the store could not say how long ago the record was written: the
        checkpoint is due as soon as consumption is worth one (never restarted by a boot).
        No powered time since the record is proven: the store's age starts again from 0 (a
        faked age would raise the clock's lower bound at the next power cut: the world model
        saw it 30 min ahead of the true time, and an early cut)."""
        self.last_commit_mono = mono_s - CHECKPOINT_S
        self.record_mono = mono_s

    # --- persistence ---------------------------------------------------------------------

    def blobs(self):
        """The token layer's state, appended to the record (see meter.core.record)."""
        return self.desk.to_bytes() if self.desk is not None else b""

    def check_blobs(self, data):
        if self.desk is not None:
            self.desk.check(data)
        elif len(data) != 0:
            raise ValueError("record tail length %d" % len(data))

    def load_blobs(self, data):
        if self.desk is not None:
            self.desk.load(data)

    def lost_record(self):
        """No valid record at boot: keep supply on, show the error, until a credit token."""
        self.record_lost = True
        self.event(_RECORD_CORRUPT)
        self.commit = COMMIT_NOW

    # --- inputs between steps ----------------------------------------------------------------

    def redecide(self):
        return self._decide()

    def reconnect(self):
        """A reconnect token: no cut for lack of credit before today's cut window closes, and
        an open relay is armed (it closes when # or the button is pressed)."""
        until = self.local.window_end(self._late())
        if until > self.cancel_until:
            self.cancel_until = until
        self.commit = COMMIT_NOW
        return self._decide()

    def clear_alerts(self):
        """A clear-alerts token: the record-lost hold and stored error displays end."""
        self.record_lost = False
        self.alerts_cleared = True
        self.commit = COMMIT_NOW

    def press(self):
        """# (when armed) or the reconnect button; acted upon at the next decide."""
        self.pressed = True
        self.event(_BUTTON)
        return self._decide()

    def set_power(self, watts):
        self.power_w = watts if watts > 0 else 0

    def set_protect(self, kind, on):
        """Console/test mode: a protection on (without an end date) or off."""
        if kind == "winter":
            kind = "protected"
        if kind not in PROTECT_NAMES:
            raise ValueError("unknown protection: %s" % kind)
        self._protect(PROTECT_NAMES.index(kind), NO_END if on else -1)
        self.event(_PROTECT_CHANGED, 1 if on else 0)
        self.commit = COMMIT_NOW
        return self._decide()

    def topup(self, amount):
        to_debt = self.credit.topup(amount, self.local.week)
        self.event(_TOPUP, amount)
        if to_debt:
            self.event(_DEBT_RECOVERED, to_debt)
        self.commit = COMMIT_NOW
        self._warnings()
        self._decide()
        return to_debt

    def accept_emergency(self):
        amount = self.credit.accept_emergency()
        if amount:
            self.event(_EMERGENCY_TAKEN, amount)
            self.commit = COMMIT_NOW
            self._warnings()
            self._decide()
        return amount

    def register_nocut(self, start_minute, end_minute):
        self.reg_start = start_minute
        self.reg_end = end_minute
        self.event(_TOKEN_NOCUT, (end_minute - start_minute) // 1440)
        self.commit = COMMIT_NOW
        return self._decide()

    def cancel_cut(self):
        """Cancels the planned cut: no cut for lack of credit before the end of the cut window
        in which it would have happened (today's if a cut stands or is due today)."""
        at = self.next_cut(self.minute)
        if self.supply == policy.OPEN and self.open_reason == _NO_CREDIT:
            at = self._late()
        if at >= 0:
            self.cancel_until = self.local.window_end(at)
        self.event(_CUT_CANCELLED)
        self.commit = COMMIT_NOW
        return self._decide()

    def _late(self):
        """The latest the time can be now: hi when bounded, else the estimate."""
        hi = self.hi_ceil()
        return hi if hi > self.minute else self.minute

    # --- planning ----------------------------------------------------------------------------

    def next_cut(self, start, limit_days=400):
        """The first minute >= start at which a cut for lack of credit could happen if credit
        stays as it is and nothing else changes; -1 if none (credit fine, clock untrusted, a
        lasting protection).  Used for the display and the console's next_cut."""
        if self.free or not self.clock.trusted or self.cold_home or self.fault_hold or \
                self.protection_end(PROTECT_MEDICAL) == NO_END or \
                self.protection_end(PROTECT_WEATHER) == NO_END or \
                self.protection_end(PROTECT_COLD) == NO_END:
            return -1
        if self.credit.credit_left() >= self.cfg.disconnect_threshold:
            return -1
        if self.supply == policy.OPEN and self.open_reason == _NO_CREDIT:
            return -1   # already cut
        # the search itself is loaded for it (meter/core/plan.py; issue 11, heap)
        from meter.core import plan
        try:
            return plan.search_cut(self, start, limit_days)
        finally:
            overlay.release(("meter.core.plan",))

    def seconds_to_change(self, power_w):
        """Seconds from now to the next instant at which the decision or the money can change
        (event-driven simulation jumps there).  Takes the current load into account: charges
        crossing a warning, offer or cut threshold, the limiter timers, the checkpoint."""
        from meter.core import plan
        try:
            return plan.seconds_to_change(self, power_w)
        finally:
            overlay.release(("meter.core.plan",))
