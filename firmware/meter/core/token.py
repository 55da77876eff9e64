"""Native 20-digit keypad tokens (METER.md §7).  The format, bit by bit, is in docs/tokens.md.

A token is a number N < 2**66 typed as 20 decimal digits (leading zeros kept):

    N = mac << 42 | token_id << 18 | cls
    mac       24 bits  first 3 bytes of HMAC-SHA256(meter_key, b"BMT1" + token_id (3 bytes,
                       big-endian) + cls (3 bytes, big-endian))
    token_id  24 bits  minutes since the meter's base date (base index 0: 2016-01-01 00:00 UTC,
                       rolls over 2047-11-24 20:16 UTC)
    cls       18 bits  bit 17 = 0: CREDIT, bit 16 = exponent e, bits 15-0 = mantissa m,
                       amount = m (e = 0) or m * 100 minor units (e = 1, only above 65535)
                       bit 17 = 1: bits 16-14 = kind - 2, bits 13-0 = value

decode() never raises for what a keypad can produce: anything that is not a well-formed token
under this meter's key is INVALID.  Every decoded field is covered by the MAC; non-canonical
encodings (value bits set on a kind without a value, a credit in the wrong exponent) are
INVALID too, so each meaning has exactly one token.

Keys: the per-meter key of key revision 0 is HMAC-SHA256(utility_key, b"meter-key" + serial as
4 bytes big-endian); revision r+1 is HMAC-SHA256(key_r, b"key-rev" + r+1 as 2 bytes big-endian).
A KEY_CHANGE token (MAC'd under the current key) carries the new revision and the new base
index; the meter ratchets its key forward and clears its replay memory, which is safe because
no token made under the old key verifies under the new one.

Base dates: base 0 starts in 2016, early enough for the simulator and acceptance tests to vend
tokens for past dates (the July 2020 founding case) while leaving meters on base 0 until late
2047; a key change moves a meter to base 1 (2032) or later any time in the 15.9-year overlap.

Time: the core counts minutes since 2000-01-01 UTC (small ints on a 32-bit MicroPython); Unix
seconds appear only in issue_utc()/token_id_from_utc(), at the edges.
"""
from micropython import const

from meter.core.hmac_sha256 import HmacSha256, hmac_sha256

# kinds (decode()'s first field)
INVALID = const(0)
CREDIT = const(1)
RECONNECT = const(2)
NOCUT = const(3)
CANCEL_CUT = const(4)
SET_TIME = const(5)
EMERGENCY = const(6)
CLEAR = const(7)
KEY_CHANGE = const(8)
PROTECT = const(9)                  # medical / weather / cold / protected customer, with days
NAMES = ("invalid", "credit", "reconnect", "nocut", "cancel_cut", "set_time", "emergency",
         "clear", "key_change", "protect")

DIGITS = const(20)
_MAC_BITS = const(24)
_ID_BITS = const(24)
ID_LIMIT = const(16777216)          # 2**24 token ids: 31.9 years of minutes
CREDIT_EXACT_MAX = const(65535)     # every amount up to this is exact to the minor unit
CREDIT_MAX = const(6553500)         # above CREDIT_EXACT_MAX: multiples of 100 only
EMERGENCY_MAX = const(16383)
NOCUT_MAX_OFFSET = const(63)        # start at most this many days after the issue day
NOCUT_MAX_DAYS = const(256)
KEY_REV_MAX = const(1023)
PROTECT_KINDS = ("medical", "weather", "cold", "protected")
PROTECT_MAX_DAYS = const(4095)
BASE_MAX = const(15)

EPOCH_2000_UNIX = const(946684800)
_BASE0_DAY = const(5844)             # 2016-01-01, days since 2000-01-01
_BASE_STEP_DAYS = const(5844)        # 16 years: bases 2016, 2032, 2048, 2064, 2080, 2096 (Jan 1)

_ID_MASK = const(0xFFFFFF)
_CLS_MASK = const(0x3FFFF)
_VALUE_MASK = const(0x3FFF)


# --- keys --------------------------------------------------------------------------------

def derive_meter_key(utility_key, serial, key_rev=0):
    """-> the 32-byte key of meter `serial` (0 .. 2**32-1) at key revision key_rev."""
    if not 0 <= serial <= 0xFFFFFFFF:
        raise ValueError("serial out of range")
    msg = b"meter-key" + bytes(((serial >> 24) & 255, (serial >> 16) & 255,
                                (serial >> 8) & 255, serial & 255))
    return ratchet(hmac_sha256(utility_key, msg), 0, key_rev)


def ratchet(meter_key, from_rev, to_rev):
    """-> the key of revision to_rev from the key of revision from_rev (one HMAC a step)."""
    if not 0 <= from_rev <= to_rev <= KEY_REV_MAX:
        raise ValueError("key revision out of range")
    key = bytes(meter_key)
    for rev in range(from_rev + 1, to_rev + 1):
        key = hmac_sha256(key, b"key-rev" + bytes((rev >> 8, rev & 255)))
    return key


def prepare(meter_key):
    """A key prepared once for many decode()/encode() calls (saves the padding work)."""
    return meter_key if isinstance(meter_key, HmacSha256) else HmacSha256(meter_key)


def _mac(hm, token_id, cls, challenge=-1):
    # a challenge set-time token: the MAC input gains the challenge (3 bytes) shown by the meter
    msg = bytearray(10 if challenge < 0 else 13)
    if challenge >= 0:
        msg[10] = (challenge >> 16) & 255
        msg[11] = (challenge >> 8) & 255
        msg[12] = challenge & 255
    msg[0:4] = b"BMT1"           # format 1: a new format takes a new tag
    msg[4] = token_id >> 16
    msg[5] = (token_id >> 8) & 255
    msg[6] = token_id & 255
    msg[7] = cls >> 16
    msg[8] = (cls >> 8) & 255
    msg[9] = cls & 255
    d = hm.digest(msg)
    return (d[0] << 16) | (d[1] << 8) | d[2]


# --- values ------------------------------------------------------------------------------

def nocut_value(offset_days, days):
    """NOCUT value: the registration starts offset_days (0-63) after the UTC day of issue and
    lasts `days` (1-256) days."""
    if not 0 <= offset_days <= NOCUT_MAX_OFFSET or not 1 <= days <= NOCUT_MAX_DAYS:
        raise ValueError("no-cut start or length out of range")
    return (offset_days << 8) | (days - 1)


def nocut_split(value):
    """-> (offset_days, days) of a NOCUT value."""
    return value >> 8, (value & 255) + 1


def nocut_start_day(token_id, base, value):
    """-> the first day of a NOCUT registration, in days since 2000-01-01."""
    return issue_minute(token_id, base) // 1440 + (value >> 8)


def keychange_value(new_rev, new_base):
    """KEY_CHANGE value: new key revision (1-1023) and new base index (0-15)."""
    if not 1 <= new_rev <= KEY_REV_MAX or not 0 <= new_base <= BASE_MAX:
        raise ValueError("key revision or base out of range")
    return (new_rev << 4) | new_base


def keychange_split(value):
    """-> (new_rev, new_base) of a KEY_CHANGE value."""
    return value >> 4, value & 15


def protect_value(which, days):
    """PROTECT value: which protection (0 medical, 1 weather, 2 cold, 3 protected customer)
    and for how long: through the end of the UTC date of issue + `days` (1-4095), 0 = off."""
    if not 0 <= which <= 3 or not 0 <= days <= PROTECT_MAX_DAYS:
        raise ValueError("protection kind or days out of range")
    return (which << 12) | days


def protect_split(value):
    """-> (which, days) of a PROTECT value."""
    return value >> 12, value & 0xFFF


def protect_end_day(token_id, base, value):
    """-> the day (since 2000-01-01) at whose local midnight the protection ends, or -1 for
    a token that switches it off."""
    days = value & 0xFFF
    if days == 0:
        return -1
    return issue_minute(token_id, base) // 1440 + days + 1


def _cls(kind, value):
    if kind == CREDIT:
        if 0 <= value <= CREDIT_EXACT_MAX:
            return value
        if value % 100 == 0 and CREDIT_EXACT_MAX < value <= CREDIT_MAX:
            return 0x10000 | (value // 100)
        raise ValueError("credit amount not representable")
    if kind < RECONNECT or kind > PROTECT:
        raise ValueError("unknown token kind")
    if kind == EMERGENCY or kind == NOCUT or kind == PROTECT:
        if not 0 <= value <= _VALUE_MASK:
            raise ValueError("value out of range")
    elif kind == KEY_CHANGE:
        keychange_value(value >> 4, value & 15)     # validates both fields
    elif value != 0:
        raise ValueError("this kind carries no value")
    return 0x20000 | ((kind - 2) << 14) | value


def _kind(cls):
    """-> the kind of an 18-bit class field, INVALID when it is not canonical."""
    if not cls & 0x20000:
        if cls & 0x10000 and (cls & 0xFFFF) * 100 <= CREDIT_EXACT_MAX:
            return INVALID
        return CREDIT
    kind = ((cls >> 14) & 7) + 2
    value = cls & _VALUE_MASK
    if kind == RECONNECT or kind == CANCEL_CUT or kind == SET_TIME or kind == CLEAR:
        return kind if value == 0 else INVALID
    if kind == KEY_CHANGE and value >> 4 == 0:
        return INVALID                              # revision 0 is never a change
    return kind


# --- tokens ------------------------------------------------------------------------------

def encode(meter_key, kind, value, token_id, challenge=-1):
    """-> the 20-digit token (vending side).  value: minor units for CREDIT and EMERGENCY,
    nocut_value() for NOCUT, keychange_value() for KEY_CHANGE, 0 otherwise.  ValueError on
    anything the format cannot carry.  challenge >= 0 (SET_TIME only): the challenge the meter
    shows, covered by the MAC (docs/tokens.md)."""
    cls = _cls(kind, value)
    if challenge >= 0 and kind != SET_TIME:
        raise ValueError("only a set-time token carries a challenge")
    if not 0 <= token_id < ID_LIMIT:
        raise ValueError("token id out of range")
    n = (_mac(prepare(meter_key), token_id, cls, challenge) << 42) | (token_id << 18) | cls
    return "%020d" % n


def _number(digits):
    """-> the token's number, or -1 when digits is not 20 ASCII digits below 2**66."""
    if isinstance(digits, (bytes, bytearray)):
        try:
            digits = bytes(digits).decode()
        except ValueError:
            return -1
    if not isinstance(digits, str) or len(digits) != DIGITS:
        return -1
    for c in digits:
        if c < "0" or c > "9":
            return -1
    n = int(digits)
    if n >> 66:
        return -1
    return n


def decode(meter_key, digits, challenge=-1):
    """-> (kind, value, token_id); (INVALID, 0, -1) for anything that is not a token of this
    key.  meter_key: bytes or prepare()'d.  digits: str (or bytes) as typed.  challenge >= 0:
    only a SET_TIME token MAC'd with that challenge is valid."""
    n = _number(digits)
    if n < 0:
        return (INVALID, 0, -1)       # a constant: no allocation
    cls = n & _CLS_MASK
    kind = _kind(cls)
    if kind == INVALID:
        return (INVALID, 0, -1)       # a constant: no allocation
    token_id = (n >> 18) & _ID_MASK
    if challenge >= 0 and kind != SET_TIME:
        return (INVALID, 0, -1)       # a constant: no allocation
    if (n >> 42) != _mac(prepare(meter_key), token_id, cls, challenge):
        return (INVALID, 0, -1)       # a constant: no allocation
    if kind == CREDIT:
        value = cls & 0xFFFF
        if cls & 0x10000:
            value *= 100
    else:
        value = cls & _VALUE_MASK
    return kind, value, token_id


def key_change(meter_key, key_rev, base, value, token_id):
    """The meter's side of a decoded KEY_CHANGE: -> (new_key, new_rev, new_base), or None when
    it must be refused (revision not newer, base moving back, or a new base that starts after
    the token's own issue minute, which would make the next tokens' ids negative).  The caller
    stores the three, clears the replay memory and commits, all in one record."""
    new_rev, new_base = keychange_split(value)
    if new_rev <= key_rev or new_base < base or new_base > BASE_MAX:
        return None
    if base_minute(new_base) > issue_minute(token_id, base):
        return None
    return ratchet(meter_key, key_rev, new_rev), new_rev, new_base


# --- token ids and time ------------------------------------------------------------------

def base_minute(base):
    """-> the base date of base index `base`, in minutes since 2000-01-01 UTC."""
    if not 0 <= base <= BASE_MAX:
        raise ValueError("base index out of range")
    return (_BASE0_DAY + base * _BASE_STEP_DAYS) * 1440


def rollover_minute(base):
    """-> the first minute (since 2000) that base `base` cannot express: a key change to a
    newer base must be entered before it."""
    return base_minute(base) + ID_LIMIT


def newest_base(minute):
    """-> the newest base index whose base date is at or before `minute` (-1 if none)."""
    b = -1
    while b < BASE_MAX and base_minute(b + 1) <= minute:
        b += 1
    return b


def token_id_at(minute, base):
    """-> the token id of `minute` (since 2000); ValueError outside the base's 2**24 minutes."""
    t = minute - base_minute(base)
    if not 0 <= t < ID_LIMIT:
        raise ValueError("time outside the token id range of this base")
    return t


def issue_minute(token_id, base):
    """-> the minute (since 2000) at which the token was issued."""
    return base_minute(base) + token_id


def issue_utc(token_id, base):
    """-> the UTC seconds (since 1970) of the token's issue minute: every valid token proves the
    time is at least this."""
    return EPOCH_2000_UNIX + issue_minute(token_id, base) * 60


def token_id_from_utc(utc_seconds, base):
    """-> the token id of the minute containing utc_seconds; ValueError outside the base."""
    return token_id_at((utc_seconds - EPOCH_2000_UNIX) // 60, base)
