"""The remote command format and its verification (meter.core.remote, docs/remote.md).
Runs under CPython and MicroPython."""
from mpcompat import raises

from meter.core import codes, record
from meter.core import remote as R
from meter.core.config import Config
from meter.core.meter import Meter

KEY = b"per-meter key of 32 bytes, test!"
SERIAL = 10000001
CMD = R.command_key(KEY)
REPLY = R.reply_key(KEY)
T0 = 848000000                      # seconds since 2000 (2026-11)


def verify(buf, last=0, floor=T0 - 3600, now=T0, trusted=True):
    out = R.Command()
    return R.verify(CMD, SERIAL, last, buf, out, floor, now, trusted), out


def test_round_trip_of_every_kind():
    cases = ((R.RECONNECT, b""), (R.CREDIT, b"12345678901234567890"),
             (R.NOCUT, R.nocut_args(9800, 14)), (R.CANCEL_CUT, b""),
             (R.PROTECT, R.protect_args(1, True, 100, 200)), (R.CLEAR, b""),
             (R.EVENTS, R.events_args(5, 16)), (R.STATUS, b""))
    for i, (kind, args) in enumerate(cases):
        buf = R.encode(CMD, SERIAL, 10 + i, T0, T0 + 60, kind, args)
        code, out = verify(buf, last=9 + i)
        assert code == 0, (kind, code)
        assert out.kind == kind and out.args == args and out.counter == 10 + i
        assert out.issue_s == T0 and out.expiry_s == T0 + 60


def test_refusals():
    good = R.encode(CMD, SERIAL, 5, T0, T0 + 60, R.RECONNECT)
    assert verify(good, last=5)[0] == codes.REMOTE_REPLAYED
    assert verify(good, last=6)[0] == codes.REMOTE_STALE
    bad = bytearray(good)
    bad[25] ^= 0x80
    assert verify(bytes(bad))[0] == codes.REMOTE_FORGED
    bad = bytearray(good)
    bad[9] ^= 1                                     # the counter, under the MAC
    assert verify(bytes(bad))[0] == codes.REMOTE_FORGED
    other = R.encode(CMD, SERIAL + 1, 5, T0, T0 + 60, R.RECONNECT)
    assert verify(other)[0] == codes.REMOTE_OTHER_METER
    alien = R.encode(R.command_key(b"x" * 32), SERIAL, 5, T0, T0 + 60, R.RECONNECT)
    assert verify(alien)[0] == codes.REMOTE_FORGED
    for junk in (b"", b"BMR1", good[:-1], good + b"\x00", b"XMR1" + good[4:], bytes(38)):
        assert verify(junk)[0] in (codes.REMOTE_MALFORMED, codes.REMOTE_OTHER_METER)
    assert verify(good[:-1])[0] == codes.REMOTE_MALFORMED


def test_expiry_is_judged_on_the_proven_floor_and_on_a_trusted_clock():
    cmd = R.encode(CMD, SERIAL, 5, T0, T0 + 60, R.RECONNECT)
    assert verify(cmd, now=T0 + 61)[0] == codes.REMOTE_EXPIRED
    # an untrusted clock cannot say it expired...
    assert verify(cmd, now=T0 + 9999, trusted=False)[0] == 0
    # ...but the last known-good time proves it
    assert verify(cmd, floor=T0 + 61, now=0, trusted=False)[0] == codes.REMOTE_EXPIRED


def test_authentic_but_malformed_arguments():
    def raw(kind, args, counter=5, expiry=T0 + 60):
        import struct
        body = struct.pack(">4sIIIIBB", R.TAG, SERIAL, counter, T0, expiry, kind,
                           len(args)) + args
        return body + CMD.digest(body)[:R.MAC_LEN]
    assert verify(raw(R.CREDIT, b"1234567890123456789x"))[0] == codes.REMOTE_MALFORMED
    assert verify(raw(R.NOCUT, b"\x00\x01\x00\x00"))[0] == codes.REMOTE_MALFORMED
    assert verify(raw(R.PROTECT, b"\x05\x01" + b"\xff" * 8))[0] == codes.REMOTE_MALFORMED
    assert verify(raw(R.PROTECT, b"\x01\x00\x00\x00\x00\x01" + b"\xff" * 4))[0] == \
        codes.REMOTE_MALFORMED
    assert verify(raw(R.RECONNECT, b"\x00"))[0] == codes.REMOTE_MALFORMED
    assert verify(raw(99, b""))[0] == codes.REMOTE_MALFORMED
    assert verify(raw(R.RECONNECT, b"", expiry=T0 + 2 * 86400))[0] == codes.REMOTE_MALFORMED
    assert verify(raw(R.RECONNECT, b"", counter=0))[0] == codes.REMOTE_MALFORMED
    assert verify(raw(R.TIME, bytes(8), counter=3))[0] == codes.REMOTE_MALFORMED


def test_time_samples_need_no_counter_and_encode_refuses_nonsense():
    t = R.encode(CMD, SERIAL, 0, T0, T0 + 60, R.TIME, b"12345678")
    code, out = verify(t, last=99)
    assert code == 0 and out.kind == R.TIME and out.args == b"12345678"
    raises(ValueError, R.encode, CMD, SERIAL, 0, T0, T0 + 60, R.RECONNECT)
    raises(ValueError, R.encode, CMD, SERIAL, 1, T0, T0 - 1, R.RECONNECT)
    raises(ValueError, R.encode, CMD, SERIAL, 1, T0, T0, R.CREDIT, b"1")
    raises(ValueError, R.protect_args, 1, False, 5)
    raises(ValueError, R.protect_args, 1, True, 200, 100)
    raises(ValueError, R.nocut_args, 0, 0)


def test_replies_are_signed():
    mac = R.reply_mac(REPLY, SERIAL, 5, 0, 2000)
    assert R.check_reply(REPLY, SERIAL, 5, 0, 2000, mac)
    assert not R.check_reply(REPLY, SERIAL, 5, 0, 2001, mac)
    assert not R.check_reply(REPLY, SERIAL, 6, 0, 2000, mac)
    assert not R.check_reply(CMD, SERIAL, 5, 0, 2000, mac)     # keys differ by purpose


def test_two_agreeing_samples_make_an_anchor():
    s = R.TimeSamples()
    assert s.add(T0, 1000, 1200) is None                  # one alone: never
    lo, hi, at = s.add(T0 + 10, 11000, 11100)             # 10 s later on the tick counter
    assert lo <= T0 + 10 <= hi and hi - lo <= 3 and at == 11100


def test_disagreeing_samples_are_not_used():
    s = R.TimeSamples()
    assert s.add(T0, 1000, 1200) is None
    assert s.add(T0 + 3600, 11000, 11100) is None         # an hour apart in 10 s: no
    lo, hi, _ = s.add(T0 + 3611, 22000, 22100)            # agrees with the one before it
    assert lo <= T0 + 3611 <= hi


def test_remote_state_rides_in_the_record_and_old_records_load():
    cfg = Config()
    m = Meter(cfg, 0)
    rs = record.remote_state(m)
    rs.counter = 123456
    rs.acked_seq = 77
    rs.set_window(3, 500, 900)
    data = record.pack(m)
    m2 = Meter(cfg, 0)
    record.unpack(m2, data)
    r2 = record.remote_state(m2)
    assert (r2.counter, r2.acked_seq, r2.start(3), r2.end(3), r2.start(0)) == \
        (123456, 77, 500, 900, -1)
    # records of versions 1 and 2 (before the remote channel) load with it at rest
    import struct
    for version in (1, 2):
        size = record.layout(version)[1]
        old = struct.pack("<H", version) + data[2:size] + data[record.FIXED_SIZE:]
        m3 = Meter(cfg, 0)
        record.remote_state(m3).counter = 5
        record.unpack(m3, old)
        assert record.remote_state(m3).counter == 0 and m3.credit.balance == m.credit.balance
    raises(ValueError, record.unpack, m3, struct.pack("<H", 9) + data[2:])
