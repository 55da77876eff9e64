"""Native tokens under CPython oracles and random input (hypothesis): HMAC against the hmac
module, random digit strings never accepted, nothing ever raises on keypad input, replay memory
and lockout against simple models, and the lockout arithmetic of docs/tokens.md."""
import datetime
import hashlib
import hmac
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from meter.core import codes
from meter.core import token as T
from meter.core.hmac_sha256 import HmacSha256, hmac_sha256
from meter.core.lockout import Lockout
from meter.core.replay import SLOTS, Replay

KEY = T.derive_meter_key(b"fuzz utility key", 7)
HM = T.prepare(KEY)
DIGITS20 = st.text(alphabet="0123456789", min_size=20, max_size=20)


@given(st.binary(max_size=200), st.binary(max_size=300))
def test_hmac_matches_cpython(key, msg):
    expect = hmac.new(key, msg, hashlib.sha256).digest()
    assert hmac_sha256(key, msg) == expect
    assert HmacSha256(key).digest(msg) == expect


@given(st.binary(min_size=1, max_size=64), st.integers(0, 2 ** 32 - 1), st.integers(0, 5))
def test_key_derivation_matches_an_independent_oracle(utility, serial, rev):
    key = hmac.new(utility, b"meter-key" + serial.to_bytes(4, "big"), hashlib.sha256).digest()
    for r in range(1, rev + 1):
        key = hmac.new(key, b"key-rev" + r.to_bytes(2, "big"), hashlib.sha256).digest()
    assert T.derive_meter_key(utility, serial, rev) == key


def oracle_token(key, kind, value, tid):
    """The format of docs/tokens.md, written independently with big ints."""
    if kind == T.CREDIT:
        cls = value if value <= 65535 else (1 << 16) | (value // 100)
    else:
        cls = (1 << 17) | ((kind - 2) << 14) | value
    msg = b"BMT1" + tid.to_bytes(3, "big") + cls.to_bytes(3, "big")
    mac = int.from_bytes(hmac.new(key, msg, hashlib.sha256).digest()[:3], "big")
    return "%020d" % ((mac << 42) | (tid << 18) | cls)


KINDS = st.one_of(
    st.tuples(st.just(T.CREDIT), st.integers(0, 65535)),
    st.tuples(st.just(T.CREDIT), st.integers(656, 65535).map(lambda m: m * 100)),
    st.tuples(st.sampled_from([T.RECONNECT, T.CANCEL_CUT, T.SET_TIME, T.CLEAR]), st.just(0)),
    st.tuples(st.just(T.NOCUT), st.builds(T.nocut_value, st.integers(0, 63),
                                          st.integers(1, 256))),
    st.tuples(st.just(T.EMERGENCY), st.integers(0, T.EMERGENCY_MAX)),
    st.tuples(st.just(T.KEY_CHANGE), st.builds(T.keychange_value, st.integers(1, 1023),
                                               st.integers(0, 15))),
    st.tuples(st.just(T.PROTECT), st.builds(T.protect_value, st.integers(0, 3),
                                            st.integers(0, T.PROTECT_MAX_DAYS))),
)


@given(st.binary(min_size=1, max_size=80), KINDS, st.integers(0, T.ID_LIMIT - 1))
def test_round_trip_against_the_oracle(key, kind_value, tid):
    kind, value = kind_value
    digits = T.encode(key, kind, value, tid)
    assert digits == oracle_token(key, kind, value, tid)
    assert T.decode(key, digits) == (kind, value, tid)
    assert T.decode(KEY, digits)[0] == T.INVALID or key == KEY


@given(DIGITS20)
def test_random_digit_strings_are_not_tokens(digits):
    # P(accept) = 0.738 (below 2**66) * 0.747 (well-formed) * 2**-24 = 3.3e-8 per string
    assert T.decode(HM, digits) == (T.INVALID, 0, -1)


@settings(max_examples=300)
@given(st.one_of(st.text(max_size=40), st.binary(max_size=40), st.none(), st.integers(),
                 st.lists(st.integers(0, 9), max_size=20)),
       st.binary(max_size=80))
def test_nothing_typed_makes_decode_raise(anything, key):
    kind, value, tid = T.decode(key, anything)
    assert kind == T.INVALID or (isinstance(anything, (str, bytes)) and len(anything) == 20)


def test_acceptance_rate_of_random_strings():
    rng = random.Random(2024)
    accepted = 0
    n = 200000
    for _ in range(n):
        if T.decode(HM, "%020d" % rng.randrange(10 ** 20))[0] != T.INVALID:
            accepted += 1
    assert accepted <= 1          # expected 0.006


def test_a_forger_who_knows_the_format_needs_the_mac():
    # right structure, every field chosen, random MAC: accepted about once in 2**24
    rng = random.Random(7)
    good = T.encode(KEY, T.CREDIT, 100000, 5000)
    low = int(good) & ((1 << 42) - 1)
    hits = sum(1 for _ in range(100000)
               if T.decode(HM, "%020d" % ((rng.randrange(1 << 24) << 42) | low))[0])
    assert hits <= 1


# --- base dates and token ids against datetime ----------------------------------------------

UTC = datetime.timezone.utc
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)


def test_base_dates_against_datetime():
    # base b starts 2016-01-01 + b * 5844 days (1 January of 2016 + 16 b up to base 5; 2100
    # is no leap year, so from base 6 on a day later) and lasts 2**24 minutes
    base0 = datetime.datetime(2016, 1, 1, tzinfo=UTC)
    for b in range(T.BASE_MAX + 1):
        start = base0 + datetime.timedelta(days=5844 * b)
        if b <= 5:
            assert start == datetime.datetime(2016 + 16 * b, 1, 1, tzinfo=UTC)
        assert T.issue_utc(0, b) == int((start - EPOCH).total_seconds())
        roll = start + datetime.timedelta(minutes=2 ** 24)
        assert T.issue_utc(T.ID_LIMIT - 1, b) + 60 == int((roll - EPOCH).total_seconds())
    assert (datetime.datetime(2016, 1, 1, tzinfo=UTC)
            + datetime.timedelta(minutes=2 ** 24)).isoformat() == "2047-11-24T20:16:00+00:00"


@given(st.datetimes(min_value=datetime.datetime(2010, 1, 1),
                    max_value=datetime.datetime(2060, 1, 1)), st.integers(0, 1))
def test_token_ids_against_datetime(when, base):
    utc = int((when.replace(tzinfo=UTC) - EPOCH).total_seconds())
    start = datetime.datetime(2016 + 16 * base, 1, 1)
    expect = (when - start) // datetime.timedelta(minutes=1)
    if 0 <= expect < 2 ** 24:
        tid = T.token_id_from_utc(utc, base)
        assert tid == expect
        assert T.issue_utc(tid, base) == utc - utc % 60
        assert T.newest_base(T.issue_minute(tid, base)) >= base
    else:
        try:
            T.token_id_from_utc(utc, base)
        except ValueError:
            pass
        else:
            raise AssertionError("token id outside the base")


# --- replay memory against a model -------------------------------------------------------

@given(st.lists(st.integers(0, 200), max_size=120), st.integers(0, 119))
def test_replay_never_accepts_an_id_twice(ids, reboot_at):
    r = Replay()
    accepted = []
    for i, tid in enumerate(ids):
        if i == reboot_at:
            r2 = Replay()
            r2.from_bytes(r.to_bytes())
            r = r2
        code = r.check(tid)
        if tid in accepted:
            assert code in (codes.TOKEN_USED, codes.TOKEN_OLD)
        if code == 0:
            assert r.remember(tid) == 0
            accepted.append(tid)
            assert r.check(tid) in (codes.TOKEN_USED, codes.TOKEN_OLD)
        # the window: the newest SLOTS accepted ids are USED, any id not yet accepted at or
        # above the floor is good, everything below the floor is OLD
        newest = sorted(accepted)[-SLOTS:]
        for t in newest:
            assert r.check(t) == codes.TOKEN_USED
        assert r.count() == len(newest)
        if len(accepted) > SLOTS:
            assert r.floor == sorted(accepted)[-SLOTS - 1] + 1
        else:
            assert r.floor == 0
        for t in range(0, 202):
            if t < r.floor:
                assert r.check(t) == codes.TOKEN_OLD
            elif t not in accepted:
                assert r.check(t) == 0


# --- lockout ------------------------------------------------------------------------------

OPS = st.lists(st.one_of(
    st.tuples(st.just("invalid"), st.integers(0, 100)),
    st.tuples(st.just("wait"), st.integers(0, 40000)),
    st.tuples(st.just("reboot"), st.integers(0, 10 ** 6)),   # then powered time after it
), max_size=60)


@given(OPS)
def test_lockout_is_never_longer_than_its_level_and_survives_reboots(ops):
    lk = Lockout()
    now = 0
    for op, arg in ops:
        if op == "invalid":
            now += arg
            was = lk.locked_for(now)
            n = lk.invalid(now)
            if was:
                assert n == was
        elif op == "wait":
            now += arg
        else:
            before = lk.locked_for(now)
            level = lk.level
            data = lk.to_bytes()
            lk = Lockout()
            lk.from_bytes(data)
            assert lk.locked_for(0) == before and lk.level == level      # nothing unlocked
            now = arg                      # powered time since the new boot
            assert lk.locked_for(now) == max(0, before - arg)
        left = lk.locked_for(now)
        assert 0 <= left <= lk.length(lk.level) <= 30720


def attacker_seconds(tries, cap_s=30720):
    """Seconds of lock an attacker sits through to make `tries` invalid entries (typing at
    once when a lock ends: no decay on the way)."""
    lk = Lockout(cap_s=cap_s)
    now = 0
    for _ in range(tries):
        now += lk.locked_for(now)
        lk.invalid(now)
    return now


def test_lockout_arithmetic_in_the_docs():
    assert attacker_seconds(3) == 0                       # 3 tries, then the first lock
    assert attacker_seconds(4) == 60
    assert attacker_seconds(31) == 61380                  # 10 locks: 60 * (2**10 - 1)
    assert attacker_seconds(34) == 61380 + 30720
    # a day at the cap: 3 tries per 30720 s, 8.4 tries a day
    n = 31 + 3 * 100
    assert attacker_seconds(n) == 61380 + 100 * 30720
    # 2**23 tries (half the MAC space): floor(2**23 / 3) locks
    locks = (2 ** 23) // 3
    total = 61380 + (locks - 10) * 30720
    assert total == 85899079620                           # ~2722 years (docs/tokens.md)
    assert 2700 < total / (365.25 * 86400) < 2750
