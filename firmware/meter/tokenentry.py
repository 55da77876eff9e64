"""What a token typed on the keypad (or carried by a remote command) does: decoded, checked
against the lockout and the replay memory, then applied to the core (meter/tokens.py has the
desk's state and the results' shape).

A board loads this module, the native decoder and HMAC-SHA256 for one entry and releases them
after it (meter/overlay.py): they take no heap between tokens (issue 11).  Nothing here may be
kept by a long-lived object (no class, no function stored elsewhere).
"""
from micropython import const

from meter.core import calendar
from meter.core import meter as meter_mod
from meter.core import token as native
from meter.core.clock import from_unix

# codes this module gives (meter.core.codes, docs/codes.md), compiled in as constants:
# a board keeps no name for them (issue 11); host_tests/test_codes.py holds each to
# its number in meter.core.codes
_CUT_CANCELLED = const(21)
_TOKEN_ACCEPTED = const(40)
_TOKEN_INVALID = const(41)
_TOKEN_USED = const(42)
_KEYPAD_LOCKED = const(44)
_TOKEN_LENGTH = const(45)
_KEY_CHANGED = const(46)
_TIME_SET = const(47)
_TOKEN_RECONNECT = const(48)
_TOKEN_NOCUT = const(49)
_TOKEN_CLEAR = const(50)
_TOKEN_EMERGENCY = const(51)
_TOKEN_TIME_BAD = const(53)
_TOKEN_REFUSED = const(54)
_TIME_CHALLENGE = const(105)
_NO_KEY = const(110)
_PROTECT_SET = const(124)
_PROTECTED_CUSTOMER = const(130)
_TOKEN_BUSY = const(152)

_LAST_DAY = const(36524)             # 2099-12-31, days since 2000-01-01: the calendar's end


def enter(desk, digits, status, osf, minute, second, mono_s):
    left = desk.lock.locked_for(mono_s)
    desk.split = None
    if left:
        return done("locked", _KEYPAD_LOCKED, left)
    if len(digits) == native.DIGITS:
        return native_token(desk, digits, status, osf, minute, second, mono_s)
    if len(digits) == 9 and desk._opg_decoder is not None:
        left = desk.opg_lock.locked_for(mono_s)
        if left:
            return done("locked", _KEYPAD_LOCKED, left)
        return openpaygo_token(desk, digits, status, osf, minute, second, mono_s)
    # a wrong length is a typo, not a guess at a MAC: shown, not counted
    return done("invalid", _TOKEN_LENGTH, 0)


def enter_authenticated(desk, digits, status, osf, minute, second, mono_s):
    desk.split = None
    if desk.key is None or len(digits) != native.DIGITS:
        return done("invalid", _TOKEN_REFUSED, 0)
    if native.decode(native.prepare(desk.key), digits)[0] != native.CREDIT:
        return done("invalid", _TOKEN_REFUSED, 0)
    return native_token(desk, digits, status, osf, minute, second, mono_s)


def invalid(desk, mono_s, lock=None):
    lock = lock or desk.lock
    left = lock.invalid(mono_s)
    desk.meter.event(_TOKEN_INVALID)
    desk.meter.commit = 2              # the lockout must survive a power cut
    return done("invalid", _TOKEN_INVALID, left)

def done(word, code, value, rtc=None):
    return word, code, value, rtc

def native_token(desk, digits, status, osf, minute, second, mono_s):
    m = desk.meter
    if desk.key is None:
        # nothing to guess at: refused and shown, not counted towards the lockout
        m.event(_NO_KEY)
        return done("invalid", _NO_KEY, 0)
    key = native.prepare(desk.key)          # HMAC pads worked out once for every MAC below
    kind = native.INVALID
    clock = m.clock
    shown_mono = -1                     # when the challenge its MAC covers was shown
    if clock.challenge >= 0:
        # the MAC with the challenge shown first (a challenge set-time token), then with
        # the one before it (made just before a renewal), then plain
        kind, value, token_id = native.decode(key, digits, clock.challenge)
        if kind != native.INVALID:
            shown_mono = clock.challenge_mono
        elif clock.prev_challenge >= 0:
            kind, value, token_id = native.decode(key, digits, clock.prev_challenge)
            if kind != native.INVALID:
                shown_mono = clock.prev_challenge_mono
    challenged = shown_mono >= 0
    if not challenged:
        kind, value, token_id = native.decode(key, digits)
    if kind == native.INVALID:
        return invalid(desk, mono_s)
    seen = desk.replay.check(token_id)
    if seen:
        m.event(seen, token_id)
        return done("used" if seen == _TOKEN_USED else "old", seen, 0)
    issue = native.issue_minute(token_id, desk.base)
    # (a valid token leaves the lockout alone: its counter decays with calm time only)
    rtc = None
    if kind == native.SET_TIME:
        # issued during minute `issue`: the true time is at least its issue (less the
        # skew); a plain token gives no upper bound (it can be kept and typed later), its
        # window only refuses a stale one; a challenge token was made after the challenge
        # was shown, which bounds the time from above (docs/clock.md)
        lo = issue * 60 - desk.cfg.token_skew_s
        if challenged:
            m.trust_source = _TIME_CHALLENGE
            hi = clock.challenge_hi_s(issue, desk.cfg.token_skew_s, mono_s, shown_mono)
            used = clock.anchor(lo // 60, lo % 60, hi // 60, hi % 60, mono_s,
                                _TIME_CHALLENGE)
            clock.challenge_used()        # the app draws a new one
        else:
            m.trust_source = _TIME_SET
            used = m.clock.anchor(lo // 60, lo % 60,
                                  issue + 1 + desk.cfg.token_time_window, 0, mono_s,
                                  _TIME_SET)
        if used == _TOKEN_TIME_BAD:
            m.event(_TOKEN_TIME_BAD, token_id)
            m.commit = 2
            return done("old", _TOKEN_TIME_BAD, 0)
        if used:
            m.event(used, token_id)
        rtc = True
        code = _TIME_SET
        shown = 0
    else:
        m.trust_source = _TOKEN_ACCEPTED
        lo = issue * 60 - desk.cfg.token_skew_s
        used = m.clock.anchor(lo // 60, lo % 60, -1, 0, mono_s, _TOKEN_ACCEPTED)
        if used:
            m.event(used, token_id)
        code, shown = apply(desk, kind, value, token_id, issue)
        if code < 0:
            # a well-formed token this meter cannot take (a key change backwards): not a
            # guess at a MAC, so it does not count towards the lockout
            m.event(_TOKEN_REFUSED, kind)
            m.commit = 2
            return done("invalid", _TOKEN_REFUSED, 0)
    if kind != native.KEY_CHANGE:
        # (a key change cleared the memory: its own id belongs to the old base)
        desk.replay.remember(token_id)
    m.event(code, shown)
    m.commit = 2
    m.redecide()
    return done("accepted", code, shown, rtc)

def apply(desk, kind, value, token_id, issue):
    m = desk.meter
    if kind == native.CREDIT:
        m.record_lost = False
        topup(desk, value)
        return _TOKEN_ACCEPTED, value
    if kind == native.PROTECT:
        which, days = native.protect_split(value)
        end_day = native.protect_end_day(token_id, desk.base, value)
        if end_day > _LAST_DAY:
            end_day = _LAST_DAY            # past the calendar's 2099: on to its end
        m.protect_until(which, local_midnight(end_day, desk.cfg) if end_day >= 0 else -1)
        return (_PROTECTED_CUSTOMER if which == meter_mod.PROTECT_CUSTOMER
                else _PROTECT_SET), which * 10000 + days
    if kind == native.RECONNECT:
        m.reconnect()
        return _TOKEN_RECONNECT, 0
    if kind == native.NOCUT:
        start_day = native.nocut_start_day(token_id, desk.base, value)
        days = native.nocut_split(value)[1]
        m.register_nocut(local_midnight(start_day, desk.cfg),
                         local_midnight(start_day + days, desk.cfg))
        return _TOKEN_NOCUT, days
    if kind == native.CANCEL_CUT:
        m.cancel_cut()
        return _CUT_CANCELLED, 0
    if kind == native.EMERGENCY:
        desk.ec_setting = value
        desk.cfg.emergency_amount = value
        return _TOKEN_EMERGENCY, value
    if kind == native.CLEAR:
        m.clear_alerts()
        return _TOKEN_CLEAR, 0
    if kind == native.KEY_CHANGE:
        if not desk.root_key:
            return -1, 0
        current = native.ratchet(desk.root_key, 0, desk.key_rev)
        changed = native.key_change(current, desk.key_rev, desk.base, value, token_id)
        if changed is None:
            return -1, 0
        new_key, desk.key_rev, desk.base = changed
        desk.key = new_key
        desk.replay.clear()
        return _KEY_CHANGED, desk.key_rev
    return -1, 0

def openpaygo_token(desk, digits, status, osf, minute, second, mono_s):
    from meter.core import openpaygo
    m = desk.meter
    decoder = desk._opg_decoder
    if decoder is None:
        return invalid(desk, mono_s)
    kind, value, count = decoder.decode(digits, desk.opg, desk.opg_read)
    if kind == openpaygo.BUSY:
        return done("busy", _TOKEN_BUSY, 0)     # no decision, no strike: try again
    if kind == openpaygo.INVALID:
        return invalid(desk, mono_s, desk.opg_lock)
    if kind == openpaygo.USED:
        m.event(_TOKEN_USED, 0)
        return done("used", _TOKEN_USED, 0)
    unit = desk.cfg.openpaygo_unit
    shown = 0
    if kind == openpaygo.ADD:
        m.free = False
        m.record_lost = False
        topup(desk, value * unit)
        shown = value * unit
    elif kind == openpaygo.SET:
        m.free = False
        m.record_lost = False
        m.credit.set_balance(value * unit)
        shown = value * unit
    elif kind == openpaygo.DISABLE:
        m.free = True                  # "PAYG disabled": supply on until a later token
    # SYNC moves the counter only; UNDEFINED (996/997) is authentic and does nothing
    m.event(_TOKEN_ACCEPTED, shown)
    m.commit = 2
    m.redecide()
    return done("accepted", _TOKEN_ACCEPTED, shown)


def topup(desk, amount):
    m = desk.meter
    to_debt, to_credit = m.credit.split(amount, m.local.week)
    desk.split = (to_credit, to_debt)
    m.topup(amount)


def local_midnight(day2000, cfg):
    """UTC minute of local midnight starting day `day2000` (days since 2000-01-01)."""
    y, mo, d = calendar.civil_from_days(day2000 + 10957)
    return from_unix(calendar.utc_from_local(y, mo, d, 0, 0, 0, 0, cfg.tz_std_minutes * 60,
                                             cfg.tz_eu_dst))[0]
