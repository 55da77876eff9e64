"""Remote commands over the network (docs/remote.md): their byte format and their verification.

Pure: no sockets, no clock reads.  The broker is not trusted: every command is authenticated
end to end under a key derived from the meter's provisioned key, carries the meter's serial, a
per-meter counter that must rise, an issue time and an expiry.  A command the meter refuses
changes nothing; its reply says why.

Command (big-endian):
    0   4  tag       b"BMR1"
    4   4  serial    the meter this command is for
    8   4  counter   1 .. 2**32-1, strictly rising per meter (0: a time sample, see below)
   12   4  issue     seconds since 2000-01-01 UTC at the head-end
   16   4  expiry    seconds since 2000; issue <= expiry <= issue + MAX_VALID_S
   20   1  kind
   21   1  n         length of the arguments (fixed per kind)
   22   n  args
 22+n  16  mac       HMAC-SHA256(command key, bytes 0 .. 22+n)[:16]

A time sample (kind TIME) answers the meter's own request: its counter is 0 and its argument is
the 8-byte nonce the meter sent; its issue field is the head-end's clock when it signed.

Reply (the authenticated part, then sent as JSON with the MAC in hex):
    b"BMA1" serial u32, counter u32, code u8 (0 = carried out), value i32
    mac = HMAC-SHA256(reply key, those 17 bytes)[:16]

Keys: command key = HMAC-SHA256(meter_key, b"remote-cmd"), reply key = HMAC-SHA256(meter_key,
b"remote-reply"), where meter_key is the provisioned key of revision 0 (docs/tokens.md): a key
change of the keypad tokens does not break the remote channel, and a key for one purpose never
verifies another.
"""
import struct

from micropython import const

from meter.core.hmac_sha256 import HmacSha256, equal, hmac_sha256
from meter.core.remotestate import RemoteState  # noqa: F401  (its home before issue 11)

# codes this module gives (meter.core.codes, docs/codes.md), compiled in as constants:
# a board keeps no name for them (issue 11); host_tests/test_codes.py holds each to
# its number in meter.core.codes
_REMOTE_FORGED = const(141)
_REMOTE_REPLAYED = const(142)
_REMOTE_STALE = const(143)
_REMOTE_EXPIRED = const(144)
_REMOTE_OTHER_METER = const(145)
_REMOTE_MALFORMED = const(146)

TAG = b"BMR1"
REPLY_TAG = b"BMA1"
HEAD = const(22)
MAC_LEN = const(16)
MIN_LEN = const(38)                 # HEAD + MAC_LEN
MAX_LEN = const(70)                 # the longest arguments are 20 digits (+ spare)
MAX_VALID_S = const(86400)          # a command is good for a day at most
EPOCH_2000_UNIX = const(946684800)

# kinds
RECONNECT = const(1)
CREDIT = const(2)
NOCUT = const(3)
CANCEL_CUT = const(4)
PROTECT = const(5)
CLEAR = const(6)
TIME = const(7)
EVENTS = const(8)
STATUS = const(9)
NAMES = ("", "reconnect", "credit", "nocut", "cancel_cut", "protect", "clear", "time", "events",
         "status")
_ARGS = (-1, 0, 20, 4, 0, 10, 0, 8, 5, 0)   # argument length per kind

# protections
PROTECT_KINDS = ("", "medical", "weather", "cold", "winter")   # winter: protected customer
NO_END = const(0xFFFFFFFF)
EVENTS_MAX = const(16)


def command_key(meter_key):
    return HmacSha256(hmac_sha256(meter_key, b"remote-cmd"))


def reply_key(meter_key):
    return HmacSha256(hmac_sha256(meter_key, b"remote-reply"))


def _u32(b, i):
    return (b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]


def _u16(b, i):
    return (b[i] << 8) | b[i + 1]


# --- the head-end's side -----------------------------------------------------------------

def encode(cmd_hm, serial, counter, issue_s, expiry_s, kind, args=b""):
    """-> the command bytes.  issue_s/expiry_s: seconds since 2000.  ValueError on anything the
    format cannot carry."""
    if not 1 <= kind <= STATUS or len(args) != _ARGS[kind]:
        raise ValueError("bad kind or arguments")
    if not 0 <= serial <= 0xFFFFFFFF or not 0 <= counter <= 0xFFFFFFFF:
        raise ValueError("serial or counter out of range")
    if (counter == 0) != (kind == TIME):
        raise ValueError("counter 0 is for time samples only")
    if not 0 <= issue_s <= expiry_s <= issue_s + MAX_VALID_S or expiry_s > 0xFFFFFFFF:
        raise ValueError("bad issue or expiry")
    body = struct.pack(">4sIIIIBB", TAG, serial, counter, issue_s, expiry_s, kind,
                       len(args)) + bytes(args)
    return body + cmd_hm.digest(body)[:MAC_LEN]


def nocut_args(start_day, days):
    """start_day: days since 2000-01-01 (the local date the registration starts); 1-366 days."""
    if not 0 <= start_day <= 0xFFFF or not 1 <= days <= 366:
        raise ValueError("no-cut start or length out of range")
    return struct.pack(">HH", start_day, days)


def protect_args(which, on, start_minute=NO_END, end_minute=NO_END):
    """which: 1 medical, 2 weather, 3 cold, 4 winter (protected customer: the limiter instead
    of a cut).  Minutes since 2000 (NO_END: now / open-ended).  Off carries no times."""
    if not 1 <= which <= 4:
        raise ValueError("unknown protection")
    if not on and (start_minute != NO_END or end_minute != NO_END):
        raise ValueError("protection off carries no start or end")
    if on and start_minute != NO_END and end_minute != NO_END and end_minute <= start_minute:
        raise ValueError("protection ends before it starts")
    return struct.pack(">BBII", which, 1 if on else 0, start_minute, end_minute)


def events_args(from_seq, count):
    if not 0 <= from_seq <= 0xFFFFFFFF or not 1 <= count <= EVENTS_MAX:
        raise ValueError("events: from sequence or count out of range")
    return struct.pack(">IB", from_seq, count)


def reply_mac(reply_hm, serial, counter, code, value):
    msg = struct.pack(">4sIIBi", REPLY_TAG, serial, counter, code, value)
    return reply_hm.digest(msg)[:MAC_LEN]


def check_reply(reply_hm, serial, counter, code, value, mac):
    """The head-end's check of a meter's reply: True when the meter signed it."""
    if not 0 <= code <= 255 or not -0x80000000 <= value <= 0x7FFFFFFF:
        return False
    return equal(reply_mac(reply_hm, serial, counter, code, value), bytes(mac))


# --- the meter's side --------------------------------------------------------------------

class Command:
    """The fields of the last verified command (one preallocated object, reused)."""

    def __init__(self):
        self.counter = 0
        self.issue_s = 0
        self.expiry_s = 0
        self.kind = 0
        self.args = b""


def peek_counter(buf):
    """-> the counter field of a command long enough to have one, else 0 (for the reply)."""
    if len(buf) >= 12:
        return _u32(buf, 8)
    return 0


def verify(cmd_hm, serial, last_counter, buf, out, floor_s, now_s, trusted):
    """Checks one command.  -> 0 (out holds its fields) or the refusal code.

    last_counter: the highest counter this meter accepted.  floor_s: a proven lower bound on
    the true time (seconds since 2000: the clock's last known-good instant); now_s and trusted:
    the meter's clock.  Expiry is judged on the floor always (provably expired), and on the
    clock as well when it is trusted: a reconnect never needs a trusted clock."""
    n = len(buf)
    if n < MIN_LEN or n > MAX_LEN or bytes(buf[0:4]) != TAG:
        return _REMOTE_MALFORMED
    if _u32(buf, 4) != serial:
        return _REMOTE_OTHER_METER
    alen = buf[21]
    if HEAD + alen + MAC_LEN != n:
        return _REMOTE_MALFORMED
    mv = memoryview(buf)
    if not equal(cmd_hm.digest(mv[:HEAD + alen])[:MAC_LEN], mv[HEAD + alen:]):
        return _REMOTE_FORGED
    # authentic from here: whatever is wrong now is the head-end's mistake, not an attack
    counter = _u32(buf, 8)
    issue = _u32(buf, 12)
    expiry = _u32(buf, 16)
    kind = buf[20]
    if kind < 1 or kind > STATUS or _ARGS[kind] != alen:
        return _REMOTE_MALFORMED
    if expiry < issue or expiry - issue > MAX_VALID_S or (counter == 0) != (kind == TIME):
        return _REMOTE_MALFORMED
    args = bytes(mv[HEAD:HEAD + alen])
    if not _args_ok(kind, args):
        return _REMOTE_MALFORMED
    if expiry < floor_s or (trusted and now_s > expiry):
        return _REMOTE_EXPIRED
    if kind != TIME:
        if counter == last_counter:
            return _REMOTE_REPLAYED
        if counter < last_counter:
            return _REMOTE_STALE
    out.counter = counter
    out.issue_s = issue
    out.expiry_s = expiry
    out.kind = kind
    out.args = args
    return 0


def _args_ok(kind, a):
    if kind == CREDIT:
        for c in a:
            if c < 48 or c > 57:
                return False
        return True
    if kind == NOCUT:
        days = _u16(a, 2)
        return 1 <= days <= 366
    if kind == PROTECT:
        which, on = a[0], a[1]
        start, end = _u32(a, 2), _u32(a, 6)
        if not 1 <= which <= 4 or on > 1:
            return False
        if not on:
            return start == NO_END and end == NO_END
        return start == NO_END or end == NO_END or end > start
    if kind == EVENTS:
        return 1 <= a[4] <= EVENTS_MAX
    return True


def nocut_split(args):
    return _u16(args, 0), _u16(args, 2)


def protect_split(args):
    """-> (which 1-4, on, start_minute or NO_END, end_minute or NO_END)."""
    return args[0], args[1] == 1, _u32(args, 2), _u32(args, 6)


def events_split(args):
    return _u32(args, 0), args[4]


# --- time samples ------------------------------------------------------------------------

class TimeSamples:
    """Two agreeing authenticated samples make an anchor (METER.md §4).

    A sample is the head-end's time t (seconds since 2000) signed in answer to our nonce, which
    we sent at monotonic ms `sent` and got back at `got`: the true time at `got` lies within
    [t, t + round trip].  The second sample agrees with the first when the two intervals,
    carried to the same instant by the monotonic clock, overlap (with `slack_s` for the tick
    counter's own drift).  The anchor is then their intersection."""

    def __init__(self, slack_s=2):
        self.slack_s = slack_s
        self.have = False
        self.lo = 0               # interval of the first sample, seconds since 2000
        self.hi = 0
        self.at_ms = 0            # monotonic ms it refers to

    def add(self, t, sent_ms, got_ms):
        """-> None (kept, waiting for a second one) or (lo_s, hi_s, at_ms): an anchor."""
        rtt_ms = got_ms - sent_ms
        if rtt_ms < 0:
            self.have = False
            return None
        lo = t
        hi = t + (rtt_ms + 999) // 1000
        if not self.have:
            self.have = True
            self.lo, self.hi, self.at_ms = lo, hi, got_ms
            return None
        moved = (got_ms - self.at_ms) // 1000
        plo = self.lo + moved - self.slack_s
        phi = self.hi + moved + 1 + self.slack_s
        # keep this one as the next first sample whether or not they agree
        self.lo, self.hi, self.at_ms = lo, hi, got_ms
        if hi < plo or lo > phi:
            return None              # disagree: neither is used
        self.have = False
        return (lo if lo > plo else plo, hi if hi < phi else phi, got_ms)
