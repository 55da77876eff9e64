"""Replay memory for native tokens (METER.md §7): each token id is accepted once.

The memory holds the ids of the newest SLOTS (32) accepted tokens and a floor.  A token whose id
is in the memory is USED; one whose id is below the floor is OLD; anything else may be accepted,
in any order.  While fewer than SLOTS tokens have been accepted the floor is 0, so nothing is
OLD.  Once the memory is full, accepting a token forgets the oldest remembered id and the floor
rises just above it: a bought but unused token stays good until SLOTS newer tokens have been
accepted (docs/tokens.md, "Replay window").

Ids are relative to the meter's base date, so a key change (new key, maybe a new base) clears
the memory; no token made under the old key verifies under the new one.

The memory lives in the meter's atomic record: to_bytes()/from_bytes() give a fixed SIZE.
check() and remember() do not allocate.
"""
import struct

from micropython import const

# codes this module gives (meter.core.codes, docs/codes.md), compiled in as constants:
# a board keeps no name for them (issue 11); host_tests/test_codes.py holds each to
# its number in meter.core.codes
_TOKEN_USED = const(42)
_TOKEN_OLD = const(43)


SLOTS = const(32)
_EMPTY = const(-1)
_ID_LIMIT = const(16777216)          # token ids are 24 bits (meter.core.token.ID_LIMIT)
_FMT = "<i32i"                       # floor, then SLOTS ids (-1 = empty slot)
SIZE = const(132)


class Replay:
    def __init__(self):
        self.ids = [_EMPTY] * SLOTS
        self.floor = 0

    def clear(self):
        """Forgets every id (key change)."""
        for i in range(SLOTS):
            self.ids[i] = _EMPTY
        self.floor = 0

    def check(self, token_id):
        """-> 0 when token_id may be accepted, _TOKEN_OLD or _TOKEN_USED."""
        if token_id < self.floor:
            return _TOKEN_OLD
        ids = self.ids
        for i in range(SLOTS):
            if ids[i] == token_id:
                return _TOKEN_USED
        return 0

    def remember(self, token_id):
        """Records an accepted token id; -> 0, or check()'s code (memory unchanged) when the id
        is USED or OLD.  When the memory is full the oldest id is forgotten and the floor rises
        above it."""
        if not 0 <= token_id < _ID_LIMIT:
            raise ValueError("token id out of range")
        code = self.check(token_id)
        if code:
            return code
        ids = self.ids
        low = 0
        for i in range(SLOTS):
            if ids[i] == _EMPTY:
                ids[i] = token_id
                return 0
            if ids[i] < ids[low]:
                low = i
        if token_id < ids[low]:
            self.floor = token_id + 1        # older than everything remembered: at once OLD
        else:
            self.floor = ids[low] + 1
            ids[low] = token_id
        return 0

    def count(self):
        n = 0
        for i in range(SLOTS):
            if self.ids[i] != _EMPTY:
                n += 1
        return n

    def to_bytes(self):
        return struct.pack(_FMT, self.floor, *self.ids)

    def from_bytes(self, data):
        """Loads a to_bytes() image; ValueError (and self unchanged) when it is not one."""
        if len(data) != SIZE:
            raise ValueError("replay memory: %d bytes" % len(data))
        values = struct.unpack(_FMT, bytes(data))
        floor = values[0]
        if not 0 <= floor <= _ID_LIMIT:
            raise ValueError("replay memory: bad floor")
        ids = values[1:]
        for i in range(SLOTS):
            t = ids[i]
            if t == _EMPTY:
                continue
            if not floor <= t < _ID_LIMIT:
                raise ValueError("replay memory: bad id")
            for j in range(i):
                if ids[j] == t:
                    raise ValueError("replay memory: duplicate id")
        self.floor = floor
        for i in range(SLOTS):
            self.ids[i] = ids[i]
