"""OpenPAYGO Token decoder against the reference package `openpaygo`, live.

The reference decoder is driven as a device (RefDevice): its used-count list is carried from one
token to the next and the counter moves up only, which is our documented rule (the reference
library leaves the counter to the device).  Two reference quirks are worked around there and
pinned down by their own tests below:
- update_used_counts returns None when given an empty list, after which an older token makes
  the decoder raise TypeError.  RefDevice keeps a sentinel count (-1000) in the list, which is
  never a real count and never the highest one, so the list is never empty.
- a match at any lower count, however old, is reported ALREADY_USED.  We do the same (USED).
"""
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpaygo import OpenPAYGOTokenDecoder, OpenPAYGOTokenEncoder, TokenType
from openpaygo.token_shared import OpenPAYGOTokenShared

from meter.core import openpaygo as op

KEY_HEX = "a29ab82edc5fbbc41ec9530f6dac86b1"
KEY = bytes.fromhex(KEY_HEX)
START = 123456789
SENTINEL = -1000

_TOKENS = {}


def make(count, kind, value=None, restricted=False, start=START):
    """The reference's token at exactly `count` (kind: ADD even, SET/DISABLE/SYNC odd)."""
    k = (count, kind, value, restricted, start)
    if k not in _TOKENS:
        ref_type = {op.ADD: TokenType.ADD_TIME, op.SET: TokenType.SET_TIME,
                    op.DISABLE: TokenType.DISABLE_PAYG, op.SYNC: TokenType.COUNTER_SYNC}[kind]
        n, digits = OpenPAYGOTokenEncoder.generate_token(
            secret_key=KEY_HEX, count=count - 1, value=value, token_type=ref_type,
            starting_code=start, restricted_digit_set=restricted)
        assert n == count
        _TOKENS[k] = digits
    return _TOKENS[k]


def make_raw(count, value):
    """A token the public encoder refuses to make (value 996-999 at any parity), made with its
    lower-level function: only a non-conforming encoder would, but the decoder must agree."""
    ref_type = TokenType.ADD_TIME if count % 2 == 0 else TokenType.SET_TIME
    n, digits = OpenPAYGOTokenEncoder.generate_standard_token(
        starting_code=START, key=KEY, value=value, count=count - 1, mode=ref_type)
    assert n == count
    return digits


def kind_of(value, ref_type):
    if value <= 995:
        return op.ADD if ref_type == TokenType.ADD_TIME else op.SET
    return {998: op.DISABLE, 999: op.SYNC}.get(value, op.UNDEFINED)


class RefDevice:
    def __init__(self, last=1, start=START, restricted=False):
        self.count = last
        self.used = []
        self.start = start
        self.restricted = restricted

    def enter(self, digits):
        value, ref_type, count, updated = OpenPAYGOTokenDecoder.decode_token(
            token=digits, secret_key=KEY_HEX, count=self.count,
            used_counts=self.used + [SENTINEL], starting_code=self.start,
            restricted_digit_set=self.restricted)
        if value is None:
            return (op.INVALID if ref_type == TokenType.INVALID else op.USED), 0, -1
        assert (ref_type == TokenType.ADD_TIME) == (count % 2 == 0)
        self.used = [c for c in updated if c != SENTINEL]
        self.count = max(self.count, count)
        value = int(value)
        return kind_of(value, ref_type), value, count

    def used_window(self):
        return sorted(c for c in self.used if max(0, self.count - 15) <= c <= self.count)


def ours_used_window(state):
    return sorted(c for c in range(max(0, state.last_count - 15), state.last_count + 1)
                  if state.is_used(c))


class Pair:
    """Ours (a kept decoder, and a fresh one-off decode) and the reference, fed the same."""

    def __init__(self, last=1, start=START, restricted=False):
        self.ref = RefDevice(last, start, restricted)
        self.dec = op.OpenPaygoDecoder(KEY, start, restricted)
        self.state = op.OpenPaygoState(last)
        self.one_off = op.OpenPaygoState(last)
        self.start = start
        self.restricted = restricted

    def enter(self, digits):
        before = self.state.to_bytes()
        expected = self.ref.enter(digits)
        got = self.dec.decode(digits, self.state)
        assert got == expected, (digits, got, expected)
        assert op.decode(digits, KEY, self.start, self.one_off, self.restricted) == expected
        assert self.one_off == self.state
        if got[0] in (op.INVALID, op.USED):
            assert self.state.to_bytes() == before
        assert self.state.last_count == self.ref.count
        assert ours_used_window(self.state) == self.ref.used_window(), digits
        return got


# --- long random sequences -------------------------------------------------------------------

issue = st.tuples(
    # the server issues a token (kind, value, counts skipped before it); delivered or not.
    # Repeated small values make the decoder reuse its RAM chain positions.
    st.just("issue"),
    st.sampled_from((op.ADD, op.ADD, op.ADD, op.SET, op.DISABLE, op.SYNC)),
    st.one_of(st.sampled_from((5, 10, 20)), st.integers(0, 995)),
    st.sampled_from((0, 0, 0, 1, 2, 13, 40, 62, 63, 64, 70)),
    st.sampled_from((True, True, True, False)))
step = st.one_of(
    issue, issue, issue,
    st.tuples(st.just("replay"), st.integers(0, 10 ** 6)),
    st.tuples(st.just("typo"), st.integers(0, 10 ** 6), st.integers(0, 8), st.integers(1, 9)),
    st.tuples(st.just("random"), st.integers(0, 999999999)),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=5, max_size=30), st.integers(0, 3))
def test_random_sequences_agree_with_reference(steps, start_last):
    pair = Pair(last=start_last)
    server = start_last
    issued = []
    for s in steps:
        if s[0] == "issue":
            _, kind, value, skip, delivered = s
            if server > 220:
                continue                        # keeps the reference's cost per token bounded
            server += skip
            count = server + 1
            if (kind == op.ADD) != (count % 2 == 0):
                count += 1
            server = count
            digits = make(count, kind, value if kind in (op.ADD, op.SET) else None)
            issued.append(digits)
            if delivered:
                pair.enter(digits)
        elif not issued:
            continue
        elif s[0] == "replay":
            pair.enter(issued[s[1] % len(issued)])
        elif s[0] == "typo":
            t = issued[s[1] % len(issued)]
            i = s[2]
            digit = str((int(t[i]) + s[3]) % 10)
            pair.enter(t[:i] + digit + t[i + 1:])
        else:
            pair.enter("%09d" % s[1])


@settings(max_examples=60, deadline=None)
@given(st.permutations([(c, op.ADD) for c in range(2, 44, 2)] + [(c, op.SET) for c in (9, 25, 37)]
                       + [(21, op.SYNC), (33, op.DISABLE)]),
       st.integers(0, 30), st.integers(1, 15))
def test_tokens_entered_in_any_order(tokens, cut, start_last):
    # older unused tokens, replays and Set/Sync marking, in every order
    pair = Pair(last=start_last)
    for count, kind in tokens[:cut] + tokens[:cut // 3]:
        pair.enter(make(count, kind, count if kind in (op.ADD, op.SET) else None))


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.integers(1, 40))
def test_random_nine_digit_strings(digits, last):
    pair = Pair(last=last)
    pair.enter(digits)


def test_near_misses_of_valid_tokens():
    # every one-digit change of a few valid tokens: the reference and we decide alike
    for count, kind, value in ((10, op.ADD, 5), (11, op.SET, 100), (13, op.SYNC, None)):
        t = make(count, kind, value)
        for i in range(9):
            for d in range(10):
                pair = Pair(last=8)
                pair.enter(t[:i] + str(d) + t[i + 1:])


# --- jumps, older tokens, replays ------------------------------------------------------------

def test_jump_of_64_accepted_65_rejected():
    pair = Pair(last=10)
    assert pair.enter(make(76, op.ADD, 1)) == (op.INVALID, 0, -1)     # 66 above
    assert pair.enter(make(75, op.SET, 1)) == (op.INVALID, 0, -1)     # 65 above
    assert pair.enter(make(74, op.ADD, 1)) == (op.ADD, 1, 74)         # 64 above
    pair = Pair(last=11)
    assert pair.enter(make(76, op.ADD, 1)) == (op.INVALID, 0, -1)     # 65 above
    assert pair.enter(make(75, op.SET, 7)) == (op.SET, 7, 75)         # 64 above
    assert pair.enter(make(76, op.ADD, 1)) == (op.ADD, 1, 76)         # now 1 above


def test_sync_jump_of_100_accepted_101_rejected():
    pair = Pair(last=10)
    assert pair.enter(make(111, op.SYNC)) == (op.INVALID, 0, -1)
    pair = Pair(last=11)
    assert pair.enter(make(111, op.SYNC)) == (op.SYNC, 999, 111)
    assert pair.state.last_count == 111 and pair.state.used == 0xFFFF


def test_older_unused_tokens_window():
    # Add tokens 2..40 issued; 40 entered first, then the older ones newest first
    pair = Pair()
    assert pair.enter(make(40, op.ADD, 40)) == (op.ADD, 40, 40)
    for count in range(38, 0, -2):
        got = pair.enter(make(count, op.ADD, count))
        if count >= 26:                          # last-14 .. ; last-16 = 24 is too old
            assert got == (op.ADD, count, count)
        else:
            assert got == (op.USED, 0, -1)
    for count in range(26, 42, 2):
        assert pair.enter(make(count, op.ADD, count)) == (op.USED, 0, -1)
    # with an odd counter the oldest accepted count is exactly last-15
    pair = Pair()
    assert pair.enter(make(41, op.SET, 1)) == (op.SET, 1, 41)
    assert pair.enter(make(26, op.ADD, 26)) == (op.USED, 0, -1)   # a Set marks all below used
    pair = Pair()
    assert pair.enter(make(40, op.ADD, 1))[0] == op.ADD
    assert pair.enter(make(41, op.SYNC))[0] == op.SYNC          # sync also marks all used
    assert pair.enter(make(38, op.ADD, 1)) == (op.USED, 0, -1)
    pair = Pair(last=41)
    assert pair.enter(make(26, op.ADD, 26)) == (op.ADD, 26, 26)  # last-15: accepted once
    assert pair.enter(make(26, op.ADD, 26)) == (op.USED, 0, -1)
    assert pair.enter(make(24, op.ADD, 24)) == (op.USED, 0, -1)  # last-17: rejected


def test_older_set_tokens_are_never_accepted():
    pair = Pair()
    assert pair.enter(make(20, op.ADD, 1))[0] == op.ADD
    assert pair.enter(make(19, op.SET, 5)) == (op.USED, 0, -1)
    assert pair.enter(make(17, op.DISABLE)) == (op.USED, 0, -1)


def test_replays_are_used():
    pair = Pair()
    tokens = [make(c, op.ADD, c % 996) for c in range(2, 60, 2)]
    for t in tokens:
        assert pair.enter(t)[0] == op.ADD
    for t in tokens:
        assert pair.enter(t) == (op.USED, 0, -1)


def test_sync_token_within_64_below_is_accepted_again():
    # reference rule: a sync token is valid while its count is above last-64; it marks the
    # window used but, by our counter rule, cannot move the counter down
    pair = Pair()
    assert pair.enter(make(11, op.SYNC))[0] == op.SYNC
    assert pair.enter(make(40, op.ADD, 1))[0] == op.ADD
    assert pair.enter(make(36, op.ADD, 1))[0] == op.ADD
    assert pair.enter(make(11, op.SYNC)) == (op.SYNC, 999, 11)
    assert pair.state.last_count == 40
    assert pair.enter(make(38, op.ADD, 1)) == (op.USED, 0, -1)   # the sync used it up
    assert pair.enter(make(12, op.ADD, 1)) == (op.USED, 0, -1)
    pair = Pair(last=74)
    assert pair.enter(make(11, op.SYNC)) == (op.SYNC, 999, 11)   # 63 below: accepted
    assert pair.state.last_count == 74
    pair = Pair(last=75)
    assert pair.enter(make(11, op.SYNC)) == (op.USED, 0, -1)     # 64 below: rejected


def test_values_the_encoder_refuses_agree_too():
    pair = Pair()
    assert pair.enter(make_raw(4, 996)) == (op.UNDEFINED, 996, 4)
    assert pair.enter(make_raw(2, 5)) == (op.ADD, 5, 2)           # Add at 996 marks only itself
    assert pair.enter(make_raw(7, 997)) == (op.UNDEFINED, 997, 7)
    assert pair.enter(make_raw(10, 998)) == (op.DISABLE, 998, 10)  # even 998: reference ADD_TIME
    assert pair.enter(make_raw(8, 5)) == (op.USED, 0, -1)          # ... but it marks all used
    assert pair.enter(make_raw(14, 999)) == (op.SYNC, 999, 14)
    assert pair.enter(make_raw(12, 5)) == (op.USED, 0, -1)


def test_starting_code_from_key_and_restricted_digits():
    assert op.starting_code_from_key(KEY) == OpenPAYGOTokenShared.generate_starting_code(KEY)
    pair = Pair(start=None)
    for count in (2, 6, 4, 4):
        pair.enter(OpenPAYGOTokenEncoder.generate_token(
            secret_key=KEY_HEX, count=count - 1, value=count)[1])
    pair = Pair(restricted=True)
    for count in (2, 8, 4, 4, 7, 70):
        kind = op.ADD if count % 2 == 0 else op.SET
        pair.enter(make(count, kind, 3, restricted=True))


def test_many_keys_and_starting_codes():
    rnd = random.Random(11)
    for _ in range(6):
        key = bytes(rnd.randrange(256) for _ in range(16))
        start = rnd.randrange(10 ** 9)
        dec = op.OpenPaygoDecoder(key, start)
        state = op.OpenPaygoState()
        count = 1
        for _ in range(4):
            value = rnd.randrange(996)
            count, digits = OpenPAYGOTokenEncoder.generate_token(
                secret_key=key.hex(), count=count, value=value, starting_code=start)
            assert dec.decode(digits, state) == (op.ADD, value, count)


# --- reference quirks and our choices --------------------------------------------------------

def test_quirk_empty_used_counts_returns_none_then_raises():
    t2, t4 = make(2, op.ADD, 1), make(4, op.ADD, 1)
    value, _, count, updated = OpenPAYGOTokenDecoder.decode_token(
        token=t4, secret_key=KEY_HEX, count=1, used_counts=[], starting_code=START)
    assert (value, count, updated) == (1, 4, None)
    try:
        OpenPAYGOTokenDecoder.decode_token(token=t2, secret_key=KEY_HEX, count=4,
                                           used_counts=updated, starting_code=START)
        raised = False
    except TypeError:
        raised = True
    assert raised
    # ours: the older unused token is accepted once, then USED; never an exception
    dec = op.OpenPaygoDecoder(KEY, START)
    state = op.OpenPaygoState()
    assert dec.decode(t4, state) == (op.ADD, 1, 4)
    assert dec.decode(t2, state) == (op.ADD, 1, 2)
    assert dec.decode(t2, state) == (op.USED, 0, -1)
    assert dec.decode(t4, state) == (op.USED, 0, -1)


def test_quirk_ancient_match_is_used_not_invalid():
    # the reference scans from count 0 and calls any earlier match ALREADY_USED, even far
    # below the window (the C decoder says invalid there); we follow the Python reference
    pair = Pair()
    old = make(2, op.ADD, 9)
    assert pair.enter(make(60, op.ADD, 1))[0] == op.ADD
    assert pair.enter(make(120, op.ADD, 1))[0] == op.ADD
    assert pair.enter(old) == (op.USED, 0, -1)
    pair = Pair(last=120)
    assert pair.enter(old) == (op.USED, 0, -1)     # never entered, but older than the window


def test_our_counter_never_moves_down():
    # The reference's device simulator sets the counter to a sync token's count even when it
    # is lower.  A replayed sync token would then re-open used Add tokens.  Ours keeps the
    # counter; decisions on the token itself are the reference's.
    dec = op.OpenPaygoDecoder(KEY, START)
    state = op.OpenPaygoState()
    sync, add = make(21, op.SYNC), make(30, op.ADD, 50)
    assert dec.decode(sync, state)[0] == op.SYNC
    assert dec.decode(add, state) == (op.ADD, 50, 30)
    assert dec.decode(make(50, op.ADD, 1), state)[0] == op.ADD
    assert dec.decode(sync, state) == (op.SYNC, 999, 21)
    assert state.last_count == 50
    assert dec.decode(add, state) == (op.USED, 0, -1)
    # what the simulator's rule would allow: counter 21 again, and the Add token credits twice
    value, _, count, _ = OpenPAYGOTokenDecoder.decode_token(
        token=add, secret_key=KEY_HEX, count=21, used_counts=list(range(34, 51)),
        starting_code=START)
    assert (value, count) == (50, 30)


def test_short_tokens_are_invalid_though_the_reference_pads_them():
    # the reference reads "12345" as 000012345; we want exactly the 9 digits printed
    count = 2
    while not make(count, op.ADD, 0).startswith("0"):
        count += 2
    t = make(count, op.ADD, 0)
    assert OpenPAYGOTokenDecoder.decode_token(
        token=t[1:], secret_key=KEY_HEX, count=count - 2, used_counts=[SENTINEL],
        starting_code=START)[:3] == (0, TokenType.ADD_TIME, count)
    pair = Pair(last=count - 2)
    assert pair.dec.decode(t[1:], pair.state) == (op.INVALID, 0, -1)
    assert pair.dec.decode(t + "0", pair.state) == (op.INVALID, 0, -1)
    assert pair.dec.decode(t, pair.state) == (op.ADD, 0, count)
