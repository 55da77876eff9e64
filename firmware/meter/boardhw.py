"""Builds the app's hardware (see meter.app) from a board file (boards/<board>.py, deployed as
/board.py).  Runs on the board only.

Order matters: every output pin is created at its inactive level first, before any other code
could glitch it (a latching relay coil pulsed at boot would cut or restore supply).

Inputs get the MCU's internal pull-up unless the board lists the pin in NO_PULL_PINS (ESP32
GPIO 34-39 have no internal pulls: those inputs need their external resistor).

The maintenance/test jumper (jumper_fitted) is read at boot only, fail closed: it counts as
fitted only when the pin, with its internal pull-up on, reads low on every one of several
reads.  A board file cannot switch test mode on by itself (issue 11).

Boot-only code: main.py releases this module once the board is built (meter/overlay.py); the
drivers it made stay, in their own modules.
"""
import time

import machine

from meter.drivers.button import Button
from meter.drivers.ds3231 import DS3231
from meter.drivers.indicators import Buzzer, Leds
from meter.drivers.keypad import Keypad4x4
from meter.drivers.lcd import Pcf8574Lcd
from meter.drivers.relay import LatchingRelay, MonostableRelay
from meter.drivers.s0 import S0Counter, S0HardwareCounter
from meter.drivers.watchdog import GuardedWatchdog
from meter.storage import BoardFS


def _out(n, inactive):
    return machine.Pin(n, machine.Pin.OUT, value=inactive)


def _in(board, n):
    if n in board.NO_PULL_PINS:
        return machine.Pin(n, machine.Pin.IN)
    return machine.Pin(n, machine.Pin.IN, machine.Pin.PULL_UP)


def jumper_fitted(board, reads=8):
    """The maintenance/test jumper (to GND) is fitted: read at boot, fail closed.  A pin
    without an internal pull-up (NO_PULL_PINS) is never trusted: it could float low."""
    n = board.TEST_JUMPER
    if n is None or n in board.NO_PULL_PINS:
        return False
    pin = machine.Pin(n, machine.Pin.IN, machine.Pin.PULL_UP)
    for _ in range(reads):
        time.sleep_ms(1)
        if pin.value() != 0:
            return False
    return True


def _s0(board):
    """The S0 input: a hardware pulse counter where the board has one (S0_COUNTER: the ESP32's
    PCNT unit through machine.Counter), else the pin IRQ (hard where the port has it)."""
    pin = _in(board, board.S0_PIN)
    counter = getattr(machine, "Counter", None)
    if board.S0_COUNTER is not None and counter is not None:
        try:
            return S0HardwareCounter(counter(board.S0_COUNTER, pin, edge=counter.FALLING,
                                             filter_ns=10000))
        except (TypeError, ValueError, OSError):
            pass                         # an older port: the pin IRQ below
    return S0Counter(pin, ticks_ms=time.ticks_ms, irq_off=machine.disable_irq,
                     irq_on=machine.enable_irq, hard=board.S0_HARD_IRQ)


class Hardware:
    """The drivers of one board, as meter.app expects them, set by build().  No methods: a
    method would keep this module's globals, and with them build() and its helpers, on the
    heap after main.py has released the module (issue 11).  The annotations are for type
    checkers only (MicroPython compiles them to nothing)."""
    buzzer: object
    leds: object
    relay: object
    keypad: object
    button: object
    i2c: object
    rtc: object
    lcd: object
    s0: object
    wdt: object
    fs: object
    storage_ok: bool
    storage_formatted: bool
    maintenance: bool
    test_mode: bool
    ticks_ms: object
    watchdog_reset: bool


def build(board, storage_ok=True, maintenance=False, formatted=False):
    """-> the board's Hardware (meter.app's hw), its pins and buses set up."""
    hw = Hardware()
    idle = 1 - board.RELAY_ACTIVE
    if board.RELAY_TYPE == "latching":
        set_pin = _out(board.RELAY_SET, idle)
        reset_pin = _out(board.RELAY_RESET, idle)
    else:
        # monostable: the load is on the normally-closed contact, so idle means supply on
        set_pin = _out(board.RELAY_SET, idle)
        reset_pin = None
    hw.buzzer = Buzzer(_out(board.BUZZER, 0))
    hw.leds = Leds(_out(board.LED_SUPPLY, 0), _out(board.LED_ALERT, 0))
    feedback = None
    if board.RELAY_FEEDBACK is not None:
        # an optocoupler output with its own pull-up; the driver filters 50 Hz ripple
        feedback = machine.Pin(board.RELAY_FEEDBACK, machine.Pin.IN)
    if reset_pin is not None:
        hw.relay = LatchingRelay(set_pin, reset_pin, board.RELAY_PULSE_MS, feedback,
                                 board.RELAY_FEEDBACK_ACTIVE, board.RELAY_ACTIVE)
    else:
        hw.relay = MonostableRelay(set_pin, board.RELAY_ACTIVE, feedback,
                                   board.RELAY_FEEDBACK_ACTIVE)
    rows = [machine.Pin(n, machine.Pin.OPEN_DRAIN, value=1) for n in board.KEYPAD_ROWS]
    cols = [_in(board, n) for n in board.KEYPAD_COLS]
    hw.keypad = Keypad4x4(rows, cols)
    hw.button = Button(_in(board, board.BUTTON))
    hw.i2c = machine.I2C(board.I2C_ID, scl=machine.Pin(board.I2C_SCL),
                         sda=machine.Pin(board.I2C_SDA), freq=board.I2C_FREQ)
    hw.rtc = DS3231(hw.i2c, board.RTC_ADDR)
    if board.INTERNAL_RTC_FALLBACK and board.RTC_ADDR not in hw.i2c.scan():
        from meter.drivers.rtc_fallback import InternalRTC   # only then: RAM
        hw.rtc = InternalRTC(machine.RTC())
    hw.lcd = Pcf8574Lcd(hw.i2c, board.LCD_ADDR, sleep_ms=time.sleep_ms)
    hw.s0 = _s0(board)
    hw.wdt = GuardedWatchdog(timeout_ms=board.WDT_MS)
    hw.fs = BoardFS()
    hw.storage_ok = storage_ok
    hw.storage_formatted = formatted
    # test-mode console commands and a REPL on Ctrl-C need the jumper, nothing else
    hw.maintenance = maintenance
    hw.test_mode = maintenance
    hw.ticks_ms = time.ticks_ms
    # the last reset was the watchdog's (logged at boot as WATCHDOG_RESET)
    hw.watchdog_reset = machine.reset_cause() == machine.WDT_RESET
    return hw
