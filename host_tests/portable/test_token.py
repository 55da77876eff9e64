"""Native 20-digit tokens (METER.md §7, docs/tokens.md): HMAC, format, replay memory, key change
and rollover, keypad lockout.  Runs under CPython and MicroPython."""
from mpcompat import raises

from meter.core import calendar, codes

from meter.core import isotime
from meter.core import token as T
from meter.core.hmac_sha256 import HmacSha256, equal, hmac_sha256
from meter.core.lockout import Lockout
from meter.core.replay import SIZE as REPLAY_SIZE
from meter.core.replay import SLOTS, Replay

UTILITY = b"test utility key, 32 bytes long!"
SERIAL = 42424242
KEY = T.derive_meter_key(UTILITY, SERIAL)
M2016 = T.base_minute(0)                       # 2016-01-01 00:00 UTC in minutes since 2000


def minute_of(y, mo, d, h=0, mi=0):
    return (calendar.days_from_civil(y, mo, d) - 10957) * 1440 + h * 60 + mi


def vend(key, kind, value, minute, base=0):
    return T.encode(key, kind, value, T.token_id_at(minute, base))


# --- HMAC-SHA256 ------------------------------------------------------------------------

RFC4231 = (
    (b"\x0b" * 20, b"Hi There",
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    (b"Jefe", b"what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    (b"\xaa" * 20, b"\xdd" * 50,
     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
    (bytes(range(1, 26)), b"\xcd" * 50,
     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
    (b"\x0c" * 20, b"Test With Truncation", "a3b6167473100ee06e0c796c2955552b"),
    (b"\xaa" * 131, b"Test Using Larger Than Block-Size Key - Hash Key First",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    (b"\xaa" * 131, b"This is a test using a larger than block-size key and a larger than "
     b"block-size data. The key needs to be hashed before being used by the HMAC algorithm.",
     "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
)


def hexof(b):
    return "".join("%02x" % x for x in b)


def test_hmac_rfc4231_vectors():
    for key, msg, expect in RFC4231:
        d = hmac_sha256(key, msg)
        assert len(d) == 32
        assert hexof(d)[:len(expect)] == expect
        assert HmacSha256(key).digest(msg) == d
        assert HmacSha256(bytearray(key)).digest(bytearray(msg)) == d


def test_hmac_prepared_key_is_reusable_and_equal_compares():
    hm = HmacSha256(b"k")
    assert hm.digest(b"a") == hm.digest(b"a") == hmac_sha256(b"k", b"a")
    assert hm.digest(b"a") != hm.digest(b"b")
    assert hmac_sha256(b"", b"") == HmacSha256(b"\x00" * 64).digest(b"")   # zero padding
    assert equal(b"abc", b"abc") and not equal(b"abc", b"abd") and not equal(b"ab", b"abc")


# --- keys --------------------------------------------------------------------------------

def test_meter_keys_differ_per_serial_and_ratchet_forward():
    k0 = T.derive_meter_key(UTILITY, SERIAL)
    assert len(k0) == 32 and k0 == KEY
    assert T.derive_meter_key(UTILITY, SERIAL + 1) != k0
    assert T.derive_meter_key(UTILITY + b"x", SERIAL) != k0
    assert T.derive_meter_key(UTILITY, 0) != T.derive_meter_key(UTILITY, 0xFFFFFFFF)
    k3 = T.derive_meter_key(UTILITY, SERIAL, 3)
    assert k3 == T.ratchet(k0, 0, 3) == T.ratchet(T.ratchet(k0, 0, 1), 1, 3)
    assert T.ratchet(k0, 2, 2) == k0 and k3 != k0
    raises(ValueError, T.derive_meter_key, UTILITY, -1)
    raises(ValueError, T.derive_meter_key, UTILITY, 1 << 32)
    raises(ValueError, T.ratchet, k0, 2, 1)
    raises(ValueError, T.ratchet, k0, 0, T.KEY_REV_MAX + 1)


# --- format ------------------------------------------------------------------------------

CASES = (
    (T.CREDIT, 2000), (T.CREDIT, 0), (T.CREDIT, 1), (T.CREDIT, 65535), (T.CREDIT, 65600),
    (T.CREDIT, 1000000), (T.CREDIT, T.CREDIT_MAX),
    (T.RECONNECT, 0), (T.CANCEL_CUT, 0), (T.SET_TIME, 0), (T.CLEAR, 0),
    (T.NOCUT, T.nocut_value(0, 1)), (T.NOCUT, T.nocut_value(3, 30)),
    (T.NOCUT, T.nocut_value(63, 256)),
    (T.EMERGENCY, 0), (T.EMERGENCY, 1200), (T.EMERGENCY, T.EMERGENCY_MAX),
    (T.KEY_CHANGE, T.keychange_value(1, 0)), (T.KEY_CHANGE, T.keychange_value(1023, 15)),
    (T.PROTECT, T.protect_value(0, 61)), (T.PROTECT, T.protect_value(3, 0)),
    (T.PROTECT, T.protect_value(2, T.PROTECT_MAX_DAYS)),
)


def test_round_trip_of_every_kind():
    hm = T.prepare(KEY)
    seen = set()
    for kind, value in CASES:
        for tid in (0, 1, 1234567, T.ID_LIMIT - 1):
            digits = T.encode(KEY, kind, value, tid)
            assert len(digits) == 20 and digits.isdigit()
            assert int(digits) < 1 << 66
            assert T.decode(KEY, digits) == (kind, value, tid)
            assert T.decode(hm, digits) == (kind, value, tid)
            assert T.decode(KEY, digits.encode()) == (kind, value, tid)
            assert T.encode(hm, kind, value, tid) == digits
            seen.add(digits)
    assert len(seen) == len(CASES) * 4
    kinds = set(k for k, _ in CASES)
    assert len(kinds) == 9 and len(T.NAMES) == 10


def test_value_helpers():
    assert T.nocut_split(T.nocut_value(5, 30)) == (5, 30)
    assert T.nocut_split(T.nocut_value(63, 256)) == (63, 256)
    assert T.keychange_split(T.keychange_value(7, 2)) == (7, 2)
    for args in ((-1, 1), (64, 1), (0, 0), (0, 257)):
        raises(ValueError, T.nocut_value, *args)
    for args in ((0, 0), (1024, 0), (1, -1), (1, 16)):
        raises(ValueError, T.keychange_value, *args)
    tid = T.token_id_at(minute_of(2026, 12, 1, 23, 59), 0)
    start = T.nocut_start_day(tid, 0, T.nocut_value(2, 10))
    assert start == calendar.days_from_civil(2026, 12, 3) - 10957


def test_encode_refuses_what_the_format_cannot_carry():
    for kind, value, tid in (
            (T.CREDIT, -1, 0), (T.CREDIT, 65601, 0), (T.CREDIT, 6553600, 0),
            (T.CREDIT, 6553501, 0), (T.INVALID, 0, 0), (10, 0, 0), (T.PROTECT, 4 << 12, 0), (T.RECONNECT, 1, 0),
            (T.SET_TIME, 5, 0), (T.EMERGENCY, 16384, 0), (T.EMERGENCY, -1, 0),
            (T.NOCUT, 1 << 14, 0), (T.KEY_CHANGE, 5, 0), (T.KEY_CHANGE, 1 << 14, 0),
            (T.CREDIT, 100, -1), (T.CREDIT, 100, T.ID_LIMIT)):
        raises(ValueError, T.encode, KEY, kind, value, tid)


def test_known_answer_with_the_development_key():
    from devkeys import DEV_SERIAL, DEV_UTILITY_KEY_HEX
    import binascii
    dev = T.derive_meter_key(binascii.unhexlify(DEV_UTILITY_KEY_HEX), DEV_SERIAL)
    # credit 20.00 issued 2026-11-28T12:00:00Z (docs/tokens.md, tools/vend.py)
    tid = T.token_id_from_utc(1795867200, 0)
    assert tid == 5737680
    assert T.encode(dev, T.CREDIT, 2000, tid) == "13354784084274972624"
    assert T.decode(dev, "13354784084274972624") == (T.CREDIT, 2000, 5737680)


def test_every_single_digit_change_is_rejected():
    tokens = (T.encode(KEY, T.CREDIT, 2000, 1555200), T.encode(KEY, T.SET_TIME, 0, 77),
              T.encode(KEY, T.NOCUT, T.nocut_value(1, 14), T.ID_LIMIT - 1))
    hm = T.prepare(KEY)
    for digits in tokens:
        assert T.decode(hm, digits)[0] != T.INVALID
        for pos in range(20):
            for d in "0123456789":
                if d == digits[pos]:
                    continue
                bad = digits[:pos] + d + digits[pos + 1:]
                assert T.decode(hm, bad) == (T.INVALID, 0, -1), bad


def test_wrong_meter_or_revision_rejects():
    digits = T.encode(KEY, T.CREDIT, 2000, 1000)
    assert T.decode(T.derive_meter_key(UTILITY, SERIAL + 1), digits)[0] == T.INVALID
    assert T.decode(T.derive_meter_key(UTILITY, SERIAL, 1), digits)[0] == T.INVALID


def test_bad_digits_are_invalid_without_raising():
    good = T.encode(KEY, T.CLEAR, 0, 5)
    for bad in ("", good[:19], good + "0", good[:19] + "a", " " + good[1:], "+" + good[1:],
                good[:10] + "_" + good[11:], good[:19] + "\u0663", "99999999999999999999",
                "73786976294838206464", None, 12345, b"\xff" * 20, [1, 2]):
        assert T.decode(KEY, bad) == (T.INVALID, 0, -1), bad
    assert T.decode(KEY, "73786976294838206463")[0] == T.INVALID      # 2**66 - 1, bad MAC


def with_mac(cls, tid=99):
    """A token with a correct MAC over an arbitrary class field (what only a buggy or hostile
    vendor could make)."""
    n = (T._mac(T.prepare(KEY), tid, cls) << 42) | (tid << 18) | cls
    return "%020d" % n


def test_non_canonical_fields_are_invalid_even_with_a_good_mac():
    assert T.decode(KEY, with_mac(0x00000 | 5)) == (T.CREDIT, 5, 99)
    assert T.decode(KEY, with_mac(0x10000 | 700)) == (T.CREDIT, 70000, 99)
    assert T.decode(KEY, with_mac(0x10000 | 5))[0] == T.INVALID       # 500 belongs to e=0
    assert T.decode(KEY, with_mac(0x10000 | 655))[0] == T.INVALID
    # kind 9 (class bits 16-14 = 7, once reserved) is PROTECT: every value is canonical
    assert T.decode(KEY, with_mac(0x20000 | (7 << 14))) == (T.PROTECT, 0, 99)
    assert T.decode(KEY, with_mac(0x20000 | (7 << 14) | 0x3FFF)) == (T.PROTECT, 0x3FFF, 99)
    for kind in (T.RECONNECT, T.CANCEL_CUT, T.SET_TIME, T.CLEAR):
        assert T.decode(KEY, with_mac(0x20000 | ((kind - 2) << 14)))[0] == kind
        assert T.decode(KEY, with_mac(0x20000 | ((kind - 2) << 14) | 1))[0] == T.INVALID
    assert T.decode(KEY, with_mac(0x20000 | ((T.KEY_CHANGE - 2) << 14) | 3))[0] == T.INVALID


# --- token ids and the base date -----------------------------------------------------------

def test_token_id_and_time_conversions():
    assert M2016 == minute_of(2016, 1, 1)
    assert T.issue_utc(0, 0) == 1451606400                       # 2016-01-01T00:00:00Z
    assert T.token_id_from_utc(1451606400 + 59, 0) == 0
    assert T.token_id_from_utc(1451606400 + 60, 0) == 1
    assert T.issue_utc(T.token_id_from_utc(1798372800, 0), 0) == 1798372800
    raises(ValueError, T.token_id_from_utc, 1451606399, 0)
    assert isotime.iso_utc(T.issue_utc(T.ID_LIMIT - 1, 0)) == "2047-11-24T20:15:00Z"
    assert T.rollover_minute(0) == minute_of(2047, 11, 24, 20, 16)
    raises(ValueError, T.token_id_at, T.rollover_minute(0), 0)
    raises(ValueError, T.token_id_at, M2016 - 1, 0)
    assert T.base_minute(1) == minute_of(2032, 1, 1)
    assert T.base_minute(4) == minute_of(2080, 1, 1)
    assert T.base_minute(5) == minute_of(2096, 1, 1)
    assert T.newest_base(M2016 - 1) == -1
    assert T.newest_base(M2016) == 0
    assert T.newest_base(minute_of(2031, 12, 31, 23, 59)) == 0
    assert T.newest_base(minute_of(2032, 1, 1)) == 1
    assert T.newest_base(minute_of(2095, 12, 31, 23, 59)) == 4
    assert T.newest_base(minute_of(2096, 1, 1)) == 5
    assert T.newest_base(minute_of(2099, 12, 31)) == 5
    raises(ValueError, T.base_minute, 16)
    raises(ValueError, T.base_minute, -1)
    # every base overlaps the next by more than 15 years: time for a key change
    for b in range(T.BASE_MAX):
        assert T.rollover_minute(b) - T.base_minute(b + 1) > 15 * 365 * 1440


def test_a_token_for_july_2020_the_founding_case():
    # the simulator and acceptance tests replay July 2020: base 0 must express it
    at = isotime.parse_iso_utc("2020-07-02T10:00:00Z")
    m = minute_of(2020, 7, 2, 10, 0)
    assert T.newest_base(m) == 0
    tid = T.token_id_from_utc(at, 0)
    assert tid == T.token_id_at(m, 0) == 2367960
    assert T.issue_minute(tid, 0) == m and T.issue_utc(tid, 0) == at
    assert isotime.iso_utc(T.issue_utc(tid, 0)) == "2020-07-02T10:00:00Z"
    digits = T.encode(KEY, T.CREDIT, 2000, tid)
    assert T.decode(KEY, digits) == (T.CREDIT, 2000, tid)
    setter = T.encode(KEY, T.SET_TIME, 0, tid)
    assert T.decode(KEY, setter) == (T.SET_TIME, 0, tid)
    desk = Desk(KEY)
    assert desk.enter(digits, m) == codes.TOKEN_ACCEPTED
    assert desk.enter(digits, m + 1) == codes.TOKEN_USED
    from devkeys import DEV_SERIAL, DEV_UTILITY_KEY_HEX
    import binascii
    dev = T.derive_meter_key(binascii.unhexlify(DEV_UTILITY_KEY_HEX), DEV_SERIAL)
    assert T.encode(dev, T.CREDIT, 2000, tid) == "66080029325526042576"


# --- replay memory -----------------------------------------------------------------------

def test_replay_used_and_old():
    r = Replay()
    assert r.check(500) == 0 and r.remember(500) == 0
    assert r.check(500) == codes.TOKEN_USED and r.remember(500) == codes.TOKEN_USED
    assert r.check(499) == 0                      # older but unused: fine while not full
    for tid in range(1000, 1000 + SLOTS - 1):
        assert r.remember(tid) == 0
    assert r.count() == SLOTS and r.floor == 0
    assert r.check(10) == 0
    assert r.remember(2000) == 0                  # full: 500 is forgotten, floor above it
    assert r.floor == 501
    assert r.check(500) == codes.TOKEN_OLD and r.check(10) == codes.TOKEN_OLD
    assert r.check(1000) == codes.TOKEN_USED
    assert r.check(700) == 0                      # unused, newer than the floor: still good
    assert r.remember(700) == 0                   # older than everything held: at once OLD
    assert r.floor == 701 and r.check(700) == codes.TOKEN_OLD
    assert r.remember(1500) == 0 and r.floor == 1001
    assert r.check(1000) == codes.TOKEN_OLD and r.check(1001) == codes.TOKEN_USED
    raises(ValueError, r.remember, -1)
    raises(ValueError, r.remember, T.ID_LIMIT)
    r.clear()
    assert r.count() == 0 and r.floor == 0 and r.check(500) == 0


def test_replay_out_of_order_tokens_are_accepted():
    r = Replay()
    for tid in (30, 10, 20, 11):
        assert r.remember(tid) == 0
    for tid in (30, 10, 20, 11):
        assert r.check(tid) == codes.TOKEN_USED


def test_replay_serialises_and_refuses_bad_images():
    r = Replay()
    for tid in range(100, 100 + SLOTS + 5):
        r.remember(tid)
    data = r.to_bytes()
    assert len(data) == REPLAY_SIZE
    r2 = Replay()
    r2.from_bytes(data)
    assert r2.floor == r.floor and r2.ids == r.ids and r2.to_bytes() == data
    r2.from_bytes(bytearray(data))
    before = r2.to_bytes()
    raises(ValueError, r2.from_bytes, data[:-1])
    raises(ValueError, r2.from_bytes, data + b"\x00")
    import struct
    for floor, ids in ((-1, [-1] * SLOTS), (T.ID_LIMIT + 1, [-1] * SLOTS),
                       (0, [5, 5] + [-1] * (SLOTS - 2)), (10, [9] + [-1] * (SLOTS - 1)),
                       (0, [T.ID_LIMIT] + [-1] * (SLOTS - 1)), (0, [-2] + [-1] * (SLOTS - 1))):
        raises(ValueError, r2.from_bytes, struct.pack("<i32i", floor, *ids))
    assert r2.to_bytes() == before                 # unchanged after every refusal
    empty = Replay()
    r2.from_bytes(empty.to_bytes())
    assert r2.count() == 0


# --- a minimal token desk: how the meter combines the parts --------------------------------

class Desk:
    def __init__(self, key):
        self.key = key
        self.rev = 0
        self.base = 0
        self.replay = Replay()
        self.lock = Lockout()

    def enter(self, digits, minute):
        now = minute * 60
        if self.lock.locked_for(now):
            return codes.KEYPAD_LOCKED
        kind, value, tid = T.decode(self.key, digits)
        if kind == T.INVALID:
            self.lock.invalid(now)
            return codes.TOKEN_INVALID
        code = self.replay.check(tid)
        if code:
            return code
        if kind == T.KEY_CHANGE:
            changed = T.key_change(self.key, self.rev, self.base, value, tid)
            if changed is None:
                return codes.TOKEN_INVALID
            self.key, self.rev, self.base = changed
            self.replay.clear()
            return codes.KEY_CHANGED
        self.replay.remember(tid)
        return codes.TOKEN_ACCEPTED


def test_rollover_crossing_with_a_key_change():
    roll = T.rollover_minute(0)
    desk = Desk(KEY)
    # a full replay memory before the change
    for i in range(SLOTS):
        assert desk.enter(vend(KEY, T.CREDIT, 100, roll - 1000 + i), roll - 900) == \
            codes.TOKEN_ACCEPTED
    assert desk.replay.floor == 0 and desk.replay.count() == SLOTS
    last = vend(KEY, T.CREDIT, 500, roll - 1)                 # the last minute of base 0
    assert T.decode(KEY, last)[2] == T.ID_LIMIT - 1
    raises(ValueError, vend, KEY, T.CREDIT, 500, roll)       # base 0 cannot express it
    assert desk.enter(last, roll - 1) == codes.TOKEN_ACCEPTED
    assert desk.replay.floor > 0
    # the key change, vended just before the rollover, moves to revision 1 and base 1
    change = vend(KEY, T.KEY_CHANGE, T.keychange_value(1, 1), roll - 2)
    assert desk.enter(change, roll + 3) == codes.KEY_CHANGED
    k1 = T.derive_meter_key(UTILITY, SERIAL, 1)
    assert (desk.key, desk.rev, desk.base) == (k1, 1, 1)
    assert desk.replay.count() == 0 and desk.replay.floor == 0
    # nothing made under the old key works any more: not even as USED
    assert desk.enter(change, roll + 4) == codes.TOKEN_INVALID
    assert desk.enter(last, roll + 4) == codes.TOKEN_INVALID
    # tokens after the rollover, under the new base and key
    after = vend(k1, T.CREDIT, 2000, roll + 5, base=1)
    kind, value, tid = T.decode(k1, after)
    assert (kind, value) == (T.CREDIT, 2000)
    assert T.issue_utc(tid, 1) == T.issue_utc(T.ID_LIMIT - 1, 0) + 6 * 60
    assert isotime.iso_utc(T.issue_utc(tid, 1)) == "2047-11-24T20:21:00Z"
    assert desk.enter(after, roll + 6) == codes.TOKEN_ACCEPTED
    assert desk.enter(after, roll + 7) == codes.TOKEN_USED
    # a token the vendor still made with revision 0 after the change is refused
    assert desk.enter(vend(KEY, T.CREDIT, 2000, roll - 3), roll + 8) == codes.TOKEN_INVALID


def test_key_change_rules():
    m2033 = minute_of(2033, 6, 1)
    tid = T.token_id_at(m2033, 0)
    value = T.keychange_value(1, 1)
    new = T.key_change(KEY, 0, 0, value, tid)
    assert new is not None and new[0] == T.derive_meter_key(UTILITY, SERIAL, 1)
    # revision jumps are allowed (the meter ratchets several steps)
    new = T.key_change(KEY, 0, 0, T.keychange_value(5, 0), tid)
    assert new is not None and new == (T.derive_meter_key(UTILITY, SERIAL, 5), 5, 0)
    # not a newer revision, base moving back, base not yet started at the issue time
    assert T.key_change(KEY, 1, 0, value, tid) is None
    assert T.key_change(KEY, 2, 1, T.keychange_value(3, 0), tid) is None
    tid2031 = T.token_id_at(minute_of(2031, 12, 31, 23, 59), 0)   # base 1 starts 2032
    assert T.key_change(KEY, 0, 0, value, tid2031) is None
    assert T.key_change(KEY, 0, 0, value, tid2031 + 1) is not None
    # through a desk: a refused key change changes nothing
    desk = Desk(KEY)
    assert desk.enter(T.encode(KEY, T.KEY_CHANGE, value, tid2031), m2033) == \
        codes.TOKEN_INVALID
    assert desk.rev == 0 and desk.key == KEY


def test_desk_used_and_old_do_not_count_towards_lockout():
    desk = Desk(KEY)
    t = vend(KEY, T.CREDIT, 100, M2016 + 10)
    m = M2016 + 100
    assert desk.enter(t, m) == codes.TOKEN_ACCEPTED
    for _ in range(10):
        assert desk.enter(t, m) == codes.TOKEN_USED
    assert desk.lock.locked_for(m * 60) == 0
    bad = "1" + t[1:] if t[0] != "1" else "2" + t[1:]
    assert desk.enter(bad, m) == codes.TOKEN_INVALID
    assert desk.enter(bad, m) == codes.TOKEN_INVALID
    assert desk.enter(bad, m) == codes.TOKEN_INVALID
    assert desk.enter(vend(KEY, T.CLEAR, 0, M2016 + 11), m) == codes.KEYPAD_LOCKED
    assert desk.enter(vend(KEY, T.CLEAR, 0, M2016 + 11), m + 1) == codes.TOKEN_ACCEPTED
    # a valid token does not wipe the wrong-entry counter (it decays with calm time only)
    assert desk.lock.level == 1 and desk.lock.failures == 0


# --- lockout -----------------------------------------------------------------------------

def test_lockout_doubles_to_the_cap():
    lk = Lockout()
    now = 1000000
    locks = []
    for _ in range(13):
        assert lk.invalid(now) == 0 and lk.invalid(now) == 0
        n = lk.invalid(now)
        locks.append(n)
        assert lk.locked_for(now) == n and lk.locked_for(now + n - 1) == 1
        assert lk.invalid(now + n - 1) == 1            # ignored while locked
        now += n
        assert lk.locked_for(now) == 0
    assert locks == [60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 30720, 30720, 30720,
                     30720]


def test_lockout_level_decays_with_calm_time_only():
    lk = Lockout()
    now = 0
    for _ in range(6):                      # two locks: level 2
        now += lk.locked_for(now)
        lk.invalid(now)
    assert lk.level == 2 and lk.locked_for(now) == 120
    lk.locked_for(now + 30719)
    assert lk.level == 2
    lk.locked_for(now + 30720)              # cap_s without an invalid entry: one level off
    assert lk.level == 1
    lk.locked_for(now + 2 * 30720)
    assert lk.level == 0
    # pending failures decay too, once the level is 0
    now += 3 * 30720
    lk.invalid(now)
    lk.invalid(now)
    assert lk.failures == 2
    lk.locked_for(now + 30720)
    assert lk.failures == 0 and lk.calm == 0


def test_lockout_cap_is_configurable():
    lk = Lockout(cap_s=300)
    seq = []
    now = 0
    for _ in range(5):
        lk.invalid(now)
        lk.invalid(now)
        seq.append(lk.invalid(now))
        now += lk.locked_for(now)
    assert seq == [60, 120, 240, 300, 300]
    assert Lockout(cap_s=60).length(5) == 60
    raises(ValueError, Lockout, 30, 3, 60)
    raises(ValueError, Lockout, 300, 0)


def test_lockout_survives_a_reboot_on_powered_time_only():
    lk = Lockout()
    now = 500
    for _ in range(9):                          # three locks: 60, 120, then 240 s
        now += lk.locked_for(now)
        lk.invalid(now)
    assert lk.level == 3 and lk.locked_for(now) == 240
    lk.locked_for(now + 100)
    data = lk.to_bytes()                        # committed 100 s into the lock
    # power cut, reboot: the monotonic counter starts again at 0; the lock goes on from the
    # record, and neither the time since the commit nor the time without power counts
    after = Lockout()
    after.from_bytes(data)
    assert after.locked_for(0) == 140
    assert after.locked_for(50) == 90
    assert after.invalid(57) == 83              # still locked, not counted
    assert after.locked_for(140) == 0
    # the next lock keeps doubling: no reset by power cycling
    for _ in range(3):
        after.invalid(200)
    assert after.locked_for(200) == 480
    assert Lockout().to_bytes() != data


def test_lockout_refuses_bad_images():
    lk = Lockout()
    import struct
    raises(ValueError, lk.from_bytes, b"")
    raises(ValueError, lk.from_bytes, lk.to_bytes() + b"\x00")
    for level, failures, left in ((0, 0, 5), (1, 3, 5), (41, 0, 5)):
        raises(ValueError, lk.from_bytes, struct.pack("<BBII", level, failures, left, 0))
    assert lk.to_bytes() == Lockout().to_bytes()
    # a lowered cap: the stored level is brought down to the new top level, the lock with it
    small = Lockout(cap_s=120)
    small.from_bytes(struct.pack("<BBII", 10, 2, 5000, 0))
    assert small.level == 2 and small.failures == 2 and small.locked_for(0) == 120
    # a 0.1.0 record ("<BBq": level, failures, lock end in RTC seconds): a full lock of its
    # level, never the years to an RTC date
    old = Lockout()
    old.from_bytes(struct.pack("<BBq", 2, 1, 830000000))
    assert old.level == 2 and old.failures == 1 and old.locked_for(0) == 120 and old.calm == 0
    old.from_bytes(struct.pack("<BBq", 0, 2, 0))
    assert old.level == 0 and old.left == 0
