"""Keypad entry under random key and time sequences (hypothesis), against a plain model that
uses unwrapped time and Python lists: the entry never raises, never holds more than 20 digits,
always renders exactly 16 bytes of printable ASCII, and agrees with the model on every action,
every digit string and every rendered line while the ticks it is given wrap at 2**30."""
from hypothesis import given, settings
from hypothesis import strategies as st

from meter.core import keypad as K
from meter.core.keypad import Entry

WRAP = 1 << 30
HALF = 1 << 29
KEYS = "0123456789*#ABCD"


class Model:
    """METER.md §7 keypad entry written the obvious way, on absolute (unwrapped) time."""

    def __init__(self, timeout_ms, page_ms):
        self.timeout_ms = timeout_ms
        self.page_ms = page_ms
        self.digits = []
        self.submitted = ""
        self.page = -1
        self.subpage = 0
        self.overflow = False
        self.last = 0
        self.lock_until = None

    def expire(self, t):
        if self.page >= 0 and t - self.last >= self.page_ms:
            self.page, self.subpage = -1, 0
        if self.digits and t - self.last >= self.timeout_ms:
            self.digits = []
            self.overflow = False
            return K.TIMEOUT
        return K.NONE

    def tick(self, t):
        if self.lock_until is not None and t >= self.lock_until:
            self.lock_until = None
        return self.expire(t)

    def press(self, k, t):
        if not isinstance(k, str) or len(k) != 1 or k not in KEYS:
            return K.IGNORED
        self.tick(t)
        self.submitted = ""
        self.overflow = False
        if k.isdigit():
            if self.lock_until is not None:
                return K.IGNORED
            self.last = t
            if len(self.digits) == 20:
                self.overflow = True
                return K.IGNORED
            self.digits.append(k)
            self.page, self.subpage = -1, 0
            return K.DIGIT
        if k == "*":
            self.last = t
            if self.digits:
                self.digits.pop()
                return K.DELETE
            self.page, self.subpage = -1, 0
            return K.NONE
        if k == "#":
            self.last = t
            if self.digits:
                self.submitted = "".join(self.digits)
                self.digits = []
                return K.SUBMIT
            return K.HASH
        if self.digits:
            return K.IGNORED
        self.last = t
        p = "ABCD".index(k)
        if p == self.page:
            self.subpage = (self.subpage + 1) % 0x10000
        else:
            self.page, self.subpage = p, 0
        return K.PAGE

    def line(self):
        d = "".join(self.digits)
        if len(d) > 16:
            return "<" + d[-15:]
        return d.ljust(16)

    def shown_digits(self):
        return "".join(self.digits) if self.digits else self.submitted


JUNK = st.one_of(st.text(max_size=3), st.none(), st.integers(-5, 300), st.binary(max_size=2),
                 st.sampled_from(["E", "a", "d", "\u00e9", "\x00", "**", "0 ", ""]))
EVENT = st.one_of(
    st.tuples(st.just("key"), st.sampled_from(KEYS)),
    st.tuples(st.just("key"), st.sampled_from(KEYS)),
    st.tuples(st.just("key"), st.sampled_from("0123456789")),
    st.tuples(st.just("key"), JUNK),
    st.tuples(st.just("type"), st.text(alphabet="0123456789", min_size=1, max_size=22)),
    st.tuples(st.just("tick"), st.none()),
    st.tuples(st.just("lock"), st.integers(1, 200000)),
    st.tuples(st.just("clear"), st.none()),
)
# Mostly key-to-key gaps; sometimes past a timeout; rarely a jump of almost 6 days.  Ticks read
# modulo 2**30 can only tell apart intervals below 2**29 ms, so a jump leaves room for the up
# to 35 s since the last key (the app ticks every 15 ms: real gaps are tiny).
# Exact timeout lengths and one below hit the boundaries.
DT = st.one_of(st.integers(0, 2000), st.integers(0, 2000), st.integers(25000, 35000),
               st.sampled_from([4999, 5000, 19999, 20000, 29999, 30000]),
               st.integers(0, HALF - 40000))


@settings(max_examples=400, deadline=None)
@given(start=st.integers(0, WRAP - 1),
       timeouts=st.sampled_from([(30000, 30000), (5000, 20000), (20000, 5000)]),
       steps=st.lists(st.tuples(DT, EVENT), max_size=120))
def test_entry_matches_model(start, timeouts, steps):
    e = Entry(*timeouts)
    m = Model(*timeouts)
    t = start
    buf = bytearray(b"\xff" * 20)
    for dt, (kind, arg) in steps:
        t += dt
        now = t % WRAP
        if kind == "key":
            assert e.press(arg, now) == m.press(arg, t), (arg, t)
            if not (isinstance(arg, str) and len(arg) == 1 and arg in KEYS):
                assert e.tick(now) == m.tick(t)  # junk changes nothing; the app ticks anyway
        elif kind == "type":                      # a burst of digits, 100 ms apart
            for ch in arg:
                assert e.press(ch, t % WRAP) == m.press(ch, t)
                t += 100
        elif kind == "tick":
            assert e.tick(now) == m.tick(t)
        elif kind == "lock":
            assert e.tick(now) == m.tick(t)      # the app ticks all the time
            e.locked_until_ms = (t + arg) % WRAP
            m.lock_until = t + arg
        else:
            assert e.tick(now) == m.tick(t)
            e.clear()
            m.digits, m.submitted, m.page, m.subpage, m.overflow = [], "", -1, 0, False
        assert 0 <= e.count <= 20
        assert e.count == len(m.digits)
        assert e.active() == bool(m.digits)
        assert e.digits() == m.shown_digits()
        assert (e.page, e.subpage) == (m.page, m.subpage)
        assert e.overflow == m.overflow
        e.render(buf)
        assert all(32 <= b < 127 for b in buf[:16]), bytes(buf)
        assert buf[16:] == b"\xff" * 4
        assert buf[:16].decode() == m.line()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(-(1 << 40), 1 << 40),
                          st.one_of(JUNK, st.sampled_from(KEYS))), max_size=80))
def test_never_raises_on_any_input(steps):
    """Whatever arrives (even tick values outside the 30-bit range), no exception escapes."""
    e = Entry()
    buf = bytearray(16)
    for now, k in steps:
        e.press(k, now)
        e.tick(now)
        assert 0 <= e.count <= 20
        e.render(buf)
        assert len(buf) == 16 and all(32 <= b < 127 for b in buf)
        e.digits()


@given(st.text(alphabet="0123456789", min_size=0, max_size=30))
def test_typed_then_submitted(token):
    e = Entry()
    for i, ch in enumerate(token):
        e.press(ch, i)
    kept = token[:20]
    assert e.digits() == kept
    assert e.press("#", len(token)) == (K.SUBMIT if kept else K.HASH)
    assert e.digits() == kept
    assert not e.active()
