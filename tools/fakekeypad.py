"""Fake 4x4 key matrix wired to FakePins."""

from fakepins import FakePin


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
