"""Fake hardware for the driver tests and the host simulator; runs under CPython and MicroPython.

Everything runs on a FakeClock (milliseconds, advanced by hand): no host time is read.

  FakeClock          ticks_ms() wrapping at 2**30 like MicroPython, advance(ms), sleep_ms(ms)
  FakePin            machine.Pin look-alike: value(), init(), irq(); records mode/pull, a history
                     of (time, value) writes, and an external level (drive()) that fires the IRQ
  FakeI2C            machine.I2C look-alike with devices on addresses, scan(), bus faults
  FakeDS3231         register-map DS3231: BCD time 0x00-0x06 with the century bit, control 0x0E,
                     status 0x0F (OSF), temperature 0x11-0x12; advances by seconds (optionally
                     following a FakeClock) with BCD, month and leap-year rollover; faults
  FakePCF8574        PCF8574 backpack with an HD44780 behind it: decodes the 4-bit protocol into
                     DDRAM/CGRAM so tests (and the simulator) read the screen text back
  FakeKeypadMatrix   4x4 key matrix: answers column reads from which row is pulled low and
                     which keys are pressed (ghost keys included), optional contact bounce
  FakeWDT            machine.WDT look-alike that "resets" when not fed within its timeout
  FakeMachineRTC     machine.RTC look-alike (datetime()) for the internal-RTC fallback

Fakes may allocate freely except where a test measures a driver's allocation through them:
FakeKeypadMatrix (rows and columns) and FakeDS3231 reads (without a clock) allocate nothing.

Each model lives in its own module (fakepins, fakei2c, fakeds3231, fakelcd, fakekeypad,
fakewdt); this module gathers them under one name for the tests and the simulator.
"""
from fakepins import FakeClock, FakePin, active_intervals  # noqa: F401
from fakei2c import FakeI2C, FakeRegisterDevice  # noqa: F401
from fakeds3231 import FakeDS3231, FakeMachineRTC  # noqa: F401
from fakelcd import FakePCF8574  # noqa: F401
from fakekeypad import FakeKeypadMatrix  # noqa: F401
from fakewdt import FakeWDT  # noqa: F401
