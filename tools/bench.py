"""Bench runner: plays scenario files against a meter over the console protocol.

  python tools/bench.py --sim [SCENARIO ...]            starts the simulator for each scenario
  python tools/bench.py --port /dev/ttyACM0 [SCENARIO ...]   a board in test mode (pyserial)
  python tools/bench.py --emu [SCENARIO ...]            the emulated Pico (tools/emu/board.py)

With no scenario named, every tools/scenarios/*.txt runs.  Prints a table (scenario, steps,
result, time) and exits 1 if any scenario fails.  --plot FILE.png|FILE.svg draws each run as a
timeline (tools/simplot.py; with several scenarios, FILE.<scenario>.png); while plotting, an
`advance` is sent in slices so that the picture has points between a scenario's checks.

Scenario format (docs/bench.md has the full description):

  # a comment; blank lines are ignored
  start 2020-07-02T10:00:00Z        virtual start (simulator; on a board: rtc set + settime token)
  config {"notice": 60}             configuration as JSON (simulator only)
  status                            any other line is a console request, sent as it is
  expect relay=closed supply=on     checks on the last response: field=value, dotted paths
                                    (clock.trusted=true), ops = != > < >= <=, null/true/false
  vend credit 20.00 as T1           vends a native token at the meter's present (dev key and
                                    serial) and keeps it as $T1 without sending it
  vend openpaygo --key HEX --count 1 --value 5    an OpenPAYGO token (without "as": sent)
  token $T1                         $NAME is replaced by a kept token

Header lines `# board: sim-only <why>` (the scenario needs the simulator) and
`# board: emu-only <why>` (it needs the emulated board's harness: RTC faults, a configuration
on flash, power cuts) say where a scenario cannot run; the runner skips it there and says why.
"""
import argparse
import glob
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tools", "cpython_shim"))
sys.path.insert(0, os.path.join(ROOT, "firmware"))

import vend  # noqa: E402
from meter.core.isotime import iso_utc as iso, parse_iso_utc as parse_utc  # noqa: E402

SCENARIO_DIR = os.path.join(ROOT, "tools", "scenarios")
_OPS = ("~=", "!=", ">=", "<=", "=", ">", "<")
# `path~=ISO` : an ISO UTC time within this many seconds (real time runs on a board between
# and during requests, so a time to the second holds only on the simulator; docs/bench.md)
_NEAR_S = 10


class ScenarioError(Exception):
    pass


class SimTarget:
    def __init__(self, start, config):
        self._dir = tempfile.mkdtemp(prefix="bench-")
        cmd = [sys.executable, os.path.join(ROOT, "tools", "sim.py"), "--serve",
               "--state", os.path.join(self._dir, "state")]
        if start:
            cmd += ["--start", start]
        if config:
            path = os.path.join(self._dir, "config.json")
            with open(path, "w") as f:
                f.write(config)
            cmd += ["--config", path]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1)

    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline()
        if not reply:
            raise ScenarioError("simulator exited: %s" % self.proc.stderr.read()[-500:])
        return reply

    def close(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
        import shutil
        shutil.rmtree(self._dir, ignore_errors=True)


def board_start(target, start):
    """A board's `start`: its RTC set, then trusted by an authenticated set-time token."""
    if start:
        target.send("rtc set %s" % start)
        digits = vend.vend_native(["settime", "--at", start])
        target.send("token %s" % digits)
        target.vended_at = parse_utc(start)   # the next token takes the next minute


class SerialTarget:
    """A board in test mode on a serial port.  `reboot` resets the board, whose USB device
    then goes away and comes back: the port is reopened and `status` answers for it."""

    def __init__(self, port, start, config, reopen_s=20):
        self.port = port
        self.reopen_s = reopen_s
        if config:
            raise ScenarioError("config lines need the simulator or the emulated board")
        self.ser = self._open()
        board_start(self, start)

    def _open(self):
        import serial
        ser = serial.Serial(self.port, 115200, timeout=10)
        ser.reset_input_buffer()
        return ser

    def send(self, line):
        if line.strip() == "reboot":
            return self.reboot()
        self.ser.write((line + "\n").encode())
        while True:
            raw = self.ser.readline()
            if not raw:
                raise ScenarioError("no answer from the board")
            text = raw.decode(errors="replace").strip()
            if text.startswith("{"):
                return text

    def reboot(self):
        import serial
        self.ser.write(b"reboot\n")
        try:
            self.ser.readline()             # the answer, if it gets out before the reset
        except serial.SerialException:
            pass
        try:
            self.ser.close()
        except serial.SerialException:
            pass
        time.sleep(1.0)                     # the old device must be gone before we look
        deadline = time.monotonic() + self.reopen_s
        while True:
            try:
                self.ser = self._open()
                break
            except serial.SerialException:
                if time.monotonic() > deadline:
                    raise ScenarioError("the board did not come back after reboot")
                time.sleep(0.2)
        while True:
            try:
                return self.send("status")
            except (ScenarioError, serial.SerialException):
                if time.monotonic() > deadline:
                    raise ScenarioError("the board did not answer after reboot")
                time.sleep(0.5)

    def close(self):
        self.ser.close()


class EmuTarget:
    """The emulated Pico (tools/emu/board.py): a fresh board per scenario with the deployed
    firmware, the development identity and the test jumper fitted; `config` is written to
    /config.json on its flash before power-on.  The harness itself answers `powerfail <n>`
    (the supply fails at the nth flash program/erase) and `rtc fault <kind>` (the DS3231 model)."""

    def __init__(self, start, config):
        sys.path.insert(0, os.path.join(ROOT, "tools", "emu"))
        import board as emu
        self.emu = emu
        self.board = emu.EmulatedBoard(start=start, config=config)
        try:
            self.board.boot_until_ready()
            board_start(self, start)
        except Exception:
            self.board.close()
            raise

    def send(self, line):
        b = self.board
        words = line.split()
        try:
            if words == ["reboot"]:
                resets = len(b.resets)
                b.send(b"reboot\r")
                b.run(3000)
                if len(b.resets) == resets:
                    raise ScenarioError("the board did not reset")
                b.boot_until_ready()
                return json.dumps(b.request("status"))
            if len(words) == 2 and words[0] == "powerfail" and words[1].isdigit():
                b.cut_power_at(int(words[1]))
                return json.dumps({"ok": True, "armed_after_writes": int(words[1])})
            if len(words) == 3 and words[:2] == ["rtc", "fault"]:
                self._rtc_fault(words[2])
                b.run(1500)               # the next control steps see it
                return json.dumps(b.request("status"))
            return json.dumps(b.request(line))
        except self.emu.PowerCut:
            b.boot_until_ready()
            return json.dumps({"ok": False, "error": "power failed during a commit; rebooted"})
        except TimeoutError as e:
            raise ScenarioError(str(e))

    def _rtc_fault(self, kind):
        rtc = self.board.rtc
        if kind in ("reset2000", "reset2021"):
            rtc.set_datetime(2000 if kind == "reset2000" else 2021, 1, 1, 0, 0, 0)
            rtc.fault("osf")
        elif kind in ("osf", "nobus", "stop", "none"):
            rtc.fault(kind)
        else:
            raise ScenarioError("rtc fault: osf|nobus|reset2000|reset2021|stop|none")

    def close(self):
        self.board.close()


def lookup(obj, path):
    for part in path.split("."):
        if isinstance(obj, list) and part.isdigit():
            idx = int(part)
            obj = obj[idx] if idx < len(obj) else None
        elif isinstance(obj, dict):
            obj = obj.get(part)
        else:
            return None
    return obj


def parse_value(text):
    if text in ("null", "true", "false"):
        return json.loads(text)
    try:
        return int(text)
    except ValueError:
        return text


def check(response, expectation):
    for op in _OPS:
        if op in expectation:
            path, want = expectation.split(op, 1)
            break
    else:
        raise ScenarioError("bad expectation: %s" % expectation)
    got = lookup(response, path.strip())
    want = parse_value(want.strip())
    if op == "~=":
        try:
            ok = isinstance(got, str) and abs(parse_utc(got) - parse_utc(want)) <= _NEAR_S
        except ValueError:
            ok = False
    elif op in ("=", "!="):
        ok = (got == want) if op == "=" else (got != want)
        if not ok and isinstance(got, str) and isinstance(want, int):
            ok = (got == str(want)) if op == "=" else (got != str(want))
    else:
        if not isinstance(got, int) or not isinstance(want, int):
            raise ScenarioError("%s: %r is not a number" % (path, got))
        ok = {">": got > want, "<": got < want, ">=": got >= want, "<=": got <= want}[op]
    if not ok:
        raise ScenarioError("expected %s, got %s=%s" % (expectation, path.strip(),
                                                        json.dumps(got)))


def load(path):
    with open(path) as f:
        lines = [ln.rstrip("\n") for ln in f]
    start = None
    config = None
    steps = []
    for n, line in enumerate(lines, 1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        if s.startswith("start "):
            start = s[6:].strip()
        elif s.startswith("config "):
            config = s[7:].strip()
            json.loads(config)
        else:
            steps.append((n, s))
    return start, config, steps


def board_limit(path):
    """-> (kind, why) from a `# board: sim-only|emu-only <why>` header line, or (None, "")."""
    with open(path) as f:
        for line in f:
            s = line.strip()
            if s.startswith("# board:"):
                words = s[8:].split(None, 1)
                if words and words[0] in ("sim-only", "emu-only"):
                    return words[0], words[1] if len(words) > 1 else ""
    return None, ""


class Plotter:
    """Collects a run for tools/simplot.py: every status-like response, tokens and faults."""

    def __init__(self, config, start=None):
        import simplot
        from meter.core.config import Config
        self.timeline = simplot.Timeline()
        self.cfg = Config(json.loads(config) if config else {})
        # the true time of a simulated run: its start plus what was advanced (the meter's
        # clock.utc may be wrong, which is what some scenarios are about)
        self.world = parse_utc(start) if start else None

    def when(self, reply):
        t = reply.get("world_utc")
        if t is None and self.world is not None:
            return self.world
        if t is None:
            t = (reply.get("clock") or {}).get("utc")
        try:
            return parse_utc(t)
        except (TypeError, ValueError):
            return self.timeline.points[-1][0] if self.timeline.points else None

    def seen(self, line, reply, label=None):
        t = self.when(reply) if isinstance(reply, dict) else None
        if t is None:
            return
        self.timeline.add_status(t, reply)
        word = line.split()[0] if line.split() else ""
        if word == "token":
            self.timeline.mark(t, "token", "%s -> %s" % (label or "token", reply.get("result")))
        elif word in ("rtc", "reboot", "powerfail"):
            self.timeline.mark(t, "fault", line[:28])

    def send(self, target, line, label=None):
        """Sends line; an `advance` in slices (at most 500, at least 900 s each)."""
        words = line.split()
        if len(words) == 2 and words[0] == "advance" and words[1].isascii() and \
                words[1].isdigit() and int(words[1]) > 900:
            left = int(words[1])
            chunk = max(900, left // 500)
            while left > 0:
                n = min(chunk, left)
                reply = json.loads(target.send("advance %d" % n))
                if self.world is not None and reply.get("ok"):
                    self.world += n
                self.seen("advance", reply)
                left -= n
                if not reply.get("ok"):
                    break
            return reply
        reply = json.loads(target.send(line))
        if self.world is not None and reply.get("ok") and len(words) == 2 and \
                words[0] == "advance" and words[1].isascii() and words[1].isdigit():
            self.world += int(words[1])
        self.seen(line, reply, label)
        return reply

    def draw(self, path, title):
        import simplot
        return simplot.draw(self.timeline, path, self.cfg, title)


def plot_path(path, scenario, several):
    if not several:
        return path
    stem, ext = os.path.splitext(path)
    return "%s.%s%s" % (stem, os.path.splitext(os.path.basename(scenario))[0], ext)


def run_scenario(path, make_target, plot=None):
    start, config, steps = load(path)
    target = make_target(start, config)
    plotter = None
    if plot:
        plotter = Plotter(config, start if isinstance(target, SimTarget) else None)

    def ask(line, label=None):
        if plotter is not None:
            return plotter.send(target, line, label)
        return json.loads(target.send(line))
    kept = {}
    last_vend = [getattr(target, "vended_at", 0)]
    last = None
    done = 0
    try:
        for n, line in steps:
            try:
                for name, digits in kept.items():
                    line = line.replace("$" + name, digits)
                if line.startswith("expect "):
                    if last is None:
                        raise ScenarioError("expect before any request")
                    for item in shlex.split(line[7:]):
                        check(last, item)
                elif line.startswith("vend "):
                    words = shlex.split(line[5:])
                    name = None
                    if len(words) >= 2 and words[-2] == "as":
                        name = words[-1]
                        words = words[:-2]
                    if words and words[0] == "openpaygo":
                        digits = vend.vend_openpaygo(words[1:])
                        if name:
                            kept[name] = digits
                        else:
                            last = ask("token %s" % digits, "openpaygo")
                        done += 1
                        continue
                    if words and words[0] == "settime" and "--challenge" in words:
                        i = words.index("--challenge") + 1
                        if i < len(words) and words[i] == "auto":
                            # the TIME CODE the meter shows now (a fresh status)
                            code = ask("status")["clock"].get("challenge")
                            if code is None:
                                raise ScenarioError("the meter shows no set-time challenge")
                            words[i] = str(int(code))
                    if "--at" not in words:
                        # the meter's present; a token id is the issue minute, so tokens
                        # vended within one minute take the next minutes (a meter accepts
                        # tokens up to 2 minutes ahead of its clock)
                        status = ask("status")
                        at = parse_utc(status["clock"]["utc"])
                        at = max(at, last_vend[0] + 60)
                        last_vend[0] = at
                        words += ["--at", iso(at)]
                    digits = vend.vend_native(words)
                    if name:
                        kept[name] = digits
                    else:
                        last = ask("token %s" % digits, words[0])
                else:
                    last = ask(line)
                done += 1
            except ScenarioError as e:
                raise ScenarioError("line %d: %s: %s" % (n, line, e))
    finally:
        target.close()
        if plotter is not None and plotter.timeline.points:
            plotter.draw(plot, os.path.basename(path))
    return done


def main(argv=None):
    p = argparse.ArgumentParser(description="Run bench scenarios over the console protocol")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--sim", action="store_true", help="start the simulator for each scenario")
    g.add_argument("--port", help="serial port of a board in test mode")
    g.add_argument("--emu", action="store_true", help="the emulated Pico (tools/emu/board.py)")
    p.add_argument("scenarios", nargs="*", help="scenario files (default: tools/scenarios/*.txt)")
    p.add_argument("--plot", metavar="FILE",
                   help="draw each run as a timeline: FILE.png or FILE.svg")
    a = p.parse_args(argv)
    if a.plot and not a.plot.lower().endswith((".png", ".svg")):
        p.error("--plot: FILE.png or FILE.svg")
    files = a.scenarios or sorted(glob.glob(os.path.join(SCENARIO_DIR, "*.txt")))
    if not files:
        p.error("no scenario files")
    if a.sim:
        def make(start, config):
            return SimTarget(start, config)
    elif a.emu:
        sys.path.insert(0, os.path.join(ROOT, "tools", "emu"))
        import board as emu
        if emu.find_rom()[0] is None:
            print("EMULATED RP2040 NOT AVAILABLE: %s" % emu.find_rom()[1])
            return 2

        def make(start, config):
            return EmuTarget(start, config)
    else:
        def make(start, config):
            return SerialTarget(a.port, start, config)
    rows = []
    failed = 0
    skipped = 0
    for path in files:
        t0 = time.monotonic()
        kind, why = board_limit(path)
        if not a.sim and (kind == "sim-only" or (kind == "emu-only" and not a.emu)):
            rows.append((os.path.basename(path), 0, "skipped: %s: %s" % (kind, why), 0.0))
            skipped += 1
            continue
        try:
            steps = run_scenario(path, make,
                                 plot_path(a.plot, path, len(files) > 1) if a.plot else None)
            result = "pass"
        except (ScenarioError, OSError, ValueError, KeyError, SystemExit, RuntimeError,
                TimeoutError) as e:
            steps = 0
            result = "FAIL: %s" % e
            failed += 1
        rows.append((os.path.basename(path), steps, result, time.monotonic() - t0))
    width = max(len(r[0]) for r in rows)
    print("%-*s  %5s  %-6s  %s" % (width, "scenario", "steps", "time", "result"))
    for name, steps, result, secs in rows:
        print("%-*s  %5d  %5.2fs  %s" % (width, name, steps, secs, result))
    print("%d passed, %d failed%s" % (len(rows) - failed - skipped, failed,
                                      ", %d skipped" % skipped if skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
