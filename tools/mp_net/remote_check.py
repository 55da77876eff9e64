"""The meter's remote layer (meter.net.remote) with the app on fake hardware, under the
MicroPython unix port, against a broker (host_tests/test_mqtt_micropython.py, make bench):
it connects, publishes its state and events until the broker acknowledged them all, carries
out a signed command it receives (sent here on its own connection), and measures the heap
allocated by an idle network poll.  Prints one JSON line; exits 1 on failure.

  micropython tools/mp_net/remote_check.py PORT
"""
import gc
import json
import sys
import time

sys.path.insert(0, "host_tests/portable")
sys.path.insert(0, "tools")
sys.path.insert(0, "firmware")

import apprig  # noqa: E402


# the unix port's machine module has no IRQs to mask: the S0 driver gets no-ops
_orig_s0 = apprig.S0Counter


def _s0_no_irq(pin, *a, **kw):
    kw.setdefault("irq_off", lambda: 0)
    kw.setdefault("irq_on", lambda state: None)
    return _orig_s0(pin, *a, **kw)


apprig.S0Counter = _s0_no_irq
from meter.core import remote as R  # noqa: E402
from meter.core.remotestate import remote_state  # noqa: E402
from meter.net.mqtt import MQTTClient  # noqa: E402
from meter.net.remote import Remote  # noqa: E402

port = int(sys.argv[1])
board, app = apprig.provisioned()
replies = []
client = MQTTClient("mp-meter", "127.0.0.1", port, 60)
remote = Remote(app, client)
client.subscribe(remote.t_reply)           # to see our own reply
orig = client.on_message


def on_message(t, p, r):
    if t == remote.t_reply:
        replies.append(json.loads(p))
    else:
        orig(t, p, r)


client.on_message = on_message


def run(pred, limit_ms):
    t0 = time.ticks_ms()
    while not pred():
        if time.ticks_diff(time.ticks_ms(), t0) > limit_ms:
            return False
        remote.poll()
        time.sleep_ms(5)
    return True


out = {"impl": sys.implementation.name}
rs = remote_state(app.meter)
ok = run(lambda: client.is_up() and not client.inflight and rs.acked_seq == app.log.seq,
         10000)
out["events_acked"] = rs.acked_seq
m = app.meter
now_s = m.minute * 60 + m.second
cmd = R.encode(R.command_key(apprig.KEY), app.serial, 77, now_s, now_s + 600, R.CLEAR)
client.publish(remote.t_cmd, cmd, 1)
ok = run(lambda: replies, 10000) and ok
out["reply"] = replies[0]["reason"] if replies else None
ok = ok and replies and replies[0]["code"] == 0 and rs.counter == 77
run(lambda: not client.inflight and rs.acked_seq == app.log.seq, 10000)
for _ in range(20):
    remote.poll()
gc.collect()
gc.disable()
a = gc.mem_alloc()
for _ in range(500):
    remote.poll()
b = gc.mem_alloc()
gc.enable()
out["idle_poll_bytes"] = (b - a) // 500
out["ok"] = bool(ok)
print(json.dumps(out))
sys.exit(0 if ok else 1)
