"""The meter's side of the remote channel (docs/remote.md): topics, commands, store-and-forward
of the event log, state, and time samples, over meter.net.mqtt.

Topics under meters/<serial>/:
  state   retained JSON status; on every change of supply, relay, trust or reason, balance
          changes at most every STATE_MIN_S, and at least every state_period_s; the last will
          (retained) says {"online": false}
  events  JSON batches of the event log, QoS 1, oldest first, resumed after the newest
          sequence number the broker acknowledged (kept in the record)
  cmd     commands to the meter (meter.core.remote format, raw bytes), QoS 1
  reply   JSON replies whose code/value are signed by the meter, QoS 1
  time    the meter's request for a signed time sample (a nonce), QoS 0

poll(now_ms) never blocks (the client only does what its socket can do at once); the board
runs it every POLL_MS from an asyncio task, the simulator from its loop.
"""
import json

from micropython import const

from meter import eventread
from meter.core import codenames
from meter.core import isotime
from meter.core import remote as R
from meter.core.clock import EPOCH_2000_UNIX
from meter.core.remotestate import remote_state

# codes this module gives (meter.core.codes, docs/codes.md), compiled in as constants:
# a board keeps no name for them (issue 11); host_tests/test_codes.py holds each to
# its number in meter.core.codes
_CLOCK_TRUSTED = const(39)
_TOKEN_ACCEPTED = const(40)
_TOKEN_TIME_BAD = const(53)
_TIME_NETWORK = const(103)
_REMOTE_COMMAND = const(140)
_REMOTE_FORGED = const(141)
_REMOTE_OTHER_METER = const(145)
_REMOTE_MALFORMED = const(146)
_REMOTE_REFUSED = const(147)
_NET_TIME = const(148)
_NET_ONLINE = const(149)

POLL_MS = const(20)
STATE_MIN_S = const(60)
BATCH = const(8)                  # events per message
TIME_RETRY_MS = const(30000)      # time requests while the clock is untrusted
TIME_REFRESH_MS = const(21600000)  # and every 6 h while trusted
_REFUSAL_LOG_MS = const(60000)    # refusals are logged at most once a minute (ring flooding)
_NO_END = const(0x3FFFFFFF)       # meter.core.meter.NO_END: a protection without an end


class Remote:
    def __init__(self, app, client, state_period_s=900, link=None):
        self.app = app
        self.client = client
        self.link = link                   # the Wi-Fi (poll(now) -> up), None on the host
        self.state_period_ms = state_period_s * 1000
        key = app.desk.root_key
        self._cmd_hm = R.command_key(key) if key else None
        self._reply_hm = R.reply_key(key) if key else None
        self.serial = app.serial
        base = ("meters/%d/" % app.serial).encode()
        self.t_state = base + b"state"
        self.t_events = base + b"events"
        self.t_cmd = base + b"cmd"
        self.t_reply = base + b"reply"
        self.t_time = base + b"time"
        client.set_last_will(self.t_state, b'{"online": false}', True)
        client.subscribe(self.t_cmd)
        client.on_message = self._message
        client.on_connect = self._up
        client.on_ack = self._acked
        client.on_down = self._down
        self.cmd = R.Command()
        self.samples = R.TimeSamples()
        self._replies = []                 # reply payloads waiting to go out
        self._sending = 0                  # what the message in flight is: 1 reply 2 state 3 events
        self._batch_last = 0               # last event seq of the batch in flight
        self._state_due = True
        self._state_at = 0
        self._nonce = b""
        self._nonce_at = 0
        self._time_at = None
        self._refusal_at = None
        self._online_event = -1
        self.accepted = 0
        self.refused = 0
        self.events_sent = 0
        self.anchors = 0
        self.errors = 0

    # --- the loop --------------------------------------------------------------------------

    async def run(self):
        import asyncio
        while True:
            try:
                self.poll()
            except Exception as e:          # a network fault must never end the meter's task
                self.errors += 1
                print("network:", repr(e))
                self.client.close()
            await asyncio.sleep_ms(POLL_MS)

    def poll(self, now=None):
        c = self.client
        if now is None:
            now = c.ticks_ms()
        link = self.link
        if link is None or link.poll(now) or c.state != 0:
            c.poll(now)                    # (no new connection attempt while Wi-Fi is down)
        self._protections()
        if not c.is_up():
            return
        if self._online_event != 1:
            self._online_event = 1
            self.app.meter.event(_NET_ONLINE, 1)
        self._time(now)
        if c.inflight:
            return
        if self._replies:
            if c.publish(self.t_reply, self._replies[0], 1):
                self._sending = 1
            return
        payload = self._state(now)
        if payload is not None:
            if c.publish(self.t_state, payload, 1, True):
                self._sending = 2
                self._state_at = now
            return
        payload = self._events()
        if payload is not None and c.publish(self.t_events, payload, 1):
            self._sending = 3

    def status(self):
        """The console's `net` (boards in test mode, the simulator)."""
        c = self.client
        rs = remote_state(self.app.meter)
        from meter.net.mqtt import STATE_NAMES
        return {"ok": True, "state": STATE_NAMES[c.state], "connects": c.connects,
                "failures": c.failures, "last_error": c.last_error, "oversize": c.oversize,
                "malformed": c.malformed, "retransmits": c.retransmits,
                "acked_seq": rs.acked_seq, "newest_seq": self.app.log.seq,
                "counter": rs.counter, "accepted": self.accepted, "refused": self.refused,
                "anchors": self.anchors, "errors": self.errors}

    def _up(self):
        self._state_due = True
        self._time_at = None

    def _down(self):
        if self._online_event != 0:
            self._online_event = 0
            self.app.meter.event(_NET_ONLINE, 0)

    def _acked(self, pid):
        what = self._sending
        self._sending = 0
        if what == 1:
            self._replies.pop(0)
        elif what == 3:
            rs = remote_state(self.app.meter)
            self.events_sent += self._batch_last - rs.acked_seq
            rs.acked_seq = self._batch_last
            self.app.commit()              # the broker has them: never again after a reboot

    # --- state -----------------------------------------------------------------------------

    def _state(self, now):
        app = self.app
        m = app.meter
        # compared field by field: a tuple would be an allocation every poll
        closed = m.relay_closed()
        bal = m.credit.balance
        due = self._state_due or m.supply != self._st_supply or \
            closed != self._st_closed or m.clock.trusted != self._st_trusted or \
            m.reason != self._st_reason or now - self._state_at >= self.state_period_ms
        if not due and bal != self._state_bal and now - self._state_at >= STATE_MIN_S * 1000:
            due = True
        if not due:
            return None
        self._state_due = False
        self._st_supply = m.supply
        self._st_closed = closed
        self._st_trusted = m.clock.trusted
        self._st_reason = m.reason
        self._state_bal = bal
        st = app.status()
        st.pop("lcd", None)
        st["online"] = True
        st["serial"] = app.serial
        st["seq"] = app.log.seq
        return json.dumps(st).encode()

    _st_supply = -1
    _st_closed = None
    _st_trusted = None
    _st_reason = -1
    _state_bal = 0

    # --- events ----------------------------------------------------------------------------

    def _events(self):
        log = self.app.log
        rs = remote_state(self.app.meter)
        if rs.acked_seq > log.seq:
            rs.acked_seq = log.seq         # the log was lost and started again
        first = rs.acked_seq + 1
        lost = 0
        oldest = eventread.oldest_seq(log)
        if first < oldest:
            lost = oldest - first
            first = oldest
        if first > log.seq:
            return None
        out = []
        seq = first
        while seq <= log.seq and len(out) < BATCH:
            e = eventread.entry(log, seq)
            if e is not None:
                out.append(_event_json(seq, e))
            seq += 1
        self._batch_last = seq - 1
        msg = {"serial": self.serial, "events": out}
        if lost:
            msg["lost"] = lost
        return json.dumps(msg).encode()

    # --- commands --------------------------------------------------------------------------

    def _message(self, topic, payload, retained):
        if topic == self.t_cmd:
            self.handle_command(payload)

    def handle_command(self, payload):
        """Verifies and carries out one command; queues its signed reply.  -> the code."""
        app = self.app
        m = app.meter
        if self._cmd_hm is None:
            return self._refuse(payload, _REMOTE_FORGED)
        rs = remote_state(m)
        now_s = m.minute * 60 + m.second
        clock = m.clock
        # the proven lower bound of the true time: what expiry is judged on always
        floor_s = clock.lo_minute * 60 + clock.lo_second
        code = R.verify(self._cmd_hm, self.serial, rs.counter, payload, self.cmd,
                        floor_s, now_s, clock.trusted)
        if code:
            return self._refuse(payload, code)
        cmd = self.cmd
        if cmd.kind == R.TIME:
            self._time_sample(cmd)
            return 0
        now_ms = app.hw.ticks_ms()
        was_closed = m.relay_closed()
        value, detail = self._apply(cmd)
        if value is None:
            # authentic but not carried out: nothing changes, the counter included
            self._reply(cmd.counter, _REMOTE_REFUSED, detail, None)
            self.refused += 1
            app._after_change(now_ms, was_closed)
            app.display.result(_REMOTE_REFUSED, detail, now_ms)
            return _REMOTE_REFUSED
        rs.counter = cmd.counter           # committed with the command's effect
        m.event(_REMOTE_COMMAND, cmd.kind)
        m.commit = 2
        app._after_change(now_ms, was_closed)
        if cmd.kind != R.STATUS and cmd.kind != R.EVENTS:
            # on the LCD as a token's result would be (a credit shows its amount)
            app.display.result(_TOKEN_ACCEPTED if cmd.kind == R.CREDIT
                               else _REMOTE_COMMAND, value, now_ms)
        if cmd.kind == R.STATUS:
            detail = app.status()
        self.accepted += 1
        self._state_due = True
        self._reply(cmd.counter, 0, value, detail)
        return 0

    def _apply(self, cmd):
        """-> (value, detail) when carried out, (None, why) when refused."""
        app = self.app
        m = app.meter
        k = cmd.kind
        if k == R.RECONNECT:
            m.reconnect()
            return m.supply, None
        if k == R.CREDIT:
            # the same rules and replay memory as a credit token typed on the keypad
            result = app.desk.enter_authenticated(cmd.args.decode(), app.read_rtc(), app.osf,
                                                  app.rtc_minute, app.rtc_second, app.mono_s)
            if result[0] != "accepted" or result[1] != _TOKEN_ACCEPTED:
                return None, result[1]
            return result[2], None
        if k == R.NOCUT:
            start_day, days = R.nocut_split(cmd.args)
            entry = app.desk.ready()           # the token code, released with the desk's own
            try:
                m.register_nocut(entry.local_midnight(start_day, app.cfg),
                                 entry.local_midnight(start_day + days, app.cfg))
            finally:
                app.desk.done_typing()
            return days, None
        if k == R.CANCEL_CUT:
            m.cancel_cut()
            return 0, None
        if k == R.PROTECT:
            which, on, start, end = R.protect_split(cmd.args)
            rs = remote_state(m)
            i = which - 1                          # meter.core.meter PROTECT_* order
            rs.set_window(i, -1, -1)
            if not on:
                m.protect_until(i, -1)
                return 0, None
            end = _NO_END if end == R.NO_END else end
            if start != R.NO_END and start > m.minute:
                rs.set_window(i, start, end)          # starts later (_protections)
            else:
                # the end is the core's: it ends only when the time is proven past it
                m.protect_until(i, end)
            return 1, None
        if k == R.CLEAR:
            m.clear_alerts()
            return 0, None
        if k == R.EVENTS:
            first, count = R.events_split(cmd.args)
            log = app.log
            out = []
            oldest = eventread.oldest_seq(log)
            seq = first if first >= oldest else oldest
            while seq <= log.seq and len(out) < count:
                e = eventread.entry(log, seq)
                if e is not None:
                    out.append(_event_json(seq, e))
                seq += 1
            return len(out), {"events": out, "newest": log.seq}
        if k == R.STATUS:
            return 0, None
        return None, _REMOTE_MALFORMED

    def _refuse(self, payload, code):
        self.refused += 1
        counter = R.peek_counter(payload)
        if code != _REMOTE_OTHER_METER and code != _REMOTE_MALFORMED:
            self._reply(counter, code, 0, None)
        else:
            # the counter of a packet that is not ours or not a command says nothing: 0
            self._reply(0, code, 0, None)
        now = self.client.ticks_ms()
        if self._refusal_at is None or now - self._refusal_at >= _REFUSAL_LOG_MS:
            # logged and shown on the LCD, at most once a minute (a flood from a hostile broker
            # must neither push real events out of the ring nor keep the display busy)
            self._refusal_at = now
            app = self.app
            app.meter.event(code, R.peek_counter(payload) & 0x7FFFFFFF)
            app.display.result(code, 0, app.hw.ticks_ms())
        return code

    def _reply(self, counter, code, value, detail):
        if self._reply_hm is None:
            return
        if not isinstance(value, int):
            value = 0
        mac = R.reply_mac(self._reply_hm, self.serial, counter, code, value)
        msg = {"serial": self.serial, "counter": counter, "code": code,
               "reason": codenames.name(code) if code else "ok", "value": value,
               "mac": _hex(mac)}
        if detail is not None:
            msg["detail"] = detail
        if len(self._replies) < 4:
            self._replies.append(json.dumps(msg).encode())

    # --- protections set by command with a start or an end -----------------------------

    def _protections(self):
        """Starts protections set by command to start later.  (Their end is the core's.)"""
        m = self.app.meter
        rs = remote_state(m)
        for i in range(4):
            start = rs.start(i)
            if start >= 0 and m.minute >= start:
                # starting early is the safe side: on whatever clock
                app = self.app
                was_closed = m.relay_closed()
                end = rs.end(i)
                rs.set_window(i, -1, -1)
                m.protect_until(i, end)
                app._after_change(app.hw.ticks_ms(), was_closed)

    # --- time ------------------------------------------------------------------------------

    def _time(self, now):
        m = self.app.meter
        if self._time_at is not None:
            wait = TIME_REFRESH_MS if m.clock.trusted and not self.samples.have \
                else TIME_RETRY_MS
            if now - self._time_at < wait:
                return
        self._time_at = now
        self._nonce = _nonce(now, self.serial)
        self._nonce_at = now
        self.client.publish(self.t_time, b'{"nonce": "' + _hex(self._nonce).encode() + b'"}')

    def ask_time(self):
        """Asks for a sample at the next poll (a second one right after the first)."""
        self._time_at = None

    def _time_sample(self, cmd):
        if not self._nonce or cmd.args != self._nonce:
            return                              # not the answer to our question
        self._nonce = b""
        got = self.client.ticks_ms()
        anchor = self.samples.add(cmd.issue_s, self._nonce_at, got)
        if anchor is None:
            self._time_at = None                # ask again at once for the second sample
            return
        lo, hi, _ = anchor
        app = self.app
        m = app.meter
        was_closed = m.relay_closed()
        if hasattr(m, "trust_source"):
            m.trust_source = _TIME_NETWORK
        r = m.clock.anchor(lo // 60, lo % 60, hi // 60, hi % 60, app.mono_s, _TIME_NETWORK)
        if r == _TOKEN_TIME_BAD:
            return                              # ends before the proven lower bound: refused
        if r:
            m.event(r, 0)                       # (a conflict: the interval was widened)
        self.anchors += 1
        m.event(_NET_TIME, hi - lo)
        app._set_rtc()                          # the RTC gets the estimate, inside the interval
        m.commit = 2
        m.redecide()
        app._after_change(app.hw.ticks_ms(), was_closed)


def _event_json(seq, e):
    """As the console's `events` (utc null when the date was unknown, the source of a trust
    change), with the sequence number."""
    utc, trusted, mono, code, value = e
    out = {"seq": seq, "utc": isotime.iso_utc(utc) if utc is not None else None,
           "trusted": bool(trusted), "mono_s": mono, "code": code, "name": codenames.name(code),
           "value": value}
    if code == _CLOCK_TRUSTED or 30 <= code <= 38:
        out["source"] = codenames.name(value) if value else None
    return out


def _hex(b):
    return "".join("%02x" % x for x in b)


def _nonce(now, serial):
    try:
        import os
        return bytes(os.urandom(8))
    except (ImportError, AttributeError, NotImplementedError):
        import random
        return bytes(random.getrandbits(8) for _ in range(8))


def seconds_2000(utc):
    return utc - EPOCH_2000_UNIX
