"""Keypad lockout after wrong tokens (METER.md §7; docs/tokens.md "Lockout").

Every `tries` INVALID tokens lock the keypad: lock number 1 lasts `first_s`, each further lock
twice as long as the one before, up to `cap_s`.  The lock level is a wrong-entry counter that a
valid token does NOT wipe (a household holding valid tokens must not buy fresh guesses with
them); it decays instead: one level, or else the pending failures, for every `cap_s` seconds
without an invalid entry.  USED and OLD results are not reported here (they carried a valid
MAC).  While locked the keypad takes no token; invalid() called then is ignored.

Time is the monotonic seconds counter only (`mono_s`, seconds since boot), never the RTC: a
clock set back or forward neither ends nor stretches a lock.  What is left of the lock and the
calm time towards the next decay are stored in the meter's atomic record (to_bytes/from_bytes,
fixed SIZE) and only powered time counts them down: after a reboot they go on from the last
committed record (the time since that commit, and any time without power, does not count, so a
power cut never unlocks early and never speeds up a decay).

Forging bound (docs/tokens.md): each lock but the first `top_level` needs a decay, a decay
needs `cap_s` seconds without an invalid entry, so T powered seconds allow at most
tries * (top_level + T / cap_s + 1) + tries - 1 invalid entries.
"""
import struct

from micropython import const

TRIES = const(3)
FIRST_S = const(60)
CAP_S = const(30720)                 # 512 min
_LEVEL_LIMIT = const(40)             # far above any level a sane cap reaches
_FMT = "<BBII"                       # level, failures, seconds of lock left, calm seconds
SIZE = const(10)


class Lockout:
    def __init__(self, cap_s=CAP_S, tries=TRIES, first_s=FIRST_S):
        if first_s < 1 or cap_s < first_s or tries < 1:
            raise ValueError("lockout settings")
        self.cap_s = cap_s
        self.tries = tries
        self.first_s = first_s
        self.level = 0          # the wrong-entry counter: the current (or last) lock's number
        self.failures = 0       # invalid tokens since the last lock
        self.left = 0           # seconds the current lock still runs (powered time)
        self.calm = 0           # powered seconds since the last invalid entry or decay
        self._mono = 0          # mono_s the state was brought up to (the counter starts at boot)
        top = 1
        s = first_s
        while s < cap_s:
            s *= 2
            top += 1
        self.top_level = top    # the first level whose lock lasts cap_s

    def length(self, level):
        """-> seconds of lock number `level` (1-based): first_s doubled, capped."""
        if level < 1:
            return 0
        s = self.first_s
        for _ in range(1, level):
            s *= 2
            if s >= self.cap_s:
                return self.cap_s
        return s if s < self.cap_s else self.cap_s

    def advance(self, mono_s):
        """Brings the lock and the decay up to monotonic second mono_s (seconds since boot: a
        Lockout is made, and loaded, at boot); an older mono_s is ignored.  Allocation-free."""
        dt = mono_s - self._mono
        if dt <= 0:
            return
        self._mono = mono_s
        left = self.left - dt
        self.left = left if left > 0 else 0
        if self.level == 0 and self.failures == 0:
            self.calm = 0
            return
        calm = self.calm + dt
        while calm >= self.cap_s:
            calm -= self.cap_s
            if self.level > 0:
                self.level -= 1
            else:
                self.failures = 0
            if self.level == 0 and self.failures == 0:
                calm = 0
        self.calm = calm

    def locked_for(self, mono_s):
        """-> seconds the keypad stays locked (0: not locked)."""
        self.advance(mono_s)
        return self.left

    def invalid(self, mono_s):
        """Counts an INVALID token; -> seconds of the lock it starts (or still running), else 0."""
        self.advance(mono_s)
        if self.left:
            return self.left
        self.calm = 0
        self.failures += 1
        if self.failures < self.tries:
            return 0
        self.failures = 0
        if self.level < self.top_level:
            self.level += 1
        self.left = self.length(self.level)
        return self.left

    def to_bytes(self):
        return struct.pack(_FMT, self.level, self.failures, self.left, self.calm)

    def from_bytes(self, data):
        """Loads a to_bytes() image; ValueError (and self unchanged) when it is not one.  A level
        above this cap's top (the cap was lowered) becomes the top level; a lock longer than its
        level allows is cut to that length.  (Records of firmware 0.1.0 stored the lock end in
        RTC seconds, "<BBq": read this way, such an end becomes a full lock of its level and no
        calm time, the safe reading.)"""
        if len(data) != SIZE:
            raise ValueError("lockout: %d bytes" % len(data))
        level, failures, left, calm = struct.unpack(_FMT, bytes(data))
        if level > _LEVEL_LIMIT or failures >= self.tries:
            raise ValueError("lockout: bad state")
        if level == 0 and left != 0:
            raise ValueError("lockout: lock without level")
        self.level = level if level < self.top_level else self.top_level
        self.failures = failures
        n = self.length(self.level)
        self.left = left if left < n else n
        self.calm = calm if calm < self.cap_s else self.cap_s - 1
