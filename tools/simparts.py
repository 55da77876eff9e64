"""Simulated parts for the host simulator (tools/sim.py), speaking the hardware contract of
firmware/meter/app.py.  Time is virtual: nothing here reads the host clock."""
import random
import os

import fakehw
import fakeds3231
from fakefs import FakeFS, PowerCut
from meter.core import calendar, codes
from meter.drivers.ds3231 import DS3231
from meter.drivers.lcd import Pcf8574Lcd

RTC_FAULTS = ("osf", "nobus", "reset2000", "reset2021", "stop", "none")
# files the simulator keeps beside the flash in --state (tools/sim.py): not on the meter
HOST_FILES = ("provisioned", "rtc.json", "rtc.json.tmp")


class VirtualClock:
    def __init__(self):
        self.ms = 0

    def advance_ms(self, ms):
        self.ms += ms

    def ticks_ms(self):
        return self.ms & 0x3FFFFFFF


class SimRTC:
    """The real DS3231 driver over a simulated chip (tools/fakehw.FakeDS3231) that runs on the
    virtual clock, with the faults of `rtc fault`."""

    def __init__(self, clock, start_utc):
        self.chip = fakehw.FakeDS3231(when=_fields(start_utc), clock=clock, osf=False)
        self.i2c = fakehw.FakeI2C(self.chip)
        self.driver = DS3231(self.i2c)

    def utc(self):
        t = self.chip.datetime()
        if t is None:
            return None
        return calendar.days_from_civil(t[0], t[1], t[2]) * 86400 + t[3] * 3600 + t[4] * 60 + t[5]

    def set_utc(self, utc):
        """`rtc set`: writes the chip as a wrong clock would (years up to 2199 fit its
        century bit; the driver refuses those)."""
        self.chip.set_datetime(*_fields(utc))

    def restore(self, regs, stopped, seconds_off):
        """The chip as saved at the last exit (tools/sim.py --state), having run on its
        battery for seconds_off since (a stopped oscillator stays where it was)."""
        chip = self.chip
        n = min(len(regs), len(chip.regs))
        chip.regs[:n] = regs[:n]
        chip.stopped = stopped
        chip._base_ms = chip.clock.ms
        if not stopped and seconds_off > 0:
            chip.advance(seconds_off)

    def fault(self, kind):
        chip = self.chip
        if kind == "none":
            chip.fault("none")
            chip.write_reg(0x0F, chip.regs[0x0F] & 0x7F)
        elif kind in ("osf", "nobus", "stop"):
            chip.fault(kind)
        elif kind == "reset2000":
            chip.set_datetime(2000, 1, 1, 0, 0, 0)
            chip.fault("osf")
        elif kind == "reset2021":
            chip.set_datetime(2021, 1, 1, 0, 0, 0)
            chip.fault("osf")

    # the app's contract: the driver itself
    def read_time(self, fields):
        return self.driver.read_time(fields)

    def osc_stopped(self):
        return self.driver.osc_stopped()

    def set_time(self, y, mo, d, h, mi, s):
        self.driver.set_time(y, mo, d, h, mi, s)

    def clear_osf(self):
        self.driver.clear_osf()

    def read_store(self, buf):
        self.driver.read_store(buf)

    def write_store(self, buf):
        self.driver.write_store(buf)

    def temperature(self):
        return self.driver.temperature()


def _fields(utc):
    day, sec = divmod(utc, 86400)
    y, mo, d = fakeds3231._civil(day)      # the chip model's calendar: a wrong clock may read 2165
    return y, mo, d, sec // 3600, sec // 60 % 60, sec % 60


class SimRelay:
    """Switches at once; `failed` stays False (a stuck relay is a bench-rig matter)."""

    def __init__(self):
        self.state = True
        self.failed = False
        self.switches = 0

    def request(self, closed, now_ms):
        if closed != self.state:
            self.switches += 1
        self.state = closed

    def poll(self, now_ms):
        pass

    def redrive(self, now_ms):
        pass


class SimLCD:
    """The real PCF8574/HD44780 driver over a simulated backpack that decodes the 4-bit
    protocol into a screen (tools/fakehw.FakePCF8574): what the view shows is what the driver
    really sent."""

    def __init__(self, clock):
        # the chip checks the HD44780's timing against the virtual clock, and the driver's
        # waits move it on: an init the real display would miss shows up in chip.violations
        self.chip = fakehw.FakePCF8574(clock=clock)
        self.driver = Pcf8574Lcd(fakehw.FakeI2C(self.chip), sleep_ms=clock.advance_ms)

    def write_line(self, row, text):
        return self.driver.write_line(row, text)

    def line(self, row):
        return self.driver.line(row)

    @property
    def lines(self):
        """The screen decoded from the bytes the driver sent (tools/fakelcd.FakePCF8574)."""
        return self.chip.lines()


class SimS0:
    """Pulses from a constant load, fractions of a pulse carried between advances."""

    def __init__(self):
        self.pending = 0
        self._acc = 0          # watt-seconds times pulses per kWh, not yet a whole pulse

    def add_energy(self, watts, seconds, imp_per_kwh):
        self._acc += watts * seconds * imp_per_kwh
        n = self._acc // 3600000
        self._acc -= n * 3600000
        self.pending += n

    def take(self):
        n = self.pending
        self.pending = 0
        return n


class SimLeds:
    def __init__(self):
        self.supply = False
        self.alert = False

    def set(self, supply, alert):
        self.supply = supply
        self.alert = alert

    def poll(self, now_ms):
        pass


class SimHardware:
    def __init__(self, clock, rtc, fs):
        self.clock = clock
        self.rtc = rtc
        self.relay = SimRelay()
        self.lcd = SimLCD(clock)
        self.s0 = SimS0()
        self.leds = SimLeds()
        self.buzzer = None
        self.fs = fs
        self.storage_ok = True
        # the set-time challenge: seeded, so that a session replays the same codes
        self.random_bytes = random.Random(20201).randbytes

    def ticks_ms(self):
        return self.clock.ticks_ms()


class SimFlash(FakeFS):
    """The simulated flash: an in-memory filesystem (tools/fakefs.FakeFS, with `powerfail`'s
    torn writes) whose contents are kept under the --state directory.  Files are read from
    there at start and written back by flush(), which the simulator calls after every console
    request and at exit: an `advance` of a year commits thousands of records in memory and
    writes the directory once."""

    def __init__(self, root):
        FakeFS.__init__(self)
        self.root = root
        self._saved = {}
        for dirpath, dirnames, filenames in os.walk(root):
            rel = "/" + os.path.relpath(dirpath, root).replace(os.sep, "/")
            rel = "/" if rel == "/." else rel
            self.dirs[rel] = True
            for name in filenames:
                if rel == "/" and name in HOST_FILES:
                    continue                 # the simulator's own, not the meter's flash
                path = (rel.rstrip("/") + "/" + name)
                with open(os.path.join(dirpath, name), "rb") as f:
                    data = f.read()
                self.files[path] = bytearray(data)
                self._saved[path] = data

    def flush(self):
        for path, data in self.files.items():
            data = bytes(data)
            if self._saved.get(path) != data:
                real = os.path.join(self.root, path.lstrip("/"))
                os.makedirs(os.path.dirname(real), exist_ok=True)
                with open(real + ".tmp", "wb") as f:
                    f.write(data)
                os.replace(real + ".tmp", real)
                self._saved[path] = data
        for path in list(self._saved):
            if path not in self.files:
                os.remove(os.path.join(self.root, path.lstrip("/")))
                del self._saved[path]
