"""The firmware app on fake hardware (tools/fakehw, tools/fakefs) with the real drivers, for
boot and power-cut tests and the MicroPython heap benchmark.  Portable."""
import fakehw
from fakefs import FakeFS
from meter.app import App
from meter.core.config import Config
from devkeys import DEV_SERIAL, DEV_UTILITY_KEY_HEX
from meter.core.token import derive_meter_key
from meter.drivers.ds3231 import DS3231
from meter.drivers.lcd import Pcf8574Lcd
from meter.drivers.relay import LatchingRelay
from meter.drivers.s0 import S0Counter
from meter.drivers.watchdog import GuardedWatchdog

KEY = derive_meter_key(bytes.fromhex(DEV_UTILITY_KEY_HEX), DEV_SERIAL)


class FakeBoard:
    """Hardware that survives a reboot: clock, RTC chip, flash, relay coils, LCD."""

    def __init__(self, when=(2026, 11, 30, 9, 0, 0)):
        self.clock = fakehw.FakeClock(1000)
        self.chip = fakehw.FakeDS3231(when=when, clock=self.clock, osf=False)
        self.lcd_chip = fakehw.FakePCF8574()
        self.i2c = fakehw.FakeI2C(self.chip, self.lcd_chip)
        self.fs = FakeFS()
        self.set_pin = fakehw.FakePin(14, fakehw.FakePin.OUT, value=0, clock=self.clock)
        self.reset_pin = fakehw.FakePin(15, fakehw.FakePin.OUT, value=0, clock=self.clock)
        self.s0_pin = fakehw.FakePin(17, fakehw.FakePin.IN, fakehw.FakePin.PULL_UP)
        self.wdt_factory = fakehw.FakeWDT.factory(self.clock)
        self.power_on()

    def power_on(self):
        """What a (re)boot builds: drivers in RAM, pins as the board file creates them."""
        self.rtc = DS3231(self.i2c)
        self.lcd = Pcf8574Lcd(self.i2c, sleep_ms=self.clock.sleep_ms)
        self.relay = LatchingRelay(self.set_pin, self.reset_pin, 100)
        self.s0 = S0Counter(self.s0_pin, ticks_ms=self.clock.ticks_ms)
        self.wdt = GuardedWatchdog(self.wdt_factory, 8000)
        self.leds = None
        self.buzzer = None
        self.storage_ok = True
        self.pulses = 0

    def ticks_ms(self):
        return self.clock.ticks_ms()


def make_app(board, overrides=None):
    return App(board, Config(overrides), serial=DEV_SERIAL, meter_key=KEY, board="fake",
               build_minute=0)


def provisioned(when=(2026, 11, 30, 9, 0, 0), overrides=None):
    """A meter as installed: RTC set, clock trusted, a first record; then booted."""
    board = FakeBoard(when)
    app = make_app(board, overrides)
    from meter.core import calendar
    utc = calendar.days_from_civil(when[0], when[1], when[2]) * 86400 + \
        when[3] * 3600 + when[4] * 60 + when[5]
    app.provision(utc)
    app = make_app(board, overrides)
    app.boot()
    return board, app


def run(board, app, seconds, pulses_per_s=0):
    """Steps the app once a second on the fake clock."""
    for _ in range(seconds):
        board.clock.advance(1000)
        if pulses_per_s:
            app.extra_pulses += pulses_per_s
        app.control_step()
        app.hw.relay.poll(board.clock.ticks_ms())


def reboot(board, overrides=None):
    board.fs.reboot()
    board.clock.advance(1500)
    board.power_on()
    app = make_app(board, overrides)
    app.boot()
    return app
