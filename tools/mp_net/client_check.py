"""Runs the firmware's MQTT client under the MicroPython unix port against a broker
(host_tests/test_mqtt_micropython.py): connect with a last will, subscribe, a QoS 1 round
trip of binary bytes, a reconnect after the socket is pulled, and a remote command verified
and answered by the core.  Prints one JSON line; exits 1 on failure.

  micropython tools/mp_net/client_check.py PORT
"""
import json
import sys
import time

sys.path.insert(0, "firmware")

from meter.net import mqtt as M  # noqa: E402
from meter.core import codes  # noqa: E402
from meter.core import remote as R  # noqa: E402

port = int(sys.argv[1])
out = {"impl": sys.implementation.name}
got = []
acks = []
c = M.MQTTClient("mp-check", "127.0.0.1", port, 30)
c.set_last_will(b"mp/will", b"offline", True)
c.on_message = lambda t, p, r: got.append((t, p))
c.on_ack = acks.append
c.subscribe(b"mp/echo")


def run_until(pred, limit_ms):
    t0 = time.ticks_ms()
    worst = 0
    while not pred():
        t = time.ticks_ms()
        if time.ticks_diff(t, t0) > limit_ms:
            return -1
        c.poll()
        d = time.ticks_diff(time.ticks_ms(), t)
        if d > worst:
            worst = d
        time.sleep_ms(5)
    return worst


out["connect_worst_poll_ms"] = run_until(c.is_up, 10000)
key = b"k" * 32
hm = R.command_key(key)
cmd = R.encode(hm, 7, 5, 1000, 2000, R.RECONNECT)
pid = c.publish(b"mp/echo", cmd, 1)
out["echo_worst_poll_ms"] = run_until(lambda: got and acks, 10000)
ok = bool(got) and got[0] == (b"mp/echo", cmd) and acks == [pid]
res = R.Command()
out["verify"] = R.verify(hm, 7, 4, got[0][1], res, 0, 1500, True) if got else -1
out["replayed"] = R.verify(hm, 7, 5, got[0][1], res, 0, 1500, True) if got else -1
ok = ok and out["verify"] == 0 and out["replayed"] == codes.REMOTE_REPLAYED
c.sock.close()                       # pull the socket: reconnect and resubscribe by itself
first = c.connects
got.clear()
sent = [0]


def again():
    if c.is_up() and c.connects > first and not sent[0]:
        sent[0] = c.publish(b"mp/echo", b"again", 1)
    return bool(got)


out["reconnect_worst_poll_ms"] = run_until(again, 20000)
ok = ok and got == [(b"mp/echo", b"again")]
c.close()
out["ok"] = ok
print(json.dumps(out))
sys.exit(0 if ok else 1)
