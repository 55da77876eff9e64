"""The firmware's MQTT client (meter.net.mqtt) against misbehaving peers on loopback: a connect
that hangs, a broker that accepts and stalls, one that stops reading mid-publish, malformed
and oversize packets.  Time for the client's deadlines is a fake tick counter moved by the
test; the sockets are real.  poll() must return at once in every case (the control loop never
waits: the measured gaps are in `make bench`, tools/bench_remote.py)."""
import socket
import threading

import pytest

from testbroker import Broker
from meter.net import mqtt as M


class Ticks:
    def __init__(self):
        self.now = 1000

    def __call__(self):
        return self.now


def client_for(port, ticks, **kw):
    return M.MQTTClient("t-%d" % port, "127.0.0.1", port, 30, ticks_ms=ticks, **kw)


class Peer:
    """A one-connection TCP peer scripted by `behave(conn)` in a thread."""

    def __init__(self, behave, backlog=1):
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(backlog)
        self.port = self.srv.getsockname()[1]
        self.conns = []
        self.stop = threading.Event()
        if behave is not None:
            self.t = threading.Thread(target=self._run, args=(behave,), daemon=True)
            self.t.start()

    def _run(self, behave):
        self.srv.settimeout(5)
        try:
            conn, _ = self.srv.accept()
        except OSError:
            return
        self.conns.append(conn)
        behave(conn, self.stop)

    def close(self):
        self.stop.set()
        for c in self.conns:
            c.close()
        self.srv.close()


def read_connect(conn):
    conn.settimeout(5)
    head = conn.recv(2)
    body = b""
    while len(body) < head[1]:
        body += conn.recv(head[1] - len(body))
    return head + body


def poll_until(c, ticks, pred, step_ms=100, limit=400):
    for _ in range(limit):
        c.poll()
        if pred():
            return True
        ticks.now += step_ms
        threading.Event().wait(0.005)
    return False


def test_a_broker_that_accepts_and_stalls_is_dropped_at_the_deadline():
    peer = Peer(lambda conn, stop: stop.wait(10))          # accepts, never answers
    ticks = Ticks()
    c = client_for(peer.port, ticks)
    assert poll_until(c, ticks, lambda: c.state == M.CONNACK, step_ms=1)
    start = ticks.now
    assert poll_until(c, ticks, lambda: c.state == M.DOWN)
    assert c.last_error == "no CONNACK"
    assert ticks.now - start >= M.CONNECT_TIMEOUT_MS
    peer.close()


def test_a_connect_that_hangs_times_out_without_blocking():
    # a listening socket whose accept queue is full drops further SYNs: connect() hangs
    peer = Peer(None, backlog=0)
    fillers = []
    for _ in range(4):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", peer.port))
        except BlockingIOError:
            pass
        fillers.append(s)
    threading.Event().wait(0.1)
    ticks = Ticks()
    c = client_for(peer.port, ticks)
    c.poll()
    if c.state != M.CONNECTING:
        pytest.skip("this kernel completed the connect at once (state %s)" % c.state)
    assert poll_until(c, ticks, lambda: c.state == M.DOWN)
    assert c.last_error in ("connect timed out", "no CONNACK")
    for s in fillers:
        s.close()
    peer.close()


def connack_then(after):
    def behave(conn, stop):
        read_connect(conn)
        conn.sendall(b"\x20\x02\x00\x00")
        after(conn, stop)
    return behave


def test_malformed_remaining_length_drops_the_connection_not_the_meter():
    peer = Peer(connack_then(lambda conn, stop: (conn.sendall(b"\x30\xff\xff\xff\xff\x7f"),
                                                 stop.wait(5))))
    ticks = Ticks()
    c = client_for(peer.port, ticks)
    assert poll_until(c, ticks, lambda: c.malformed == 1, step_ms=1)
    assert c.state == M.DOWN and c.failures == 1
    peer.close()


def test_unexpected_packets_and_bad_publish_are_refused():
    bad = b"\x32\x01\x00"                    # QoS 1 PUBLISH too short for its topic length
    peer = Peer(connack_then(lambda conn, stop: (conn.sendall(bad), stop.wait(5))))
    ticks = Ticks()
    c = client_for(peer.port, ticks)
    assert poll_until(c, ticks, lambda: c.malformed == 1, step_ms=1)
    assert c.state == M.DOWN
    peer.close()


def test_a_peer_that_stops_reading_mid_publish_is_dropped_after_the_stall():
    peer = Peer(connack_then(lambda conn, stop: stop.wait(20)))    # never reads again
    ticks = Ticks()
    c = client_for(peer.port, ticks)
    assert poll_until(c, ticks, lambda: c.state == M.UP, step_ms=1)
    payload = bytes(1400)
    for _ in range(20000):                   # fill the kernel's buffers until writes wait
        c.publish(b"x/y", payload)
        c.poll()
        if c._out_len:
            break
    assert c._out_len, "the socket never filled"
    # (the kernel may still take a trickle: then the broker's silence ends it)
    assert poll_until(c, ticks, lambda: c.state == M.DOWN, step_ms=200, limit=1000)
    assert c.last_error in ("write stalled", "broker silent")
    peer.close()


def test_keepalive_ping_and_silent_broker():
    got = []

    def after(conn, stop):
        conn.settimeout(5)
        try:
            got.append(conn.recv(2))          # the PINGREQ, never answered
        except OSError:
            pass
        stop.wait(10)

    peer = Peer(connack_then(after))
    ticks = Ticks()
    c = client_for(peer.port, ticks)
    assert poll_until(c, ticks, lambda: c.state == M.UP, step_ms=1)
    assert poll_until(c, ticks, lambda: bool(got), step_ms=1000)
    assert got[0] == b"\xc0\x00"
    assert poll_until(c, ticks, lambda: c.state == M.DOWN, step_ms=1000)
    assert c.last_error == "broker silent"
    peer.close()


def test_backoff_doubles_and_is_capped():
    peer = Peer(None)
    port = peer.port
    peer.close()                              # nothing listens: refused at once
    ticks = Ticks()
    c = client_for(port, ticks)
    waits = []
    for _ in range(9):
        assert poll_until(c, ticks, lambda: c.state == M.DOWN and c.sock is None, step_ms=1)
        f = c.failures
        t0 = ticks.now
        assert poll_until(c, ticks, lambda: c.failures > f, step_ms=400, limit=500)
        waits.append(ticks.now - t0)
    assert waits[0] < 3000 and waits[-1] >= M.BACKOFF_MAX_MS - 200
    assert max(waits) <= M.BACKOFF_MAX_MS + 1200


@pytest.fixture(scope="module")
def broker():
    b = Broker().start()
    yield b
    b.close()


def test_qos1_round_trip_will_and_resubscribe_on_a_real_broker(broker):
    import time
    got = []
    c = M.MQTTClient("rt", "127.0.0.1", broker.port, 30)
    c.set_last_will(b"t/will", b"offline", True)
    c.on_message = lambda t, p, r: got.append((t, p, r))
    acks = []
    c.on_ack = acks.append
    c.subscribe(b"t/echo")
    end = time.monotonic() + 10
    while not c.is_up() and time.monotonic() < end:
        c.poll()
        time.sleep(0.01)
    assert c.is_up()
    pid = 0
    while not (got and acks) and time.monotonic() < end:
        if not pid:
            pid = c.publish(b"t/echo", b"\x00\x01binary\xff", 1)
        c.poll()
        time.sleep(0.01)
    assert got == [(b"t/echo", b"\x00\x01binary\xff", False)]
    assert acks == [pid]
    # drop the socket under the client: it reconnects and subscribes again by itself
    c.sock.close()
    first = c.connects
    got.clear()
    pid = 0
    end = time.monotonic() + 20
    while not got and time.monotonic() < end:
        c.poll()
        if c.is_up() and c.connects > first and not pid:
            pid = c.publish(b"t/echo", b"again", 1)
        time.sleep(0.01)
    assert got == [(b"t/echo", b"again", False)]
    c.close()


def test_qos1_is_retransmitted_with_dup_until_acknowledged():
    seen = []

    def after(conn, stop):
        conn.settimeout(5)
        buf = b""
        while not stop.is_set() and len(seen) < 2:
            try:
                chunk = conn.recv(4096)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while len(buf) >= 2 and len(buf) >= 2 + buf[1]:
                pkt, buf = buf[:2 + buf[1]], buf[2 + buf[1]:]
                if pkt[0] & 0xF0 == 0x30:
                    seen.append(pkt)
        pid = seen[-1][2 + 2 + 3:2 + 2 + 3 + 2]          # topic b"a/b", then the pid
        conn.sendall(b"\x40\x02" + pid)                     # acknowledged at last
        stop.wait(5)

    peer = Peer(connack_then(after))
    ticks = Ticks()
    c = client_for(peer.port, ticks)
    acks = []
    c.on_ack = acks.append
    assert poll_until(c, ticks, lambda: c.state == M.UP, step_ms=1)
    pid = c.publish(b"a/b", b"event", 1)
    assert pid and c.publish(b"a/b", b"second", 1) == 0        # one in flight at a time
    assert poll_until(c, ticks, lambda: acks == [pid], step_ms=500)
    assert seen[0][0] == 0x32 and seen[1][0] == 0x3A            # QoS 1, then QoS 1 + DUP
    assert seen[0][2:] == seen[1][2:] and c.retransmits >= 1 and c.inflight == 0
    peer.close()
