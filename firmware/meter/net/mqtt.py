"""A small MQTT 3.1.1 client that never blocks: one non-blocking socket, polled.

In the spirit of Peter Hinch's resilient mqtt_as (the model; no code is shared): the
connection is a state machine advanced by poll(now_ms), which the app calls from its event
loop (a board's asyncio task, the simulator's loop).  poll() only does what the socket can do
at once — a TCP connect that hangs, a broker that accepts and then says nothing, or a Wi-Fi
that drops in the middle of a publish costs the control loop nothing: each wait has a deadline
measured on ticks, after which the socket is closed and a new connection is tried later, with a
backoff that doubles up to BACKOFF_MAX_MS (plus a per-client offset, so that a fleet does not
reconnect in step).

What it does: CONNECT with a last will (retained), clean session, keepalive with PINGREQ and a
dead-broker timeout, QoS 0 and 1 publish with one QoS 1 message in flight (retransmitted with
DUP until its PUBACK, and sent again after a reconnect), SUBSCRIBE renewed on every connect,
incoming QoS 0/1 PUBLISH (PUBACK sent), TLS with CA verification when given an SSL context.
Packets larger than the receive buffer are skipped (counted in `oversize`), a malformed packet
drops the connection (counted in `malformed`); neither can crash the meter.

Bytes only; the buffers are allocated once.  Hostnames are resolved once per client (a DNS
lookup blocks on MicroPython, so give an address where that matters).
"""
import select
import socket

from micropython import const

# states
DOWN = const(0)          # waiting for the next attempt
CONNECTING = const(1)    # TCP connect in progress
HANDSHAKE = const(2)     # TLS handshake in progress
CONNACK = const(3)       # CONNECT sent, waiting for CONNACK
UP = const(4)
STATE_NAMES = ("down", "connecting", "handshake", "connack", "up")

MAX_IN = const(1024)
MAX_OUT = const(1536)
CONNECT_TIMEOUT_MS = const(10000)
RETRY_MS = const(5000)           # QoS 1 retransmission while connected
WRITE_STALL_MS = const(10000)    # output not draining for this long: the link is dead
BACKOFF_MIN_MS = const(1000)
BACKOFF_MAX_MS = const(64000)

_CONNECT = const(0x10)
_CONNACK = const(0x20)
_PUBLISH = const(0x30)
_PUBACK = const(0x40)
_SUBSCRIBE = const(0x82)
_SUBACK = const(0x90)
_PINGREQ = const(0xC0)
_PINGRESP = const(0xD0)
_DISCONNECT = const(0xE0)

_EAGAIN = (11, 115, 114, 119)    # EAGAIN, EINPROGRESS, EALREADY, and lwIP's EINPROGRESS
_POLLOUT = select.POLLOUT
_POLLERR = select.POLLERR | select.POLLHUP


from meter.drivers.ticks import diff as _diff  # noqa: E402


def _default_ticks():
    import time
    f = getattr(time, "ticks_ms", None)
    if f is not None:
        return f
    ns = getattr(time, "monotonic_ns")                                 # CPython
    return lambda: (ns() // 1000000) & 0x3FFFFFFF


def _again(e):
    """True when an OSError only says 'not now' (non-blocking socket, TLS wanting I/O)."""
    if e.args and e.args[0] in _EAGAIN:
        return True
    n = type(e).__name__
    return n == "BlockingIOError" or n.startswith("SSLWant")


class MQTTClient:
    def __init__(self, client_id, host, port=1883, keepalive_s=60, ticks_ms=None,
                 ssl_context=None, server_hostname=None, user=None, password=None,
                 jitter_ms=0):
        self.client_id = client_id if isinstance(client_id, bytes) else client_id.encode()
        self.host = host
        self.port = port
        self.keepalive_s = keepalive_s
        self.ssl_context = ssl_context
        self.server_hostname = server_hostname or host
        self.user = user
        self.password = password
        self.jitter_ms = jitter_ms % 1000
        if ticks_ms is None:
            ticks_ms = _default_ticks()
        self.ticks_ms = ticks_ms
        self.will = None                  # (topic, payload, retain)
        self.on_message = None            # f(topic bytes, payload bytes, retained bool)
        self.on_connect = None            # f() after CONNACK and the subscriptions went out
        self.on_ack = None                # f(pid) when a QoS 1 publish was acknowledged
        self.on_down = None               # f() when a connection that was up is lost
        self.state = DOWN
        self.sock = None
        self._poller = None
        self._addr = None
        self._subs = []                   # topics (bytes), subscribed QoS 1 on every connect
        self._deadline = 0
        self._retry_at = ticks_ms()
        self._backoff = BACKOFF_MIN_MS
        self._pid = 0
        # output: packets waiting to be written, and the one QoS 1 message in flight
        self._out = bytearray(MAX_OUT)
        self._out_len = 0
        self._out_since = 0
        self._q = bytearray(MAX_OUT)
        self._q_len = 0
        self.inflight = 0                 # pid of the QoS 1 publish awaiting its PUBACK
        self._q_sent = 0
        # input
        self._in = bytearray(MAX_IN + 5)
        self._in_mv = memoryview(self._in)
        self._in_len = 0
        self._skip = 0
        self._last_rx = 0
        self._last_tx = 0
        self._ping_out = False
        # counters (read by tests, the status page and the bench)
        self.connects = 0
        self.failures = 0
        self.oversize = 0
        self.malformed = 0
        self.retransmits = 0
        self.last_error = ""
        self._io_error = ""
        self._rd = None
        self._rd_sock = None

    # --- API -----------------------------------------------------------------------------

    def set_last_will(self, topic, payload, retain=True):
        self.will = (topic, payload, retain)

    def subscribe(self, topic):
        """Subscribes now if connected, and again after every reconnect."""
        if topic not in self._subs:
            self._subs.append(topic)
        if self.state == UP:
            self._send_subscribe(topic)

    def is_up(self):
        return self.state == UP

    def can_publish(self, size):
        """True when a QoS 1 message of `size` bytes (topic + payload) can be taken now."""
        return self.inflight == 0 and size + 8 <= MAX_OUT

    def publish(self, topic, payload, qos=0, retain=False):
        """Queues a PUBLISH.  QoS 1: -> its pid (on_ack(pid) follows the PUBACK; it is sent
        again after a reconnect until then), or 0 when one is already in flight or it does
        not fit.  QoS 0: -> 1 when written to the output buffer, 0 when dropped (not up, or
        no room)."""
        n = len(topic) + len(payload)
        if qos:
            if not self.can_publish(n):
                return 0
            self._pid = self._pid % 65535 + 1
            pid = self._pid
            self._q_len = _publish_packet(self._q, topic, payload, pid, retain)
            self.inflight = pid
            if self.state == UP:
                self._send_inflight(False)
            return pid
        if self.state != UP:
            return 0
        need = n + 7
        if self._out_len + need > MAX_OUT:
            return 0
        mv = memoryview(self._out)
        k = _publish_packet(mv[self._out_len:], topic, payload, 0, retain)
        self._queued(k)
        return 1

    def close(self):
        """Disconnects cleanly (no last will) if up, and stops until poll() retries."""
        if self.state == UP:
            self._out[0] = _DISCONNECT
            self._out[1] = 0
            self._out_len = 2
            self._flush()
        self._drop("closed", False)

    # --- the state machine -----------------------------------------------------------------

    def poll(self, now=None):
        """Does whatever the socket allows at once; never waits.  -> the state."""
        if now is None:
            now = self.ticks_ms()
        st = self.state
        if st == DOWN:
            if _diff(now, self._retry_at) >= 0:
                self._start(now)
            return self.state
        if st == CONNECTING:
            ev = self._events()
            if ev & _POLLERR:
                self._fail(now, "connect refused")
            elif ev & _POLLOUT:
                self._connected(now)
            elif _diff(now, self._deadline) >= 0:
                self._fail(now, "connect timed out")
            return self.state
        if st == HANDSHAKE:
            self._handshake(now)
            return self.state
        # CONNACK or UP: write, read, watch the deadlines
        if not self._flush():
            self._fail(now, self._io_error or "write failed")
            return self.state
        if self._out_len and _diff(now, self._out_since) > WRITE_STALL_MS:
            self._fail(now, "write stalled")
            return self.state
        if not self._read(now):
            return self.state
        if self.state == CONNACK:
            if _diff(now, self._deadline) >= 0:
                self._fail(now, "no CONNACK")
            return self.state
        ka = self.keepalive_s * 1000
        if _diff(now, self._last_rx) > ka + ka // 2:
            self._fail(now, "broker silent")
            return self.state
        if not self._ping_out and (_diff(now, self._last_tx) >= ka // 2 or
                                   _diff(now, self._last_rx) >= ka // 2):
            if self._out_len + 2 <= MAX_OUT:
                self._out[self._out_len] = _PINGREQ
                self._out[self._out_len + 1] = 0
                self._queued(2)
                self._ping_out = True
        if self.inflight and _diff(now, self._q_sent) >= RETRY_MS:
            self.retransmits += 1
            self._send_inflight(True)
        self._flush()
        return self.state

    def _events(self):
        p = self._poller
        if p is None:
            return _POLLERR
        try:
            res = p.poll(0)
        except OSError:
            return _POLLERR
        ev = 0
        for r in res:
            ev |= r[1]
        return ev

    def _start(self, now):
        self._in_len = 0
        self._skip = 0
        self._out_len = 0
        try:
            if self._addr is None:
                self._addr = socket.getaddrinfo(self.host, self.port, 0,
                                                socket.SOCK_STREAM)[0][-1]
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        except OSError as e:
            self._fail(now, "address: %s" % (e,))
            return
        self.sock = s
        s.setblocking(False)
        try:
            # small packets (a PUBACK, then a reply) must not wait for Nagle's delayed ACK
            s.setsockopt(getattr(socket, "IPPROTO_TCP", 6), getattr(socket, "TCP_NODELAY", 1), 1)
        except (OSError, AttributeError):
            pass
        self._poller = select.poll()
        self._poller.register(s, _POLLOUT)
        self.state = CONNECTING
        self._deadline = (now + CONNECT_TIMEOUT_MS) & 0x3FFFFFFF
        try:
            s.connect(self._addr)
        except OSError as e:
            if not _again(e):
                self._fail(now, "connect: %s" % (e,))
                return

    def _connected(self, now):
        """TCP is up: TLS next, or straight to CONNECT."""
        s = self.sock
        p = self._poller
        if s is None or p is None:
            return
        if self.ssl_context is not None:
            try:
                p.unregister(s)
            except (OSError, KeyError):
                pass
            try:
                self.sock = self.ssl_context.wrap_socket(
                    self.sock, server_hostname=self.server_hostname,
                    do_handshake_on_connect=False)
            except OSError as e:
                self._fail(now, "tls: %s" % (e,))
                return
            self._poller = select.poll()
            self._poller.register(self.sock, select.POLLIN)
            self.state = HANDSHAKE
            self._handshake(now)
            return
        p.modify(s, select.POLLIN)
        self._send_connect(now)

    def _handshake(self, now):
        hs = getattr(self.sock, "do_handshake", None)
        if hs is not None:
            try:
                hs()
            except OSError as e:
                if not _again(e):
                    self._fail(now, "tls: %s" % (e,))
                elif _diff(now, self._deadline) >= 0:
                    self._fail(now, "tls timed out")
                return
        # (MicroPython's ssl finishes the handshake inside the first writes and reads)
        self._send_connect(now)

    def _send_connect(self, now):
        o = self._out
        flags = 0x02                               # clean session
        body = 10 + 2 + len(self.client_id)
        will = self.will
        if will is not None:
            flags |= 0x04 | 0x08                   # will, QoS 1
            if will[2]:
                flags |= 0x20
            body += 2 + len(will[0]) + 2 + len(will[1])
        if self.user is not None:
            flags |= 0x80
            body += 2 + len(self.user)
            if self.password is not None:
                flags |= 0x40
                body += 2 + len(self.password)
        o[0] = _CONNECT
        i = 1 + _put_length(o, 1, body)
        o[i:i + 7] = b"\x00\x04MQTT\x04"
        o[i + 7] = flags
        o[i + 8] = self.keepalive_s >> 8
        o[i + 9] = self.keepalive_s & 255
        i = _put_str(o, i + 10, self.client_id)
        if will is not None:
            i = _put_str(o, i, will[0])
            i = _put_str(o, i, will[1])
        if self.user is not None:
            i = _put_str(o, i, self.user)
            if self.password is not None:
                i = _put_str(o, i, self.password)
        self._out_len = 0
        self._queued(i)
        self.state = CONNACK
        self._deadline = (now + CONNECT_TIMEOUT_MS) & 0x3FFFFFFF
        self._last_rx = now
        self._flush()

    def _queued(self, n):
        if self._out_len == 0:
            self._out_since = self.ticks_ms()
        self._out_len += n

    def _send_subscribe(self, topic):
        n = 2 + 2 + len(topic) + 1
        if self._out_len + n + 5 > MAX_OUT:
            return
        self._pid = self._pid % 65535 + 1
        o = memoryview(self._out)[self._out_len:]
        o[0] = _SUBSCRIBE
        i = 1 + _put_length(o, 1, n)
        o[i] = self._pid >> 8
        o[i + 1] = self._pid & 255
        i = _put_str(o, i + 2, topic)
        o[i] = 1                                   # QoS 1
        self._queued(i + 1)

    def _send_inflight(self, dup):
        if self._out_len + self._q_len > MAX_OUT:
            return
        q = self._q
        q[0] = (q[0] | 0x08) if dup else (q[0] & ~0x08)
        self._out[self._out_len:self._out_len + self._q_len] = memoryview(q)[:self._q_len]
        self._queued(self._q_len)
        self._q_sent = self.ticks_ms()

    # --- I/O -----------------------------------------------------------------------------

    def _flush(self):
        """Writes what the socket takes now.  -> False when the connection failed."""
        n = self._out_len
        if n == 0:
            return True
        s = self.sock
        if s is None:
            return False
        try:
            w = s.send(memoryview(self._out)[:n])
        except OSError as e:
            # (MicroPython's ssl reports mbedtls errors as negative numbers)
            tls = self.ssl_context is not None and e.args and isinstance(e.args[0], int) and \
                e.args[0] < 0
            self._io_error = ("tls: %s" if tls else "write: %s") % (e,)
            return _again(e)
        except ValueError as e:
            # MicroPython's ssl reports a certificate that does not verify as ValueError
            self._io_error = "tls: %s" % (e,)
            return False
        if w is None or w <= 0:
            return True
        self._last_tx = self.ticks_ms()
        if w < n:
            self._out[0:n - w] = memoryview(self._out)[w:n]
        self._out_len = n - w
        if self._out_len:
            self._out_since = self._last_tx
        return True

    def _read(self, now):
        """Reads and handles every complete packet there is.  -> False when the connection
        was dropped."""
        s = self.sock
        if s is None:
            return False
        rd = self._rd
        if rd is None or self._rd_sock is not s:
            # a bound method is an allocation: made once per socket, not once per poll
            rd = self._rd = getattr(s, "readinto", None) or getattr(s, "recv_into")
            self._rd_sock = s
        turns = 8                                  # bounded work per poll
        while turns:
            turns -= 1
            room = len(self._in) - self._in_len
            # (the whole buffer when empty: an idle poll allocates nothing)
            view = self._in_mv if self._in_len == 0 else self._in_mv[self._in_len:]
            try:
                got = rd(view, room)
            except OSError as e:
                if _again(e):
                    return True
                self._fail(now, "read: %s" % (e,))
                return False
            except ValueError as e:
                self._fail(now, "tls: %s" % (e,))
                return False
            if got is None:
                return True
            if got == 0:
                self._fail(now, "closed by the broker")
                return False
            self._last_rx = now
            if self._skip:
                take = got if got < self._skip else self._skip
                self._skip -= take
                rest = got - take
                if rest:
                    self._in[self._in_len:self._in_len + rest] = \
                        self._in_mv[self._in_len + take:self._in_len + got]
                got = rest
            self._in_len += got
            if not self._parse(now):
                return False
            if got < room:
                return True
        return True

    def _parse(self, now):
        buf = self._in
        while self._in_len >= 2:
            rl = 0
            mult = 1
            i = 1
            while True:
                if i >= self._in_len:
                    return True                    # length not complete yet
                b = buf[i]
                rl += (b & 0x7F) * mult
                i += 1
                if not b & 0x80:
                    break
                mult <<= 7
                if i > 4:
                    self.malformed += 1
                    self._fail(now, "bad remaining length")
                    return False
            total = i + rl
            if total > len(buf):
                # larger than we accept: skip it whole, keep the connection
                self.oversize += 1
                self._skip = total - self._in_len
                self._in_len = 0
                return True
            if self._in_len < total:
                return True
            if not self._handle(buf[0], i, rl, now):
                return False
            rest = self._in_len - total
            if rest:
                buf[0:rest] = self._in_mv[total:self._in_len]
            self._in_len = rest
        return True

    def _handle(self, head, i, rl, now):
        buf = self._in
        kind = head & 0xF0
        if kind == _PUBLISH:
            qos = (head >> 1) & 3
            if rl < 2 or qos > 1:
                return self._bad(now, "bad PUBLISH")
            tlen = (buf[i] << 8) | buf[i + 1]
            start = i + 2 + tlen
            end = i + rl
            if qos:
                start += 2
            if start > end:
                return self._bad(now, "bad PUBLISH")
            if qos:
                pid_at = i + 2 + tlen
                if self._out_len + 4 <= MAX_OUT:
                    o = self._out
                    j = self._out_len
                    o[j] = _PUBACK
                    o[j + 1] = 2
                    o[j + 2] = buf[pid_at]
                    o[j + 3] = buf[pid_at + 1]
                    self._queued(4)
            cb = self.on_message
            if cb is not None:
                cb(bytes(self._in_mv[i + 2:i + 2 + tlen]), bytes(self._in_mv[start:end]),
                   bool(head & 1))
            return True
        if kind == _PUBACK:
            if rl != 2:
                return self._bad(now, "bad PUBACK")
            pid = (buf[i] << 8) | buf[i + 1]
            if pid == self.inflight and self.inflight:
                self.inflight = 0
                self._q_len = 0
                if self.on_ack is not None:
                    self.on_ack(pid)
            return True
        if kind == _CONNACK:
            if rl != 2 or self.state != CONNACK:
                return self._bad(now, "bad CONNACK")
            if buf[i + 1] != 0:
                self._fail(now, "refused by the broker (%d)" % buf[i + 1])
                return False
            self.state = UP
            self.connects += 1
            self._backoff = BACKOFF_MIN_MS
            self._ping_out = False
            self._last_rx = now
            for t in self._subs:
                self._send_subscribe(t)
            if self.inflight:
                self._send_inflight(False)         # clean session: the broker forgot it
            if self.on_connect is not None:
                self.on_connect()
            return True
        if kind == _PINGRESP:
            self._ping_out = False
            return True
        if kind == _SUBACK:
            return True
        return self._bad(now, "unexpected packet 0x%02x" % head)

    def _bad(self, now, why):
        self.malformed += 1
        self._fail(now, why)
        return False

    def _fail(self, now, why):
        self.failures += 1
        self._drop(why, True)
        delay = self._backoff + self.jitter_ms
        self._backoff = self._backoff * 2 if self._backoff < BACKOFF_MAX_MS else BACKOFF_MAX_MS
        self._retry_at = (now + delay) & 0x3FFFFFFF

    def _drop(self, why, notify):
        was_up = self.state == UP
        self.last_error = why
        s = self.sock
        self.sock = None
        self._poller = None
        self._rd = None
        self._rd_sock = None
        self.state = DOWN
        self._out_len = 0
        self._in_len = 0
        self._skip = 0
        if s is not None:
            try:
                s.close()
            except OSError:
                pass
        if was_up and notify and self.on_down is not None:
            self.on_down()


def _put_length(buf, i, n):
    """Writes MQTT's variable-length integer at buf[i]; -> its length in bytes."""
    k = 0
    while True:
        b = n & 0x7F
        n >>= 7
        buf[i + k] = b | 0x80 if n else b
        k += 1
        if not n:
            return k


def _put_str(buf, i, s):
    n = len(s)
    buf[i] = n >> 8
    buf[i + 1] = n & 255
    buf[i + 2:i + 2 + n] = s
    return i + 2 + n


def _publish_packet(buf, topic, payload, pid, retain):
    """Writes a PUBLISH (QoS 1 when pid, else QoS 0) into buf; -> its length."""
    body = 2 + len(topic) + len(payload) + (2 if pid else 0)
    buf[0] = _PUBLISH | (0x02 if pid else 0) | (0x01 if retain else 0)
    i = 1 + _put_length(buf, 1, body)
    i = _put_str(buf, i, topic)
    if pid:
        buf[i] = pid >> 8
        buf[i + 1] = pid & 255
        i += 2
    buf[i:i + len(payload)] = payload
    return i + len(payload)
