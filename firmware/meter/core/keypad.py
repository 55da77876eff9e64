"""Keypad token entry: what the household's key presses mean (METER.md §7).

Keys are the one-character strings of the 4x4 keypad driver: "0"-"9", "*", "#", "A"-"D".
press(key, now_ms) returns one action; the caller (the app) acts on it and the LCD shows the
state (render(), page, subpage).  Time is the wrapping millisecond tick value passed in
(time.ticks_ms() on a board: 0 .. 2**30-1, differences read modulo 2**30 by ticks_diff()).

- A digit is appended to a preallocated 20-byte buffer (DIGIT).  A 21st digit is refused
  (IGNORED) and sets `overflow` until the next key, so the LCD can say so; the digits typed so
  far are kept.  A digit also closes any open page.
- "*" deletes the last digit (DELETE).  With no digits it closes an open page (NONE).
- "#" with digits submits them (SUBMIT): the entry is empty again at once (count 0, active()
  False), but digits() still returns the submitted digits until the next press() or clear(),
  so the caller reads them right after press() returns.  "#" with no digits returns HASH and
  leaves the page open: the caller closes an armed relay with it, or on page B (page 1) accepts
  the emergency credit offer.
- "A"-"D" open page 0-3 (PAGE); the open page's key again advances `subpage` (page D scrolls
  the event log; the display wraps subpage to what it has).  While digits are being typed the
  page keys are IGNORED: a slip of the finger must not throw away 15 typed digits.
- Anything else (other strings, other types, None) is IGNORED and changes nothing; press()
  never raises.
- 30 s (timeout_ms) after the last key the digits are discarded: tick(now_ms), which the app
  calls every keypad scan, then returns TIMEOUT once.  An open page closes silently 30 s
  (page_ms) after the last key.  press() applies an expiry tick() has not seen yet before it
  handles its key, so digits from a minute ago never join a new entry.
- Keypad lock (the lockout module decides it): the caller sets `locked_until_ms` to a tick
  value (0 .. 2**30-1); until then digits are IGNORED, while "*", "#" (reconnect!) and the pages
  still work.  Back to -1 (not locked) at the first press() or tick() at or after that tick.
  A lock must end within about 6 days (2**29 ms) of being set, and press() or tick() must run
  at least that often (the app ticks every 15 ms); the longest lockout (512 min) is far below.

Echo (render): up to 16 digits left-aligned, padded with spaces; 17-20 digits show as "<"
followed by the last 15 digits, so the household sees there are more than fit.  No grouping:
9-digit OpenPAYGO tokens would fit grouped, but 20-digit tokens do not, and one layout is
easier to compare with the printed receipt.

press(), tick() and render() allocate nothing; digits() builds its string (once per submit).
"""
from micropython import const

MAX_DIGITS = const(20)
WIDTH = const(16)                     # LCD line
TIMEOUT_MS = const(30000)
PAGE_MS = const(30000)
PAGES = const(4)

# Actions returned by press() and tick()
NONE = const(0)
DIGIT = const(1)
DELETE = const(2)
SUBMIT = const(3)
HASH = const(4)
PAGE = const(5)
IGNORED = const(6)
TIMEOUT = const(7)

_MASK = const(0x3FFFFFFF)
_HALF = const(0x20000000)
_PERIOD = const(0x40000000)
_SUBPAGE_WRAP = const(0x10000)
_ZERO = const(48)                     # ord("0")
_NINE = const(57)
_A = const(65)
_D = const(68)
_STAR = const(42)
_HASH = const(35)
_SPACE = const(32)
_MORE = const(60)                     # ord("<")


def ticks_diff(a, b):
    """a - b for wrapping millisecond ticks (like time.ticks_diff): -2**29 .. 2**29-1."""
    d = (a - b) & _MASK
    return d - _PERIOD if d & _HALF else d


class Entry:
    def __init__(self, timeout_ms=TIMEOUT_MS, page_ms=PAGE_MS):
        if timeout_ms < 1 or page_ms < 1 or timeout_ms >= _HALF or page_ms >= _HALF:
            raise ValueError("keypad timeouts")
        self.timeout_ms = timeout_ms
        self.page_ms = page_ms
        self._buf = bytearray(MAX_DIGITS)
        self.count = 0                # digits being typed
        self._submitted = 0           # digits of the last SUBMIT, readable until the next key
        self.page = -1                # open page 0-3 (keys A-D), -1: none
        self.subpage = 0
        self.overflow = False         # the last key was a digit refused by a full buffer
        self.locked_until_ms = -1     # tick value; digits are refused until then; -1: no lock
        self._last_ms = 0             # tick of the last key

    def clear(self):
        """Forgets the digits (typed and submitted) and closes the page."""
        self.count = 0
        self._submitted = 0
        self.page = -1
        self.subpage = 0
        self.overflow = False

    def active(self):
        """True while digits are being typed."""
        return self.count > 0

    def locked(self, now_ms):
        """True while `locked_until_ms` is in the future; clears an ended lock."""
        until = self.locked_until_ms
        if until < 0:
            return False
        if ticks_diff(now_ms, until) >= 0:
            self.locked_until_ms = -1
            return False
        return True

    def digits(self):
        """-> the digits being typed, or right after SUBMIT the submitted ones, as a str."""
        n = self.count if self.count else self._submitted
        return self._buf[:n].decode()

    def tick(self, now_ms):
        """Expires the entry and the page; -> TIMEOUT when typed digits were discarded."""
        self.locked(now_ms)
        if self.count == 0 and self.page < 0:
            return NONE
        idle = ticks_diff(now_ms, self._last_ms)
        if self.page >= 0 and idle >= self.page_ms:
            self.page = -1
            self.subpage = 0
        if self.count and idle >= self.timeout_ms:
            self.count = 0
            self.overflow = False
            return TIMEOUT
        return NONE

    def ms_to_expiry(self, now_ms):
        """Milliseconds until tick() will discard the digits or close the page (-1: neither
        is open)."""
        if self.count == 0 and self.page < 0:
            return -1
        limit = self.timeout_ms if self.count else self.page_ms
        left = limit - ticks_diff(now_ms, self._last_ms)
        return left if left > 0 else 0

    def press(self, key, now_ms):
        """One key -> NONE, DIGIT, DELETE, SUBMIT, HASH, PAGE or IGNORED."""
        if not isinstance(key, str) or len(key) != 1:
            return IGNORED
        c = ord(key)
        if not (_ZERO <= c <= _NINE or c == _STAR or c == _HASH or _A <= c <= _D):
            return IGNORED             # not a key of this keypad: no effect at all
        self.tick(now_ms)
        self._submitted = 0
        self.overflow = False
        if _ZERO <= c <= _NINE:
            if self.locked(now_ms):
                return IGNORED
            self._last_ms = now_ms
            n = self.count
            if n >= MAX_DIGITS:
                self.overflow = True
                return IGNORED
            self._buf[n] = c
            self.count = n + 1
            self.page = -1
            self.subpage = 0
            return DIGIT
        if c == _STAR:
            self._last_ms = now_ms
            if self.count:
                self.count -= 1
                return DELETE
            self.page = -1
            self.subpage = 0
            return NONE
        if c == _HASH:
            self._last_ms = now_ms
            if self.count:
                self._submitted = self.count
                self.count = 0
                return SUBMIT
            return HASH
        if _A <= c <= _D:
            if self.count:
                return IGNORED
            self._last_ms = now_ms
            p = c - _A
            if p == self.page:
                s = self.subpage + 1
                self.subpage = s if s < _SUBPAGE_WRAP else 0
            else:
                self.page = p
                self.subpage = 0
            return PAGE
        return IGNORED

    def render(self, buf):
        """Writes the entry line into buf[0:16] (printable ASCII, space padded)."""
        if len(buf) < WIDTH:
            raise ValueError("render needs 16 bytes")
        n = self.count
        src = self._buf
        if n > WIDTH:
            buf[0] = _MORE
            start = n - (WIDTH - 1)
            for i in range(1, WIDTH):
                buf[i] = src[start + i - 1]
            return
        for i in range(n):
            buf[i] = src[i]
        for i in range(n, WIDTH):
            buf[i] = _SPACE
