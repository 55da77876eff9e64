"""Time from the network (METER.md §4, docs/remote.md): the meter asks with a nonce; two
agreeing signed samples anchor its clock; a forged sample, a sample for another nonce or a
single sample never does."""
import json
import time

import paho.mqtt.client as mqtt
import pytest

from testbroker import Broker
from remote_rig import DEV_SERIAL, SimMeter

from meter.core import calendar

from meter.core import isotime
from meter.core import remote as R
from meter.core import token as T
from devkeys import DEV_UTILITY_KEY_HEX

KEY = T.derive_meter_key(bytes.fromhex(DEV_UTILITY_KEY_HEX), DEV_SERIAL)
EPOCH_2000 = 946684800


@pytest.fixture(scope="module")
def broker():
    b = Broker().start()
    yield b
    b.close()


class TimeServer:
    """Answers the meter's time requests with `answer(nonce) -> bytes or None`."""

    def __init__(self, broker, answer):
        host, _, port = broker.address.rpartition(":")
        self.answer = answer
        self.requests = 0
        self.c = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
                             client_id="time-test", protocol=mqtt.MQTTv311)
        self.c.on_message = self.on_message
        self.c.connect(host, int(port))
        self.c.subscribe("meters/%d/time" % DEV_SERIAL, qos=0)
        self.c.loop_start()

    def on_message(self, c, u, m):
        self.requests += 1
        cmd = self.answer(bytes.fromhex(json.loads(m.payload)["nonce"]))
        if cmd is not None:
            c.publish("meters/%d/cmd" % DEV_SERIAL, cmd, qos=1)

    def close(self):
        self.c.loop_stop()
        self.c.disconnect()


def sample(t_unix, nonce, key=KEY):
    t = t_unix - EPOCH_2000
    return R.encode(R.command_key(key), DEV_SERIAL, 0, t, t + 60, R.TIME, nonce)


def run_with(broker, tmp_path, answer, want_requests=2, limit_s=20):
    meter = SimMeter(broker.address, tmp_path / "flash")
    meter.wait_up()
    meter.untrust()
    truth = isotime.parse_iso_utc(meter.utc()) + 3 * 3600     # the head-end's "true" time
    srv = TimeServer(broker, lambda nonce: answer(nonce, truth))
    time.sleep(0.3)                                  # (subscribed)
    meter.ask("net time")
    end = time.monotonic() + limit_s
    while srv.requests < want_requests and time.monotonic() < end:
        meter.ask("net")
        time.sleep(0.02)
    for _ in range(20):
        meter.ask("net")
        time.sleep(0.02)
    st = meter.ask("status")
    net = meter.ask("net")
    srv.close()
    meter.close()
    return st, net, truth, srv.requests


def test_two_agreeing_samples_anchor_the_clock(broker, tmp_path):
    st, net, truth, asked = run_with(broker, tmp_path, lambda nonce, t: sample(t, nonce))
    assert net["anchors"] == 1 and asked >= 2
    assert st["clock"]["trusted"] is True
    assert abs(isotime.parse_iso_utc(st["clock"]["utc"]) - truth) <= 5


def test_forged_samples_never_set_the_clock(broker, tmp_path):
    st, net, truth, asked = run_with(
        broker, tmp_path, lambda nonce, t: sample(t, nonce, key=b"not the meter's key" * 2),
        want_requests=1)
    assert net["anchors"] == 0 and st["clock"]["trusted"] is False
    assert abs(isotime.parse_iso_utc(st["clock"]["utc"]) - truth) > 3000


def test_samples_for_another_nonce_are_ignored(broker, tmp_path):
    st, net, truth, asked = run_with(broker, tmp_path,
                                     lambda nonce, t: sample(t, bytes(8)), want_requests=1)
    assert net["anchors"] == 0 and st["clock"]["trusted"] is False


def test_one_sample_alone_is_not_enough(broker, tmp_path):
    answered = []

    def once(nonce, t):
        if answered:
            return None
        answered.append(1)
        return sample(t, nonce)
    st, net, truth, asked = run_with(broker, tmp_path, once, want_requests=2, limit_s=3)
    assert answered and net["anchors"] == 0 and st["clock"]["trusted"] is False
