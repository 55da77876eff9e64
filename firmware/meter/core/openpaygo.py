"""OpenPAYGO Token decoder: standard 9-digit tokens (and their 15-digit restricted-digit form),
accepting and rejecting exactly as the reference Python package `openpaygo` does.

How a token works (OpenPAYGO Token standard): the last three digits carry the value, offset by
the last three digits of the device's starting code; the first six digits authenticate it.
They come from a chain of codes: code 0 is the starting code with the token's last three digits
put in, and each next code is a SipHash-2-4 of the previous one under the device key.  A token
made at count n shows the first six digits of code n.  Even counts are Add tokens, odd counts
are Set, Disable (value 998) or Counter-sync (value 999) tokens.

The decoder walks the chain until it finds the token, so its cost grows with the count.  The
reference starts every search at count 0; this one keeps a few chain positions in RAM (per
token value, since the value picks the chain), taken at the lowest count that could still be
accepted, and starts there when it can.  A repeated top-up amount then costs a few dozen hashes
instead of one per count ever used.  The positions are never persisted and never change a
decision: a search that fails from a remembered position scans the skipped counts too, because
a match down there makes the answer USED rather than INVALID, as in the reference.

Decisions, for a token found at count n with state (last, used) (see docs/openpaygo.md):
- value 999 (counter sync): accepted if n > last - 64 and n <= last + 100.
- otherwise accepted if last < n <= last + 64, or, for an even count (an Add token), if
  last - 16 < n <= last and n is not marked used.
- found but not accepted: USED; not found: INVALID; wrong length or a non-digit: INVALID.
On acceptance the used marks follow the reference's used-count list; the counter only moves up
(the reference's device simulator also moves it down for a sync token, which would let a
replayed sync token re-open used Add tokens: we do not).

The caller applies the meaning of a value (one unit = a configured amount of credit).

Bounded work on a board (issue 11: a cold decode at count 1,000 took 4.3 s on the Pico, and
at about 2,000 one decode outlasted the 8 s watchdog).  A meter attaches the VALUE TABLE: the
chain code of every one of the 1,000 token values at one count T, kept by the app just below
the counter (T = last - 15, the lowest count an Add token can still be accepted at) by
advancing it a few hashes at a time in the background (table_advance), and saved on flash so
that a reboot keeps it (table_bytes / table_load).  At count 0 the table needs no hash at all
(code 0 of a value is the starting code with the value's digits put in), so it never has to be
rebuilt from nothing unless its file is lost.  A decode then starts at T: at most
_MAX_JUMP + _OLDER (80) hashes, or 116 for a counter-sync token, at any count.  What the table
gives up, deliberately: a token that matches only at a count below T (a token already used
long ago, or a counter-sync token between last - 63 and last - 16) answers INVALID instead of
the reference's USED; finding it would mean walking the chain from count 0.  Without a table
(tests, the simulator) the decoder decides exactly as the reference.
"""
import array
import struct

from micropython import const

from meter.core.siphash import fold_word, key_state, siphash24

# Kinds returned by decode(); the numbers match the reference's TokenType where it has one.
ADD = const(1)          # add value units of credit (even count)
SET = const(2)          # set credit to value units (odd count)
DISABLE = const(3)      # value 998: the standard's "PAYG disable" (unlock for good)
SYNC = const(4)         # value 999: counter sync, moves the counter only
UNDEFINED = const(5)    # values 996 and 997: authentic and used up, but the standard gives them
                        # no meaning (no conforming encoder makes them); the caller does nothing
INVALID = const(10)
USED = const(11)
BUSY = const(12)        # the value table on flash could not be read or is not this one: not
                        # checked (no decision, no strike); the caller reloads the table

_MAX_VALUE = const(995)
_DISABLE_VALUE = const(998)
_SYNC_VALUE = const(999)
_MAX_JUMP = const(64)           # how far above the counter a token may be
_MAX_JUMP_SYNC = const(100)     # ... a counter-sync token
_OLDER = const(16)              # older unused Add tokens accepted: counts last-15 .. last
_WINDOW_BITS = const(0xFFFF)    # one bit per count last .. last-15
_CODE_MAX = const(999999999)    # codes are folded into 9 digits:
_CODE_FOLD = const(73741825)    # the standard subtracts this (2**30 - 10**9 + 1) above _CODE_MAX
_MAX_COUNT = const(0x3FFF0000)  # keeps every count a small int on 32-bit ports
_CHECKPOINTS = const(4)         # chain positions remembered in RAM
_VALUES = const(1000)           # chains in the value table: one per last-three-digits
_TABLE_HEAD = "<III"            # count, key fingerprint, starting code

STATE_SIZE = const(6)           # bytes of OpenPaygoState.to_bytes()


class OpenPaygoState:
    """The decoder's persistent memory, stored in the meter's atomic record.

    last_count: the highest count accepted (the device counter; starts at 1, as in the
    reference's device simulator).  used: bit i set means count last_count - i was used, for
    i in 0..15 -- the only older counts the decision ever asks about.
    """

    def __init__(self, last_count=1, used=0):
        if not 0 <= last_count <= _MAX_COUNT:
            raise ValueError("OpenPAYGO count out of range")
        self.last_count = last_count
        self.used = _canonical(last_count, used)

    def is_used(self, count):
        i = self.last_count - count
        return 0 <= i < _OLDER and (self.used >> i) & 1 == 1

    def to_bytes(self):
        return struct.pack("<IH", self.last_count, self.used)

    def from_bytes(self, data):
        """Loads a record made by to_bytes() into this state (and returns it); a record of the
        wrong length or out of range raises ValueError and leaves the state as it was."""
        if len(data) != STATE_SIZE:
            raise ValueError("OpenPAYGO state must be %d bytes" % STATE_SIZE)
        last_count, used = struct.unpack("<IH", bytes(data))
        if last_count > _MAX_COUNT:
            raise ValueError("OpenPAYGO count out of range")
        self.last_count = last_count
        self.used = _canonical(last_count, used)
        return self

    def __eq__(self, other):
        return (isinstance(other, OpenPaygoState) and self.last_count == other.last_count
                and self.used == other.used)

    def __repr__(self):
        return "OpenPaygoState(%d, 0x%04x)" % (self.last_count, self.used)

    def _mark(self, count, all_used):
        """Records an accepted count like the reference's used-count list: the counts of
        [highest - 16, highest] that were used, where highest is the highest count used so far;
        all of them after anything but a plain Add token."""
        last = self.last_count
        used = self.used
        if count > last:
            shift = count - last
            used = (used << shift) & _WINDOW_BITS if shift < _OLDER else 0
            last = count
            used = _WINDOW_BITS if all_used else used | 1
        elif all_used:
            # the highest used count is the newest marked one, or this one if none is higher
            top = count
            for i in range(last - count):
                if i >= _OLDER:
                    break
                if (used >> i) & 1:
                    top = last - i
                    break
            below = last - top      # bits from here up are counts <= top
            if below < _OLDER:
                used |= _WINDOW_BITS ^ ((1 << below) - 1)
        else:
            used |= 1 << (last - count)
        self.last_count = last
        self.used = _canonical(last, used)


def _canonical(last_count, used):
    # bits for counts below 0 are never asked about; clearing them keeps equal states equal
    used &= _WINDOW_BITS
    if last_count < _OLDER - 1:
        used &= (1 << (last_count + 1)) - 1
    return used


def starting_code_from_key(key):
    """The starting code the standard derives from the key when none is configured."""
    d = siphash24(key, key)
    folded = int.from_bytes(d[0:4], "little") ^ int.from_bytes(d[4:8], "little")
    code = (folded >> 2) & 0x3FFFFFFF
    if code > _CODE_MAX:
        code -= _CODE_FOLD
    return code


class OpenPaygoDecoder:
    """One device's decoder: key (16 bytes), starting code (0 or None: derived from the key,
    as the reference does), restricted (tokens typed with digits 1-4 only, 15 digits).
    Keep one instance: it holds the prepared key and the RAM chain positions."""

    def __init__(self, key, starting_code=0, restricted=False):
        self._ks = key_state(key)
        if not starting_code:
            starting_code = starting_code_from_key(key)
        if not 0 <= starting_code <= _CODE_MAX:
            raise ValueError("OpenPAYGO starting code must have at most 9 digits")
        self._start_base = starting_code % 1000
        self._start_top = starting_code - self._start_base
        self._restricted = restricted
        # chain positions: token last-three-digits, count, code; base -1 = empty slot
        # (one list of base, count, code per slot: each attribute name is a qstr for good)
        self._cp = [-1, 0, 0] * _CHECKPOINTS
        self._cp_next = 0
        self._starting_code = starting_code
        self._tab = None               # the value table (see the module doc), or None
        self._tab_count = 0            # the count of entries >= _tab_cursor
        self._tab_cursor = 0           # entries below it are at _tab_count + 1 already
        self._parked = False           # the table is at rest in its file, not in RAM
        self._fp = -1                  # _fingerprint(), once worked out

    # --- the value table ------------------------------------------------------------------

    def table_reset(self):
        """Attaches the value table at count 0 (no hashing)."""
        tab = self._tab
        if tab is None:
            tab = self._tab = array.array("I", range(_VALUES))
        top = self._start_top
        for b in range(_VALUES):
            tab[b] = top + b
        self._tab_count = 0
        self._tab_cursor = 0
        self._parked = False

    def table_count(self):
        """-> the count every table entry has reached (-1: no table)."""
        return -1 if self._tab is None and not self._parked else self._tab_count

    def table_parked(self):
        return self._parked

    def table_park(self):
        """Lets the RAM copy go once the table is saved (the caller's business) and between
        counts -> True.  Decodes then read the one entry they need from the file: decode(...,
        read), where read(base) gives the file's header (its first 12 bytes) followed by the
        4 bytes at table_offset(base), or None (4 KB of heap less between tokens, issue 11).
        table_load() brings the table back into RAM to be advanced."""
        if self._tab is None or self._tab_cursor != 0:
            return False
        self._tab = None
        self._parked = True
        return True

    def table_offset(self, base):
        """-> where table_bytes() keeps the entry of token value base (after its header)."""
        return struct.calcsize(_TABLE_HEAD) + 4 * base

    def _parked_entry(self, base, read):
        # the header again, each time: a file left by another key or count is not used
        data = read(base) if read is not None else None
        head = struct.calcsize(_TABLE_HEAD)
        if data is None or len(data) != head + 4:
            return -1
        count, fingerprint, starting = struct.unpack_from(_TABLE_HEAD, data, 0)
        code = struct.unpack_from("<I", data, head)[0]
        if (count != self._tab_count or fingerprint != self._fingerprint()
                or starting != self._starting_code or code > _CODE_MAX):
            return -1
        return code

    def table_advance(self, target, budget, boundary=False):
        """Moves the table towards count `target` by at most `budget` hashes -> hashes done.
        boundary: stop at the next count boundary too (where table_bytes() can save it)."""
        tab = self._tab
        if tab is None:
            return 0
        ks = self._ks
        done = 0
        count = self._tab_count
        b = self._tab_cursor
        while done < budget and count < target:
            code = fold_word(ks, tab[b])
            if code > _CODE_MAX:
                code -= _CODE_FOLD
            tab[b] = code
            done += 1
            b += 1
            if b == _VALUES:
                b = 0
                count += 1
                if boundary:
                    break
        self._tab_count = count
        self._tab_cursor = b
        return done

    def _fingerprint(self):
        # code 1 of value chain 0: ties a saved table to this key and starting code (kept:
        # a parked table's header is checked at every decode)
        code = self._fp
        if code < 0:
            code = fold_word(self._ks, self._start_top)
            code = self._fp = code - _CODE_FOLD if code > _CODE_MAX else code
        return code

    def table_bytes(self):
        """-> the table as saved on flash (only between counts: the cursor at 0), or None."""
        tab = self._tab
        if tab is None or self._tab_cursor != 0:
            return None
        out = bytearray(struct.calcsize(_TABLE_HEAD) + 4 * _VALUES)
        struct.pack_into(_TABLE_HEAD, out, 0, self._tab_count, self._fingerprint(),
                         self._starting_code)
        o = struct.calcsize(_TABLE_HEAD)
        for b in range(_VALUES):
            struct.pack_into("<I", out, o, tab[b])
            o += 4
        return out

    def table_load(self, data):
        """Attaches a table saved by table_bytes() -> True; False (table left as it was) when
        it is the wrong size or was made for another key or starting code."""
        head = struct.calcsize(_TABLE_HEAD)
        if data is None or len(data) != head + 4 * _VALUES:
            return False
        count, fingerprint, starting = struct.unpack_from(_TABLE_HEAD, data, 0)
        if (fingerprint != self._fingerprint() or starting != self._starting_code
                or count > _MAX_COUNT):
            return False
        if self._tab is None:
            self._tab = array.array("I", range(_VALUES))
        tab = self._tab
        for b in range(_VALUES):
            code = struct.unpack_from("<I", data, head + 4 * b)[0]
            if code > _CODE_MAX:
                self._tab = None       # not a code: the file is damaged
                return False
            tab[b] = code
        self._tab_count = count
        self._tab_cursor = 0
        self._parked = False
        return True

    def decode(self, digits, state, read=None):
        """-> (kind, value, count).  Accepted (ADD, SET, DISABLE, SYNC, UNDEFINED): value is
        the raw 0-999 value, count the token's count, and state is updated.  INVALID, USED
        or BUSY (a parked table that `read` could not give): (kind, 0, -1) and state is
        unchanged.  Never raises on any input string."""
        token = self._parse(digits)
        if token < 0:
            return INVALID, 0, -1
        base = token % 1000
        value = (base - self._start_base) % 1000
        last = state.last_count
        if value == _SYNC_VALUE:
            top = last + _MAX_JUMP_SYNC
            low = last - _MAX_JUMP + 1
        else:
            top = last + _MAX_JUMP
            low = last - _OLDER + 1
        if low < 0:
            low = 0
        if top > _MAX_COUNT:
            top = _MAX_COUNT
        # a code matches when its first six digits are the token's
        match_lo = token - base
        match_hi = match_lo + 999
        ks = self._ks
        slot = self._slot(base)
        cp = self._cp
        if slot >= 0 and cp[3 * slot + 1] <= low:
            n = cp[3 * slot + 1]
            code = cp[3 * slot + 2]
        else:
            n = 0
            code = self._start_top + base
        # where a search for an older match (USED rather than INVALID) starts: count 0 as in
        # the reference, or the value table (bounded work: see the module doc)
        scan_n = 0
        scan_code = self._start_top + base
        tab = self._tab
        if tab is not None or self._parked:
            tn = self._tab_count + (1 if base < self._tab_cursor else 0)
            # at or below the lowest count an Add token can be accepted at, nothing is skipped
            # that could be accepted, except the lower part of a counter-sync token's window
            if tn <= last - _OLDER + 1 or tn == 0:
                scan_n = tn
                if tab is not None:
                    scan_code = tab[base]
                else:
                    scan_code = self._parked_entry(base, read)
                    if scan_code < 0:
                        return BUSY, 0, -1
                if n < tn:
                    n = tn
                    code = scan_code
        first = n
        found_older = False
        while n <= top:
            if n == low:
                slot = self._remember(slot, base, n, code)
            if match_lo <= code <= match_hi:
                if _acceptable(state, n, value):
                    return _accept(state, n, value)
                found_older = True
            code = fold_word(ks, code)
            if code > _CODE_MAX:
                code -= _CODE_FOLD
            n += 1
        if not found_older and first > scan_n:
            # the reference reports USED for a match at any count below, too
            code = scan_code
            for _ in range(first - scan_n):
                if match_lo <= code <= match_hi:
                    found_older = True
                    break
                code = fold_word(ks, code)
                if code > _CODE_MAX:
                    code -= _CODE_FOLD
        return (USED if found_older else INVALID), 0, -1

    def _parse(self, digits):
        """-> the token as an int, or -1 if it is not exactly 9 digits (15 digits 1-4 when
        restricted)."""
        if not isinstance(digits, str):
            return -1
        token = 0
        if self._restricted:
            if len(digits) != 15:
                return -1
            for ch in digits:
                d = ord(ch) - 49
                if d < 0 or d > 3:
                    return -1
                token = (token << 2) | d
            return token
        if len(digits) != 9:
            return -1
        for ch in digits:
            d = ord(ch) - 48
            if d < 0 or d > 9:
                return -1
            token = token * 10 + d
        return token

    def _slot(self, base):
        cp = self._cp
        for i in range(_CHECKPOINTS):
            if cp[3 * i] == base:
                return i
        return -1

    def _remember(self, slot, base, count, code):
        if slot < 0:
            slot = self._cp_next
            self._cp_next = (slot + 1) % _CHECKPOINTS
            self._cp[3 * slot] = base
        self._cp[3 * slot + 1] = count
        self._cp[3 * slot + 2] = code
        return slot


def _acceptable(state, n, value):
    last = state.last_count
    if value == _SYNC_VALUE:
        return n > last - _MAX_JUMP
    if n > last:
        return True
    return n > last - _OLDER and n & 1 == 0 and not state.is_used(n)


def _accept(state, n, value):
    odd = n & 1
    if value <= _MAX_VALUE:
        kind = SET if odd else ADD
    elif value == _DISABLE_VALUE:
        kind = DISABLE
    elif value == _SYNC_VALUE:
        kind = SYNC
    else:
        kind = UNDEFINED
    state._mark(n, odd == 1 or value >= _DISABLE_VALUE)
    return kind, value, n


def decode(digits, key, starting_code, state, restricted=False):
    """One-off decode (prepares the key each call; a meter keeps an OpenPaygoDecoder)."""
    return OpenPaygoDecoder(key, starting_code, restricted).decode(digits, state)
