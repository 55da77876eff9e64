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

from meter import overlay
from meter.core import calendar, policy
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
_RELAY_FAILED = const(60)
_CONFIG_ERROR = const(129)

_TEXTS_KEPT = const(6)          # LCD texts the idle screen keeps (it alternates 2-3)
_RESULT_MS = const(5000)
_PAGE_MS = const(30000)
_ALTERNATE_MS = const(3000)


def money(cents, currency=""):
    sign = "-" if cents < 0 else ""
    cents = -cents if cents < 0 else cents
    return "%s%d.%02d%s" % (sign, cents // 100, cents % 100, currency)


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
        self._pages_in = False           # meter.displaypages loaded (a page or a result shown)
        self._texts = {}                 # code -> LCD text, of the codes shown lately

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
            self._pages_go()
            entry.render(self._buf)
            return [fit("TOKEN %d DIGITS" % entry.count), self._buf.decode()]
        if self._result_code >= 0 and ticks_diff(now, self._result_ms) < _RESULT_MS:
            split = self._result_split
            if split is not None:
                cur = app.cfg.currency
                return [_amount_line(split[0], cur, "CREDIT"), _amount_line(split[1], cur, "DEBT")]
            return [fit(self._text(self._result_code)), fit(self._pages().detail(self))]
        if entry.page >= 0 and ticks_diff(now, self._touch_ms) < _PAGE_MS:
            return self._pages().page(self, entry.page, entry.subpage)
        self._pages_go()
        return self._idle()

    def _text(self, code):
        """The LCD text of a code, for the idle lines and the pages alike.  The table
        (meter/core/codetext.py, 2 KB of a board's heap on the deploy path) is loaded only when
        a code not shown lately comes up, and released after (issue 11), or with the pages
        while one is shown (page D looks up a code per event); the few texts the idle screen
        alternates are kept."""
        t = self._texts.get(code)
        if t is None:
            from meter.core import codetext
            try:
                t = codetext.text(code)
            finally:
                if not self._pages_in:
                    overlay.release(("meter.core.codetext",))
            if len(self._texts) >= _TEXTS_KEPT:
                self._texts.clear()
            self._texts[code] = t
        return t

    def _pages(self):
        """The pages and token results (meter/displaypages.py): loaded while one is shown and
        released when the LCD is back at its idle lines (issue 11; ~30 ms on a board, at the
        key press that asks for it).  The module is not kept here: the world model deep-copies
        the app."""
        from meter import displaypages
        self._pages_in = True
        return displaypages

    def _pages_go(self):
        if self._pages_in:
            self._pages_in = False
            overlay.release(("meter.displaypages", "meter.eventread", "meter.core.codetext"))

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
                return [line1, fit(self._text(_EMERGENCY_OFFER))]
            if phase > 1:
                phase -= 1
        if bad_cfg and phase == 1:
            return [line1, fit(self._text(_CONFIG_ERROR))]
        if armed:
            return [line1, fit(self._text(_ARMED))]
        return [line1, fit(self._main_line())]

    def _main_line(self):
        app = self.app
        m = app.meter
        if app.storage_code:
            return self._text(app.storage_code)
        if app.fault_code:
            return self._text(app.fault_code)
        if not m.clock.trusted:
            return self._text(m.clock.code)
        if app.hw.relay.failed:
            return self._text(_RELAY_FAILED)
        if m.reason == _SUPPLY_ON and m.warn_level:
            return self._text(_LOW_CREDIT_1 if m.warn_level == 1 else _LOW_CREDIT_2)
        return self._text(m.reason)

    def _when(self, minute):
        cfg = self.app.cfg
        t = calendar.local_time(EPOCH_2000_UNIX + minute * 60, cfg.tz_std_minutes * 60,
                                cfg.tz_eu_dst)
        return "%02d/%02d %02d:%02d" % (t[2], t[1], t[3], t[4])

