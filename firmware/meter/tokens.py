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

from meter import overlay
from meter.core.lockout import Lockout
from meter.core import lockout as lockout_mod
from meter.core.replay import Replay
from meter.core import replay as replay_mod

_HEAD = "<HBi"
_KEY_BYTES = 32                    # HMAC-SHA256 meter key (docs/tokens.md, Keys)
_HEAD_SIZE = struct.calcsize(_HEAD)
_ENTRY = ("meter.tokenentry", "meter.core.token", "meter.core.hmac_sha256")


def native_key_bytes():
    return _KEY_BYTES


class TokenDesk:
    def __init__(self, meter, cfg, meter_key):
        self.meter = meter
        self.cfg = cfg
        # a key of any other length is refused: no token is taken (and the app holds cuts)
        if not isinstance(meter_key, (bytes, bytearray)) or len(meter_key) != _KEY_BYTES:
            meter_key = b""
        self.root_key = meter_key          # revision 0, provisioned
        self.key_rev = 0
        self.base = 0
        self.ec_setting = -1               # emergency amount set by token (-1: configuration)
        self.replay = Replay()
        self.lock = Lockout(cfg.lockout_cap_s)
        # a random 9-digit code passes 1 time in ~14,000: every wrong one locks, and the
        # counter decays only after a week without one (docs/tokens.md, forging odds); only
        # used (and stored) when OpenPAYGO is configured
        self.opg_lock = Lockout(cfg.openpaygo_lockout_cap_s, 1)
        self.split = None                  # (to credit, to debt) of the last top-up
        self._typing = False               # meter.tokenentry loaded for a token being typed
        self.key = meter_key or None       # the key of revision key_rev (bytes)
        self.opg = None
        self._opg_decoder = None
        self.opg_read = None  # type: object  # the app's reader of a parked value table
        if cfg.openpaygo_key:
            from meter.core import openpaygo
            self.opg = openpaygo.OpenPaygoState()
            # one decoder: it keeps the prepared key and hash-chain positions between tokens
            self._opg_decoder = openpaygo.OpenPaygoDecoder(
                bytes.fromhex(cfg.openpaygo_key), cfg.openpaygo_starting_code)
        meter.desk = self

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
        self.key_rev, self.base, self.ec_setting = struct.unpack(_HEAD, data[:_HEAD_SIZE])
        i = _HEAD_SIZE
        self.replay.from_bytes(data[i:i + replay_mod.SIZE])
        i += replay_mod.SIZE
        self.lock.from_bytes(data[i:i + lockout_mod.SIZE])
        i += lockout_mod.SIZE
        if self.opg is not None:
            j = i + len(self.opg.to_bytes())
            self.opg.from_bytes(data[i:j])
            if len(data) > j:
                self.opg_lock.from_bytes(data[j:])
        if self.key_rev and self.root_key:
            from meter.core import token as native
            try:
                self.key = native.ratchet(self.root_key, 0, self.key_rev)
            finally:
                overlay.release(_ENTRY)
        if self.ec_setting >= 0:
            self.cfg.emergency_amount = self.ec_setting

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
