"""Host simulator: the real firmware app (firmware/meter/app.py) under CPython with simulated
parts — relay, 16x2 LCD, keypad, DS3231 (with injectable faults), S0 pulses from a load, and the
flash as files under --state.

  python tools/sim.py                     interactive terminal view (make sim)
  python tools/sim.py --serve             console protocol on stdin/stdout, no TTY UI
  python tools/sim.py --listen 127.0.0.1:7700   console protocol over TCP
  options: --start 2026-11-28T12:00:00Z  --config FILE.json  --state DIR

In --serve and --listen modes virtual time moves only with `advance`, which is event-driven: it
jumps to the next instant at which the decision or the money can change
(Meter.seconds_to_change), so a simulated year takes seconds.  See docs/console.md.

The simulator knows the TRUE time of its world (the start plus the virtual time elapsed), which
the meter can only estimate: replies that carry the meter's `clock` also carry `world_utc`, so
tests judge the meter against the world, not against what it believes.  `rtc drift <ppm>` makes
the simulated DS3231 run fast or slow.
"""
import argparse
import json
import os
import shutil
import socket
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _p in (os.path.join(ROOT, "firmware"), os.path.join(ROOT, "tools"),
           os.path.join(ROOT, "tools", "cpython_shim")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from meter import app as app_mod  # noqa: E402
from meter.app import App  # noqa: E402
from meter.console import Console, ConsoleError, parse_utc  # noqa: E402
from meter.core import calendar, codes  # noqa: E402
from meter.core import keypad as keys  # noqa: E402
from meter.core.config import Config  # noqa: E402
from meter.core.devkeys import DEV_SERIAL, DEV_UTILITY_KEY_HEX  # noqa: E402
from meter.core.token import derive_meter_key  # noqa: E402
import simparts  # noqa: E402

DEFAULT_START = "2026-11-28T12:00:00Z"
_MAX_ADVANCE = 10 * 366 * 86400
_MAX_DRIFT_PPM = 500000                 # +-50 %: far past any crystal, enough for any test


def _digits(text):
    """ASCII digits only: str.isdigit() also takes '²' or '٣', which int() then refuses."""
    return 0 < len(text) <= 12 and all("0" <= c <= "9" for c in text)


def _signed(text):
    return _digits(text[1:]) if text[:1] in ("+", "-") else _digits(text)


class Simulator:
    """One simulated meter: hardware that outlives reboots, and the app that does not."""

    def __init__(self, start_utc, cfg_overrides=None, state_dir=None):
        self.cfg_overrides = dict(cfg_overrides or {})
        Config(self.cfg_overrides)                       # refuse a bad config early
        self._tmp = None
        if state_dir is None:
            self._tmp = tempfile.mkdtemp(prefix="meter-sim-")
            state_dir = self._tmp
        os.makedirs(state_dir, exist_ok=True)
        self.state_dir = state_dir
        self.world_start = start_utc         # true time of the world at clock.ms == 0
        self.clock = simparts.VirtualClock()
        self.fs = simparts.SimFlash(state_dir)
        self.rtc = simparts.SimRTC(self.clock, start_utc)
        self.load_w = 0
        self.hw = simparts.SimHardware(self.clock, self.rtc, self.fs)
        self.meter_key = derive_meter_key(bytes.fromhex(DEV_UTILITY_KEY_HEX), DEV_SERIAL)
        # the firmware's build date, or earlier when the simulation replays the past
        self.build_minute = min(app_mod.BUILD_MINUTE, start_utc // 60 - 14 * 1440 - 10957 * 1440)
        provisioned = os.path.exists(os.path.join(state_dir, "provisioned"))
        self.app = self._new_app()
        if not provisioned:
            self._provision(start_utc)
        self.app.boot()

    def _new_app(self):
        cfg = Config(self.cfg_overrides)
        return App(self.hw, cfg, serial=DEV_SERIAL, meter_key=self.meter_key, board="sim",
                   test_mode=True, build_minute=self.build_minute)

    def _provision(self, start_utc):
        """A new meter leaves the factory with its RTC set by an authenticated source and an
        empty record (zero balance), as a utility would install it."""
        self.app.provision(start_utc)
        self.fs.flush()
        with open(os.path.join(self.state_dir, "provisioned"), "w") as f:
            f.write(calendar.iso_utc(start_utc) + "\n")

    def close(self):
        self.fs.flush()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)

    # --- time --------------------------------------------------------------------------

    def world_ms(self):
        """The TRUE time of the simulated world, ms since 1970 UTC (the meter never sees it)."""
        return self.world_start * 1000 + self.clock.ms

    def world_utc(self):
        """The TRUE time of the simulated world (whatever the meter's RTC says)."""
        return self.world_start + self.clock.ms // 1000

    def advance(self, seconds):
        """Moves virtual time forward, stepping the app at every instant something can change."""
        app = self.app
        remaining = seconds
        steps = 0
        while remaining > 0:
            app.meter.set_power(self.load_w)
            dt = app.meter.seconds_to_change(self.load_w)
            dt = min(remaining, max(1, dt), 86400)
            self.move(dt)
            self._keypad_tick()
            app.control_step()
            steps += 1
            remaining -= dt
        return steps

    def _keypad_tick(self):
        """What the board's keypad task does every 15 ms: digits left 30 s drop (without it an
        advance of more than 6 days would wrap the tick counter past the timeout)."""
        app = self.app
        now = self.clock.ticks_ms()
        if app.entry.tick(now) == keys.TIMEOUT:
            app.display.result(codes.ENTRY_TIMEOUT, 0, now)

    def move(self, seconds):
        self.clock.advance_ms(seconds * 1000)
        self.hw.s0.add_energy(self.load_w, seconds, self.app.cfg.imp_per_kwh)

    # --- simulator commands --------------------------------------------------------------

    def command(self, cmd, args):
        if cmd == "advance":
            if len(args) != 1 or not _digits(args[0]):
                raise ConsoleError("advance: seconds (a whole number)")
            secs = int(args[0])
            if secs > _MAX_ADVANCE:
                raise ConsoleError("advance: at most %d seconds" % _MAX_ADVANCE)
            self.advance(secs)
            return self.app.status()
        if cmd == "load":
            if len(args) != 1 or not _digits(args[0]) or int(args[0]) > 100000:
                raise ConsoleError("load: watts 0..100000")
            self.load_w = int(args[0])
            self.app.meter.set_power(self.load_w)
            self.app.control_step()
            return self.app.status()
        if cmd == "rtc":
            return self._rtc(args)
        if cmd == "reboot":
            # reboot [<seconds off> [<rtc utc>]]: unpowered that long (no pulses are counted);
            # with a time, the RTC reads it at power-up (a jump while the controller was off)
            if len(args) > 2 or (args and not _digits(args[0])):
                raise ConsoleError("reboot [<seconds off, 1..%d> [<rtc utc>]]" % _MAX_ADVANCE)
            off_s = int(args[0]) if args else 2
            if not 1 <= off_s <= _MAX_ADVANCE:
                raise ConsoleError("reboot: seconds off 1..%d" % _MAX_ADVANCE)
            rtc_at = parse_rtc_time(args[1]) if len(args) == 2 else None
            self.reboot(off_s * 1000, rtc_at)
            return self.app.status()
        if cmd == "powerfail":
            if len(args) != 1 or not _digits(args[0]) or not 1 <= int(args[0]) <= 1000:
                raise ConsoleError("powerfail: write count 1..1000")
            self.fs.cut_after(int(args[0]))
            return {"ok": True, "armed_after_writes": int(args[0])}
        return None

    def _rtc(self, args):
        if len(args) == 2 and args[0] == "set":
            self.rtc.set_utc(parse_rtc_time(args[1]))
            self.app.control_step()
            return self.app.status()
        if len(args) == 2 and args[0] == "fault":
            if args[1] not in simparts.RTC_FAULTS:
                raise ConsoleError("rtc fault: osf|nobus|reset2000|reset2021|stop|none")
            self.rtc.fault(args[1])
            self.app.control_step()
            return self.app.status()
        if len(args) == 2 and args[0] == "drift":
            if not _signed(args[1]) or abs(int(args[1])) > _MAX_DRIFT_PPM:
                raise ConsoleError("rtc drift: ppm, a whole number -%d..%d"
                                   % (_MAX_DRIFT_PPM, _MAX_DRIFT_PPM))
            self.rtc.chip.set_drift(int(args[1]))
            out = self.app.status()
            out["drift_ppm"] = self.rtc.chip.ppm
            return out
        raise ConsoleError("rtc: set <utc> | fault <osf|nobus|reset2000|reset2021|stop|none> | "
                           "drift <ppm>")

    def reboot(self, off_ms=2000, rtc_at=None):
        """Power cycle: RAM is lost, the flash files and the running RTC are kept.  The
        controller is off for off_ms (a power cycle takes a moment); rtc_at: the RTC reads
        this time at power-up (set while the controller was off)."""
        self.fs.reboot()
        self.clock.advance_ms(off_ms)
        if rtc_at is not None:
            self.rtc.set_utc(rtc_at)
        self.app = self._new_app()
        self.app.boot()

    def handle(self, line):
        """One console request -> one response line.  A power cut injected with `powerfail`
        strikes during the commit it was armed for; the meter then reboots by itself."""
        console = Console(self.app, extra=self.command)
        try:
            reply = console.handle(line)
        except simparts.PowerCut:
            self.reboot()
            reply = json.dumps({"ok": False, "error": "power failed during a commit; rebooted",
                                "world_utc": calendar.iso_utc(self.world_utc())})
        if self.fs.tripped:
            self.reboot()
        self.fs.flush()
        return self._with_world(reply)

    def _with_world(self, reply):
        """Adds the TRUE time to replies that carry the meter's clock (simulator only: a board
        cannot know it)."""
        if '"clock": {' not in reply:
            return reply
        out = json.loads(reply)
        if isinstance(out.get("clock"), dict):
            out["world_utc"] = calendar.iso_utc(self.world_utc())
            reply = json.dumps(out)
        return reply


def parse_rtc_time(text):
    """`rtc set` time: the console's ISO form, with years 2000-2199 (the DS3231 can hold a
    wrong clock's 2165 in its century bit; the firmware must refuse it, not the simulator)."""
    try:
        return parse_utc(text)
    except ConsoleError:
        pass
    if len(text) == 20 and text[4] == "-" and text[7] == "-" and text[10] == "T" and \
            text[13] == ":" and text[16] == ":" and text[19] == "Z":
        parts = (text[0:4], text[5:7], text[8:10], text[11:13], text[14:16], text[17:19])
        if all(p.isdigit() for p in parts):
            y, mo, d, h, mi, sec = (int(p) for p in parts)
            leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
            dim = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
            if 2000 <= y <= 2199 and 1 <= mo <= 12 and 1 <= d <= dim[mo - 1] and h < 24 \
                    and mi < 60 and sec < 60:
                return calendar.days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec
    raise ConsoleError("rtc set: want YYYY-MM-DDTHH:MM:SSZ, years 2000-2199")


# --- transports ----------------------------------------------------------------------------

def serve_stdio(sim):
    for raw in sys.stdin.buffer:
        line = raw.rstrip(b"\r\n")
        sys.stdout.write(sim.handle(line) + "\n")
        sys.stdout.flush()


def serve_tcp(sim, listen):
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        raise SystemExit("--listen HOST:PORT")
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host, int(port)))
    srv.listen(1)
    sys.stderr.write("listening on %s:%s\n" % (host, port))
    sys.stderr.flush()
    while True:
        conn, _ = srv.accept()
        with conn:
            f = conn.makefile("rwb")
            for raw in f:
                f.write((sim.handle(raw.rstrip(b"\r\n")) + "\n").encode())
                f.flush()


def main(argv=None):
    p = argparse.ArgumentParser(description="Budget meter simulator (docs/console.md)")
    p.add_argument("--serve", action="store_true", help="console protocol on stdin/stdout")
    p.add_argument("--listen", metavar="HOST:PORT", help="console protocol over TCP")
    p.add_argument("--start", default=None, help="virtual start time, e.g. " + DEFAULT_START)
    p.add_argument("--config", metavar="FILE", help="meter configuration (JSON object)")
    p.add_argument("--state", metavar="DIR", help="simulated flash (kept across runs)")
    a = p.parse_args(argv)
    overrides = {}
    if a.config:
        try:
            with open(a.config) as f:
                overrides = json.load(f)
            if not isinstance(overrides, dict):
                raise ValueError("the configuration must be a JSON object")
            Config(overrides)
        except (OSError, ValueError) as e:
            p.error("--config: %s" % e)
    start = a.start
    if start is None:
        start = DEFAULT_START if (a.serve or a.listen) else calendar.iso_utc(int(time.time()))
    try:
        start_utc = calendar.parse_iso_utc(start)
    except ValueError:
        p.error("--start: want YYYY-MM-DDTHH:MM:SSZ")
    sim = Simulator(start_utc, overrides, a.state)
    try:
        if a.listen:
            serve_tcp(sim, a.listen)
        elif a.serve:
            serve_stdio(sim)
        else:
            import simview
            simview.run(sim)
    except KeyboardInterrupt:
        pass
    finally:
        sim.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
