"""The token desk: what a token typed on the keypad does to the meter (METER.md §4, §6, §7).

Native 20-digit tokens (meter.core.token) and OpenPAYGO 9-digit tokens (meter.core.openpaygo)
are checked here against the lockout and the replay memory, then applied to the core.  The
desk's own state (key revision, base, replay memory, lockout, OpenPAYGO counter, emergency
setting) is part of the meter's atomic record: `Meter.blobs()` asks the desk for it.

Results are (word, code, value, set_rtc_minute): the console word (accepted, invalid, used,
old, locked), the code shown on the LCD, a value (minor units credited, days registered, or
seconds of lockout left), and True when the RTC is to be written from the clock's estimate (a
set-time token; else None).  A credit top-up also leaves `split` = (to credit, to debt), worked
out before it is applied (meter.core.credit.Credit.split), for the LCD and the console; else
None.

Time from tokens (docs/clock.md): a vending token's issue time is weak evidence (the office's
clock may be wrong): it never raises the proven lower bound, it may only widen the interval.  A
plain set-time token is a strong lower bound only (it may have been kept and typed later); one
whose window ends before the proven lower bound is refused.  A challenge set-time token (its MAC
covers the challenge the meter shows) also bounds the time from above.

Heap (issue 11): what a token does is in meter/tokenentry.py, with the decoder
(meter.core.token) and HMAC-SHA256; a board loads them from the first digit typed to the end of
the entry and then lets them go (meter/overlay.py), so that they take no heap between tokens.
What stays is the desk's state.
"""
import struct

from micropython import const

from meter import overlay
from meter.core import lockout as lockout_mod
from meter.core import replay as replay_mod

# the classes of what a desk holds, for type checkers only (compiled to nothing)
_TYPE_CHECKING = const(False)
if _TYPE_CHECKING:
    from typing import Any
    from meter.core.lockout import Lockout
    from meter.core.replay import Replay

_HEAD = "<HBi"
_KEY_BYTES = const(32)            # HMAC-SHA256 meter key (docs/tokens.md, Keys)
_HEAD_SIZE = struct.calcsize(_HEAD)
_ENTRY = ("meter.tokenentry", "meter.core.token", "meter.core.hmac_sha256")


def native_key_bytes():
    return _KEY_BYTES


class TokenDesk:
    # What a desk holds: made by meter.appboot.desk_init (boot code, released on a board;
    # issue 11).  Annotations for type checkers only (MicroPython compiles them to nothing).
    meter: "Any"
    cfg: "Any"
    root_key: "bytes"
    key_rev: "int"
    base: "int"
    ec_setting: "int"
    replay: "Replay"
    lock: "Lockout"
    opg_lock: "Lockout"
    split: "Any"
    _typing: "bool"
    key: "Any"
    opg: "Any"
    _opg_decoder: "Any"
    opg_read: "Any"

    def __init__(self, meter, cfg, meter_key):
        from meter import appboot
        try:
            appboot.desk_init(self, meter, cfg, meter_key)
        finally:
            overlay.release(("meter.appboot",))

    def key_ok(self):
        """A native meter key was provisioned: tokens can be accepted."""
        return self.key is not None

    # --- persistence (called through Meter.blobs) ----------------------------------------

    def size(self):
        n = _HEAD_SIZE + replay_mod.SIZE + lockout_mod.SIZE
        if self.opg is not None:
            n += len(self.opg.to_bytes()) + lockout_mod.SIZE
        return n

    def to_bytes(self):
        mono = self.meter.mono_s
        self.lock.advance(mono)
        out = struct.pack(_HEAD, self.key_rev, self.base, self.ec_setting) + \
            self.replay.to_bytes() + self.lock.to_bytes()
        if self.opg is not None:
            self.opg_lock.advance(mono)
            out += self.opg.to_bytes() + self.opg_lock.to_bytes()
        return out

    def check(self, data):
        n = self.size()
        # a record of firmware 0.1.0 has no OpenPAYGO lockout yet: it starts unlocked
        if len(data) != n and not (self.opg is not None and len(data) == n - lockout_mod.SIZE):
            raise ValueError("token state length %d" % len(data))

    def load(self, data):
        """The desk's state from a record (raises nothing: Meter.check_blobs has checked it)."""
        from meter import appboot
        try:
            appboot.desk_load(self, data)
        finally:
            overlay.release(("meter.appboot",))

    # --- entry ---------------------------------------------------------------------------

    def lockout_s(self, mono_s):
        """Seconds the keypad stays locked for every token (monotonic time)."""
        return self.lock.locked_for(mono_s)

    def openpaygo_lockout_s(self, mono_s):
        """Seconds OpenPAYGO codes stay refused (-1: OpenPAYGO not configured)."""
        return self.opg_lock.locked_for(mono_s) if self.opg is not None else -1

    def ready(self):
        """Loads the token code while the household types (the app calls it at the first
        digit): on a board the import from flash takes about 90 ms, which the 20 digits'
        typing hides, so that the check at # takes milliseconds (issue 11).  -> the module
        (kept by sys.modules, not here: the world model deep-copies the app)."""
        from meter import tokenentry
        self._typing = True
        return tokenentry

    def done_typing(self):
        """Releases the token code (after a token, a cleared entry or a timeout)."""
        if self._typing:
            self._typing = False
            overlay.release(_ENTRY)

    def enter(self, digits, status, osf, minute, second, mono_s):
        """A token typed on the keypad -> (word, code, value, set_rtc) (meter/tokenentry.py).
        The lockouts run on mono_s (seconds since boot) only: the RTC readings are for the
        clock and the tokens' issue times."""
        entry = self.ready()
        try:
            return entry.enter(self, digits, status, osf, minute, second, mono_s)
        finally:
            self.done_typing()

    def enter_authenticated(self, digits, status, osf, minute, second, mono_s):
        """A credit token carried inside an authenticated remote command (meter.net.remote):
        the same decoding, rules and replay memory as on the keypad; the keypad lockout
        neither stops it nor counts it, and only credit tokens are taken this way."""
        entry = self.ready()
        try:
            return entry.enter_authenticated(self, digits, status, osf, minute, second,
                                                   mono_s)
        finally:
            self.done_typing()
