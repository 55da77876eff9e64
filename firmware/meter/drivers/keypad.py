"""4x4 matrix keypad, scanned by polling (METER.md §2, §7).

Wiring: the 4 row pins are open-drain outputs created released (`Pin(n, Pin.OPEN_DRAIN,
value=1)`), the 4 column pins inputs with pull-ups (`Pin(n, Pin.IN, Pin.PULL_UP)`).  A scan
pulls one row low at a time with the others released (high impedance), so two keys pressed in
one column can never short two driven rows together.  MicroPython's interpreter takes several
microseconds between driving a row and reading the columns, enough for the lines to settle.

scan(now_ms) builds a 16-bit bitmap of closed contacts (bit row*4+col).  Debouncing happens
only on change: a bitmap that differs from the accepted one must read the same on at least 2
consecutive scans spanning at least debounce_ms (20 ms) before it is accepted; a steady
keypad costs nothing but the scan.  The app must call scan() at 50 Hz or faster (every 20 ms or
less; the app's keypad task uses 15 ms), otherwise presses shorter than two scan periods are
lost.

Ghosting: without diodes, three keys on the corners of a rectangle make the fourth corner read
as pressed.  A bitmap in which two rows share two or more columns is ambiguous, so it is
ignored (the accepted state stays as it was) until the keys are released.

Each newly pressed key (a 0 -> 1 bit in the accepted bitmap) goes into a preallocated ring of
key indices, in index order when several arrive in the same scan; get_key() pops them as the
one-character strings of `keys`, created once.  A full ring drops the newest key (counted in
`dropped`): the app reads keys every scan, so that needs a stalled app.  scan() and get_key()
allocate nothing.
"""
from micropython import const

from meter.drivers.ticks import diff

_KEYS = const(16)


class Keypad4x4:
    def __init__(self, rows, cols, keys="123A456B789C*0#D", debounce_ms=20, min_scans=2,
                 buffer=16):
        if len(rows) != 4 or len(cols) != 4 or len(keys) != _KEYS:
            raise ValueError("keypad is 4x4")
        self._rows = tuple(rows)
        self._cols = tuple(cols)
        self._chars = tuple(keys[i] for i in range(_KEYS))
        self.debounce_ms = debounce_ms
        self._min_scans = min_scans
        self.stable = 0                  # accepted bitmap of pressed keys
        self.ghosts = 0                  # ambiguous scans ignored (diagnostics)
        self.dropped = 0                 # keys lost to a full ring
        self._candidate = 0
        self._seen = 0                   # consecutive scans the candidate has read the same
        self._since = 0                  # tick of the candidate's first scan
        self._ring = bytearray(buffer)
        self._head = 0
        self._count = 0
        for pin in self._rows:
            pin.value(1)                 # released

    def read_raw(self):
        """One pass over the matrix -> bitmap (bit row*4+col set while that key is closed)."""
        bits = 0
        cols = self._cols
        shift = 0
        for row in self._rows:
            row.value(0)
            if not cols[0].value():
                bits |= 1 << shift
            if not cols[1].value():
                bits |= 2 << shift
            if not cols[2].value():
                bits |= 4 << shift
            if not cols[3].value():
                bits |= 8 << shift
            row.value(1)
            shift += 4
        return bits

    def scan(self, now_ms):
        """Scans the matrix once; debounces changes; queues new key presses."""
        raw = self.read_raw()
        if raw == self.stable:
            self._seen = 0
            return
        if _ambiguous(raw):
            self.ghosts += 1
            self._seen = 0
            return
        if raw != self._candidate or self._seen == 0:
            self._candidate = raw
            self._since = now_ms
            self._seen = 1
            return
        self._seen += 1
        if self._seen < self._min_scans or diff(now_ms, self._since) < self.debounce_ms:
            return
        new = raw & ~self.stable
        self.stable = raw
        self._seen = 0
        index = 0
        while new:
            if new & 1:
                self._push(index)
            new >>= 1
            index += 1

    def _push(self, index):
        ring = self._ring
        size = len(ring)
        if self._count >= size:
            self.dropped += 1
            return
        ring[(self._head + self._count) % size] = index
        self._count += 1

    def get_key(self):
        """The oldest unread key press as a one-character string, or None."""
        if self._count == 0:
            return None
        index = self._ring[self._head]
        self._head = (self._head + 1) % len(self._ring)
        self._count -= 1
        return self._chars[index]

    def pending(self):
        return self._count

    def is_down(self, char):
        """True while the key (by its character) is held, after debouncing."""
        for i in range(_KEYS):
            if self._chars[i] == char:
                return bool(self.stable & (1 << i))
        return False

    def clear(self):
        self._head = 0
        self._count = 0


def _ambiguous(bits):
    """True if two rows share two or more columns: a possible ghost key."""
    r0 = bits & 15
    r1 = (bits >> 4) & 15
    r2 = (bits >> 8) & 15
    r3 = (bits >> 12) & 15
    return (_two(r0 & r1) or _two(r0 & r2) or _two(r0 & r3) or _two(r1 & r2)
            or _two(r1 & r3) or _two(r2 & r3))


def _two(x):
    return x & (x - 1) != 0
