"""Fuzzing what arrives from the network: command bytes (meter.core.remote.verify) and raw
MQTT input (meter.net.mqtt's parser).  Nothing raises; nothing but an exact, authentic command
is accepted."""
from hypothesis import given, settings
from hypothesis import strategies as st

from meter.core import codes
from meter.core import remote as R
from meter.net import mqtt as M

KEY = b"fuzz meter key, thirty-two bytes"
CMD = R.command_key(KEY)
SERIAL = 4242
T0 = 848000000
GOOD = R.encode(CMD, SERIAL, 10, T0, T0 + 600, R.CREDIT, b"01234567890123456789")
REFUSALS = {codes.REMOTE_MALFORMED, codes.REMOTE_OTHER_METER, codes.REMOTE_FORGED,
            codes.REMOTE_EXPIRED, codes.REMOTE_REPLAYED, codes.REMOTE_STALE}


def check(buf):
    out = R.Command()
    return R.verify(CMD, SERIAL, 9, buf, out, T0 - 60, T0, True)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_are_refused(buf):
    assert check(buf) in REFUSALS


@settings(max_examples=400, deadline=None)
@given(st.integers(0, len(GOOD) - 1), st.integers(1, 255))
def test_any_flipped_byte_is_refused(i, mask):
    bad = bytearray(GOOD)
    bad[i] ^= mask
    assert check(bytes(bad)) in REFUSALS
    assert check(GOOD) == 0


class Sink:
    """A socket stand-in that takes every write."""

    def send(self, b):
        return len(b)

    def close(self):
        pass


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=300), max_size=8))
def test_random_mqtt_input_never_raises(chunks):
    c = M.MQTTClient("fuzz", "127.0.0.1", 1, 30, ticks_ms=lambda: 0)
    got = []
    c.on_message = lambda t, p, r: got.append((t, p))
    c.sock = Sink()
    c.state = M.UP
    for chunk in chunks:
        if c.state != M.UP:
            break
        n = min(len(chunk), len(c._in) - c._in_len)
        c._in[c._in_len:c._in_len + n] = chunk[:n]
        c._in_len += n
        c._parse(0)
        assert c._in_len <= len(c._in)
    for t, p in got:
        assert isinstance(t, bytes) and isinstance(p, bytes)
