"""The emulated Pico board: the real firmware (.mpy files as `make firmware` builds them) in the
stock MicroPython UF2 on an emulated RP2040 (tools/emu/chip.cjs, rp2040js), with the devices
outside the chip answered by the project's one model of each (tools/fake*.py):

  DS3231 (tools/fakeds3231.py) and PCF8574+HD44780 (tools/fakelcd.py) on I2C0 GP4/GP5, at
  pin level for scan() and byte level for transfers; the keypad matrix (tools/fakekeypad.py)
  on GP6-13; latching relay coils (every pulse recorded in emulated ms) with the contact
  position and the optocoupler feedback; S0 pulses, the reconnect button, the test jumper.

rp2040js models no pull-ups: every input the firmware pulls up is driven high here unless a
model pulls it low.  Time is emulated (cycle counted at 125 MHz) and only runs while this class
waits for the chip, so every action lands at an exact emulated instant.

  python tools/emu/board.py --pty        the board as a serial device; prints its path
  python tools/emu/board.py --status     boots, prints the LCD and `status`

Finds the UF2 and boot ROM from RP2040_UF2 / RP2040_BOOTROM or ../shared/rp2040/ next to the
checkout (see find_rom()).
"""
import glob
import json
import os
import runpy
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
for _p in (os.path.join(ROOT, "tools"), os.path.join(ROOT, "firmware"),
           os.path.join(ROOT, "tools", "cpython_shim")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from fakeds3231 import FakeDS3231  # noqa: E402
from fakei2c import FakeRegisterDevice  # noqa: E402
from fakekeypad import FakeKeypadMatrix  # noqa: E402
from fakelcd import FakePCF8574  # noqa: E402
from fakepins import FakeClock, FakePin  # noqa: E402

FS_OFFSET = 0xA0000          # the rp2 port's littlefs: 352 blocks of 4096 bytes
FS_BLOCKS = 352
FS_BLOCK = 4096
_LOW, _HIGH = 0, 1           # rp2040js GPIOPinState: 0 Low, 1 High, >= 2 an input


def find_rom():
    """-> (uf2 path, bootrom path), or (None, why)."""
    uf2 = os.environ.get("RP2040_UF2")
    rom = os.environ.get("RP2040_BOOTROM")
    # ../shared/rp2040 next to the checkout (a git worktree one level deeper looks further up)
    shared = os.path.join(os.path.dirname(ROOT), "shared", "rp2040")
    up = os.path.dirname(ROOT)
    for _ in range(3):
        if os.path.isdir(os.path.join(up, "shared", "rp2040")):
            shared = os.path.join(up, "shared", "rp2040")
            break
        up = os.path.dirname(up)
    if not uf2:
        found = sorted(glob.glob(os.path.join(shared, "*.uf2")))
        uf2 = found[0] if found else None
    if not rom:
        rom = os.path.join(shared, "bootrom-rp2040-b1.bin")
    if not uf2 or not os.path.isfile(uf2):
        return None, "%s not found" % (uf2 or os.path.join(shared, "*.uf2"))
    if not os.path.isfile(rom):
        return None, "%s not found" % rom
    return uf2, rom


def board_file(name="rp2-pico"):
    return runpy.run_path(os.path.join(ROOT, "boards", name + ".py"))


def dev_identity():
    from devkeys import DEV_SERIAL, DEV_UTILITY_KEY_HEX
    from meter.core.token import derive_meter_key
    key = derive_meter_key(bytes.fromhex(DEV_UTILITY_KEY_HEX), DEV_SERIAL)
    return {"serial": DEV_SERIAL, "meter_key": key.hex()}


def factory_files(start, config=None):
    """The flash a factory leaves: the first record (zero balance) and the event log that
    App.provision() writes, made on the host by the same code the simulator provisions with."""
    import shutil
    from meter.core.isotime import parse_iso_utc
    import sim
    state = tempfile.mkdtemp(prefix="emu-factory-")
    try:
        cfg = json.loads(config) if isinstance(config, str) else (config or {})
        s = sim.Simulator(parse_iso_utc(start), cfg, state_dir=state)
        s.close()
        out = {}
        for dirpath, _, names in os.walk(state):
            for n in names:
                p = os.path.join(dirpath, n)
                rel = "/" + os.path.relpath(p, state).replace(os.sep, "/")
                if rel != "/provisioned":
                    with open(p, "rb") as f:
                        out[rel] = f.read()
        return out
    finally:
        shutil.rmtree(state, ignore_errors=True)


def build_image(files, out_path):
    """files: {path on the board: bytes} -> a littlefs image of the rp2 port's geometry."""
    import littlefs
    fs = littlefs.LittleFS(block_size=FS_BLOCK, block_count=FS_BLOCKS, prog_size=256,
                           read_size=32, lookahead_size=32, disk_version=0x00020001)
    for path in sorted(files):
        d = os.path.dirname(path)
        if d and d != "/":
            fs.makedirs(d, exist_ok=True)
        with fs.open(path, "wb") as f:
            f.write(files[path])
    with open(out_path, "wb") as f:
        f.write(fs.context.buffer)


def firmware_files(board="rp2-pico", build_dir=None, build_minute=None):
    """The deploy path: what `make firmware BOARD=<board>` builds, as {board path: bytes}.
    build_minute: the firmware's build date (meter/app.py BUILD_MINUTE) moved earlier, as the
    simulator does to replay older dates (a meter refuses a clock before its build date)."""
    if build_dir is None:
        sys.path.insert(0, os.path.join(ROOT, "tools"))
        import build_firmware
        import shutil
        tmp = tempfile.mkdtemp(prefix="emu-fw-")
        src_root = ROOT
        if build_minute is not None:
            src_root = os.path.join(tmp, "src")
            for d in ("firmware", "boards"):
                shutil.copytree(os.path.join(ROOT, d), os.path.join(src_root, d),
                                ignore=shutil.ignore_patterns("__pycache__"))
            app_py = os.path.join(src_root, "firmware", "meter", "app.py")
            with open(app_py) as f:
                text = f.read()
            import re
            text, n = re.subn(r"BUILD_MINUTE = const\(\d+\)",
                              "BUILD_MINUTE = const(%d)" % build_minute, text)
            if n != 1:
                raise RuntimeError("BUILD_MINUTE not found in meter/app.py")
            with open(app_py, "w") as f:
                f.write(text)
        old_root = build_firmware.ROOT
        build_firmware.ROOT = src_root
        try:
            build_dir = build_firmware.build(board, os.path.join(tmp, "out"))
        finally:
            build_firmware.ROOT = old_root
    out = {}
    for dirpath, _, names in os.walk(build_dir):
        for n in names:
            p = os.path.join(dirpath, n)
            with open(p, "rb") as f:
                out["/" + os.path.relpath(p, build_dir).replace(os.sep, "/")] = f.read()
    return out


_FW_CACHE = {}


def cached_firmware(board="rp2-pico", build_minute=None):
    key = (board, build_minute)
    if key not in _FW_CACHE:
        _FW_CACHE[key] = firmware_files(board, build_minute=build_minute)
    return dict(_FW_CACHE[key])


def build_minute_for(start):
    """The simulator's rule (tools/sim.py): the build date at most 14 days before `start`."""
    from meter.app import BUILD_MINUTE
    from meter.core.isotime import parse_iso_utc
    m = parse_iso_utc(start) // 60 - 14 * 1440 - 10957 * 1440
    return None if m >= BUILD_MINUTE else m


class Coil:
    """A relay coil driver output: records every energised interval in emulated ms."""

    def __init__(self, name, active=1):
        self.name = name
        self.active = active
        self.on_since = None
        self.pulses = []          # (start ms, length ms)
        self.starts = []          # start ms of every pulse, the one still on included

    def level(self, v, ms):
        on = v == self.active
        if on and self.on_since is None:
            self.on_since = ms
            self.starts.append(ms)
        elif not on and self.on_since is not None:
            self.pulses.append((self.on_since, ms - self.on_since))
            self.on_since = None
        return on


class EmulatedBoard:
    """One Pico on the bench: the chip (a Node process) and the models outside it, which
    outlive watchdog resets and power cuts as the real parts would."""

    def __init__(self, start=None, config=None, jumper=True, files=None, identity=True,
                 board="rp2-pico", flash_image=None, rtc_osf=False, rom=None,
                 provisioned=True):
        uf2, rom_path = rom or find_rom()
        if uf2 is None:
            raise RuntimeError("EMULATED RP2040: %s" % rom_path)
        self.b = board_file(board)
        b = self.b
        self.clock = FakeClock(0)
        self._t0_ms = 0
        when = None
        if start is not None:
            from meter.core.isotime import parse_iso_utc
            import time as _t
            when = _t.gmtime(parse_iso_utc(start))[:6]
        self.rtc = FakeDS3231(when=when, clock=self.clock, addr=b["RTC_ADDR"],
                              osf=rtc_osf if when is not None else None)
        self.lcd = FakePCF8574(addr=b["LCD_ADDR"], clock=self.clock)
        self.devices = {self.rtc.addr: self.rtc, self.lcd.addr: self.lcd}
        self.keypad = FakeKeypadMatrix()
        for r in self.keypad.rows:
            r.mode = FakePin.OPEN_DRAIN
        self.rows = list(b["KEYPAD_ROWS"])
        self.cols = list(b["KEYPAD_COLS"])
        active = b["RELAY_ACTIVE"]
        self.set_coil = Coil("set", active)
        self.reset_coil = Coil("reset", active) if b["RELAY_TYPE"] == "latching" else None
        self.contact_closed = True           # the load side is live
        self.outputs = {}                    # pin -> last level (0/1/None for input)
        self.jumper = jumper
        self.button_down = False
        self.s0_low = False
        self.rx = bytearray()
        self.resets = []                     # (emulated ms, why)
        self.usb_count = 0
        self.flash_ops = []
        self.wdt_feeds = []
        self.i2c_dev = None
        self.i2c_read = False
        self.wbuf = bytearray()
        self.i2c_nobus = False
        self.transactions = 0
        self._tmp = tempfile.mkdtemp(prefix="emu-board-")
        watch = self.rows + [b["RELAY_SET"], b["LED_ALERT"], b["LED_SUPPLY"], b["BUZZER"]]
        if self.reset_coil is not None:
            watch.append(b["RELAY_RESET"])
        args = {"uf2": uf2, "bootrom": rom_path, "watch": watch, "inputs": self._inputs()}
        self.proc = subprocess.Popen(["node", os.path.join(HERE, "chip.cjs"), json.dumps(args)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     bufsize=0)
        self._out = self.proc.stdout
        if flash_image is None:
            fw = files if files is not None else cached_firmware(
                board, build_minute_for(start) if start else None)
            if identity:
                fw.setdefault("/data/identity.json",
                              json.dumps(identity if isinstance(identity, dict)
                                         else dev_identity()).encode())
            if provisioned and start is not None:
                fw.update(factory_files(start, config))
            if config is not None:
                fw["/config.json"] = (config if isinstance(config, str)
                                      else json.dumps(config)).encode()
            flash_image = os.path.join(self._tmp, "fs.img")
            build_image(fw, flash_image)
        self._cmd({"cmd": "flash", "path": flash_image, "offset": FS_OFFSET})
        self._cmd({"cmd": "boot"})

    # --- levels outside the chip ----------------------------------------------------------

    def _inputs(self):
        """Every input's level as the outside drives it (pull-ups included)."""
        b = self.b
        lv = {}
        for i, c in enumerate(self.cols):
            lv[str(c)] = self.keypad._col_level(i)
        lv[str(b["S0_PIN"])] = 0 if self.s0_low else 1
        lv[str(b["BUTTON"])] = 0 if self.button_down else 1
        lv[str(b["TEST_JUMPER"])] = 0 if self.jumper else 1
        if b["RELAY_FEEDBACK"] is not None:
            live = self.contact_closed
            lv[str(b["RELAY_FEEDBACK"])] = b["RELAY_FEEDBACK_ACTIVE"] if live else \
                1 - b["RELAY_FEEDBACK_ACTIVE"]
        lv[str(b["I2C_SDA"])] = 1
        lv[str(b["I2C_SCL"])] = 1
        return lv

    def _pin(self, p, state):
        level = state if state in (_LOW, _HIGH) else None
        self.outputs[p] = level
        ms = self.clock.ms
        b = self.b
        if p in self.rows:
            pin = self.keypad.rows[self.rows.index(p)]
            pin._out = 0 if level == 0 else 1
        elif p == b["RELAY_SET"]:
            if self.set_coil.level(level, ms):
                self.contact_closed = True
            elif self.reset_coil is None:
                self.contact_closed = level != b["RELAY_ACTIVE"]   # monostable: NC contact
        elif self.reset_coil is not None and p == b["RELAY_RESET"]:
            if self.reset_coil.level(level, ms):
                self.contact_closed = False

    # --- I2C, byte level ------------------------------------------------------------------

    def _present(self, a):
        d = self.devices.get(a)
        return d is not None and not d.absent and not d.nobus and not self.i2c_nobus

    def _flush(self):
        d = self.i2c_dev
        if d is not None and self.wbuf and isinstance(d, FakeRegisterDevice):
            d.writeto(bytes(self.wbuf))
        self.wbuf = bytearray()

    def _i2c(self, m):
        op = m["op"]
        if op == "start":
            self._flush()
            self.i2c_dev = None
            return {}
        if op == "connect":
            self.transactions += 1
            if not self._present(m["a"]):
                self.i2c_dev = None
                return {"ack": False}
            d = self.i2c_dev = self.devices[m["a"]]
            self.i2c_read = m["r"] == 1
            if self.i2c_read and isinstance(d, FakeRegisterDevice):
                d._sync()                     # the chip latches its time at the read
            return {"ack": True}
        d = self.i2c_dev
        if op == "write":
            if d is None:
                return {"ack": False}
            if isinstance(d, FakeRegisterDevice):
                self.wbuf.append(m["v"])
            else:
                d.writeto(bytes([m["v"]]))
            return {"ack": True}
        if op == "read":
            if d is None:
                return {"v": 0xFF}
            if isinstance(d, FakeRegisterDevice):
                v = 0xFF if d.allff else d.read_reg(d.pointer)
                d.pointer = (d.pointer + 1) % len(d.regs)
                return {"v": v}
            buf = bytearray(1)
            d.readfrom_into(buf)
            return {"v": buf[0]}
        if op == "stop":
            self._flush()
            self.i2c_dev = None
            return {}
        return {}

    # --- the pipe -------------------------------------------------------------------------

    def _answer(self, m):
        q = m["q"]
        if q == "pin":
            self._pin(m["p"], m["s"])
            return {"in": self._inputs()}
        if q == "i2c":
            return self._i2c(m)
        if q == "scan":
            return {"ack": self._present(m["a"])}
        return {}

    def _cmd(self, cmd):
        if self.proc.poll() is not None:
            raise RuntimeError("the emulated chip process exited")
        self.proc.stdin.write((json.dumps(cmd) + "\n").encode())
        out = self._out
        while True:
            line = out.readline()
            if not line:
                raise RuntimeError("the emulated chip process died")
            m = json.loads(line)
            t = m.get("t")
            if t is not None:
                self.clock.ms = self._t0_ms + t // 1000000
            if "q" in m:
                self.proc.stdin.write((json.dumps(self._answer(m)) + "\n").encode())
                continue
            ev = m.get("ev")
            if ev == "out":
                self.rx += bytes.fromhex(m["d"])
            elif ev == "usb":
                self.usb_count += 1
            elif ev == "reset":
                self.resets.append((self.clock.ms, m["why"]))
                self._on_reset()
            elif ev == "flash_op":
                self.flash_ops.append(m)
            elif ev == "wdt":
                self.wdt_feeds.append(self.clock.ms)
            elif ev == "done":
                return m
            elif ev == "error":
                raise RuntimeError(m["error"])

    def _on_reset(self):
        # the coils' drivers lose power with the chip: close any open pulse
        for c in (self.set_coil, self.reset_coil):
            if c is not None and c.on_since is not None:
                c.level(None, self.clock.ms)
        self.outputs = {}
        self.i2c_dev = None
        self.wbuf = bytearray()

    # --- what a test does -----------------------------------------------------------------

    @property
    def ms(self):
        return self.clock.ms

    def run(self, ms, until_nl=False):
        return self._cmd({"cmd": "run", "ms": ms, "until_nl": until_nl})

    def refresh_inputs(self):
        self._cmd({"cmd": "pins", "in": self._inputs()})

    def send(self, data):
        self._cmd({"cmd": "send", "d": bytes(data).hex()})

    def wait_for(self, text, max_ms=20000):
        """Runs until `text` (bytes) appears in what the board sent; -> True if it did."""
        end = self.ms + max_ms
        while text not in self.rx:
            if self.ms >= end:
                return False
            self.run(min(200, end - self.ms), until_nl=True)
        return True

    def boot_until_ready(self, max_ms=20000):
        """Runs until the app answers on the console (one `info` line)."""
        end = self.ms + max_ms
        while self.ms < end:
            self.run(300)
            try:
                return self.request("info", max_ms=3000)
            except TimeoutError:
                continue
        raise TimeoutError("the board never answered on its console")

    def read_line(self, max_ms=20000):
        """-> the next JSON line the board sends (other output is skipped), or TimeoutError."""
        end = self.ms + max_ms
        while True:
            while b"\n" in self.rx:
                line, _, rest = bytes(self.rx).partition(b"\n")
                self.rx = bytearray(rest)
                s = line.strip()
                if s.startswith(b"{"):
                    return s.decode("utf-8", "replace")
            if self.ms >= end:
                raise TimeoutError("no answer from the board")
            resets = len(self.resets)
            self.run(min(500, end - self.ms), until_nl=True)
            if len(self.resets) != resets and self.resets[-1][1] == "power":
                raise PowerCut()

    def request(self, line, max_ms=20000):
        """One console request -> the decoded JSON answer."""
        self.rx = bytearray()
        self.send(line.encode() + b"\r")
        return json.loads(self.read_line(max_ms))

    def press(self, key, hold_ms=120):
        self.keypad.press(key)
        self.refresh_inputs()
        self.run(hold_ms)
        self.keypad.release(key)
        self.refresh_inputs()
        self.run(60)

    def push_button(self, hold_ms=200):
        self.button_down = True
        self.refresh_inputs()
        self.run(hold_ms)
        self.button_down = False
        self.refresh_inputs()

    def s0_pulses(self, n, low_ms=40, high_ms=60):
        for _ in range(n):
            self.s0_low = True
            self.refresh_inputs()
            self.run(low_ms)
            self.s0_low = False
            self.refresh_inputs()
            self.run(high_ms)

    def cut_power_at(self, n, torn=False):
        """The supply fails at the nth flash program/erase from now (the chip then boots
        again by itself, with the same flash, RTC and relay)."""
        self._cmd({"cmd": "cut", "after": n, "torn": torn})

    def power_cycle(self):
        self._cmd({"cmd": "power_cycle"})

    def dump_flash(self, path):
        self._cmd({"cmd": "dump", "path": path})

    def lcd_lines(self):
        return self.lcd.lines()

    def close(self):
        try:
            if self.proc.poll() is None:
                self.proc.stdin.write(b'{"cmd":"quit"}\n')
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
        import shutil
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


class PowerCut(Exception):
    """The injected power failure struck while a request was being answered."""


def main(argv=None):
    import argparse
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pty", action="store_true", help="expose the board as a serial device")
    p.add_argument("--status", action="store_true", help="boot, print the LCD and status")
    p.add_argument("--start", default="2026-11-28T12:00:00Z", help="the RTC's time at power-on")
    p.add_argument("--no-jumper", action="store_true", help="test jumper not fitted")
    p.add_argument("--check", action="store_true",
                   help="exit 0 if the UF2 and boot ROM are found, else print why and exit 1")
    a = p.parse_args(argv)
    uf2, why = find_rom()
    if a.check:
        if uf2 is None:
            print("EMULATED RP2040 TIER SKIPPED: %s (set RP2040_UF2 and RP2040_BOOTROM)" % why)
            return 1
        return 0
    if uf2 is None:
        print("EMULATED RP2040 NOT AVAILABLE: %s" % why)
        return 2
    if a.pty:
        from emu_pty import serve_pty
        return serve_pty(EmulatedBoard(start=a.start, jumper=not a.no_jumper))
    with EmulatedBoard(start=a.start, jumper=not a.no_jumper) as board:
        info = board.boot_until_ready()
        print(json.dumps(info))
        print("\n".join(board.lcd_lines()))
        print(json.dumps(board.request("status")))
        print("emulated %d ms" % board.ms)
    return 0


if __name__ == "__main__":
    sys.exit(main())
