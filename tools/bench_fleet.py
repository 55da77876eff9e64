"""Fleet load test (`make fleet`, part of `make bench`; docs/remote.md "Scaling").

Starts a broker on loopback (Mosquitto where installed, else amqtt), a head-end in this
process (tools/headend.py's Server: journal in SQLite, answering time requests), and WORKERS
processes each running its share of the fleet: the real app with simulated parts
(tools/sim.py's Simulator) and the firmware's own MQTT client and remote layer per meter, one
socket each.  Then it measures:

  connect    time until every meter is connected and its boot events are in the journal
  ingest     a burst of BURST events on every meter: messages and events per second recorded
             by the head-end, and whether every event arrived exactly once
  commands   COMMANDS signed STATUS commands to random meters, one at a time, while the
             fleet runs: round trip median and 99th percentile
  broker     resident memory of the broker process

Bounded: --meters (default 1000), --limit-s (default 240 s overall).  Loopback only.

  python tools/bench_fleet.py [--meters 1000] [--workers 4] [--burst 4] [--commands 200]
"""
import argparse
import json
import os
import random
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _p in (os.path.join(ROOT, "firmware"), os.path.join(ROOT, "tools"),
           os.path.join(ROOT, "tools", "cpython_shim")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

FIRST_SERIAL = 20000000
START = "2026-11-30T08:00:00Z"


# --- worker: a share of the fleet in one process --------------------------------------------

def worker(broker, first, count, state_root):
    import sim as S
    import simnet
    from meter.app import App
    from meter.core import calendar
    from meter.core import isotime
    from meter.core.config import Config
    from devkeys import DEV_UTILITY_KEY_HEX
    from meter.core.token import derive_meter_key

    ukey = bytes.fromhex(DEV_UTILITY_KEY_HEX)

    class FleetMeter(S.Simulator):
        def __init__(self, serial, start, state_dir):
            self.serial = serial
            super().__init__(start, None, state_dir)

        def _new_app(self):
            self.meter_key = derive_meter_key(ukey, self.serial)
            return App(self.hw, Config(self.cfg_overrides), serial=self.serial,
                       meter_key=self.meter_key, board="sim", test_mode=True,
                       build_minute=self.build_minute)

    start = isotime.parse_iso_utc(START)
    meters = []
    nets = []
    for i in range(count):
        m = FleetMeter(first + i, start, os.path.join(state_root, str(first + i)))
        meters.append(m)
        nets.append(simnet.SimNet(m, broker))
    out = sys.stdout
    reported = False
    fd = sys.stdin.fileno()
    pending = b""
    while True:
        for n in nets:
            n.poll()
        if not reported and all(n.client.is_up() for n in nets):
            reported = True
            out.write("up\n")
            out.flush()
        r, _, _ = select.select([fd], [], [], 0.005)
        if r:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                words = line.decode().split()
                if words and words[0] == "burst":
                    k = int(words[1])
                    for j in range(k):
                        for m in meters:
                            m.handle(b"protect medical " + (b"on" if j % 2 == 0 else b"off"))
                    out.write("burst\n")
                    out.flush()
                elif words and words[0] == "stats":
                    newest = sum(m.app.log.seq for m in meters)
                    acked = sum(n.command("net", [])["acked_seq"] for n in nets)
                    out.write(json.dumps({"newest": newest, "acked": acked}) + "\n")
                    out.flush()
    for n in nets:
        n.client.close()


# --- the orchestrator and head-end ----------------------------------------------------------

class Fleet:
    def __init__(self, args):
        self.args = args
        from testbroker import Broker
        self.broker = Broker().start()
        self.tmp = tempfile.mkdtemp(prefix="fleet-")
        self.procs = []

    def start_workers(self):
        a = self.args
        per = (a.meters + a.workers - 1) // a.workers
        first = FIRST_SERIAL
        left = a.meters
        while left > 0:
            n = min(per, left)
            p = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--worker",
                                  self.broker.address, str(first), str(n), self.tmp],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            self.procs.append(p)
            first += n
            left -= n

    def tell(self, line, want):
        for p in self.procs:
            p.stdin.write((line + "\n").encode())
            p.stdin.flush()
        return [self.expect(p, want) for p in self.procs]

    def expect(self, p, want):
        while True:
            line = p.stdout.readline()
            if not line:
                raise SystemExit("a fleet worker died")
            if line.decode().startswith(want):
                return line.decode().strip()

    def close(self):
        for p in self.procs:
            try:
                p.stdin.close()
            except OSError:
                pass
        for p in self.procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
        self.broker.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


class HeadEnd:
    """tools/headend.py's Server in a thread, plus a command client that times round trips."""

    def __init__(self, broker, db):
        import headend as H
        import paho.mqtt.client as mqtt
        self.H = H
        args = argparse.Namespace(broker=broker, at=None, tls_ca=None, count=None,
                                  client_id="fleet-headend", cmd="serve")
        self.keys = H.Keys(bytes.fromhex(H.DEV_UTILITY_KEY_HEX))
        self.journal = H.Journal(db)
        self.server = H.Server(args, self.keys, self.journal, True, False)
        self.lock = threading.Lock()
        self.c = H.connect(broker, "fleet-headend", None, clean=True)
        self.c.on_connect = self.server.on_connect
        self.c.on_subscribe = lambda *a: None
        orig = self.server.on_message

        def on_message(c, u, m):
            with self.lock:
                orig(c, u, m)
                self.times.append(time.monotonic())
        self.c.on_message = on_message
        self.times = []
        self.c.loop_start()
        # commands go out on their own connection
        self.replies = {}
        self.cc = H.connect(broker, "fleet-commands", None)
        self.cc.on_connect = lambda c, *a: c.subscribe("meters/+/reply", qos=1)
        self.cc.on_message = self._reply
        self.cc.loop_start()
        self.mqtt = mqtt

    def _reply(self, c, u, m):
        try:
            msg = json.loads(m.payload)
        except ValueError:
            return
        self.replies[(msg.get("serial"), msg.get("counter"))] = (time.monotonic(), msg)

    def command_rtt(self, serial, limit_s=10.0):
        H = self.H
        R = H.R
        with self.lock:
            counter = self.journal.next_counter(serial)
        now = int(time.time()) - H.EPOCH_2000
        cmd = R.encode(self.keys.get(serial)[1], serial, counter, now, now + 600, R.STATUS)
        t0 = time.monotonic()
        self.cc.publish("meters/%d/cmd" % serial, cmd, qos=1)
        end = t0 + limit_s
        while time.monotonic() < end:
            got = self.replies.pop((serial, counter), None)
            if got is not None:
                ok = H.verify_reply(self.keys, serial, got[1]) and got[1]["code"] == 0
                return (got[0] - t0) if ok else None
            time.sleep(0.0005)
        return None

    def counts(self):
        with self.lock:
            return self.server.messages, self.server.events, self.server.duplicates

    def close(self):
        self.c.loop_stop()
        self.cc.loop_stop()
        self.c.disconnect()
        self.cc.disconnect()


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        worker(argv[1], int(argv[2]), int(argv[3]), argv[4])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--meters", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--burst", type=int, default=4)
    ap.add_argument("--commands", type=int, default=200)
    ap.add_argument("--limit-s", type=float, default=240.0)
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON line")
    a = ap.parse_args(argv)
    if not 1 <= a.meters <= 5000 or not 1 <= a.workers <= 16:
        ap.error("--meters 1..5000, --workers 1..16")
    deadline = time.monotonic() + a.limit_s
    fleet = Fleet(a)
    head = HeadEnd(fleet.broker.address, os.path.join(fleet.tmp, "headend.sqlite"))
    res = {"meters": a.meters, "workers": a.workers, "broker": fleet.broker.kind}
    try:
        time.sleep(0.5)
        t0 = time.monotonic()
        fleet.start_workers()
        for p in fleet.procs:
            fleet.expect(p, "up")
        res["connect_s"] = round(time.monotonic() - t0, 2)

        def settle(total_events):
            while time.monotonic() < deadline:
                stats = [json.loads(s) for s in fleet.tell("stats", "{")]
                newest = sum(s["newest"] for s in stats)
                acked = sum(s["acked"] for s in stats)
                if acked == newest and head.counts()[1] >= newest:
                    return newest
                time.sleep(0.5)
            raise SystemExit("fleet did not settle within --limit-s")
        base_events = settle(0)
        res["rss_broker_kb_idle"] = fleet.broker.rss_kb()
        m0, e0, _ = head.counts()
        with head.lock:
            head.times.clear()
        t1 = time.monotonic()
        fleet.tell("burst %d" % a.burst, "burst")
        total = settle(0)
        m1, e1, dup = head.counts()
        with head.lock:
            last = head.times[-1] if head.times else time.monotonic()
        with head.lock:
            first = head.times[0] if head.times else t1
        took = max(last - first, 1e-3)
        res["burst_first_message_s"] = round(first - t1, 3)
        res["burst_last_message_s"] = round(last - t1, 3)
        res["burst_events"] = e1 - e0
        res["burst_messages"] = m1 - m0
        res["ingest_messages_per_s"] = round((m1 - m0) / took)
        res["ingest_events_per_s"] = round((e1 - e0) / took)
        res["events_total"] = total
        res["events_in_journal"] = e1
        res["duplicates"] = dup
        res["rss_broker_kb_peak"] = fleet.broker.rss_kb()
        rtts = []
        lost = 0
        rng = random.Random(1)
        for _ in range(a.commands):
            if time.monotonic() > deadline:
                break
            r = head.command_rtt(FIRST_SERIAL + rng.randrange(a.meters))
            if r is None:
                lost += 1
            else:
                rtts.append(r * 1000.0)
        res["commands"] = len(rtts)
        res["commands_unanswered"] = lost
        if rtts:
            res["rtt_ms_median"] = round(statistics.median(rtts), 1)
            res["rtt_ms_p99"] = round(pct(rtts, 99), 1)
        res["base_events"] = base_events
    finally:
        head.close()
        fleet.close()
    if a.json:
        print(json.dumps(res))
    else:
        print("fleet: %(meters)d simulated meters in %(workers)d processes on %(broker)s"
              " (loopback)" % res)
        print("  all connected, boot events journaled   %8.2f s" % res["connect_s"])
        print("  head-end ingest (burst)                %8d messages/s  %d events/s"
              % (res["ingest_messages_per_s"], res["ingest_events_per_s"]))
        print("  events journaled / logged, duplicates  %8d / %d, %d"
              % (res["events_in_journal"], res["events_total"], res["duplicates"]))
        if "rtt_ms_median" in res:
            print("  command round trip (%d STATUS)        median %.1f ms  p99 %.1f ms"
                  "  unanswered %d" % (res["commands"], res["rtt_ms_median"],
                                       res["rtt_ms_p99"], res["commands_unanswered"]))
        print("  broker RSS idle / after the burst      %8d / %d kB"
              % (res["rss_broker_kb_idle"], res["rss_broker_kb_peak"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
