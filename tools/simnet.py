"""The simulator on a broker (`tools/sim.py --serve --mqtt HOST:PORT`, docs/remote.md).

The simulated meter runs the firmware's own network code — meter.net.mqtt over CPython
sockets and meter.net.remote — while its console is served on stdin/stdout (or TCP with
--listen).  The meter's time is virtual (it moves with `advance`); the network's timers
(keepalive, retransmission, backoff) run on the host's real monotonic clock, since the broker
keeps real time.  The loop polls the network every POLL_S between console lines.

Console additions (simulator only): `net` -> the connection and store-and-forward counters;
`net down` / `net up` stop and restart the meter's network (its Wi-Fi, as it were); `net time`
asks for a signed time sample now.
"""
import os
import select
import sys
import time

from meter.net.mqtt import STATE_NAMES, MQTTClient
from meter.net.remote import Remote

POLL_S = 0.02


def real_ticks_ms():
    return (time.monotonic_ns() // 1000000) & 0x3FFFFFFF


class SimNet:
    """Follows the simulator's app across reboots (a reboot makes a new App)."""

    def __init__(self, sim, broker, ssl_context=None, keepalive_s=60):
        host, _, port = broker.rpartition(":")
        if not host or not port.isdigit():
            raise SystemExit("--mqtt HOST:PORT")
        self.sim = sim
        self.enabled = True
        self.client = MQTTClient("meter-%d" % sim.app.serial, host, int(port), keepalive_s,
                                 ticks_ms=real_ticks_ms, ssl_context=ssl_context,
                                 jitter_ms=sim.app.serial)
        self.remote = Remote(sim.app, self.client)

    def poll(self):
        if not self.enabled:
            return
        if self.remote.app is not self.sim.app:
            self.remote.app = self.sim.app         # rebooted: same flash, new RAM
        self.remote.poll()

    def command(self, cmd, args):
        if cmd != "net":
            return None
        c = self.client
        if args == ["down"]:
            self.enabled = False
            c.close()
        elif args == ["up"]:
            self.enabled = True
        elif args == ["time"]:
            self.remote.ask_time()                 # a time request at the next poll
        elif args:
            return {"ok": False, "error": "net: [up|down|time]"}
        out = self.remote.status()
        out["enabled"] = self.enabled
        return out


def serve(sim, broker, listen=None):
    net = SimNet(sim, broker)
    base = sim.command

    def command(cmd, args):
        r = net.command(cmd, args)
        return r if r is not None else base(cmd, args)

    sim.command = command
    if listen:
        return _serve_tcp(sim, net, listen)
    fd = sys.stdin.fileno()
    pending = b""
    while True:
        r, _, _ = select.select([fd], [], [], POLL_S)
        if r:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                net.poll()
                sys.stdout.write(sim.handle(line.rstrip(b"\r")) + "\n")
                sys.stdout.flush()
        net.poll()
    net.client.close()


def _serve_tcp(sim, net, listen):
    import socket
    host, _, port = listen.rpartition(":")
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host, int(port)))
    srv.listen(1)
    sys.stderr.write("listening on %s:%s\n" % (host, port))
    sys.stderr.flush()
    conns = {}
    while True:
        r, _, _ = select.select([srv] + list(conns), [], [], POLL_S)
        for s in r:
            if s is srv:
                c, _ = srv.accept()
                conns[c] = b""
                continue
            chunk = s.recv(4096)
            if not chunk:
                del conns[s]
                s.close()
                continue
            conns[s] += chunk
            while b"\n" in conns[s]:
                line, conns[s] = conns[s].split(b"\n", 1)
                s.sendall((sim.handle(line.rstrip(b"\r")) + "\n").encode())
        net.poll()
