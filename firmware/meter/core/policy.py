"""When supply may be cut: the whole no-cut policy (METER.md §5 and §6) in one place.

`decide` is the only function that can open the relay.  It is pure: the meter fills a Situation
each control step (clock trust, credit, local time facts, protections, what the relay does now)
and decide writes the supply state and its reason into a Decision.  Nothing is allocated.

Supply states:
  CLOSED   relay closed, full supply
  OPEN     relay open: cut for lack of credit (NO_CREDIT) or a limiter trip (LIMITER_TRIP)
  ARMED    relay open but supply may come back: it closes when # or the button is pressed
           (appliances may have been left on), or at once with auto_reconnect
  LIMITED  relay closed under the power limiter (protected customers in winter, instead of a cut)

A cut for lack of credit starts only when every rule holds (cut_hold returns 0):
  the meter can take tokens and its configuration was read (NO_KEY, CONFIG_ERROR); the clock
  is trusted (its proven interval [lo, hi] is bounded and narrow, docs/clock.md); the stored
  state was not lost; no medical, weather, cold, cold-home, registration or winter
  protection; a working day (Mon-Fri, not a public holiday, not the working day before one when
  so configured); the WHOLE interval inside the cut window (08:00-16:00) of that one day; the
  planned cut was not cancelled by token; the low-credit warning has been shown for the notice
  period; emergency credit on offer has been offered on the LCD for the notice period too; and
  the household keeps `topup_margin` minutes before the window closes to top up.  A cut already
  made stands until the window closes; any other hold (night, weekend, a new registration, an
  untrusted clock...) arms the relay again.

Time is judged on the household's side of the interval: the meter fills the local facts of the
lower bound lo (weekday, minute of day, holidays, winter) and `span_min`, the interval's width
in whole minutes, so hi's local minute is minute_of_day + span_min.  The window must hold from
lo to hi, the top-up margin is counted from hi; the notice, offer, registration and cancel-cut
facts are filled from the side that favours supply (see Meter._fill).  Cut windows lie clear of
the DST switches (01:00 UTC), so lo's day is hi's day whenever hi's minute of day is below 1440.
"""
from micropython import const

# codes this module gives (meter.core.codes, docs/codes.md), compiled in as constants:
# a board keeps no name for them (issue 11); host_tests/test_codes.py holds each to
# its number in meter.core.codes
_SUPPLY_ON = const(0)
_NO_CREDIT = const(1)
_OUTSIDE_WINDOW = const(3)
_WEEKEND = const(4)
_HOLIDAY = const(5)
_HOLIDAY_EVE = const(6)
_WINTER = const(7)
_REGISTRATION = const(8)
_MEDICAL = const(9)
_WEATHER = const(10)
_NOTICE = const(11)
_TOO_LATE = const(12)
_LIMITED = const(14)
_LIMITER_TRIP = const(15)
_ARMED = const(16)
_EMERGENCY_OFFER = const(19)
_CUT_CANCELLED = const(21)
_FREE_SUPPLY = const(22)
_CLOCK_NOT_SET = const(30)
_RECORD_CORRUPT = const(62)
_COLD = const(120)
_COLD_HOME = const(121)


CLOSED = const(0)
OPEN = const(1)
ARMED = const(2)
LIMITED = const(3)

SUPPLY_NAMES = ("on", "off", "armed", "limited")


class Situation:
    """Everything decide() looks at, refreshed by the meter each step."""

    def __init__(self):
        self.trusted = False
        self.clock_code = _CLOCK_NOT_SET
        self.credit_left = 0
        self.free = False            # OpenPAYGO disable token: supply unconditionally on
        self.record_lost = False     # stored state was lost: no cut until a credit token
        self.fault_hold = 0          # NO_KEY (no token could undo a cut) or CONFIG_ERROR
        self.weekday = 0             # local, Monday = 0
        self.minute_of_day = 0       # local, of the lower bound lo of the proven time
        self.span_min = 0            # hi - lo in whole minutes (rounded up)
        self.holiday = False
        self.holiday_eve = False     # the next non-weekend day is a public holiday
        self.winter = False          # local date inside the winter period
        self.registration = False
        self.medical = False
        self.weather = False
        self.cold = False            # cold protection (token, with an end date)
        self.cold_home = False       # cold-home hold: the DS3231 reads below the threshold
        self.ec_unoffered = False    # emergency credit available, not yet offered for `notice`
        self.protected = False       # protected customer (winter protection, limiter)
        self.cancelled = False       # the planned cut was cancelled by token
        self.notice_ok = False       # low-credit warning shown for at least `notice`
        self.supply = CLOSED         # what the relay does now
        self.open_reason = 0         # NO_CREDIT or LIMITER_TRIP while supply is OPEN
        self.pressed = False         # # or the button pressed since the last step
        self.over_limit_s = 0        # seconds power has been above the limiter
        self.trip_s = 0              # seconds since the limiter tripped


class Decision:
    def __init__(self):
        self.supply = CLOSED
        self.reason = _SUPPLY_ON


def cut_hold(s, cfg):
    """0 when a cut for lack of credit may start now, else the code of the first rule that
    forbids it (the order is the order in which the LCD explains it)."""
    if s.fault_hold:
        return s.fault_hold          # a cut nothing could undo, or on rules nobody chose
    if not s.trusted:
        return s.clock_code
    if s.record_lost:
        return _RECORD_CORRUPT
    if s.medical:
        return _MEDICAL
    if s.weather:
        return _WEATHER
    if s.cold:
        return _COLD
    if s.cold_home:
        return _COLD_HOME
    if s.registration:
        return _REGISTRATION
    if s.protected and s.winter and cfg.limiter_watts <= 0:
        return _WINTER          # winter protection without a limiter: no cut at all
    if s.holiday:
        return _HOLIDAY
    if s.weekday >= 5:
        return _WEEKEND
    if s.holiday_eve and cfg.no_cut_before_holiday:
        return _HOLIDAY_EVE
    mod = s.minute_of_day
    hi_mod = mod + s.span_min
    if mod < cfg.cut_start or hi_mod >= cfg.cut_end:
        return _OUTSIDE_WINDOW
    if s.cancelled:
        return _CUT_CANCELLED
    if not s.notice_ok:
        return _NOTICE
    if s.ec_unoffered:
        return _EMERGENCY_OFFER  # take it with B then #: no cut before it was offered
    if hi_mod + cfg.topup_margin > cfg.cut_end:
        return _TOO_LATE
    return 0


def limiter_applies(s, cfg):
    return cfg.limiter_watts > 0 and (cfg.limiter_always or (s.protected and s.winter))


def decide(s, cfg, out):
    """Writes the supply state and its reason into out; returns the supply state."""
    cur = s.supply
    if cur == OPEN and s.open_reason == _LIMITER_TRIP:
        # a limiter trip is timed, not a cut: it recloses by itself or at the button
        if s.trip_s < cfg.limiter_reclose_s and not s.pressed:
            return _set(out, OPEN, _LIMITER_TRIP)
        cur = LIMITED
    if s.free:
        return _on(s, cfg, out, cur, _FREE_SUPPLY)
    if s.credit_left >= cfg.disconnect_threshold:
        return _on(s, cfg, out, cur, _SUPPLY_ON)
    hold = cut_hold(s, cfg)
    if hold == 0:
        if limiter_applies(s, cfg):
            if cur == OPEN or cur == ARMED:
                return _on(s, cfg, out, cur, _LIMITED)
            if s.over_limit_s > cfg.limiter_trip_s:
                return _set(out, OPEN, _LIMITER_TRIP)
            return _set(out, LIMITED, _LIMITED)
        return _set(out, OPEN, _NO_CREDIT)
    if hold == _TOO_LATE and cur == OPEN and not limiter_applies(s, cfg):
        return _set(out, OPEN, _NO_CREDIT)
    return _on(s, cfg, out, cur, hold)


def _on(s, cfg, out, cur, reason):
    """Supply may be on: stay on, or arm the relay if it is open."""
    if cur == CLOSED or cur == LIMITED:
        return _set(out, CLOSED, reason)
    if s.pressed or cfg.auto_reconnect:
        return _set(out, CLOSED, reason)
    return _set(out, ARMED, _ARMED)


def _set(out, supply, reason):
    out.supply = supply
    out.reason = reason
    return supply


def next_local_boundary(mod, cfg, span=0):
    """Minutes from local minute-of-day `mod` (of lo) to the next local time at which the
    tariff or a policy rule can change (tariff switch, window start, last cut minute, window
    end — both for lo and for hi = lo + span —, midnight).  Always >= 1."""
    last_cut = cfg.cut_end - cfg.topup_margin
    best = 1440 - mod
    best = _closer(best, mod, cfg.day_start)
    best = _closer(best, mod, cfg.day_end)
    best = _closer(best, mod, cfg.cut_start)
    best = _closer(best, mod, last_cut + 1)
    if span:
        best = _closer(best, mod, last_cut + 1 - span)
        best = _closer(best, mod, cfg.cut_end - span)
    return _closer(best, mod, cfg.cut_end)


def _closer(best, mod, boundary):
    if mod < boundary < mod + best:
        return boundary - mod
    return best
