"""What the 16x2 LCD shows (METER.md §6-§8).

Priority, highest first: the digits being typed; the result of the last token (5 s); an info
page (A-D, 30 s); then the idle screen: credit on line 1, and on line 2 whatever the household
most needs to know — press # when armed, the clock error when the clock is not trusted, a
planned cut (alternating with the reason every 3 s), or the reason for the supply state.
"""
from micropython import const

from meter.core import calendar, codes, policy
from meter.core.clock import EPOCH_2000_UNIX
from meter.drivers.ticks import diff as ticks_diff

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
        self._touch_ms = 0
        self._now_ms = 0
        self._shown = ["", ""]
        self._buf = bytearray(16)

    def result(self, code, value, now_ms):
        self._result_code = code
        self._result_value = value
        self._result_ms = now_ms
        self._now_ms = now_ms
        self.refresh(now_ms)

    def touch(self, now_ms):
        self._touch_ms = now_ms
        self._now_ms = now_ms
        self.refresh(now_ms)

    def refresh(self, now_ms):
        self._now_ms = now_ms
        lines = self.lines()
        lcd = self.app.hw.lcd
        for row in (0, 1):
            if lines[row] != self._shown[row]:
                self._shown[row] = lines[row]
                try:
                    lcd.write_line(row, lines[row])
                except OSError:
                    pass   # a display fault must never stop the meter

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
            return [fit(codes.text(self._result_code)), fit(self._detail())]
        if entry.page >= 0 and ticks_diff(now, self._touch_ms) < _PAGE_MS:
            return self._page(entry.page, entry.subpage)
        return self._idle()

    def _detail(self):
        code = self._result_code
        v = self._result_value
        if code == codes.TOKEN_ACCEPTED or code == codes.EMERGENCY_TAKEN:
            return "+" + self._money(v)
        if code == codes.KEYPAD_LOCKED:
            return "WAIT %d:%02d" % (v // 60, v % 60)
        if code == codes.TOKEN_NOCUT:
            return "%d DAYS" % v
        return "CODE %d" % code

    def _idle(self):
        app = self.app
        m = app.meter
        line1 = _two("CREDIT", self._money(m.credit.credit_left()))
        if m.supply == policy.ARMED:
            return [line1, fit(codes.text(codes.ARMED))]
        if app.storage_code:
            return [line1, fit(codes.text(app.storage_code))]
        if not m.clock.trusted:
            return [line1, fit(codes.text(m.clock.code))]
        if app.hw.relay.failed:
            return [line1, fit(codes.text(codes.RELAY_FAILED))]
        nc = app.next_cut_minute()
        if nc >= 0 and (self._now_ms // _ALTERNATE_MS) % 2 == 0:
            return [line1, fit("CUT " + self._when(nc))]
        if m.reason == codes.SUPPLY_ON and m.warn_level:
            return [line1, fit(codes.text(codes.LOW_CREDIT_1 if m.warn_level == 1
                                          else codes.LOW_CREDIT_2))]
        if m.reason == codes.SUPPLY_ON and m.credit.ec_available():
            return [line1, fit(codes.text(codes.EMERGENCY_OFFER))]
        return [line1, fit(codes.text(m.reason))]

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
            if sub % 2 == 0:
                return [fit("BALANCE"), fit(self._money(c.balance))]
            return [fit("DEBT"), fit(self._money(c.debt))]
        if page == 1:
            if c.ec_active:
                return [fit("EMERGENCY ACTIVE"), fit("USED " + self._money(c.ec_used()))]
            avail = c.ec_available()
            if avail:
                return [fit("EMERGENCY " + money(avail)), fit("PRESS # TO TAKE")]
            return [fit("EMERGENCY CREDIT"), fit("NOT AVAILABLE")]
        if page == 2:
            if sub % 2 == 0:
                r = app.last_result
                if r is None:
                    return [fit("LAST TOKEN"), fit("NONE")]
                return [fit("LAST TOKEN"), fit(codes.text(r[1]))]
            nc = app.next_cut_minute()
            return [fit("NEXT CUT"), fit(self._when(nc) if nc >= 0 else "NONE PLANNED")]
        # page D: clock, error code, then the event log newest first
        if sub == 0:
            label = "CLOCK OK" if m.clock.trusted else "CLOCK E%d" % m.clock.code
            return [fit(label + " +-" + error_text(m.clock.error_s)), fit(self._when(m.minute))]
        if sub == 1:
            err = app.storage_code or (codes.RELAY_FAILED if app.hw.relay.failed else 0) or \
                (0 if m.clock.trusted else m.clock.code)
            return [fit("ERROR CODE %d" % err), fit(codes.text(err) if err else "NO ERROR")]
        events = app.log.newest(sub - 1)
        if len(events) < sub - 1:
            return [fit("END OF LOG"), fit("%d EVENTS" % len(events))]
        utc, trusted, mono, code, value = events[sub - 2]
        t = calendar.local_time(utc, app.cfg.tz_std_minutes * 60, app.cfg.tz_eu_dst)
        return [fit("E%d %02d/%02d %02d:%02d" % (code, t[2], t[1], t[3], t[4])),
                fit(codes.text(code))]
