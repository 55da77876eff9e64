"""What the 16x2 LCD shows (METER.md §6-§8).

Priority, highest first: the digits being typed; the result of the last token (5 s); an info
page (A-D, 30 s); then the idle screen: the balance on line 1 (the console's `balance`), and on
line 2 whatever the household most needs to know — press # when armed, the clock error when the
clock is not trusted, a planned cut, or the reason for the supply state; emergency credit on
offer ("EMERGENCY: B #") or in use alternates with it every 3 s.

Every code is shown as its words (meter.core.codes); the number appears only on page D (error
code, event log), for support staff.  A top-up that repays debt shows its split, worked out
before it is applied: "15.00EUR CREDIT" / "5.00EUR DEBT".
"""
from micropython import const

from meter.core import calendar, codetext, policy
from meter.core import meter as meter_mod
from meter.core.clock import EPOCH_2000_UNIX
from meter.drivers.ticks import diff as ticks_diff

# codes this module gives (meter.core.codes, docs/codes.md), compiled in as constants:
# a board keeps no name for them (issue 11); host_tests/test_codes.py holds each to
# its number in meter.core.codes
_SUPPLY_ON = const(0)
_ARMED = const(16)
_LOW_CREDIT_1 = const(17)
_LOW_CREDIT_2 = const(18)
_EMERGENCY_OFFER = const(19)
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

_RESULT_MS = const(5000)
_PAGE_MS = const(30000)
_ALTERNATE_MS = const(3000)


def money(cents, currency=""):
    sign = "-" if cents < 0 else ""
    cents = -cents if cents < 0 else cents
    return "%s%d.%02d%s" % (sign, cents // 100, cents % 100, currency)


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


def fit(text):
    """Exactly 16 characters."""
    if len(text) > 16:
        return text[:16]
    return text + " " * (16 - len(text))


def _amount_line(cents, currency, label):
    """'15.00EUR CREDIT', shortened (no currency, then label right-aligned) to 16."""
    text = money(cents, currency) + " " + label
    if len(text) <= 16:
        return fit(text)
    return _two(label, money(cents))


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


def _two(label, value):
    """label left, value right, 16 characters."""
    room = 16 - len(label)
    if len(value) >= room:
        return fit(label[:max(0, 15 - len(value))] + " " + value)
    return label + " " * (room - len(value)) + value


class Display:
    def __init__(self, app):
        self.app = app
        self._result_code = -1
        self._result_value = 0
        self._result_ms = 0
        self._result_split = None
        self._touch_ms = 0
        self._now_ms = 0
        self._shown = ["", ""]
        self._buf = bytearray(16)

    def result(self, code, value, now_ms, split=None):
        """Shows a token result for 5 s; split = (to credit, to debt) of a top-up."""
        self._result_code = code
        self._result_value = value
        self._result_split = split if split is not None and split[1] else None
        self._result_ms = now_ms
        self._now_ms = now_ms
        self.refresh(now_ms)

    def touch(self, now_ms):
        self._touch_ms = now_ms
        self._now_ms = now_ms
        self.refresh(now_ms)

    def refresh(self, now_ms):
        self._now_ms = now_ms
        # forget an expired result: ticks wrap after 12 days, and a result compared by
        # ticks_diff alone would come back for 6 days once the difference wrapped
        if self._result_code >= 0 and ticks_diff(now_ms, self._result_ms) >= _RESULT_MS:
            self._result_code = -1
        lines = self.lines()
        lcd = self.app.hw.lcd
        for row in (0, 1):
            if lines[row] != self._shown[row]:
                self._shown[row] = lines[row]
                try:
                    lcd.write_line(row, lines[row])
                except OSError:
                    pass   # a display fault must never stop the meter

    def shown(self):
        """The two lines last sent to the LCD (the console's `lcd`)."""
        return [self._shown[0], self._shown[1]]

    def ms_to_expiry(self, now_ms):
        """Milliseconds until a result, a page or typed digits time out (-1: nothing shown
        that times out), so that an event-driven simulator steps there."""
        best = -1
        if self._result_code >= 0:
            best = max(0, _RESULT_MS - ticks_diff(now_ms, self._result_ms))
        e = self.app.entry.ms_to_expiry(now_ms)
        if e >= 0 and (best < 0 or e < best):
            best = e
        return best

    def _money(self, cents):
        return money(cents, self.app.cfg.currency)

    def lines(self):
        app = self.app
        now = self._now_ms
        entry = app.entry
        if entry.active():
            entry.render(self._buf)
            return [fit("TOKEN %d DIGITS" % entry.count), self._buf.decode()]
        if self._result_code >= 0 and ticks_diff(now, self._result_ms) < _RESULT_MS:
            split = self._result_split
            if split is not None:
                cur = app.cfg.currency
                return [_amount_line(split[0], cur, "CREDIT"), _amount_line(split[1], cur, "DEBT")]
            return [fit(codetext.text(self._result_code)), fit(self._detail())]
        if entry.page >= 0 and ticks_diff(now, self._touch_ms) < _PAGE_MS:
            return self._page(entry.page, entry.subpage)
        return self._idle()

    def _detail(self):
        code = self._result_code
        v = self._result_value
        if code == _TOKEN_ACCEPTED or code == _EMERGENCY_TAKEN:
            return "+" + self._money(v)
        if code == _KEYPAD_LOCKED or (code == _TOKEN_INVALID and v > 0):
            return "WAIT %d:%02d" % (v // 60, v % 60)
        if code == _TOKEN_NOCUT:
            return "%d DAYS" % v
        if code == _TOKEN_EMERGENCY:
            return "AMOUNT " + self._money(v)
        if code == _KEY_CHANGED:
            return "KEY REVISION %d" % v
        if code == _TIME_SET:
            return self._when(self.app.meter.minute)
        if code == _PROTECT_SET or code == _PROTECTED_CUSTOMER:
            return self._protection(v // 10000)
        return _HINTS.get(code, "")

    def _protection(self, kind):
        """'MEDICAL TO 31/01' (the last protected day), 'MEDICAL OFF', 'MEDICAL ON'."""
        label = _PROTECT_LABELS[kind]
        end = self.app.meter.protection_end(kind)
        if end < 0:
            return label + " OFF"
        if end == meter_mod.NO_END:
            return label + " ON"
        return label + " TO " + self._when(end - 1)[:5]

    def _idle(self):
        app = self.app
        m = app.meter
        c = m.credit
        # the balance, as the console's `balance`; emergency credit in use is named on line 2
        line1 = _two("CREDIT", self._money(c.balance))
        # what alternates every 3 s: a planned cut, the main line, the emergency credit
        # (and a refused /config.json, which must not hide the warnings)
        armed = m.supply == policy.ARMED
        nc = app.next_cut_minute() if m.clock.trusted and not armed else -1
        ec = c.ec_available() or (c.ec_active and c.ec_amount > c.ec_used())
        bad_cfg = getattr(app, "config_error", None) is not None
        n = 1 + (1 if nc >= 0 else 0) + (1 if ec else 0) + (1 if bad_cfg else 0)
        phase = (self._now_ms // _ALTERNATE_MS) % n
        if nc >= 0:
            if phase == 0:
                return [line1, fit("CUT " + self._when(nc))]
            phase -= 1
        if ec:
            if phase == 1:
                if c.ec_active:
                    return [line1, _two("EMERG. LEFT", money(c.ec_amount - c.ec_used()))]
                return [line1, fit(codetext.text(_EMERGENCY_OFFER))]
            if phase > 1:
                phase -= 1
        if bad_cfg and phase == 1:
            return [line1, fit(codetext.text(_CONFIG_ERROR))]
        if armed:
            return [line1, fit(codetext.text(_ARMED))]
        return [line1, fit(self._main_line())]

    def _main_line(self):
        app = self.app
        m = app.meter
        if app.storage_code:
            return codetext.text(app.storage_code)
        if app.fault_code:
            return codetext.text(app.fault_code)
        if not m.clock.trusted:
            return codetext.text(m.clock.code)
        if app.hw.relay.failed:
            return codetext.text(_RELAY_FAILED)
        if m.reason == _SUPPLY_ON and m.warn_level:
            return codetext.text(_LOW_CREDIT_1 if m.warn_level == 1 else _LOW_CREDIT_2)
        return codetext.text(m.reason)

    def _when(self, minute):
        cfg = self.app.cfg
        t = calendar.local_time(EPOCH_2000_UNIX + minute * 60, cfg.tz_std_minutes * 60,
                                cfg.tz_eu_dst)
        return "%02d/%02d %02d:%02d" % (t[2], t[1], t[3], t[4])

    def _page(self, page, sub):
        app = self.app
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
                return [fit("BALANCE"), fit(self._money(c.balance))]
            if sub == 1:
                return [fit("DEBT"), fit(self._money(c.debt))]
            if not active:
                return [fit("PROTECTION"), fit("NONE")]
            for kind in range(4):
                if m.protection_end(kind) >= 0:
                    if sub == 2:
                        return [fit("PROTECTION"), fit(self._protection(kind))]
                    sub -= 1
        if page == 1:
            if c.ec_active:
                return [fit("EMERGENCY ACTIVE"), fit("USED " + self._money(c.ec_used()))]
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
                        fit(codetext.text(_COLD_HOLD_ON if m.cold_home
                                       else _COLD_HOLD_OFF))]
            if sub == 0:
                r = app.last_result
                if r is None:
                    return [fit("LAST TOKEN"), fit("NONE")]
                return [fit("LAST TOKEN"), fit(codetext.text(r[1]))]
            nc = app.next_cut_minute()
            return [fit("NEXT CUT"), fit(self._when(nc) if nc >= 0 else "NONE PLANNED")]
        # page D: clock, error code, then the event log newest first
        if sub == 0:
            label = "CLOCK OK" if m.clock.trusted else "CLOCK E%d" % m.clock.code
            if not m.clock.trusted and m.clock.challenge >= 0:
                # what the vending office needs for a set-time token that restores trust
                return [fit(label + " +-" + error_text(m.clock.error_s)),
                        fit("TIME CODE %05d" % m.clock.challenge)]
            return [fit(label + " +-" + error_text(m.clock.error_s)), fit(self._when(m.minute))]
        if sub == 1:
            err = app.storage_code or app.fault_code or \
                (_RELAY_FAILED if app.hw.relay.failed else 0) or \
                (0 if m.clock.trusted else m.clock.code) or \
                (_CONFIG_ERROR if getattr(app, "config_error", None) else 0)
            return [fit("ERROR CODE %d" % err), fit(codetext.text(err) if err else "NO ERROR")]
        events = app.log.newest(sub - 1)
        if len(events) < sub - 1:
            return [fit("END OF LOG"), fit("%d EVENTS" % len(events))]
        utc, trusted, mono, code, value = events[sub - 2]
        if utc is None:
            # logged while the clock was unknown: no date rather than a false one
            return [fit("E%d NO DATE" % code), fit(codetext.text(code))]
        t = calendar.local_time(utc, app.cfg.tz_std_minutes * 60, app.cfg.tz_eu_dst)
        return [fit("E%d %02d/%02d %02d:%02d" % (code, t[2], t[1], t[3], t[4])),
                fit(codetext.text(code))]
