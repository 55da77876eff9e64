"""Fake PCF8574 backpack with an HD44780 behind it: decodes the bytes the LCD driver sends."""

class FakePCF8574:
    """PCF8574 I2C port expander wired to an HD44780 (P0 RS, P1 RW, P2 E, P3 backlight,
    P4-P7 D4-D7).  Nibbles are latched on E's falling edge; the controller starts in 8-bit
    mode, so the usual 0x3, 0x3, 0x3, 0x2 sequence brings it to 4-bit mode.

    With a clock it also checks timing: commands before 40 ms after power-up, within 4.1 ms of
    the first function set, or within 1.52 ms of Clear/Home are ignored (as the busy chip
    would) and counted in `violations`."""

    def __init__(self, addr=0x27, cols=16, rows=2, clock=None):
        self.addr = addr
        self.cols = cols
        self.rows = rows
        self.clock = clock
        self.absent = False
        self.nobus = False
        self.port = 0xFF                  # the PCF8574 powers up with all pins high
        self.backlight = True
        self.ddram = bytearray(b" " * 0x80)
        self.cgram = bytearray(64)
        self.eight_bit = True
        self.two_lines = False
        self.display_on = False
        self.cursor = False
        self.blink = False
        self.increment = True
        self.shift_on_write = False
        self.shift = 0
        self.addr_counter = 0
        self.in_cgram = False
        self.commands = 0
        self.data_writes = 0
        self.violations = 0
        self.bytes = 0
        self._high = -1                   # first nibble of a 4-bit transfer, -1 if none
        self._busy_until = (clock.ms + 40) if clock is not None else 0
        self._first_function_set = True

    # I2C device side
    def writeto(self, data):
        for b in data:
            self._port(b)

    def read(self, memaddr, buf):
        for i in range(len(buf)):
            buf[i] = self.port

    def readfrom_into(self, buf):
        self.read(0, buf)

    def write(self, memaddr, data):
        self._port(memaddr)
        self.writeto(data)

    def _port(self, b):
        self.bytes += 1
        old = self.port
        self.port = b
        self.backlight = bool(b & 0x08)
        if old & 0x04 and not b & 0x04 and not b & 0x02:
            self._nibble(b >> 4, b & 0x01)

    def _nibble(self, n, rs):
        if self.eight_bit:
            self._execute(n << 4, rs)       # D0-D3 are not wired: they read 0
            return
        if self._high < 0:
            self._high = n
            return
        value = (self._high << 4) | n
        self._high = -1
        self._execute(value, rs)

    def _now(self):
        return self.clock.ms if self.clock is not None else 0

    def _execute(self, value, rs):
        now = self._now()
        if self.clock is not None and now < self._busy_until and (rs or value):
            self.violations += 1
            return
        if rs:
            self._data(value)
            return
        if value == 0:
            return                  # not an instruction (E falling as the expander powers up)
        self.commands += 1
        if value & 0x80:
            self.addr_counter = value & 0x7F
            self.in_cgram = False
        elif value & 0x40:
            self.addr_counter = value & 0x3F
            self.in_cgram = True
        elif value & 0x20:
            self.eight_bit = bool(value & 0x10)
            if not self.eight_bit:
                self._high = -1
            self.two_lines = bool(value & 0x08)
            if self._first_function_set and self.eight_bit:
                self._first_function_set = False
                self._busy_until = now + 5     # > 4.1 ms
        elif value & 0x10:
            step = 1 if value & 0x04 else -1
            if value & 0x08:
                self.shift = (self.shift - step) % 40
            else:
                self._move(step)
        elif value & 0x08:
            self.display_on = bool(value & 0x04)
            self.cursor = bool(value & 0x02)
            self.blink = bool(value & 0x01)
        elif value & 0x04:
            self.increment = bool(value & 0x02)
            self.shift_on_write = bool(value & 0x01)
        elif value & 0x02:
            self.addr_counter = 0
            self.in_cgram = False
            self.shift = 0
            self._busy_until = now + 2          # > 1.52 ms
        elif value & 0x01:
            for i in range(len(self.ddram)):
                self.ddram[i] = 0x20
            self.addr_counter = 0
            self.in_cgram = False
            self.increment = True
            self.shift = 0
            self._busy_until = now + 2

    def _data(self, value):
        self.data_writes += 1
        if self.in_cgram:
            self.cgram[self.addr_counter & 0x3F] = value
            self.addr_counter = (self.addr_counter + (1 if self.increment else -1)) & 0x3F
            return
        self.ddram[self.addr_counter & 0x7F] = value
        self._move(1 if self.increment else -1)
        if self.shift_on_write:
            self.shift = (self.shift + (1 if self.increment else -1)) % 40

    def _move(self, step):
        a = self.addr_counter + step
        if self.two_lines:
            if a == 0x28:
                a = 0x40
            elif a == 0x68:
                a = 0x00
            elif a == 0x3F:
                a = 0x27
            elif a == -1:
                a = 0x67
        else:
            a %= 0x50
        self.addr_counter = a

    # what a person sees
    def _base(self, row):
        return (0x00, 0x40, self.cols, 0x40 + self.cols)[row]

    def line_bytes(self, row):
        """The character codes shown on a row (display shift applied)."""
        out = bytearray(self.cols)
        if self.two_lines and row < 2:
            for col in range(self.cols):
                out[col] = self.ddram[(row * 0x40) + (col + self.shift) % 40]
        else:
            base = self._base(row)
            for col in range(self.cols):
                out[col] = self.ddram[(base + col) % 0x80]
        return bytes(out)

    def line(self, row):
        """The row as text; blank while the display is off.  0xDF shows as a degree sign,
        custom characters 0-7 as chr(0)-chr(7), other ROM-only glyphs as '?'."""
        if not self.display_on:
            return " " * self.cols
        chars = []
        for c in self.line_bytes(row):
            if c == 0xDF:
                chars.append("\u00b0")
            elif c < 8 or 0x20 <= c < 0x80:
                chars.append(chr(c))
            else:
                chars.append("?")
        return "".join(chars)

    def lines(self):
        return [self.line(r) for r in range(self.rows)]

    def screen(self):
        return "\n".join(self.lines())

    def custom_char(self, index):
        return bytes(self.cgram[index * 8:index * 8 + 8])


# --- keypad matrix ------------------------------------------------------------------------
