"""Helpers for the remote-channel tests: a simulated meter process on a broker
(`tools/sim.py --serve --mqtt`) and the head-end command line."""
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIM = os.path.join(ROOT, "tools", "sim.py")
HEADEND = os.path.join(ROOT, "tools", "headend.py")
DEV_SERIAL = 10000001


class SimMeter:
    def __init__(self, broker, state_dir, start="2026-11-30T08:00:00Z"):
        self.proc = subprocess.Popen(
            [sys.executable, SIM, "--serve", "--mqtt", broker, "--start", start,
             "--state", str(state_dir)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def ask(self, line):
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()
        out = self.proc.stdout.readline()
        if not out:
            raise RuntimeError("simulator exited: %s" % self.proc.stderr.read().decode())
        return json.loads(out)

    def wait(self, pred, what, limit_s=30.0):
        """Asks `net` until pred(reply) holds (the network runs between console lines)."""
        end = time.monotonic() + limit_s
        while True:
            r = self.ask("net")
            if pred(r):
                return r
            if time.monotonic() > end:
                raise AssertionError("%s: %s" % (what, r))
            time.sleep(0.05)

    def wait_up(self):
        return self.wait(lambda r: r["state"] == "up", "meter never connected")

    def wait_sent(self):
        """Until every logged event is acknowledged by the broker."""
        return self.wait(lambda r: r["state"] == "up" and r["acked_seq"] == r["newest_seq"],
                         "events not all delivered", 60.0)

    def untrust(self):
        """An oscillator that stopped around a reboot: the time the controller was off is not
        proven, the clock is untrusted until an authenticated time (docs/clock.md)."""
        self.ask("rtc fault stop")
        self.ask("advance 60")
        self.ask("reboot")
        st = self.ask("rtc fault none")
        assert st["clock"]["trusted"] is False, st["clock"]
        return st

    def utc(self):
        return self.ask("status")["clock"]["utc"]

    def close(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def headend(broker, db, *args, at=None, timeout=15, env=None):
    cmd = [sys.executable, HEADEND, "--broker", broker, "--db", str(db), "--dev-key",
           "--timeout", str(timeout)]
    if at is not None:
        cmd += ["--at", at]
    p = subprocess.run(cmd + list(args), capture_output=True, timeout=timeout + 30, env=env)
    out = p.stdout.decode().strip()
    return p.returncode, out, p.stderr.decode()


class RawLink:
    """A bare MQTT client for tests that send hand-made packets to a meter's cmd topic."""

    def __init__(self, broker, serial=DEV_SERIAL):
        import paho.mqtt.client as mqtt
        host, _, port = broker.rpartition(":")
        self.replies = []
        self.serial = serial
        self.c = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
                             client_id="raw-%d" % os.getpid(), protocol=mqtt.MQTTv311)
        self.c.on_message = lambda c, u, m: self.replies.append(json.loads(m.payload))
        self.c.connect(host, int(port))
        self.c.subscribe("meters/%d/reply" % serial, qos=1)
        self.c.loop_start()

    def send(self, payload, meter=None, limit_s=15.0):
        """Publishes payload on the meter's cmd topic -> the meter's next reply."""
        n = len(self.replies)
        self.c.publish("meters/%d/cmd" % self.serial, payload, qos=1)
        end = time.monotonic() + limit_s
        while len(self.replies) == n:
            if meter is not None:
                meter.ask("net")                  # lets the simulator poll its network
            if time.monotonic() > end:
                raise AssertionError("no reply")
            time.sleep(0.02)
        return self.replies[n]

    def close(self):
        self.c.loop_stop()
        self.c.disconnect()
