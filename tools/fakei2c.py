"""Fake I2C bus (machine.I2C look-alike, bus faults, scan) and a register-map device base."""

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
