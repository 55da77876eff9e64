"""Builds the app's hardware (see meter.app) from a board file (boards/<board>.py, deployed as
/board.py).  Runs on the board only.

Order matters: every output pin is created at its inactive level first, before any other code
could glitch it (a latching relay coil pulsed at boot would cut or restore supply).

Inputs get the MCU's internal pull-up unless the board lists the pin in NO_PULL_PINS (ESP32
GPIO 34-39 have no internal pulls: those inputs need their external resistor).

The maintenance/test jumper (jumper_fitted) is read at boot only, fail closed: it counts as
fitted only when the pin, with its internal pull-up on, reads low on every one of several
reads.  A board file cannot switch test mode on by itself (issue 11).
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
    def __init__(self, board, storage_ok=True, maintenance=False, formatted=False):
        idle = 1 - board.RELAY_ACTIVE
        if board.RELAY_TYPE == "latching":
            set_pin = _out(board.RELAY_SET, idle)
            reset_pin = _out(board.RELAY_RESET, idle)
        else:
            # monostable: the load is on the normally-closed contact, so idle means supply on
            set_pin = _out(board.RELAY_SET, idle)
            reset_pin = None
        self.buzzer = Buzzer(_out(board.BUZZER, 0))
        self.leds = Leds(_out(board.LED_SUPPLY, 0), _out(board.LED_ALERT, 0))
        feedback = None
        if board.RELAY_FEEDBACK is not None:
            # an optocoupler output with its own pull-up; the driver filters 50 Hz ripple
            feedback = machine.Pin(board.RELAY_FEEDBACK, machine.Pin.IN)
        if reset_pin is not None:
            self.relay = LatchingRelay(set_pin, reset_pin, board.RELAY_PULSE_MS, feedback,
                                       board.RELAY_FEEDBACK_ACTIVE, board.RELAY_ACTIVE)
        else:
            self.relay = MonostableRelay(set_pin, board.RELAY_ACTIVE, feedback,
                                         board.RELAY_FEEDBACK_ACTIVE)
        rows = [machine.Pin(n, machine.Pin.OPEN_DRAIN, value=1) for n in board.KEYPAD_ROWS]
        cols = [_in(board, n) for n in board.KEYPAD_COLS]
        self.keypad = Keypad4x4(rows, cols)
        self.button = Button(_in(board, board.BUTTON))
        self.i2c = machine.I2C(board.I2C_ID, scl=machine.Pin(board.I2C_SCL),
                               sda=machine.Pin(board.I2C_SDA), freq=board.I2C_FREQ)
        self.rtc = DS3231(self.i2c, board.RTC_ADDR)
        if board.INTERNAL_RTC_FALLBACK and board.RTC_ADDR not in self.i2c.scan():
            from meter.drivers.rtc_fallback import InternalRTC   # only then: RAM
            self.rtc = InternalRTC(machine.RTC())
        self.lcd = Pcf8574Lcd(self.i2c, board.LCD_ADDR, sleep_ms=time.sleep_ms)
        self.s0 = _s0(board)
        self.wdt = GuardedWatchdog(timeout_ms=board.WDT_MS)
        self.fs = BoardFS()
        self.storage_ok = storage_ok
        self.storage_formatted = formatted
        # test-mode console commands and a REPL on Ctrl-C need the jumper, nothing else
        self.maintenance = maintenance
        self.test_mode = maintenance

    def ticks_ms(self):
        return time.ticks_ms()

    def watchdog_reset(self):
        """True when the watchdog reset the MCU (logged at boot as WATCHDOG_RESET)."""
        return machine.reset_cause() == machine.WDT_RESET
