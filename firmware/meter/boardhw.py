"""Builds the app's hardware (see meter.app) from a board file (boards/<board>.py, deployed as
/board.py).  Runs on the board only.

Order matters: every output pin is created at its inactive level first, before any other code
could glitch it (a latching relay coil pulsed at boot would cut or restore supply).
"""
import time

import machine

from meter.drivers.ds3231 import DS3231
from meter.drivers.indicators import Buzzer, Leds
from meter.drivers.keypad import Keypad4x4
from meter.drivers.lcd import Pcf8574Lcd
from meter.drivers.relay import LatchingRelay, MonostableRelay
from meter.drivers.rtc_fallback import InternalRTC
from meter.drivers.s0 import S0Counter
from meter.drivers.watchdog import GuardedWatchdog
from meter.storage import BoardFS


def _out(n, inactive):
    return machine.Pin(n, machine.Pin.OUT, value=inactive)


def _in(n, pull=True):
    if pull:
        return machine.Pin(n, machine.Pin.IN, machine.Pin.PULL_UP)
    return machine.Pin(n, machine.Pin.IN)


class Hardware:
    def __init__(self, board, storage_ok=True):
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
        feedback = _in(board.RELAY_FEEDBACK, False) if board.RELAY_FEEDBACK is not None else None
        if reset_pin is not None:
            self.relay = LatchingRelay(set_pin, reset_pin, board.RELAY_PULSE_MS, feedback,
                                       board.RELAY_FEEDBACK_ACTIVE, board.RELAY_ACTIVE)
        else:
            self.relay = MonostableRelay(set_pin, board.RELAY_ACTIVE, feedback,
                                         board.RELAY_FEEDBACK_ACTIVE)
        rows = [machine.Pin(n, machine.Pin.OPEN_DRAIN, value=1) for n in board.KEYPAD_ROWS]
        cols = [_in(n) for n in board.KEYPAD_COLS]
        self.keypad = Keypad4x4(rows, cols)
        self.button = _in(board.BUTTON, board.NAME.startswith("rp2"))
        self.i2c = machine.I2C(board.I2C_ID, scl=machine.Pin(board.I2C_SCL),
                               sda=machine.Pin(board.I2C_SDA), freq=board.I2C_FREQ)
        self.rtc = DS3231(self.i2c, board.RTC_ADDR)
        if board.INTERNAL_RTC_FALLBACK and board.RTC_ADDR not in self.i2c.scan():
            self.rtc = InternalRTC(machine.RTC())
        self.lcd = Pcf8574Lcd(self.i2c, board.LCD_ADDR, sleep_ms=time.sleep_ms)
        self.s0 = S0Counter(_in(board.S0_PIN), ticks_ms=time.ticks_ms,
                            irq_off=machine.disable_irq, irq_on=machine.enable_irq)
        self.wdt = GuardedWatchdog(timeout_ms=board.WDT_MS)
        self.fs = BoardFS()
        self.storage_ok = storage_ok
        jumper = _in(board.TEST_JUMPER, board.NAME.startswith("rp2"))
        self.test_mode = board.TEST_MODE or jumper.value() == 0

    def ticks_ms(self):
        return time.ticks_ms()

    def watchdog_reset(self):
        """True when the watchdog reset the MCU (logged at boot as WATCHDOG_RESET)."""
        return machine.reset_cause() == machine.WDT_RESET
