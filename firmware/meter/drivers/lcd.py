"""HD44780 character LCD (16x2) behind a PCF8574 I2C backpack (METER.md §2).

Backpack wiring (the common one): P0 = RS, P1 = R/W (always 0: the driver never reads the
busy flag), P2 = E, P3 = backlight transistor, P4-P7 = D4-D7.  Each 4-bit nibble goes out as
two bytes in one I2C write, E high then E low (the LCD latches on the falling edge); at
100 kHz a byte lasts 90 us, longer than any E pulse or ordinary command time (37 us).

Only init() waits (power-on > 40 ms, then the > 4.1 ms / > 100 us steps of the 4-bit reset
sequence, 2 ms after Clear Display), through the injected `sleep_ms` callable (default
time.sleep_ms).  Nothing else sleeps: clear() writes spaces instead of the slow Clear command.

write_line(row, text) pads or truncates text to the width and sends only the characters that
differ from a per-line shadow copy of what the display shows, with one Set-Address command per
run of changed characters.  Characters outside printable ASCII: codes 0-7 are the custom
characters (define_char), the degree sign maps to the ROM's 0xDF, anything else shows '?';
bytes are sent as raw character-ROM codes.

A bus error never raises out of the driver: `ok` turns False and `code` _LCD_ERROR, the shadow
is forgotten, and the next write_line() first runs init() again (a display that lost power
needs it).  While the backpack does not answer, that costs one failed I2C write per call.
"""
from micropython import const

# codes this module gives (meter.core.codes, docs/codes.md), compiled in as constants:
# a board keeps no name for them (issue 11); host_tests/test_codes.py holds each to
# its number in meter.core.codes
_LCD_ERROR = const(64)


_RS = const(0x01)
_E = const(0x04)
_BACKLIGHT = const(0x08)
_CMD_CLEAR = const(0x01)
_CMD_ENTRY_INC = const(0x06)
_CMD_DISPLAY_OFF = const(0x08)
_CMD_DISPLAY_ON = const(0x0C)
_CMD_FUNCTION_4BIT = const(0x20)
_FUNCTION_2LINES = const(0x08)
_CMD_CGRAM = const(0x40)
_CMD_DDRAM = const(0x80)
_SPACE = const(0x20)
_UNKNOWN = const(0x3F)       # '?'
_DEGREE = const(0xDF)        # degree sign in the A00 character ROM


def _default_sleep():
    try:
        from time import sleep_ms
        return sleep_ms
    except ImportError:          # CPython
        import time

        def host_sleep_ms(ms):
            time.sleep(ms / 1000)
        return host_sleep_ms


class Pcf8574Lcd:
    def __init__(self, i2c, addr=0x27, cols=16, rows=2, sleep_ms=None, backlight=True,
                 init=True):
        self.i2c = i2c
        self.addr = addr
        self.cols = cols
        self.rows = rows
        self._sleep = sleep_ms if sleep_ms is not None else _default_sleep()
        self._bl = _BACKLIGHT if backlight else 0
        self._offsets = (0x00, 0x40, cols, 0x40 + cols)
        self._shadow = [bytearray(cols) for _ in range(rows)]
        self._one = bytearray(1)
        self._two = bytearray(2)
        self._four = bytearray(4)
        self.ok = False
        self.code = 0
        if init:
            self.init()

    # --- low level ----------------------------------------------------------------------

    def _nibble(self, value, rs):
        b = (value << 4) | rs | self._bl
        two = self._two
        two[0] = b | _E
        two[1] = b
        self.i2c.writeto(self.addr, two)

    def _send(self, value, rs):
        hi = (value & 0xF0) | rs | self._bl
        lo = ((value << 4) & 0xF0) | rs | self._bl
        four = self._four
        four[0] = hi | _E
        four[1] = hi
        four[2] = lo | _E
        four[3] = lo
        self.i2c.writeto(self.addr, four)

    def _command(self, value):
        self._send(value, 0)

    def _failed(self):
        self.ok = False
        self.code = _LCD_ERROR
        for line in self._shadow:
            for i in range(self.cols):
                line[i] = 0          # unknown: rewrite everything after recovery

    # --- API ------------------------------------------------------------------------------

    def init(self):
        """The HD44780 reset-by-instruction sequence for 4-bit mode; True if it went out."""
        sleep = self._sleep
        try:
            self._one[0] = self._bl          # E low (the PCF8574 powers up with all pins high)
            self.i2c.writeto(self.addr, self._one)
            sleep(50)
            self._nibble(0x03, 0)
            sleep(5)
            self._nibble(0x03, 0)
            sleep(1)
            self._nibble(0x03, 0)
            sleep(1)
            self._nibble(0x02, 0)            # 4-bit interface from here on
            sleep(1)
            self._command(_CMD_FUNCTION_4BIT | (_FUNCTION_2LINES if self.rows > 1 else 0))
            self._command(_CMD_DISPLAY_OFF)
            self._command(_CMD_CLEAR)
            sleep(2)
            self._command(_CMD_ENTRY_INC)
            self._command(_CMD_DISPLAY_ON)
        except OSError:
            self._failed()
            return False
        for line in self._shadow:
            for i in range(self.cols):
                line[i] = _SPACE
        self.ok = True
        self.code = 0
        return True

    def backlight(self, on):
        self._bl = _BACKLIGHT if on else 0
        self._one[0] = self._bl
        try:
            self.i2c.writeto(self.addr, self._one)
        except OSError:
            self._failed()

    def clear(self):
        for row in range(self.rows):
            self.write_line(row, "")

    def write_line(self, row, text):
        """Shows text (str or bytes) on a row; returns True if the display is up to date."""
        if not self.ok and not self.init():
            return False
        shadow = self._shadow[row]
        n = len(text)
        is_str = isinstance(text, str)
        pos = -1
        try:
            for col in range(self.cols):
                if col >= n:
                    c = _SPACE
                elif is_str:
                    c = ord(text[col])
                    if c >= 0x80 or (8 <= c < _SPACE):
                        c = _DEGREE if c == 0xB0 else _UNKNOWN
                else:
                    c = text[col]            # bytes: raw character-ROM codes
                if shadow[col] == c:
                    continue
                if pos != col:
                    self._command(_CMD_DDRAM | (self._offsets[row] + col))
                self._send(c, _RS)
                shadow[col] = c
                pos = col + 1
        except OSError:
            self._failed()
            return False
        return True

    def line(self, row):
        """What the driver believes the row shows (bytes)."""
        return bytes(self._shadow[row])

    def define_char(self, index, pattern):
        """Custom character `index` (0-7) from 8 row bytes (5 low bits each)."""
        if not 0 <= index <= 7 or len(pattern) != 8:
            raise ValueError("custom char")
        try:
            self._command(_CMD_CGRAM | (index << 3))
            for b in pattern:
                self._send(b & 0x1F, _RS)
        except OSError:
            self._failed()
            return False
        return True
