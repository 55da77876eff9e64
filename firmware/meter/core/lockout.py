"""Keypad lockout after wrong tokens (METER.md §7).

Every `tries` (3) INVALID tokens lock the keypad: the first lock lasts 60 s and each further lock
twice as long as the one before, up to `cap_s` (default 30720 s = 512 min; configuration
`lockout_cap_s`).  A valid token ends the lock history (level 0).  USED and OLD results are not
reported here: they carried a valid MAC, so they say nothing about guessing.  While locked the
keypad takes no token; invalid() called then is ignored.

Time: `now` is whole seconds (>= 0) on the meter's own clock, which must keep counting across
a reboot: the core's seconds since 2000 (minute * 60 + second, which carries on with the tick
counter when the RTC does not answer).  The lock end and level are stored in the meter's atomic
record (to_bytes/from_bytes, fixed SIZE), so a power cut neither ends nor restarts a lock.  A lock
whose remaining time is longer than its own length (the clock went back, or restarted at 0) is
clamped to that length at the next locked_for(): nobody is locked out longer than the level
says, and cutting power never unlocks early.  A clock moved forward shortens a lock; only an
authenticated token can move this meter's clock forward.
"""
import struct

from micropython import const

TRIES = const(3)
FIRST_S = const(60)
CAP_S = const(30720)                 # 512 min
_LEVEL_LIMIT = const(40)             # far above any level a sane cap reaches
_FMT = "<BBq"                        # level, failures, lock end (0 = not locked)
SIZE = const(10)


class Lockout:
    def __init__(self, cap_s=CAP_S, tries=TRIES, first_s=FIRST_S):
        if first_s < 1 or cap_s < first_s or tries < 1:
            raise ValueError("lockout settings")
        self.cap_s = cap_s
        self.tries = tries
        self.first_s = first_s
        self.level = 0          # locks since the last valid token; the current lock's number
        self.failures = 0       # invalid tokens since the last lock
        self.until = 0          # when the current lock ends; 0 = not locked
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

    def locked_for(self, now):
        """-> seconds the keypad stays locked (0: not locked).  Allocation-free when not
        locked."""
        if self.until == 0:
            return 0
        left = self.until - now
        if left <= 0:
            self.until = 0
            return 0
        n = self.length(self.level)
        if left > n:
            self.until = now + n
            left = n
        return left

    def invalid(self, now):
        """Counts an INVALID token; -> seconds of the lock it starts (or still running), else 0."""
        left = self.locked_for(now)
        if left:
            return left
        self.failures += 1
        if self.failures < self.tries:
            return 0
        self.failures = 0
        if self.level < self.top_level:
            self.level += 1
        n = self.length(self.level)
        self.until = now + n
        return n

    def valid(self, now=0):
        """A valid token: no lock, no history."""
        self.level = 0
        self.failures = 0
        self.until = 0

    def to_bytes(self):
        return struct.pack(_FMT, self.level, self.failures, self.until)

    def from_bytes(self, data):
        """Loads a to_bytes() image; ValueError (and self unchanged) when it is not one.  A level
        above this cap's top (the cap was lowered) becomes the top level."""
        if len(data) != SIZE:
            raise ValueError("lockout: %d bytes" % len(data))
        level, failures, until = struct.unpack(_FMT, bytes(data))
        if level > _LEVEL_LIMIT or failures >= self.tries or until < 0:
            raise ValueError("lockout: bad state")
        if level == 0 and until != 0:
            raise ValueError("lockout: lock without level")
        self.level = level if level < self.top_level else self.top_level
        self.failures = failures
        self.until = until
