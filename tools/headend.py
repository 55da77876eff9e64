"""Head-end for the remote channel (docs/remote.md): sends authenticated commands to meters over
an MQTT broker, answers their time requests, and keeps a journal of the fleet in SQLite.

  python tools/headend.py [--broker HOST:PORT] [--db FILE] [--timeout S] [--at UTC]
                          [--key-file FILE | --dev-key] COMMAND ...
    reconnect SERIAL                 arms the relay (the household presses # or the button)
    credit SERIAL AMOUNT [--key-rev R --base B]   e.g. credit 10000001 20.00 (a token inside)
    nocut SERIAL --start YYYY-MM-DD --days N
    protect SERIAL medical|weather|cold on|off [--start UTC] [--days N]
    cancel-cut SERIAL | clear SERIAL
    status SERIAL                    the meter's retained state (and the journal's last one)
    events SERIAL [--from SEQ] [--count N]   read the meter's event log by command
    watch [--count N]                live states and events of the fleet
    serve [--count N]                answers time requests, records states and events

Command subcommands exit 0 when the meter's signed reply says done, 1 when it refused (the
reason is printed), 2 on bad arguments, 3 when no reply came within --timeout.

The utility key (hex) comes from --key-file or the METER_UTILITY_KEY environment variable,
never from the command line; --dev-key uses the public development key of the simulator
(tools/devkeys.py).  The journal (default ./headend.sqlite, or $HEADEND_DB) keeps
every meter's command counter, so a restart never reuses one; counters also never fall below
the seconds since 2020, so even a lost journal does not reuse one.
"""
import argparse
import json
import os
import sqlite3
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _p in (os.path.join(ROOT, "firmware"), os.path.join(ROOT, "tools"),
           os.path.join(ROOT, "tools", "cpython_shim")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import paho.mqtt.client as mqtt  # noqa: E402

from meter.core import calendar, codes  # noqa: E402

from meter.core import isotime  # noqa: E402
from meter.core import remote as R  # noqa: E402
from meter.core import token as T  # noqa: E402
from devkeys import DEV_UTILITY_KEY_HEX  # noqa: E402

EPOCH_2000 = 946684800
EPOCH_2020 = 1577836800
EXIT_OK, EXIT_REFUSED, EXIT_ARGS, EXIT_TIMEOUT = 0, 1, 2, 3
PROTECT_KINDS = {"medical": 1, "weather": 2, "cold": 3, "winter": 4}

SCHEMA = """
CREATE TABLE IF NOT EXISTS meters (serial INTEGER PRIMARY KEY, counter INTEGER NOT NULL,
    last_token_id INTEGER NOT NULL DEFAULT -1);
CREATE TABLE IF NOT EXISTS commands (serial INTEGER, counter INTEGER, kind TEXT, args TEXT,
    issued TEXT, sent REAL, PRIMARY KEY (serial, counter));
CREATE TABLE IF NOT EXISTS replies (serial INTEGER, counter INTEGER, code INTEGER, reason TEXT,
    value INTEGER, verified INTEGER, payload TEXT, received REAL);
CREATE TABLE IF NOT EXISTS states (serial INTEGER PRIMARY KEY, payload TEXT, received REAL);
CREATE TABLE IF NOT EXISTS events (serial INTEGER, seq INTEGER, utc TEXT, code INTEGER,
    name TEXT, value INTEGER, received REAL, PRIMARY KEY (serial, seq));
CREATE TABLE IF NOT EXISTS stats (name TEXT PRIMARY KEY, value INTEGER);
"""


class Journal:
    def __init__(self, path):
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)

    def next_counter(self, serial):
        """A counter never used for this meter, stored before the command goes out."""
        floor = int(time.time()) - EPOCH_2020
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        row = db.execute("SELECT counter FROM meters WHERE serial=?", (serial,)).fetchone()
        last = row[0] if row else 0
        counter = max(last + 1, floor)
        if row:
            db.execute("UPDATE meters SET counter=? WHERE serial=?", (counter, serial))
        else:
            db.execute("INSERT INTO meters (serial, counter) VALUES (?, ?)", (serial, counter))
        db.execute("COMMIT")
        return counter

    def next_token_id(self, serial, minute):
        """A credit token id at or just after `minute`, never one this journal used before."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        row = db.execute("SELECT last_token_id FROM meters WHERE serial=?", (serial,)).fetchone()
        last = row[0] if row else -1
        tid = max(minute, last + 1)
        if tid > minute + 2:
            db.execute("ROLLBACK")
            raise ValueError("three credits this minute already: wait a minute")
        db.execute("UPDATE meters SET last_token_id=? WHERE serial=?", (tid, serial))
        db.execute("COMMIT")
        return tid

    def command(self, serial, counter, kind, args, issued):
        self.db.execute("INSERT OR REPLACE INTO commands VALUES (?,?,?,?,?,?)",
                        (serial, counter, kind, args, issued, time.time()))

    def reply(self, serial, msg, verified, payload):
        self.db.execute("INSERT INTO replies VALUES (?,?,?,?,?,?,?,?)",
                        (serial, msg.get("counter"), msg.get("code"), msg.get("reason"),
                         msg.get("value"), 1 if verified else 0, payload, time.time()))

    def state(self, serial, payload):
        self.db.execute("INSERT OR REPLACE INTO states VALUES (?,?,?)",
                        (serial, payload, time.time()))

    def events(self, serial, events):
        """-> (new, duplicates)."""
        new = dup = 0
        now = time.time()
        self.db.execute("BEGIN")                   # one transaction (one sync) per message
        try:
            for e in events:
                cur = self.db.execute("INSERT OR IGNORE INTO events VALUES (?,?,?,?,?,?,?)",
                                      (serial, int(e["seq"]), e.get("utc"), int(e["code"]),
                                       str(e["name"]), int(e["value"]), now))
                if cur.rowcount:
                    new += 1
                else:
                    dup += 1
            if dup:
                self.bump("duplicate_events", dup)
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        return new, dup

    def bump(self, name, n=1):
        self.db.execute("INSERT INTO stats VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET "
                        "value = value + ?", (name, n, n))

    def stat(self, name):
        row = self.db.execute("SELECT value FROM stats WHERE name=?", (name,)).fetchone()
        return row[0] if row else 0

    def last_state(self, serial):
        row = self.db.execute("SELECT payload FROM states WHERE serial=?", (serial,)).fetchone()
        return row[0] if row else None


# --- keys -----------------------------------------------------------------------------------

def utility_key(args):
    if args.dev_key:
        return bytes.fromhex(DEV_UTILITY_KEY_HEX)
    text = None
    if args.key_file:
        try:
            with open(args.key_file) as f:
                text = f.read().strip()
        except OSError as e:
            raise SystemExit(_bad("--key-file: %s" % e))
    elif os.environ.get("METER_UTILITY_KEY"):
        text = os.environ["METER_UTILITY_KEY"].strip()
    if text is None:
        raise SystemExit(_bad("no utility key: --key-file FILE or METER_UTILITY_KEY "
                              "(hex), or --dev-key for the simulator"))
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise SystemExit(_bad("the utility key must be hexadecimal"))
    if not 16 <= len(key) <= 64:
        raise SystemExit(_bad("the utility key must be 16 to 64 bytes"))
    return key


def _bad(msg):
    sys.stderr.write("headend: %s\n" % msg)
    return EXIT_ARGS


class Keys:
    """Per-meter command and reply keys, derived from the utility key (cached)."""

    def __init__(self, ukey):
        self.ukey = ukey
        self._cache = {}

    def get(self, serial):
        k = self._cache.get(serial)
        if k is None:
            mk = T.derive_meter_key(self.ukey, serial)
            k = (mk, R.command_key(mk), R.reply_key(mk))
            self._cache[serial] = k
        return k


# --- MQTT -----------------------------------------------------------------------------------

def connect(broker, client_id, tls_ca=None, clean=True):
    host, _, port = broker.rpartition(":")
    c = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
                    client_id=client_id, protocol=mqtt.MQTTv311, clean_session=clean)
    if tls_ca:
        c.tls_set(ca_certs=tls_ca)
    c.connect(host, int(port), keepalive=60)
    try:
        import socket
        c.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)   # small packets
    except (OSError, AttributeError):
        pass
    return c


def verify_reply(keys, serial, msg):
    try:
        mac = bytes.fromhex(msg["mac"])
        return R.check_reply(keys.get(serial)[2], serial, int(msg["counter"]), int(msg["code"]),
                             int(msg["value"]), mac)
    except (KeyError, ValueError, TypeError):
        return False


def send_command(args, keys, journal, serial, kind, cmd_args=b"", show=None):
    """Sends one command and waits for the meter's signed reply -> exit code."""
    at = args.at if args.at is not None else int(time.time())
    counter = journal.next_counter(serial)
    issue = at - EPOCH_2000
    payload = R.encode(keys.get(serial)[1], serial, counter, issue, issue + args.expiry, kind,
                       cmd_args)
    journal.command(serial, counter, R.NAMES[kind], cmd_args.hex(), isotime.iso_utc(at))
    result = {}
    base = "meters/%d/" % serial

    def on_connect(c, userdata, flags, rc, props=None):
        c.subscribe(base + "reply", qos=1)

    def on_subscribe(c, userdata, mid, rcs, props=None):
        c.publish(base + "cmd", payload, qos=1)

    def on_message(c, userdata, m):
        try:
            msg = json.loads(m.payload)
        except ValueError:
            return
        if not isinstance(msg, dict) or msg.get("counter") not in (counter, 0):
            return
        ok = verify_reply(keys, serial, msg)
        journal.reply(serial, msg, ok, m.payload.decode("utf-8", "replace"))
        if ok and msg.get("counter") == counter:
            result["msg"] = msg

    c = connect(args.broker, "headend-%d-%d" % (os.getpid(), counter), args.tls_ca)
    c.on_connect = on_connect
    c.on_subscribe = on_subscribe
    c.on_message = on_message
    deadline = time.monotonic() + args.timeout
    while "msg" not in result and time.monotonic() < deadline:
        c.loop(timeout=0.1)
    c.disconnect()
    msg = result.get("msg")
    if msg is None:
        sys.stderr.write("headend: no reply from meter %d within %ss\n" % (serial, args.timeout))
        return EXIT_TIMEOUT
    if msg["code"] != 0:
        why = msg.get("reason", "")
        if msg["code"] == codes.REMOTE_REFUSED and msg.get("detail") is not None:
            why += ": " + codes.name(msg["detail"]) if isinstance(msg["detail"], int) else ""
        print(json.dumps({"ok": False, "serial": serial, "counter": counter,
                          "code": msg["code"], "reason": why}))
        return EXIT_REFUSED
    out = {"ok": True, "serial": serial, "counter": counter, "value": msg["value"]}
    if show is not None and "detail" in msg:
        out[show] = msg["detail"]
    print(json.dumps(out))
    return EXIT_OK


def wait_retained(args, topic):
    got = {}

    def on_connect(c, userdata, flags, rc, props=None):
        c.subscribe(topic, qos=1)

    def on_message(c, userdata, m):
        got["payload"] = m.payload

    c = connect(args.broker, "headend-status-%d" % os.getpid(), args.tls_ca)
    c.on_connect = on_connect
    c.on_message = on_message
    deadline = time.monotonic() + args.timeout
    while "payload" not in got and time.monotonic() < deadline:
        c.loop(timeout=0.1)
    c.disconnect()
    return got.get("payload")


class Server:
    """`serve` and `watch`: records states and events; `serve` also answers time requests."""

    def __init__(self, args, keys, journal, answer_time, echo):
        self.args = args
        self.keys = keys
        self.journal = journal
        self.answer_time = answer_time
        self.echo = echo
        self.messages = 0
        self.events = 0
        self.duplicates = 0
        self.time_answers = 0

    def on_connect(self, c, userdata, flags, rc, props=None):
        c.subscribe([("meters/+/state", 1), ("meters/+/events", 1), ("meters/+/time", 0)])

    def on_subscribe(self, c, userdata, mid, rcs, props=None):
        self.journal.bump("connects")             # (subscribed: tests wait for this)

    def on_message(self, c, userdata, m):
        parts = m.topic.split("/")
        if len(parts) != 3 or not parts[1].isdigit():
            return
        serial = int(parts[1])
        what = parts[2]
        text = m.payload.decode("utf-8", "replace")
        if what == "time":
            if self.answer_time:
                self._time(c, serial, m.payload)
            return
        self.messages += 1                    # states and events (what --count counts)
        if what == "state":
            self.journal.state(serial, text)
        elif what == "events":
            try:
                msg = json.loads(text)
                new, dup = self.journal.events(serial, msg.get("events", []))
            except (ValueError, AttributeError, KeyError, TypeError):
                return
            self.events += new
            self.duplicates += dup
        if self.echo:
            print(json.dumps({"serial": serial, "topic": what, "payload": json.loads(text)
                              if text.startswith("{") else text}))
            sys.stdout.flush()

    def _time(self, c, serial, payload):
        try:
            nonce = bytes.fromhex(json.loads(payload)["nonce"])
        except (ValueError, KeyError, TypeError):
            return
        if len(nonce) != 8:
            return
        now = (self.args.at if self.args.at is not None else int(time.time())) - EPOCH_2000
        cmd = R.encode(self.keys.get(serial)[1], serial, 0, now, now + 60, R.TIME, nonce)
        c.publish("meters/%d/cmd" % serial, cmd, qos=1)
        self.time_answers += 1

    def run(self):
        # a persistent session (clean_session off, a stable client id): while this head-end
        # is away the broker keeps its subscriptions and queues the meters' QoS 1 messages
        cid = self.args.client_id or "headend-%s-%d" % (self.args.cmd, os.getpid())
        c = connect(self.args.broker, cid, self.args.tls_ca, clean=self.args.client_id is None)
        c.on_connect = self.on_connect
        c.on_subscribe = self.on_subscribe
        c.on_message = self.on_message
        limit = self.args.count
        try:
            while limit is None or self.messages < limit:
                if c.loop(timeout=0.1) != mqtt.MQTT_ERR_SUCCESS:
                    time.sleep(0.5)               # the broker is away: try again
                    try:
                        c.reconnect()
                    except OSError:
                        pass
        except KeyboardInterrupt:
            pass
        c.disconnect()
        return EXIT_OK


# --- arguments ------------------------------------------------------------------------------

def serial_arg(text):
    try:
        n = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError("serial must be a whole number, got %r" % text)
    if not 0 <= n <= 0xFFFFFFFF:
        raise argparse.ArgumentTypeError("serial out of range")
    return n


def broker_arg(text):
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError("--broker HOST:PORT, got %r" % text)
    return text


def utc_arg(text):
    try:
        return isotime.parse_iso_utc(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a UTC time YYYY-MM-DDTHH:MM:SSZ" % text)


def minor_units(text):
    whole, dot, frac = text.strip().partition(".")
    if not whole.isdigit() or (dot and (not frac.isdigit() or len(frac) > 2)):
        raise argparse.ArgumentTypeError("amount: e.g. 20.00 (at most 2 decimals), got %r"
                                         % text)
    n = int(whole) * 100 + (int(frac.ljust(2, "0")) if dot else 0)
    if not 1 <= n <= T.CREDIT_MAX or (n > T.CREDIT_EXACT_MAX and n % 100):
        raise argparse.ArgumentTypeError("amount %s cannot be carried by one credit" % text)
    return n


def positive(lo, hi, what):
    def parse(text):
        try:
            n = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError("%s must be a whole number" % what)
        if not lo <= n <= hi:
            raise argparse.ArgumentTypeError("%s must be %d to %d" % (what, lo, hi))
        return n
    return parse


def date_arg(text):
    try:
        y, m, d = isotime.parse_date(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a date YYYY-MM-DD" % text)
    return calendar.days_from_civil(y, m, d) - 10957


def build_parser():
    p = argparse.ArgumentParser(description="Budget meter head-end (docs/remote.md)")
    p.add_argument("--broker", type=broker_arg, default="127.0.0.1:1883")
    p.add_argument("--db", default=os.environ.get("HEADEND_DB", "headend.sqlite"))
    p.add_argument("--timeout", type=float, default=15.0)
    p.add_argument("--expiry", type=positive(1, R.MAX_VALID_S, "--expiry"), default=3600,
                   help="seconds a command stays valid (default 3600)")
    p.add_argument("--at", type=utc_arg, default=None,
                   help="issue time (UTC), default now: for simulated meters in virtual time")
    p.add_argument("--key-file", help="file holding the utility key in hex")
    p.add_argument("--dev-key", action="store_true",
                   help="the public DEVELOPMENT key (simulator and bench meters only)")
    p.add_argument("--tls-ca", metavar="FILE", help="connect with TLS, verifying against FILE")
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("reconnect", "cancel-cut", "clear", "status"):
        sub.add_parser(name).add_argument("serial", type=serial_arg)
    s = sub.add_parser("credit")
    s.add_argument("serial", type=serial_arg)
    s.add_argument("amount", type=minor_units)
    s.add_argument("--key-rev", type=positive(0, T.KEY_REV_MAX, "--key-rev"), default=0,
                   help="the meter's keypad key revision (after key change tokens)")
    s.add_argument("--base", type=positive(0, T.BASE_MAX, "--base"), default=0,
                   help="the meter's token base index (after key change tokens)")
    s = sub.add_parser("nocut")
    s.add_argument("serial", type=serial_arg)
    s.add_argument("--start", type=date_arg, required=True, metavar="YYYY-MM-DD")
    s.add_argument("--days", type=positive(1, 366, "--days"), required=True)
    s = sub.add_parser("protect")
    s.add_argument("serial", type=serial_arg)
    s.add_argument("kind", choices=sorted(PROTECT_KINDS))
    s.add_argument("onoff", choices=("on", "off"))
    s.add_argument("--start", type=utc_arg, default=None, help="UTC start (default now)")
    s.add_argument("--days", type=positive(1, 3660, "--days"), default=None)
    s = sub.add_parser("events")
    s.add_argument("serial", type=serial_arg)
    s.add_argument("--from", dest="first", type=positive(0, 0xFFFFFFFF, "--from"), default=1)
    s.add_argument("--count", type=positive(1, R.EVENTS_MAX, "--count"), default=R.EVENTS_MAX)
    for name in ("watch", "serve"):
        s = sub.add_parser(name)
        s.add_argument("--count", type=positive(1, 10 ** 9, "--count"), default=None,
                       help="stop after N state or event messages")
        s.add_argument("--client-id", default=None,
                       help="a stable id: a persistent session, the broker queues for it")
    return p


def main(argv=None):
    p = build_parser()
    args = p.parse_args(argv)
    if args.cmd == "protect" and args.onoff == "off" and (args.start or args.days):
        p.error("protect ... off takes no --start or --days")
    keys = Keys(utility_key(args)) if args.cmd != "watch" else None
    journal = Journal(args.db)
    cmd = args.cmd
    if cmd == "watch":
        return Server(args, keys, journal, False, True).run()
    if cmd == "serve":
        return Server(args, keys, journal, True, False).run()
    serial = args.serial
    if cmd == "status":
        payload = wait_retained(args, "meters/%d/state" % serial)
        if payload is None:
            last = journal.last_state(serial)
            sys.stderr.write("headend: no state from meter %d on the broker%s\n"
                             % (serial, "; journal's last below" if last else ""))
            if last:
                print(last)
            return EXIT_TIMEOUT
        journal.state(serial, payload.decode("utf-8", "replace"))
        print(payload.decode("utf-8", "replace"))
        return EXIT_OK
    if cmd == "reconnect":
        return send_command(args, keys, journal, serial, R.RECONNECT)
    if cmd == "cancel-cut":
        return send_command(args, keys, journal, serial, R.CANCEL_CUT)
    if cmd == "clear":
        return send_command(args, keys, journal, serial, R.CLEAR)
    if cmd == "credit":
        at = args.at if args.at is not None else int(time.time())
        try:
            tid = journal.next_token_id(serial, T.token_id_from_utc(at, args.base))
        except ValueError as e:
            sys.stderr.write("headend: %s\n" % e)
            return EXIT_ARGS
        # the credit travels as a keypad token under the meter's current keypad key
        token_key = T.derive_meter_key(keys.ukey, serial, args.key_rev)
        token = T.encode(token_key, T.CREDIT, args.amount, tid)
        return send_command(args, keys, journal, serial, R.CREDIT, token.encode())
    if cmd == "nocut":
        return send_command(args, keys, journal, serial, R.NOCUT,
                            R.nocut_args(args.start, args.days))
    if cmd == "protect":
        which = PROTECT_KINDS[args.kind]
        if args.onoff == "off":
            return send_command(args, keys, journal, serial, R.PROTECT,
                                R.protect_args(which, False))
        start = R.NO_END
        end = R.NO_END
        if args.start is not None:
            start = (args.start - EPOCH_2000) // 60
        if args.days is not None:
            begin = start if start != R.NO_END else \
                ((args.at if args.at is not None else int(time.time())) - EPOCH_2000) // 60
            end = begin + args.days * 1440
        return send_command(args, keys, journal, serial, R.PROTECT,
                            R.protect_args(which, True, start, end))
    if cmd == "events":
        return send_command(args, keys, journal, serial, R.EVENTS,
                            R.events_args(args.first, args.count), show="events")
    return EXIT_ARGS


if __name__ == "__main__":
    sys.exit(main())
