"""The control loop while the network misbehaves (part of `make bench`; docs/remote.md).

Runs the simulator's app as a board runs it — a control step and a watchdog feed every
second, the network task (meter.net.remote over meter.net.mqtt) polled every 20 ms in the same
single-threaded loop — against: a broker that works, a TCP connect that hangs (a listener
whose accept queue is full), a broker that accepts and never answers, and a broker that
answers CONNECT and then stops reading while the meter publishes.  Prints, per case, the
longest single network poll and the longest gap between two watchdog feeds, in real ms.
Then the firmware client alone under the MicroPython unix port (worst poll).

  python tools/bench_remote.py [--seconds 14]
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _p in (os.path.join(ROOT, "firmware"), os.path.join(ROOT, "tools"),
           os.path.join(ROOT, "tools", "cpython_shim")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import sim as S  # noqa: E402
import simnet  # noqa: E402
from meter.core import calendar  # noqa: E402
from meter.core import isotime  # noqa: E402


def listener(backlog=1):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(backlog)
    return s, s.getsockname()[1]


def hanging():
    srv, port = listener(0)
    fill = []
    for _ in range(4):
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fill.append(c)
    return port, [srv] + fill


def accepting(after_connect):
    srv, port = listener(8)
    stop = threading.Event()
    held = [srv]

    def run():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            held.append(conn)
            after_connect(conn)
    threading.Thread(target=run, daemon=True).start()
    return port, held


def stall(conn):
    pass                                  # accepts, never reads, never answers


def connack_then_deaf(conn):
    conn.settimeout(2)
    try:
        conn.recv(4096)
        conn.sendall(b"\x20\x02\x00\x00")
    except OSError:
        pass


def measure(port, seconds):
    sim = S.Simulator(isotime.parse_iso_utc("2026-11-30T08:00:00Z"))
    net = simnet.SimNet(sim, "127.0.0.1:%d" % port, keepalive_s=10)
    worst_poll = 0.0
    worst_gap = 0.0
    t_end = time.monotonic() + seconds
    last_feed = time.monotonic()
    next_step = last_feed + 1.0
    i = 0
    while time.monotonic() < t_end:
        now = time.monotonic()
        if now >= next_step:
            sim.move(1)
            sim.app.control_step()
            if i % 3 == 0:
                sim.app.meter.event(93, i)        # something to publish every few seconds
            i += 1
            t = time.monotonic()
            worst_gap = max(worst_gap, t - last_feed)
            last_feed = t                     # the watchdog feed
            next_step += 1.0
        t0 = time.monotonic()
        net.poll()
        worst_poll = max(worst_poll, time.monotonic() - t0)
        time.sleep(0.02)
    c = net.client
    from meter.net.mqtt import STATE_NAMES
    out = {"worst_poll_ms": round(worst_poll * 1000, 2),
           "worst_feed_gap_ms": round(worst_gap * 1000, 1), "state": STATE_NAMES[c.state],
           "connects": c.connects, "failures": c.failures, "last_error": c.last_error}
    c.close()
    sim.close()
    return out


def micropython_worst(port, script="client_check.py"):
    exe = os.path.join(os.path.dirname(sys.executable), "micropython")
    if not os.path.exists(exe):
        return None
    p = subprocess.run([exe, "tools/mp_net/" + script, str(port)], cwd=ROOT,
                       capture_output=True, timeout=120)
    try:
        return json.loads(p.stdout.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=14.0,
                    help="per case (the connect deadline is 10 s)")
    a = ap.parse_args(argv)
    from testbroker import Broker
    broker = Broker().start()
    results = {}
    try:
        results["working broker"] = measure(broker.port, a.seconds)
        port, held = hanging()
        results["TCP connect hangs"] = measure(port, a.seconds)
        for s in held:
            s.close()
        port, held = accepting(stall)
        results["accepts, never answers"] = measure(port, a.seconds)
        port, held2 = accepting(connack_then_deaf)
        results["stops reading mid-publish"] = measure(port, a.seconds + 12)
        mp = micropython_worst(broker.port)
        mpr = micropython_worst(broker.port, "remote_check.py")
    finally:
        broker.close()
    print("control loop under network faults (CPython host, real time; a feed every 1000 ms)")
    for name, r in results.items():
        print("  %-28s worst poll %7.2f ms   worst watchdog gap %7.1f ms   (%s)"
              % (name, r["worst_poll_ms"], r["worst_feed_gap_ms"],
                 r["last_error"] or "%s, %d connect(s)" % (r["state"], r["connects"])))
    if mp is not None:
        print("  MicroPython unix port, client alone: worst poll connect %s ms, QoS 1 round "
              "trip %s ms, reconnect %s ms" % (mp.get("connect_worst_poll_ms"),
                                               mp.get("echo_worst_poll_ms"),
                                               mp.get("reconnect_worst_poll_ms")))
    if mpr is not None:
        print("  MicroPython unix port, remote layer on the app: heap per idle network poll "
              "%s B" % mpr.get("idle_poll_bytes"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
