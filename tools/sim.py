"""Host simulator: the real firmware app (firmware/meter/app.py) under CPython with simulated
parts — relay, 16x2 LCD, keypad, DS3231 (with injectable faults), S0 pulses from a load, and the
flash as files under --state.

  python tools/sim.py                     interactive terminal view (make sim)
  python tools/sim.py --serve             console protocol on stdin/stdout, no TTY UI
  python tools/sim.py --listen 127.0.0.1:7700   console protocol over TCP
  python tools/sim.py --serve --mqtt 127.0.0.1:1883   ... and on a broker (tools/simnet.py)
  options: --start 2026-11-28T12:00:00Z  --config FILE.json  --state DIR

In --serve and --listen modes virtual time moves only with `advance`, which is event-driven: it
jumps to the next instant at which the decision, the money or the LCD can change
(Meter.seconds_to_change, Display.ms_to_expiry), so a simulated year takes seconds.  See
docs/console.md.

With --state the simulated DS3231 is saved at exit (registers, and the host's wall-clock time)
and keeps running while the simulator is stopped, like a board's RTC on its battery: at the
next start the time the process was stopped has passed (interactive mode).  In --serve and
--listen modes, where time is virtual, no time passes while stopped: the RTC resumes where it
was, so a scenario replays the same way.

The simulator knows the TRUE time of its world (the start plus the virtual time elapsed), which
the meter can only estimate: replies that carry the meter's `clock` also carry `world_utc`, so
tests judge the meter against the world, not against what it believes.  `rtc drift <ppm>` makes
the simulated DS3231 run fast or slow; `reboot <off> [<utc>]` leaves the controller unpowered
(and the RTC jumped while off).
"""
import argparse
import json
import os
import shlex
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
from meter.console import Console, ConsoleError, is_digits, parse_utc  # noqa: E402
from meter.core import calendar, codes  # noqa: E402
from meter.core import isotime  # noqa: E402
from meter.core.config import Config  # noqa: E402
from devkeys import DEV_SERIAL, DEV_UTILITY_KEY_HEX  # noqa: E402
from meter.core.token import derive_meter_key  # noqa: E402
import simparts  # noqa: E402
import simplot  # noqa: E402

DEFAULT_START = "2026-11-28T12:00:00Z"
_MAX_ADVANCE = 10 * 366 * 86400
_MAX_DRIFT_PPM = 500000                 # +-50 %: far past any crystal, enough for any test


def _signed(text):
    """A whole number with an optional sign, ASCII digits only (is_digits), at most 12."""
    body = text[1:] if text[:1] in ("+", "-") else text
    return len(body) <= 12 and is_digits(body)


class Simulator:
    """One simulated meter: hardware that outlives reboots, and the app that does not."""

    def __init__(self, start_utc, cfg_overrides=None, state_dir=None, wall_time=False):
        self.cfg_overrides = dict(cfg_overrides or {})
        Config(self.cfg_overrides)                       # refuse a bad config early
        self._tmp = None
        if state_dir is None:
            self._tmp = tempfile.mkdtemp(prefix="meter-sim-")
            state_dir = self._tmp
        os.makedirs(state_dir, exist_ok=True)
        self.state_dir = state_dir
        self.wall_time = wall_time           # interactive: time passes while stopped
        self.clock = simparts.VirtualClock()
        self.fs = simparts.SimFlash(state_dir)
        self.rtc = simparts.SimRTC(self.clock, start_utc)
        self.world_start = start_utc         # true time of the world at clock.ms == 0
        self.last_vend_minute = -1           # the id of the last token `vend` made
        self._resume(start_utc)
        self.timeline = simplot.Timeline()
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
        self.app.ui_step()
        self.sample()

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
            f.write(isotime.iso_utc(start_utc) + "\n")

    # --- the RTC and the world across runs (--state) -------------------------------------

    def _rtc_path(self):
        return os.path.join(self.state_dir, "rtc.json")

    def _resume(self, start_utc):
        """Restores the DS3231 saved at the last exit; the time the simulator was stopped
        passes on it (wall-clock mode), as for a board switched off on its battery."""
        try:
            with open(self._rtc_path()) as f:
                saved = json.load(f)
            regs = bytes.fromhex(saved["regs"])
            world = int(saved["world_utc"])
            off = int(time.time()) - int(saved["wall"]) if self.wall_time else 0
            self.last_vend_minute = int(saved.get("last_vend_minute", -1))
        except (OSError, ValueError, KeyError, TypeError):
            return
        self.rtc.restore(regs, bool(saved.get("stopped")), max(0, off))
        self.world_start = world + max(0, off)

    def save_rtc(self):
        chip = self.rtc.chip
        chip.datetime()                              # brings the registers up to date
        data = {"regs": bytes(chip.regs).hex(), "stopped": chip.stopped,
                "wall": int(time.time()), "world_utc": self.world_utc(),
                "last_vend_minute": self.last_vend_minute}
        tmp = self._rtc_path() + ".tmp"
        with open(tmp, "w") as f:
            json.dump(data, f)
        os.replace(tmp, self._rtc_path())

    def world_utc(self):
        """The TRUE time of the simulated world (whatever the meter's RTC says)."""
        return self.world_start + self.clock.ms // 1000

    def close(self):
        self.fs.flush()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
        else:
            self.save_rtc()

    # --- time --------------------------------------------------------------------------

    def world_ms(self):
        """The TRUE time of the simulated world, ms since 1970 UTC (the meter never sees it)."""
        return self.world_start * 1000 + self.clock.ms

    def advance(self, seconds):
        """Moves virtual time forward, stepping the app at every instant something can change."""
        app = self.app
        remaining = seconds
        steps = 0
        while remaining > 0:
            load = self.load_w if self.hw.relay.state else 0
            app.meter.set_power(load)
            dt = app.meter.seconds_to_change(load)
            ui = app.display.ms_to_expiry(self.clock.ticks_ms())
            if ui >= 0:
                dt = min(dt, (ui + 999) // 1000)
            dt = min(remaining, max(1, dt), 86400)
            self.move(dt)
            app.control_step()
            if ui >= 0 and dt * 1000 >= ui:
                app.ui_step()            # a page, result or entry timed out: as on the board
            steps += 1
            remaining -= dt
            self.sample()
        # between deadlines the LCD is refreshed when someone looks (status, the view), not
        # after every step: nothing times out in between, and a year stays fast
        return steps

    def move(self, seconds):
        self.clock.advance_ms(seconds * 1000)
        if self.hw.relay.state:          # an open relay: the household draws nothing
            self.hw.s0.add_energy(self.load_w, seconds, self.app.cfg.imp_per_kwh)

    def sample(self):
        """One timeline point (tools/simplot.py) after each step."""
        self.timeline.sample(self.world_utc(), self.app)

    def status(self):
        """app.status() with `lcd` read back from the simulated HD44780 (what the driver
        really sent), as the console answers."""
        out = self.app.status()
        out["lcd"] = self.hw.lcd.lines
        return out

    # --- simulator commands --------------------------------------------------------------

    def command(self, cmd, args):
        if cmd == "advance":
            if len(args) != 1 or not is_digits(args[0]):
                raise ConsoleError("advance: seconds (a whole number)")
            secs = int(args[0])
            if secs > _MAX_ADVANCE:
                raise ConsoleError("advance: at most %d seconds" % _MAX_ADVANCE)
            self.advance(secs)
            return self.status()
        if cmd == "load":
            if len(args) != 1 or not is_digits(args[0]) or int(args[0]) > 100000:
                raise ConsoleError("load: watts 0..100000")
            self.load_w = int(args[0])
            self.app.meter.set_power(self.load_w)
            self.app.control_step()
            return self.status()
        if cmd == "rtc":
            return self._rtc(args)
        if cmd == "temp":
            return self._temp(args)
        if cmd == "reboot":
            # reboot [<seconds off> [<rtc utc>]]: unpowered that long (no pulses are counted);
            # with a time, the RTC reads it at power-up (a jump while the controller was off)
            if len(args) > 2 or (args and not is_digits(args[0])):
                raise ConsoleError("reboot [<seconds off, 1..%d> [<rtc utc>]]" % _MAX_ADVANCE)
            off_s = int(args[0]) if args else 2
            if not 1 <= off_s <= _MAX_ADVANCE:
                raise ConsoleError("reboot: seconds off 1..%d" % _MAX_ADVANCE)
            rtc_at = parse_rtc_time(args[1]) if len(args) == 2 else None
            self.reboot(off_s * 1000, rtc_at)
            return self.status()
        if cmd == "powerfail":
            if len(args) != 1 or not is_digits(args[0]) or not 1 <= int(args[0]) <= 1000:
                raise ConsoleError("powerfail: write count 1..1000")
            self.fs.cut_after(int(args[0]))
            return {"ok": True, "armed_after_writes": int(args[0])}
        return None

    def _rtc(self, args):
        if len(args) == 2 and args[0] == "set":
            self.rtc.set_utc(parse_rtc_time(args[1]))
            self.app.control_step()
            self.timeline.mark(self.world_utc(), "fault", "rtc set")
            return self.status()
        if len(args) == 2 and args[0] == "fault":
            if args[1] not in simparts.RTC_FAULTS:
                raise ConsoleError("rtc fault: osf|nobus|reset2000|reset2021|stop|none")
            self.rtc.fault(args[1])
            self.app.control_step()
            self.timeline.mark(self.world_utc(), "fault", "rtc " + args[1])
            return self.status()
        if len(args) == 2 and args[0] == "drift":
            if not _signed(args[1]) or abs(int(args[1])) > _MAX_DRIFT_PPM:
                raise ConsoleError("rtc drift: ppm, a whole number -%d..%d"
                                   % (_MAX_DRIFT_PPM, _MAX_DRIFT_PPM))
            self.rtc.chip.set_drift(int(args[1]))
            self.timeline.mark(self.world_utc(), "fault", "rtc drift " + args[1])
            out = self.status()
            out["drift_ppm"] = self.rtc.chip.ppm
            return out
        raise ConsoleError("rtc: set <utc> | fault <osf|nobus|reset2000|reset2021|stop|none> | "
                           "drift <ppm>")

    def _temp(self, args):
        """`temp <celsius>`: the DS3231's temperature registers (0.25 C steps), read at once."""
        text = args[0] if len(args) == 1 else ""
        body = text[1:] if text[:1] == "-" else text
        whole, _, tenth = body.partition(".")
        if not (0 < len(whole) <= 2 and all("0" <= c <= "9" for c in whole) and
                ("." not in body or (len(tenth) == 1 and "0" <= tenth <= "9"))):
            raise ConsoleError("temp: degrees C, -40 to 85, at most one decimal (ASCII)")
        tenths = int(whole) * 10 + (int(tenth) if tenth else 0)
        tenths = -tenths if text[:1] == "-" else tenths
        if not -400 <= tenths <= 850:
            raise ConsoleError("temp: degrees C, -40 to 85, at most one decimal (ASCII)")
        self.rtc.chip.set_temperature(round(tenths * 4 / 10))
        self.app.read_temperature()
        self.app.control_step()
        return self.app.status()

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
        self.app.ui_step()
        self.timeline.mark(self.world_utc(), "fault", "reboot")

    # --- commands only the simulator has (not the firmware's console) ---------------------

    def vend(self, argv):
        """`vend <tools/vend.py arguments>`: a native token (development key and serial) issued
        at the simulated world's present, typed at once; two in one minute take consecutive
        minutes (ids), as the vending journal does.  -> (digits, response dict)."""
        import vend as vendmod
        if not argv or argv[0] in ("decode", "openpaygo", "history", "meter", "meters"):
            raise ConsoleError("vend: credit AMOUNT | reconnect | cancel-cut | clear | settime"
                               " [--challenge N|auto] | emergency --amount X | nocut --start D --days N")
        if any(a in ("--at", "--serial", "--db") or a.startswith("--key") for a in argv):
            raise ConsoleError("vend: the simulator vends at its own time for its own meter")
        argv = list(argv)
        if argv[0] == "settime" and "--challenge" in argv:
            i = argv.index("--challenge") + 1
            if i < len(argv) and argv[i] == "auto":
                # the TIME CODE the meter shows (status clock.challenge)
                ch = self.app.meter.clock.challenge
                if ch < 0:
                    raise ConsoleError("vend: the meter shows no set-time challenge")
                argv[i] = str(ch)
        minute = max(self.world_utc() // 60, self.last_vend_minute + 1)
        try:
            digits = vendmod.vend_native(list(argv) + ["--at", isotime.iso_utc(minute * 60)],
                                         quiet=True)
        except vendmod.VendError as e:
            raise ConsoleError("vend: %s" % e)
        self.last_vend_minute = minute
        reply = json.loads(self._console("token " + digits))
        reply["token"] = digits
        self.timeline.mark(self.world_utc(), "token", " ".join(argv) + " -> " +
                           str(reply.get("result")))
        return digits, reply

    def _sim_only(self, line):
        """vend and plot, handled before the firmware's console; -> reply dict or None."""
        if isinstance(line, bytes):
            try:
                line = line.decode()
            except UnicodeError:
                return None
        words = line.split()
        if not words or words[0] not in ("vend", "plot"):
            return None
        try:
            if words[0] == "vend":
                if len(line) > 256:
                    raise ConsoleError("line longer than 256 bytes")
                return self.vend(shlex.split(line)[1:])[1]
            if len(words) != 2 or not words[1].lower().endswith((".png", ".svg")):
                raise ConsoleError("plot: FILE.png or FILE.svg")
            n = simplot.draw(self.timeline, words[1], self.app.cfg, "simulator")
            return {"ok": True, "plot": words[1], "points": n}
        except ConsoleError as e:
            return {"ok": False, "error": str(e.args[0])}
        except (ValueError, OSError) as e:
            return {"ok": False, "error": "%s: %s" % (words[0], e)}

    def _console(self, line):
        console = Console(self.app, extra=self.command)
        reply = console.handle(line)
        if '"lcd"' in reply:
            out = json.loads(reply)
            if "lcd" in out:
                self.app.ui_step()
                out["lcd"] = self.hw.lcd.lines
                reply = json.dumps(out)
        return reply

    def handle(self, line):
        """One console request -> one response line.  A power cut injected with `powerfail`
        strikes during the commit it was armed for; the meter then reboots by itself."""
        own = None
        try:
            own = self._sim_only(line)
            if own is not None:
                reply = json.dumps(own)
            else:
                reply = self._console(line)
        except simparts.PowerCut:
            self.reboot()
            reply = json.dumps({"ok": False, "error": "power failed during a commit; rebooted",
                                "world_utc": isotime.iso_utc(self.world_utc())})
        if self.fs.tripped:
            self.reboot()
        self.fs.flush()
        if own is None and line[:6] in ("token ", b"token "):
            try:
                res = json.loads(reply).get("result")
            except ValueError:
                res = None
            self.timeline.mark(self.world_utc(), "token", "token -> %s" % res)
        return self._with_world(reply)

    def _with_world(self, reply):
        """Adds the TRUE time to replies that carry the meter's clock (simulator only: a board
        cannot know it)."""
        if '"clock": {' not in reply:
            return reply
        out = json.loads(reply)
        if isinstance(out.get("clock"), dict):
            out["world_utc"] = isotime.iso_utc(self.world_utc())
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
        if all(is_digits(p) for p in parts):
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
    if not host or not is_digits(port):
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
    p.add_argument("--state", metavar="DIR",
                   help="simulated flash and RTC (kept across runs)")
    p.add_argument("--plot", metavar="FILE",
                   help="draw the run as a timeline at exit (FILE.png or FILE.svg)")
    p.add_argument("--mqtt", metavar="HOST:PORT", help="connect the meter to an MQTT broker "
                   "(with --serve or --listen; docs/remote.md)")
    a = p.parse_args(argv)
    if a.plot and not a.plot.lower().endswith((".png", ".svg")):
        p.error("--plot: FILE.png or FILE.svg")
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
        # interactive: now, to the whole minute (App.provision trusts the clock from a whole
        # minute; a start between minutes reads as a jump of its seconds)
        start = DEFAULT_START if (a.serve or a.listen) else \
            isotime.iso_utc(int(time.time()) // 60 * 60)
    try:
        start_utc = isotime.parse_iso_utc(start)
    except ValueError:
        p.error("--start: want YYYY-MM-DDTHH:MM:SSZ")
    sim = Simulator(start_utc, overrides, a.state, wall_time=not (a.serve or a.listen))
    try:
        if a.mqtt and (a.serve or a.listen):
            import simnet
            simnet.serve(sim, a.mqtt, a.listen)
        elif a.listen:
            serve_tcp(sim, a.listen)
        elif a.serve:
            serve_stdio(sim)
        else:
            import simview
            simview.run(sim)
    except KeyboardInterrupt:
        pass
    finally:
        if a.plot:
            simplot.draw(sim.timeline, a.plot, sim.app.cfg, "simulator")
        sim.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
