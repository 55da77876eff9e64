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
"""
import struct

from micropython import const

from meter.core import calendar, codes
from meter.core import meter as meter_mod
from meter.core import token as native
from meter.core.clock import from_unix
from meter.core.lockout import Lockout
from meter.core import lockout as lockout_mod
from meter.core.replay import Replay
from meter.core import replay as replay_mod

_HEAD = "<HBi"
_KEY_BYTES = 32                    # HMAC-SHA256 meter key (docs/tokens.md, Keys)
_HEAD_SIZE = struct.calcsize(_HEAD)
_LAST_DAY = const(36524)             # 2099-12-31, days since 2000-01-01: the calendar's end
_RESULT_WORDS = {codes.TOKEN_USED: "used", codes.TOKEN_OLD: "old"}


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
        self._key = native.prepare(meter_key) if meter_key else None
        self.opg = None
        self._opg_decoder = None
        if cfg.openpaygo_key:
            from meter.core import openpaygo
            self.opg = openpaygo.OpenPaygoState()
            # one decoder: it keeps the prepared key and hash-chain positions between tokens
            self._opg_decoder = openpaygo.OpenPaygoDecoder(
                bytes.fromhex(cfg.openpaygo_key), cfg.openpaygo_starting_code)
        meter.desk = self

    def key_ok(self):
        """A native meter key was provisioned: tokens can be accepted."""
        return self._key is not None

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
            self._key = native.prepare(native.ratchet(self.root_key, 0, self.key_rev))
        if self.ec_setting >= 0:
            self.cfg.emergency_amount = self.ec_setting

    # --- entry ---------------------------------------------------------------------------

    def lockout_s(self, mono_s):
        """Seconds the keypad stays locked for every token (monotonic time)."""
        return self.lock.locked_for(mono_s)

    def openpaygo_lockout_s(self, mono_s):
        """Seconds OpenPAYGO codes stay refused (-1: OpenPAYGO not configured)."""
        return self.opg_lock.locked_for(mono_s) if self.opg is not None else -1

    def enter(self, digits, status, osf, minute, second, mono_s):
        """The lockouts run on mono_s (seconds since boot) only: the RTC readings are for the
        clock and the tokens' issue times."""
        left = self.lock.locked_for(mono_s)
        self.split = None
        if left:
            return self._done("locked", codes.KEYPAD_LOCKED, left)
        if len(digits) == native.DIGITS:
            return self._native(digits, status, osf, minute, second, mono_s)
        if len(digits) == 9 and self._opg_decoder is not None:
            left = self.opg_lock.locked_for(mono_s)
            if left:
                return self._done("locked", codes.KEYPAD_LOCKED, left)
            return self._openpaygo(digits, status, osf, minute, second, mono_s)
        # a wrong length is a typo, not a guess at a MAC: shown, not counted
        return self._done("invalid", codes.TOKEN_LENGTH, 0)

    def enter_authenticated(self, digits, status, osf, minute, second, mono_s):
        """A credit token carried inside an authenticated remote command (meter.net.remote):
        the same decoding, rules and replay memory as on the keypad; the keypad lockout
        neither stops it nor counts it, and only credit tokens are taken this way."""
        self.split = None
        if self._key is None or len(digits) != native.DIGITS:
            return self._done("invalid", codes.TOKEN_REFUSED, 0)
        if native.decode(self._key, digits)[0] != native.CREDIT:
            return self._done("invalid", codes.TOKEN_REFUSED, 0)
        return self._native(digits, status, osf, minute, second, mono_s)

    def _invalid(self, mono_s, lock=None):
        lock = lock or self.lock
        left = lock.invalid(mono_s)
        self.meter.event(codes.TOKEN_INVALID)
        self.meter.commit = 2              # the lockout must survive a power cut
        return self._done("invalid", codes.TOKEN_INVALID, left)

    def _done(self, word, code, value, rtc=None):
        return word, code, value, rtc

    def _native(self, digits, status, osf, minute, second, mono_s):
        m = self.meter
        if self._key is None:
            # nothing to guess at: refused and shown, not counted towards the lockout
            m.event(codes.NO_KEY)
            return self._done("invalid", codes.NO_KEY, 0)
        kind = native.INVALID
        clock = m.clock
        shown_mono = -1                     # when the challenge its MAC covers was shown
        if clock.challenge >= 0:
            # the MAC with the challenge shown first (a challenge set-time token), then with
            # the one before it (made just before a renewal), then plain
            kind, value, token_id = native.decode(self._key, digits, clock.challenge)
            if kind != native.INVALID:
                shown_mono = clock.challenge_mono
            elif clock.prev_challenge >= 0:
                kind, value, token_id = native.decode(self._key, digits, clock.prev_challenge)
                if kind != native.INVALID:
                    shown_mono = clock.prev_challenge_mono
        challenged = shown_mono >= 0
        if not challenged:
            kind, value, token_id = native.decode(self._key, digits)
        if kind == native.INVALID:
            return self._invalid(mono_s)
        seen = self.replay.check(token_id)
        if seen:
            m.event(seen, token_id)
            return self._done(_RESULT_WORDS[seen], seen, 0)
        issue = native.issue_minute(token_id, self.base)
        # (a valid token leaves the lockout alone: its counter decays with calm time only)
        rtc = None
        if kind == native.SET_TIME:
            # issued during minute `issue`: the true time is at least its issue (less the
            # skew); a plain token gives no upper bound (it can be kept and typed later), its
            # window only refuses a stale one; a challenge token was made after the challenge
            # was shown, which bounds the time from above (docs/clock.md)
            lo = issue * 60 - self.cfg.token_skew_s
            if challenged:
                m.trust_source = codes.TIME_CHALLENGE
                hi = clock.challenge_hi_s(issue, self.cfg.token_skew_s, mono_s, shown_mono)
                used = clock.anchor(lo // 60, lo % 60, hi // 60, hi % 60, mono_s,
                                    codes.TIME_CHALLENGE)
                clock.challenge_used()        # the app draws a new one
            else:
                m.trust_source = codes.TIME_SET
                used = m.clock.anchor(lo // 60, lo % 60,
                                      issue + 1 + self.cfg.token_time_window, 0, mono_s,
                                      codes.TIME_SET)
            if used == codes.TOKEN_TIME_BAD:
                m.event(codes.TOKEN_TIME_BAD, token_id)
                m.commit = 2
                return self._done("old", codes.TOKEN_TIME_BAD, 0)
            if used:
                m.event(used, token_id)
            rtc = True
            code = codes.TIME_SET
            shown = 0
        else:
            m.trust_source = codes.TOKEN_ACCEPTED
            lo = issue * 60 - self.cfg.token_skew_s
            used = m.clock.anchor(lo // 60, lo % 60, -1, 0, mono_s, codes.TOKEN_ACCEPTED)
            if used:
                m.event(used, token_id)
            code, shown = self._apply(kind, value, token_id, issue)
            if code < 0:
                # a well-formed token this meter cannot take (a key change backwards): not a
                # guess at a MAC, so it does not count towards the lockout
                m.event(codes.TOKEN_REFUSED, kind)
                m.commit = 2
                return self._done("invalid", codes.TOKEN_REFUSED, 0)
        if kind != native.KEY_CHANGE:
            # (a key change cleared the memory: its own id belongs to the old base)
            self.replay.remember(token_id)
        m.event(code, shown)
        m.commit = 2
        m.redecide()
        return self._done("accepted", code, shown, rtc)

    def _apply(self, kind, value, token_id, issue):
        m = self.meter
        if kind == native.CREDIT:
            m.record_lost = False
            self._topup(value)
            return codes.TOKEN_ACCEPTED, value
        if kind == native.PROTECT:
            which, days = native.protect_split(value)
            end_day = native.protect_end_day(token_id, self.base, value)
            if end_day > _LAST_DAY:
                end_day = _LAST_DAY            # past the calendar's 2099: on to its end
            m.protect_until(which, _local_midnight(end_day, self.cfg) if end_day >= 0 else -1)
            return (codes.PROTECTED_CUSTOMER if which == meter_mod.PROTECT_CUSTOMER
                    else codes.PROTECT_SET), which * 10000 + days
        if kind == native.RECONNECT:
            m.reconnect()
            return codes.TOKEN_RECONNECT, 0
        if kind == native.NOCUT:
            start_day = native.nocut_start_day(token_id, self.base, value)
            days = native.nocut_split(value)[1]
            m.register_nocut(_local_midnight(start_day, self.cfg),
                             _local_midnight(start_day + days, self.cfg))
            return codes.TOKEN_NOCUT, days
        if kind == native.CANCEL_CUT:
            m.cancel_cut()
            return codes.CUT_CANCELLED, 0
        if kind == native.EMERGENCY:
            self.ec_setting = value
            self.cfg.emergency_amount = value
            return codes.TOKEN_EMERGENCY, value
        if kind == native.CLEAR:
            m.clear_alerts()
            return codes.TOKEN_CLEAR, 0
        if kind == native.KEY_CHANGE:
            if not self.root_key:
                return -1, 0
            current = native.ratchet(self.root_key, 0, self.key_rev)
            changed = native.key_change(current, self.key_rev, self.base, value, token_id)
            if changed is None:
                return -1, 0
            new_key, self.key_rev, self.base = changed
            self._key = native.prepare(new_key)
            self.replay.clear()
            return codes.KEY_CHANGED, self.key_rev
        return -1, 0

    def _openpaygo(self, digits, status, osf, minute, second, mono_s):
        from meter.core import openpaygo
        m = self.meter
        decoder = self._opg_decoder
        if decoder is None:
            return self._invalid(mono_s)
        kind, value, count = decoder.decode(digits, self.opg)
        if kind == openpaygo.INVALID:
            return self._invalid(mono_s, self.opg_lock)
        if kind == openpaygo.USED:
            m.event(codes.TOKEN_USED, 0)
            return self._done("used", codes.TOKEN_USED, 0)
        unit = self.cfg.openpaygo_unit
        shown = 0
        if kind == openpaygo.ADD:
            m.free = False
            m.record_lost = False
            self._topup(value * unit)
            shown = value * unit
        elif kind == openpaygo.SET:
            m.free = False
            m.record_lost = False
            m.credit.set_balance(value * unit)
            shown = value * unit
        elif kind == openpaygo.DISABLE:
            m.free = True                  # "PAYG disabled": supply on until a later token
        # SYNC moves the counter only; UNDEFINED (996/997) is authentic and does nothing
        m.event(codes.TOKEN_ACCEPTED, shown)
        m.commit = 2
        m.redecide()
        return self._done("accepted", codes.TOKEN_ACCEPTED, shown)


    def _topup(self, amount):
        m = self.meter
        to_debt, to_credit = m.credit.split(amount, m.local.week)
        self.split = (to_credit, to_debt)
        m.topup(amount)


def _local_midnight(day2000, cfg):
    """UTC minute of local midnight starting day `day2000` (days since 2000-01-01)."""
    y, mo, d = calendar.civil_from_days(day2000 + 10957)
    return from_unix(calendar.utc_from_local(y, mo, d, 0, 0, 0, 0, cfg.tz_std_minutes * 60,
                                             cfg.tz_eu_dst))[0]
