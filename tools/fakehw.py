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
"""

_TICKS_MASK = 0x3FFFFFFF


class FakeClock:
    def __init__(self, start_ms=0):
        self.ms = start_ms

    def ticks_ms(self):
        return self.ms & _TICKS_MASK

    def __call__(self):
        return self.ms & _TICKS_MASK

    def advance(self, ms):
        self.ms += ms

    def sleep_ms(self, ms):
        self.ms += ms


# --- pins ---------------------------------------------------------------------------------

class FakePin:
    IN = 0
    OUT = 1
    OPEN_DRAIN = 2
    PULL_UP = 1
    PULL_DOWN = 2
    IRQ_RISING = 1
    IRQ_FALLING = 2

    def __init__(self, id=None, mode=-1, pull=-1, value=None, clock=None, record=True):
        self.id = id
        self.mode = mode
        self.pull = pull
        self.clock = clock
        self.record = record
        self.history = []        # (time ms, value) of every value() write
        self.writes = 0
        self.reads = 0
        self.external = None     # level something outside drives onto the pin (None: nothing)
        self.floating = 0        # what an input reads with nothing driving and no pull
        self.handler = None
        self.trigger = 0
        self.hard = False
        self._out = 1 if value else 0
        self._level = self.level()

    # machine.Pin API
    def value(self, x=None):
        if x is None:
            self.reads += 1
            return self.level()
        self._write(x)

    def __call__(self, x=None):
        return self.value(x)

    def on(self):
        self._write(1)

    def off(self):
        self._write(0)

    def init(self, mode=-1, pull=-1, value=None):
        if mode != -1:
            self.mode = mode
        if pull != -1:
            self.pull = pull
        if value is not None:
            self._out = 1 if value else 0
        self._changed()

    def irq(self, handler=None, trigger=3, hard=False):
        self.handler = handler
        self.trigger = trigger
        self.hard = hard
        return self

    # the fake's side
    def level(self):
        """The electrical level of the pin now."""
        mode = self.mode
        if mode == FakePin.OUT:
            return self._out
        if mode == FakePin.OPEN_DRAIN and self._out == 0:
            return 0
        return self._input_level()

    def _input_level(self):
        if self.external is not None:
            return self.external
        if self.pull == FakePin.PULL_UP:
            return 1
        if self.pull == FakePin.PULL_DOWN:
            return 0
        return self.floating

    def _write(self, x):
        v = 1 if x else 0
        self._out = v
        self.writes += 1
        if self.record:
            self.history.append((self.clock.ms if self.clock is not None else self.writes, v))
        self._changed()

    def drive(self, level):
        """Something outside drives the pin (None: lets go of it); fires the IRQ on an edge."""
        self.external = level
        self._changed()

    def _changed(self):
        old = self._level
        new = self.level()
        self._level = new
        if new == old or self.handler is None:
            return
        edge = FakePin.IRQ_RISING if new else FakePin.IRQ_FALLING
        if self.trigger & edge:
            self.handler(self)

    def out(self):
        """The value last written (what the driver asked for)."""
        return self._out


def active_intervals(pin, active=1):
    """[(start, end or None)] of the times a pin's written value was `active` (from history)."""
    out = []
    start = None
    for t, v in pin.history:
        if v == active and start is None:
            start = t
        elif v != active and start is not None:
            out.append((start, t))
            start = None
    if start is not None:
        out.append((start, None))
    return out


# --- I2C ----------------------------------------------------------------------------------

class FakeI2C:
    """Devices answer at their `addr`; a missing one NACKs (OSError ENODEV, as MicroPython's
    hardware I2C raises); `nobus` makes every transfer fail (OSError EIO)."""

    def __init__(self, *devices):
        self.devices = {}
        self.nobus = False
        self.transactions = 0
        for d in devices:
            self.add(d)

    def add(self, device):
        self.devices[device.addr] = device
        return device

    def _device(self, addr):
        self.transactions += 1
        if self.nobus:
            raise OSError(5)
        d = self.devices.get(addr)
        if d is None or d.absent:
            raise OSError(19)
        if d.nobus:
            raise OSError(5)
        return d

    def scan(self):
        if self.nobus:
            return []
        return sorted([a for a in self.devices if not self.devices[a].absent])

    def readfrom_mem_into(self, addr, memaddr, buf, addrsize=8):
        self._device(addr).read(memaddr, buf)

    def readfrom_mem(self, addr, memaddr, nbytes, addrsize=8):
        buf = bytearray(nbytes)
        self._device(addr).read(memaddr, buf)
        return bytes(buf)

    def writeto_mem(self, addr, memaddr, buf, addrsize=8):
        self._device(addr).write(memaddr, buf)

    def writeto(self, addr, buf, stop=True):
        self._device(addr).writeto(buf)
        return len(buf)

    def readfrom_into(self, addr, buf, stop=True):
        self._device(addr).readfrom_into(buf)

    def readfrom(self, addr, nbytes, stop=True):
        buf = bytearray(nbytes)
        self._device(addr).readfrom_into(buf)
        return bytes(buf)


class FakeRegisterDevice:
    """An I2C device with a register pointer that auto-increments and wraps."""

    def __init__(self, addr, size):
        self.addr = addr
        self.regs = bytearray(size)
        self.pointer = 0
        self.absent = False      # NACKs: OSError on access, missing from scan()
        self.nobus = False       # OSError on every access (stuck bus)
        self.allff = False       # reads 0xFF everywhere (no chip, pulled-up SDA)
        self.reads = 0
        self.writes = 0

    def read(self, memaddr, buf):
        self._sync()
        size = len(self.regs)
        for i in range(len(buf)):
            buf[i] = 0xFF if self.allff else self.read_reg((memaddr + i) % size)
        self.pointer = (memaddr + len(buf)) % size
        self.reads += 1

    def write(self, memaddr, data):
        self._sync()
        size = len(self.regs)
        for i in range(len(data)):
            self.write_reg((memaddr + i) % size, data[i])
        self.pointer = (memaddr + len(data)) % size
        self.writes += 1

    def writeto(self, data):
        if len(data):
            self.write(data[0], memoryview(data)[1:])

    def readfrom_into(self, buf):
        self.read(self.pointer, buf)

    def poke(self, reg, value):
        """Raw register write, bypassing the chip's rules (bad BCD, reserved bits ...)."""
        self._sync()
        self.regs[reg] = value

    # device behaviour
    def _sync(self):
        pass

    def read_reg(self, reg):
        return self.regs[reg]

    def write_reg(self, reg, value):
        self.regs[reg] = value


# --- DS3231 -------------------------------------------------------------------------------

def _bcd(n):
    return (n // 10) << 4 | n % 10


def _unbcd(b):
    return (b >> 4) * 10 + (b & 15)


def _leap(y):
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def _dim(y, m):
    if m == 2:
        return 29 if _leap(y) else 28
    return 30 if m in (4, 6, 9, 11) else 31


def _days(y, m, d):
    """Days since 1970-01-01 (proleptic Gregorian)."""
    if m <= 2:
        y -= 1
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m - 3 if m > 2 else m + 9) + 2) // 5 + d - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


def _civil(z):
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (1 if m <= 2 else 0), m, d


class FakeDS3231(FakeRegisterDevice):
    """DS3231 registers.  A fresh chip (no `when`) reads 2000-01-01 00:00:00 with OSF set, as
    at first power-up.  With a `clock` the time advances with it (whole seconds; writing the
    seconds register restarts the second, as on the chip).  The calendar is Gregorian (the
    real chip would also call 2100 a leap year; the firmware rejects the century bit anyway).

    Faults: fault("osf"), ("stop": oscillator stopped, time frozen, OSF set), ("nobus"),
    ("allff"), ("absent"), ("none": clears the faults but not OSF); poke(reg, value)."""

    def __init__(self, when=None, clock=None, addr=0x68, osf=None):
        FakeRegisterDevice.__init__(self, addr, 0x13)
        self.clock = clock
        self.stopped = False
        self._base_ms = clock.ms if clock is not None else 0
        self.regs[0x0E] = 0x1C                     # INTCN, RS2, RS1: power-on default
        self.regs[0x0F] = 0x08                     # EN32kHz
        self.set_temperature(100)                  # 25.00 C
        if when is None:
            self.set_datetime(2000, 1, 1, 0, 0, 0)
            if osf is None:
                osf = True
        else:
            self.set_datetime(*when)
        if osf:
            self.regs[0x0F] |= 0x80

    # --- the fake's controls ---
    def set_datetime(self, y, mo, d, h, mi, s):
        r = self.regs
        r[0] = _bcd(s)
        r[1] = _bcd(mi)
        r[2] = _bcd(h)
        r[3] = (_days(y, mo, d) + 3) % 7 + 1
        r[4] = _bcd(d)
        r[5] = _bcd(mo) | (0x80 if (y // 100) % 2 else 0)
        r[6] = _bcd(y % 100)
        if self.clock is not None:
            self._base_ms = self.clock.ms

    def datetime(self):
        """(y, mo, d, h, mi, s) as the chip counts, or None if the registers are not a time."""
        self._sync()
        return self._decode()

    def _decode(self):
        r = self.regs
        h = r[2]
        if h & 0x40:
            hour = _unbcd(h & 0x1F) % 12 + (12 if h & 0x20 else 0)
        else:
            hour = _unbcd(h & 0x3F)
        y = 2000 + _unbcd(r[6]) + (100 if r[5] & 0x80 else 0)
        mo = _unbcd(r[5] & 0x1F)
        d = _unbcd(r[4] & 0x3F)
        mi = _unbcd(r[1] & 0x7F)
        s = _unbcd(r[0] & 0x7F)
        if not (1 <= mo <= 12 and 1 <= d <= _dim(y, mo) and hour <= 23 and mi <= 59
                and s <= 59):
            return None
        return y, mo, d, hour, mi, s

    def advance(self, seconds):
        """Runs the chip's clock forward; registers that hold no valid time stay as they are."""
        t = self._decode()
        if t is None or seconds <= 0:
            return
        y, mo, d, h, mi, s = t
        total = h * 3600 + mi * 60 + s + seconds
        days = _days(y, mo, d) + total // 86400
        total %= 86400
        y, mo, d = _civil(days)
        mode12 = self.regs[2] & 0x40
        r = self.regs
        r[0] = _bcd(total % 60)
        r[1] = _bcd(total // 60 % 60)
        hour = total // 3600
        if mode12:
            r[2] = 0x40 | (0x20 if hour >= 12 else 0) | _bcd((hour + 11) % 12 + 1)
        else:
            r[2] = _bcd(hour)
        r[3] = (days + 3) % 7 + 1
        r[4] = _bcd(d)
        r[5] = _bcd(mo) | (0x80 if (y // 100) % 2 else 0)
        r[6] = _bcd(y % 100)

    def set_temperature(self, quarters):
        q = quarters & 0x3FF                       # 10-bit two's complement
        self.regs[0x11] = q >> 2
        self.regs[0x12] = (q & 3) << 6

    @property
    def osf(self):
        return bool(self.regs[0x0F] & 0x80)

    def fault(self, kind):
        if kind == "osf":
            self.regs[0x0F] |= 0x80
        elif kind == "stop":
            self._sync()
            self.stopped = True
            self.regs[0x0F] |= 0x80
        elif kind == "nobus":
            self.nobus = True
        elif kind == "allff":
            self.allff = True
        elif kind == "absent":
            self.absent = True
        elif kind == "none":
            self._sync()
            self.stopped = False
            self.nobus = False
            self.allff = False
            self.absent = False
        else:
            raise ValueError(kind)

    # --- chip behaviour ---
    def _sync(self):
        clock = self.clock
        if clock is None:
            return
        whole = (clock.ms - self._base_ms) // 1000
        if whole <= 0:
            return
        self._base_ms += whole * 1000
        if not self.stopped:
            self.advance(whole)

    _WRITABLE = (0x7F, 0x7F, 0x7F, 0x07, 0x3F, 0x9F, 0xFF)

    def write_reg(self, reg, value):
        r = self.regs
        if reg <= 6:
            r[reg] = value & FakeDS3231._WRITABLE[reg]
            if reg == 0 and self.clock is not None:
                self._base_ms = self.clock.ms          # the countdown chain restarts
        elif reg == 0x0F:
            old = r[0x0F]
            # OSF, A2F, A1F can only be cleared; BSY is read-only; bits 6-4 read 0
            r[0x0F] = (old & value & 0x83) | (value & 0x08) | (old & 0x04)
        elif reg == 0x11 or reg == 0x12:
            pass                                       # temperature is read-only
        else:
            r[reg] = value


# --- PCF8574 + HD44780 --------------------------------------------------------------------

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

class _MatrixRow(FakePin):
    def __init__(self, matrix, index):
        FakePin.__init__(self, id="row%d" % index, mode=FakePin.OPEN_DRAIN, value=1,
                         record=False)
        self.matrix = matrix
        self.index = index

    def value(self, x=None):
        if x is None:
            self.reads += 1
            return self.level()
        self._out = 1 if x else 0
        self.writes += 1
        if not x:
            self.matrix._row_pulled(self.index)


class _MatrixCol(FakePin):
    def __init__(self, matrix, index):
        FakePin.__init__(self, id="col%d" % index, mode=FakePin.IN, pull=FakePin.PULL_UP,
                         record=False)
        self.matrix = matrix
        self.index = index

    def value(self, x=None):
        if x is not None:
            return
        self.reads += 1
        return self.matrix._col_level(self.index)


class FakeKeypadMatrix:
    """Rows (`rows`, open-drain outputs) and columns (`cols`, pulled-up inputs) of a 4x4
    keypad without diodes.  A column reads 0 when it connects, through closed contacts, to a
    row pulled low; a released row (high-Z) conducts too, which makes the ghost keys of real
    matrices.  A push-pull row driven high and connected to a low one counts in `shorts`.

    press(key, bounce=n): the contact flickers for the next n times its row is pulled low
    (one per scan) before it stays closed; release(key, bounce=n) likewise."""

    def __init__(self, keys="123A456B789C*0#D"):
        self.keys = keys
        self.rows = tuple(_MatrixRow(self, i) for i in range(4))
        self.cols = tuple(_MatrixCol(self, i) for i in range(4))
        self.pressed = 0          # bitmap of keys held (bit row*4+col)
        self.contact = 0          # bitmap of contacts closed right now
        self.shorts = 0
        self._bounce = bytearray(16)

    def _bit(self, key):
        i = self.keys.find(key)
        if i < 0:
            raise ValueError(key)
        return i

    def press(self, key, bounce=0):
        i = self._bit(key)
        self.pressed |= 1 << i
        self._bounce[i] = bounce
        if not bounce:
            self.contact |= 1 << i

    def release(self, key, bounce=0):
        i = self._bit(key)
        self.pressed &= ~(1 << i)
        self._bounce[i] = bounce
        if not bounce:
            self.contact &= ~(1 << i)

    def release_all(self):
        self.pressed = 0
        self.contact = 0
        for i in range(16):
            self._bounce[i] = 0

    def _row_pulled(self, r):
        for c in range(4):
            i = r * 4 + c
            n = self._bounce[i]
            if n:
                n -= 1
                self._bounce[i] = n
                if n == 0:
                    self.contact = (self.contact & ~(1 << i)) | (self.pressed & (1 << i))
                else:
                    self.contact ^= 1 << i

    def _col_level(self, c):
        low_rows = 0
        high_rows = 0
        for r in range(4):
            pin = self.rows[r]
            if pin._out == 0 and (pin.mode == FakePin.OPEN_DRAIN or pin.mode == FakePin.OUT):
                low_rows |= 1 << r
            elif pin._out and pin.mode == FakePin.OUT:
                high_rows |= 1 << r
        contact = self.contact
        low_cols = 0
        while True:
            for r in range(4):
                if low_rows & (1 << r):
                    low_cols |= (contact >> (4 * r)) & 15
            rows = low_rows
            for r in range(4):
                if (contact >> (4 * r)) & low_cols:
                    rows |= 1 << r
            if rows == low_rows:
                break
            low_rows = rows
        if high_rows & low_rows:
            self.shorts += 1
        return 0 if low_cols & (1 << c) else 1


# --- watchdog and internal RTC ------------------------------------------------------------

class FakeWDT:
    """machine.WDT on a FakeClock: `fired` once the clock passes the last feed + timeout
    (checked on every feed() and fired() call); a fired watchdog stays fired, as the board
    would have reset.  make = FakeWDT.factory(clock) gives a factory(timeout_ms)."""

    def __init__(self, clock, timeout=5000, id=0):
        self.clock = clock
        self.timeout = timeout
        self.feeds = 0
        self.fired_at = None
        self._last = clock.ms

    def fired(self):
        if self.fired_at is None and self.clock.ms - self._last > self.timeout:
            self.fired_at = self._last + self.timeout
        return self.fired_at is not None

    def feed(self):
        if self.fired():
            return
        self._last = self.clock.ms
        self.feeds += 1

    @staticmethod
    def factory(clock):
        return _WdtFactory(clock)


class _WdtFactory:
    """Called as factory(timeout_ms) like the driver's default; keeps what it made."""

    def __init__(self, clock):
        self.clock = clock
        self.made = []

    def __call__(self, timeout_ms):
        w = FakeWDT(self.clock, timeout_ms)
        self.made.append(w)
        return w


class FakeMachineRTC:
    """machine.RTC: datetime() -> (y, mo, d, weekday, h, mi, s, subsec); datetime(t) sets.
    Starts at 2021-01-01 00:00:00 like the rp2 port after a reset."""

    def __init__(self):
        self.value = (2021, 1, 1, 4, 0, 0, 0, 0)
        self.fail = False

    def datetime(self, t=None):
        if self.fail:
            raise OSError(5)
        if t is None:
            return self.value
        self.value = tuple(t)
