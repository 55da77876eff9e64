"""What the LCD shows after a key press: the pages (A balance, debt and protections; B
emergency credit; C last token, next cut, temperature; D clock, error code and the event log)
and the second line of a token result.  meter.display loads this module while a page or a
result is shown and releases it when the LCD is back at its idle lines (meter/overlay.py,
issue 11): a meter nobody touches keeps none of it.  d is the meter.display.Display.
"""
from micropython import const

from meter import eventread
from meter.core import calendar
from meter.core import meter as meter_mod
from meter.display import _two, fit, money

# codes this module gives (meter.core.codes, docs/codes.md), compiled in as constants:
# a board keeps no name for them (issue 11); host_tests/test_codes.py holds each to
# its number in meter.core.codes
_CUT_CANCELLED = const(21)
_TOKEN_ACCEPTED = const(40)
_TOKEN_INVALID = const(41)
_TOKEN_USED = const(42)
_TOKEN_OLD = const(43)
_KEYPAD_LOCKED = const(44)
_TOKEN_LENGTH = const(45)
_KEY_CHANGED = const(46)
_TIME_SET = const(47)
_TOKEN_RECONNECT = const(48)
_TOKEN_NOCUT = const(49)
_TOKEN_CLEAR = const(50)
_TOKEN_EMERGENCY = const(51)
_ENTRY_TIMEOUT = const(52)
_TOKEN_TIME_BAD = const(53)
_TOKEN_REFUSED = const(54)
_RELAY_FAILED = const(60)
_EMERGENCY_TAKEN = const(72)
_COLD_HOLD_ON = const(122)
_COLD_HOLD_OFF = const(123)
_PROTECT_SET = const(124)
_CONFIG_ERROR = const(129)
_PROTECTED_CUSTOMER = const(130)


def error_text(error_s):
    """The clock's error bound in at most 4 characters: 12S, 16M, 3H, 40D, ? (unbounded)."""
    if error_s < 0:
        return "?"
    if error_s < 100:
        return "%dS" % error_s
    if error_s < 6000:
        return "%dM" % ((error_s + 59) // 60)
    if error_s < 360000:
        return "%dH" % ((error_s + 3599) // 3600)
    return "%dD" % min(999, (error_s + 86399) // 86400)



# second line of a token result, for results that carry no amount
_HINTS = {
    _TOKEN_INVALID: "CHECK AND RETYPE",
    _TOKEN_USED: "ALREADY ENTERED",
    _TOKEN_OLD: "ASK A NEW TOKEN",
    _TOKEN_LENGTH: "NEED 20 DIGITS",
    _TOKEN_RECONNECT: "NO CUT TODAY",
    _CUT_CANCELLED: "NO CUT TODAY",
    _TOKEN_CLEAR: "ALERTS CLEARED",
    _ENTRY_TIMEOUT: "TYPE IT AGAIN",
    _TOKEN_TIME_BAD: "CALL SUPPLIER",
    _TOKEN_REFUSED: "CALL SUPPLIER",
}
_PROTECT_LABELS = ("MEDICAL", "WEATHER", "COLD", "PROTECT")



def detail(d):
    code = d._result_code
    v = d._result_value
    if code == _TOKEN_ACCEPTED or code == _EMERGENCY_TAKEN:
        return "+" + d._money(v)
    if code == _KEYPAD_LOCKED or (code == _TOKEN_INVALID and v > 0):
        return "WAIT %d:%02d" % (v // 60, v % 60)
    if code == _TOKEN_NOCUT:
        return "%d DAYS" % v
    if code == _TOKEN_EMERGENCY:
        return "AMOUNT " + d._money(v)
    if code == _KEY_CHANGED:
        return "KEY REVISION %d" % v
    if code == _TIME_SET:
        return d._when(d.app.meter.minute)
    if code == _PROTECT_SET or code == _PROTECTED_CUSTOMER:
        return protection(d, v // 10000)
    return _HINTS.get(code, "")

def protection(d, kind):
    """'MEDICAL TO 31/01' (the last protected day), 'MEDICAL OFF', 'MEDICAL ON'."""
    label = _PROTECT_LABELS[kind]
    end = d.app.meter.protection_end(kind)
    if end < 0:
        return label + " OFF"
    if end == meter_mod.NO_END:
        return label + " ON"
    return label + " TO " + d._when(end - 1)[:5]


def page(d, page, sub):
    app = d.app
    m = app.meter
    c = m.credit
    if page == 0:
        # balance, debt, then each protection in force (or NONE)
        active = 0
        for kind in range(4):
            if m.protection_end(kind) >= 0:
                active += 1
        sub %= 2 + (active if active else 1)
        if sub == 0:
            return [fit("BALANCE"), fit(d._money(c.balance))]
        if sub == 1:
            return [fit("DEBT"), fit(d._money(c.debt))]
        if not active:
            return [fit("PROTECTION"), fit("NONE")]
        for kind in range(4):
            if m.protection_end(kind) >= 0:
                if sub == 2:
                    return [fit("PROTECTION"), fit(protection(d, kind))]
                sub -= 1
    if page == 1:
        if c.ec_active:
            return [fit("EMERGENCY ACTIVE"), fit("USED " + d._money(c.ec_used()))]
        avail = c.ec_available()
        if avail:
            return [fit("EMERGENCY " + money(avail)), fit("PRESS # TO TAKE")]
        return [fit("EMERGENCY CREDIT"), fit("NOT AVAILABLE")]
    if page == 2:
        # last token, next cut, and (cold-home hold configured) the meter's temperature
        sub %= 3 if app.cfg.cold_hold else 2
        if sub == 2:
            q = m.temp_q
            if q == meter_mod.TEMP_UNKNOWN:
                return [fit("METER TEMP."), fit("NOT READ")]
            tenths = q * 10 // 4
            sign = "-" if tenths < 0 else ""
            tenths = -tenths if tenths < 0 else tenths
            return [_two("METER TEMP.", "%s%d.%dC" % (sign, tenths // 10, tenths % 10)),
                    fit(d._text(_COLD_HOLD_ON if m.cold_home
                                   else _COLD_HOLD_OFF))]
        if sub == 0:
            r = app.last_result
            if r is None:
                return [fit("LAST TOKEN"), fit("NONE")]
            return [fit("LAST TOKEN"), fit(d._text(r[1]))]
        nc = app.next_cut_minute()
        return [fit("NEXT CUT"), fit(d._when(nc) if nc >= 0 else "NONE PLANNED")]
    # page D: clock, error code, then the event log newest first
    if sub == 0:
        label = "CLOCK OK" if m.clock.trusted else "CLOCK E%d" % m.clock.code
        if not m.clock.trusted and m.clock.challenge >= 0:
            # what the vending office needs for a set-time token that restores trust
            return [fit(label + " +-" + error_text(m.clock.error_s)),
                    fit("TIME CODE %05d" % m.clock.challenge)]
        return [fit(label + " +-" + error_text(m.clock.error_s)), fit(d._when(m.minute))]
    if sub == 1:
        err = app.storage_code or app.fault_code or \
            (_RELAY_FAILED if app.hw.relay.failed else 0) or \
            (0 if m.clock.trusted else m.clock.code) or \
            (_CONFIG_ERROR if getattr(app, "config_error", None) else 0)
        return [fit("ERROR CODE %d" % err), fit(d._text(err) if err else "NO ERROR")]
    events = eventread.newest(app.log, sub - 1)
    if len(events) < sub - 1:
        return [fit("END OF LOG"), fit("%d EVENTS" % len(events))]
    utc, trusted, mono, code, value = events[sub - 2]
    if utc is None:
        # logged while the clock was unknown: no date rather than a false one
        return [fit("E%d NO DATE" % code), fit(d._text(code))]
    t = calendar.local_time(utc, app.cfg.tz_std_minutes * 60, app.cfg.tz_eu_dst)
    return [fit("E%d %02d/%02d %02d:%02d" % (code, t[2], t[1], t[3], t[4])),
            fit(d._text(code))]
