"""OpenPAYGO Token decoder and SipHash-2-4, portable (CPython and MicroPython).

The token strings and their expected decodes were made once with the reference package
`openpaygo` (OpenPAYGOTokenEncoder.generate_token, then OpenPAYGOTokenDecoder.decode_token
driven as a device: used-count list carried, counter moved up only); they are not produced by
the code under test.  host_tests/test_openpaygo_oracle.py compares against the package live.
"""
import binascii

from mpcompat import raises

from meter.core import openpaygo as op
from meter.core.siphash import fold_word, key_state, siphash24

# SipHash-2-4 reference vectors (the paper's vectors.h): key 00..0f, message 00..(i-1)
SIP_VECTORS = (
    "310e0edd47db6f72 fd67dc93c539f874 5a4fa9d909806c0d 2d7efbd796666785 "
    "b7877127e09427cf 8da699cd64557618 cee3fe586e46c9cb 37d1018bf50002ab "
    "6224939a79f5f593 b0e4a90bdf82009e f3b9dd94c5bb5d7a a7ad6b22462fb3f4 "
    "fbe50e86bc8f1e75 903d84c02756ea14 eef27a8e90ca23f7 e545be4961ca29a1 "
    "db9bc2577fcc2a3f 9447be2cf5e99a69 9cd38d96f0b3c14b bd6179a71dc96dbb "
    "98eea21af25cd6be c7673b2eb0cbf2d0 883ea3e395675393 c8ce5ccd8c030ca8 "
    "94af49f6c650adb8 eab8858ade92e1bc f315bb5bb835d817 adcf6b0763612e2f "
    "a5c91da7acaa4dde 716595876650a2a6 28ef495c53a387ad 42c341d8fa92d832 "
    "ce7cf2722f512771 e37859f94623f3a7 381205bb1ab0e012 ae97a10fd434e015 "
    "b4a31508beff4d31 81396229f0907902 4d0cf49ee5d4dcca 5c73336a76d8bf9a "
    "d0a704536ba93e0e 925958fcd6420cad a915c29bc8067318 952b79f3bc0aa6d4 "
    "f21df2e41d4535f9 87577519048f53a9 10a56cf5dfcd9adb eb75095ccd986cd0 "
    "51a9cb9ecba312e6 96afadfc2ce666c7 72fe52975a4364ee 5a1645b276d592a1 "
    "b274cb8ebf87870a 6f9bb4203de7b381 eaecb2a30b22a87f 9924a43cc1315724 "
    "bd838d3aafbf8db7 0b1a2a3265d51aea 135079a3231ce660 932b2846e4d70666 "
    "e1915f5cb1eca46c f325965ca16d629f 575ff28e60381be5 724506eb4c328a95"
).split()

KEY = binascii.unhexlify("bc41ec9530f6dac86b1a29ab82edc5fb")
START = 516959010
A, S_, D, Y, U, I = op.ADD, op.SET, op.DISABLE, op.SYNC, op.USED, op.INVALID

# entered in this order on a fresh state (counter 1)
SEQUENCE = (
    ("717075020", (A, 10, 2)),
    ("717075020", (U, 0, -1)),      # replay
    ("928281013", (A, 3, 6)),
    ("691836017", (A, 7, 4)),       # older, unused: accepted once
    ("691836017", (U, 0, -1)),
    ("150196130", (S_, 120, 7)),
    ("691836017", (U, 0, -1)),
    ("973418060", (A, 50, 70)),     # jump of 63
    ("448057035", (U, 0, -1)),      # count 8, far below the window: USED, as the reference says
    ("021129008", (D, 998, 71)),
    ("987048009", (Y, 999, 75)),
    ("123456789", (I, 0, -1)),
    ("973418061", (I, 0, -1)),      # a valid token with its value digit changed
    ("861043011", (I, 0, -1)),      # count 140: 65 above the counter
    ("407659005", (A, 995, 138)),   # 63 above
    ("367613010", (A, 0, 124)),     # 14 below: accepted once
    ("367613010", (U, 0, -1)),
    ("953854010", (U, 0, -1)),      # 18 below: too old
    ("987048009", (Y, 999, 75)),    # a sync token stays valid within 64 below (reference rule)
)
FINAL_STATE = b"\x8a\x00\x00\x00\xff\xff"   # counter 138, counts 123..138 all used


def test_siphash_official_vectors():
    key = bytes(range(16))
    assert len(SIP_VECTORS) == 64
    for i in range(64):
        assert binascii.hexlify(siphash24(key, bytes(range(i)))).decode() == SIP_VECTORS[i], i


def test_siphash_accepts_bytearray_and_checks_key():
    key = bytes(range(16))
    assert siphash24(bytearray(key), bytearray(range(15))) == siphash24(key, bytes(range(15)))
    raises(ValueError, siphash24, bytes(15), b"")
    raises(ValueError, key_state, bytes(17))


def test_fold_word_is_siphash_of_the_word_twice():
    key = bytes(range(16))
    ks = key_state(key)
    for w in (0, 1, 0x01020304, 999999999, 2 ** 30 - 1, 2 ** 32 - 1):
        msg = bytes(((w >> 24) & 255, (w >> 16) & 255, (w >> 8) & 255, w & 255)) * 2
        h = siphash24(key, msg)
        folded = int.from_bytes(h[0:4], "little") ^ int.from_bytes(h[4:8], "little")
        assert fold_word(ks, w) == folded >> 2, w


def test_reference_sequence():
    dec = op.OpenPaygoDecoder(KEY, START)
    state = op.OpenPaygoState()
    for digits, expected in SEQUENCE:
        before = state.to_bytes()
        got = dec.decode(digits, state)
        assert got == expected, (digits, got, expected)
        if got[0] in (U, I):
            assert state.to_bytes() == before, digits
    assert state.to_bytes() == FINAL_STATE
    assert state.last_count == 138


def test_one_off_decode_agrees_with_decoder():
    state = op.OpenPaygoState()
    for digits, expected in SEQUENCE[:8]:
        assert op.decode(digits, KEY, START, state) == expected, digits


def test_starting_code_derived_from_key():
    assert op.starting_code_from_key(KEY) == 901467777
    dec = op.OpenPaygoDecoder(KEY, 0)
    state = op.OpenPaygoState()
    assert dec.decode("568379772", state) == (A, 995, 2)
    assert dec.decode("256699777", state) == (A, 0, 4)
    assert op.OpenPaygoDecoder(KEY, None).decode("568379772", op.OpenPaygoState()) == (A, 995, 2)


def test_restricted_digit_tokens():
    dec = op.OpenPaygoDecoder(KEY, START, restricted=True)
    state = op.OpenPaygoState()
    assert dec.decode("422241124342221", state) == (A, 42, 2)
    assert dec.decode("343423421321114", state) == (A, 1, 6)
    assert dec.decode("343423421321114", state) == (U, 0, -1)
    for bad in ("343423421321115", "34342342132111", "3434234213211144", "717075020"):
        assert dec.decode(bad, state) == (I, 0, -1), bad


def test_token_at_count_zero_with_counter_zero():
    state = op.OpenPaygoState(0)
    dec = op.OpenPaygoDecoder(KEY, START)
    assert dec.decode("516959015", state) == (A, 5, 0)
    assert dec.decode("516959015", state) == (U, 0, -1)
    assert state.used == 1


def test_bad_input_is_invalid_and_leaves_state():
    dec = op.OpenPaygoDecoder(KEY, START)
    state = op.OpenPaygoState(2, 1)
    for bad in ("", "71707502", "7170750200", "71707502x", " 17075020", "+17075020",
                "71707502\n", "7170_5020", "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669",
                None, 717075020, b"717075020", "-17075020"):
        assert dec.decode(bad, state) == (I, 0, -1), bad
    assert state.to_bytes() == op.OpenPaygoState(2, 1).to_bytes()


def test_state_round_trip():
    for last, used in ((1, 0), (0, 1), (138, 0xFFFF), (70, 0x8001), (2 ** 30 - 2 ** 16, 0x1234)):
        s = op.OpenPaygoState(last, used)
        b = s.to_bytes()
        assert len(b) == op.STATE_SIZE
        t = op.OpenPaygoState()
        assert t.from_bytes(b) is t
        assert t == s and t.last_count == last and t.used == used
        assert op.OpenPaygoState().from_bytes(bytearray(b)) == s
        assert op.OpenPaygoState().from_bytes(memoryview(b)) == s
    assert op.OpenPaygoState() != op.OpenPaygoState(2)


def test_state_rejects_bad_records():
    s = op.OpenPaygoState(70, 0x8001)
    for bad in (b"", bytes(5), bytes(7), b"\xff\xff\xff\xff\x00\x00"):
        raises(ValueError, s.from_bytes, bad)
        assert s == op.OpenPaygoState(70, 0x8001)
    raises(ValueError, op.OpenPaygoState, -1)
    raises(ValueError, op.OpenPaygoState, 2 ** 30)


def test_state_keeps_no_marks_below_count_zero():
    s = op.OpenPaygoState(3, 0xFFFF)
    assert s.used == 0xF
    assert s.is_used(0) and s.is_used(3) and not s.is_used(4) and not s.is_used(-1)


def test_bad_configuration_raises():
    raises(ValueError, op.OpenPaygoDecoder, bytes(15), START)
    raises(ValueError, op.OpenPaygoDecoder, KEY, 1000000000)
    raises(ValueError, op.OpenPaygoDecoder, KEY, -5)


def test_restored_older_state_decides_the_same():
    # the decoder's RAM chain positions must not depend on the state only going forwards
    dec = op.OpenPaygoDecoder(KEY, START)
    assert dec.decode("973418060", op.OpenPaygoState(60)) == (A, 50, 70)
    older = op.OpenPaygoState()
    assert dec.decode("717075020", older) == (A, 10, 2)
    assert dec.decode("973418060", older) == (I, 0, -1)      # 68 above the counter
    assert dec.decode("928281013", older) == (A, 3, 6)
    assert dec.decode("973418060", older) == (A, 50, 70)     # 64 above
    assert dec.decode("973418060", older) == (U, 0, -1)
    assert dec.decode("973418060", op.OpenPaygoState(200)) == (U, 0, -1)
    assert dec.decode("973418060", op.OpenPaygoState(5)) == (I, 0, -1)


def test_value_table_decides_as_without_it_and_survives_a_save():
    # the table (bounded decodes on a board, issue 11) at count 3 of a meter at count 18:
    # the Add tokens at counts 4 and 6 are in the older-unused window, count 7 is a Set
    tokens = ("928281013", "691836017", "150196130", "123456789")
    plain = op.OpenPaygoDecoder(KEY, START)
    dec = op.OpenPaygoDecoder(KEY, START)
    assert dec.table_count() == -1
    dec.table_reset()
    assert dec.table_advance(3, 10 ** 6) == 3000 and dec.table_count() == 3
    saved = dec.table_bytes()
    again = op.OpenPaygoDecoder(KEY, START)
    assert again.table_load(saved) and again.table_count() == 3
    assert not op.OpenPaygoDecoder(KEY, START + 1).table_load(saved)
    s1 = op.OpenPaygoState(18)
    s2 = op.OpenPaygoState(18)
    for digits in tokens:
        assert again.decode(digits, s2) == plain.decode(digits, s1), digits
        assert s1 == s2
    # count 2, below the table: INVALID where the reference walks from 0 and says USED
    assert plain.decode("717075020", s1) == (U, 0, -1)
    assert again.decode("717075020", s2) == (I, 0, -1)
    # stopping at a count boundary, for saving during a long rebuild
    assert dec.table_advance(5, 10, True) == 10 and dec.table_bytes() is None
    assert dec.table_advance(5, 10 ** 6, True) == 990 and dec.table_count() == 4
    assert dec.table_bytes() is not None


def test_a_parked_value_table_decides_from_the_file_and_refuses_a_wrong_one_as_busy():
    # issue 11: between tokens the table leaves RAM; a decode reads its one entry from flash
    tokens = ("928281013", "691836017", "150196130", "123456789", "717075020")
    ram = op.OpenPaygoDecoder(KEY, START)
    ram.table_reset()
    ram.table_advance(3, 10 ** 6)
    saved = bytes(ram.table_bytes())
    parked = op.OpenPaygoDecoder(KEY, START)
    assert parked.table_load(saved) and not parked.table_parked()
    assert parked.table_park() and parked.table_parked() and parked._tab is None
    assert parked.table_count() == 3 and parked.table_bytes() is None
    assert parked.table_advance(10, 10 ** 6) == 0          # it must come back to be advanced
    reads = []

    def read(base):
        reads.append(base)
        o = parked.table_offset(base)
        return saved[:parked.table_offset(0)] + saved[o:o + 4]
    s1 = op.OpenPaygoState(18)
    s2 = op.OpenPaygoState(18)
    for digits in tokens:
        assert parked.decode(digits, s2, read) == ram.decode(digits, s1), digits
        assert s1 == s2
    assert len(reads) == len(tokens)
    # no file, a short one, another count's, another key's, a damaged entry: BUSY, unchanged
    before = s2.to_bytes()
    other = op.OpenPaygoDecoder(KEY, START)
    other.table_reset()
    other.table_advance(4, 10 ** 6)
    later = bytes(other.table_bytes())
    foreign = op.OpenPaygoDecoder(binascii.unhexlify("00" * 16), START)
    foreign.table_reset()
    alien = bytes(foreign.table_bytes())
    damaged = bytearray(saved)
    damaged[12:] = b"\xff" * (len(damaged) - 12)
    for bad in (lambda b: None, lambda b: saved[:14],
                lambda b: later[:12] + later[12 + 4 * b:16 + 4 * b],
                lambda b: alien[:12] + alien[12 + 4 * b:16 + 4 * b],
                lambda b: bytes(damaged[:12]) + bytes(damaged[12 + 4 * b:16 + 4 * b])):
        assert parked.decode("928281013", s2, bad) == (op.BUSY, 0, -1)
        assert parked.decode("928281013", s2) == (op.BUSY, 0, -1)       # no reader at all
        assert s2.to_bytes() == before
    # a wrong length or a non-digit needs no table: INVALID as ever
    assert parked.decode("12345", s2, None) == (I, 0, -1)
    # loading it again brings it back into RAM
    assert parked.table_load(saved) and not parked.table_parked() and parked._tab is not None
