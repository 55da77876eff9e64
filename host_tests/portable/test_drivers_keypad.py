"""4x4 keypad driver (METER.md §2, §7): debounce on change, bounce, ghosts, ring buffer, and no
allocation per scan under MicroPython."""
import gc

from fakehw import FakeKeypadMatrix
from meter.drivers.keypad import Keypad4x4


class _Rig:
    def __init__(self, **kw):
        self.m = FakeKeypadMatrix()
        self.kp = Keypad4x4(self.m.rows, self.m.cols, **kw)
        self.t = 0

    def scans(self, n, step=10):
        for _ in range(n):
            self.kp.scan(self.t)
            self.t += step

    def keys(self):
        out = []
        k = self.kp.get_key()
        while k is not None:
            out.append(k)
            k = self.kp.get_key()
        return "".join(out)


def test_single_key_once_per_press():
    rig = _Rig()
    rig.m.press("5")
    rig.scans(10)
    assert rig.keys() == "5"
    rig.scans(50)                                  # held: no repeat
    assert rig.keys() == ""
    rig.m.release("5")
    rig.scans(5)
    rig.m.press("5")
    rig.scans(5)
    assert rig.keys() == "5"
    assert rig.m.shorts == 0                       # rows are only ever pulled low or released


def test_every_key_maps_to_its_character():
    rig = _Rig()
    out = []
    for ch in "123A456B789C*0#D":
        rig.m.press(ch)
        rig.scans(4)
        rig.m.release(ch)
        rig.scans(4)
        out.append(rig.keys())
    assert "".join(out) == "123A456B789C*0#D"
    assert rig.kp.ghosts == 0


def test_change_needs_two_scans_and_debounce_ms():
    rig = _Rig()
    rig.m.press("1")
    rig.kp.scan(0)
    assert rig.kp.get_key() is None
    rig.kp.scan(10)                                # two scans but only 10 ms
    assert rig.kp.get_key() is None
    rig.kp.scan(20)
    assert rig.kp.get_key() == "1"
    assert rig.kp.is_down("1") and not rig.kp.is_down("2")


def test_one_scan_glitch_is_ignored():
    rig = _Rig()
    rig.m.press("7")
    rig.scans(1)
    rig.m.release("7")
    rig.scans(10)
    assert rig.keys() == ""
    assert rig.kp.stable == 0


def test_bouncing_press_and_release_count_once():
    rig = _Rig()
    for _ in range(5):
        rig.m.press("9", bounce=6)
        rig.scans(12)
        rig.m.release("9", bounce=5)
        rig.scans(12)
    assert rig.keys() == "99999"


def test_fast_scan_rate_still_debounces_by_time():
    rig = _Rig()
    rig.m.press("0", bounce=8)
    rig.scans(40, step=2)                          # 500 Hz scanning
    rig.m.release("0", bounce=8)
    rig.scans(40, step=2)
    assert rig.keys() == "0"


def test_two_keys_in_order_and_together():
    rig = _Rig()
    rig.m.press("#")
    rig.scans(3)
    rig.m.press("1")
    rig.scans(3)
    assert rig.keys() == "#1"
    rig.m.release_all()
    rig.scans(3)
    rig.m.press("D")
    rig.m.press("2")
    rig.scans(3)
    assert rig.keys() == "2D"                      # same scan: index order


def test_ghost_rectangle_is_ignored():
    rig = _Rig()
    for ch in "124":                               # 1,2,4 held: 5 reads as pressed too
        rig.m.press(ch)
        rig.scans(3)
    assert rig.kp.read_raw() & (1 << 5)            # the matrix really shows the ghost
    assert rig.keys() == "12"                      # neither 4 nor the ghost 5
    assert rig.kp.ghosts > 0
    rig.m.release("2")
    rig.scans(3)
    assert rig.keys() == "4"                       # unambiguous again
    assert rig.m.shorts == 0


def test_ring_drops_newest_when_full():
    rig = _Rig(buffer=4)
    for ch in "123456":
        rig.m.press(ch)
        rig.scans(3)
        rig.m.release(ch)
        rig.scans(3)
    assert rig.kp.dropped == 2
    assert rig.keys() == "1234"
    rig.m.press("0")
    rig.scans(3)
    assert rig.keys() == "0"


def test_custom_layout_and_bad_sizes():
    m = FakeKeypadMatrix("abcdefghijklmnop")
    kp = Keypad4x4(m.rows, m.cols, keys="abcdefghijklmnop")
    m.press("g")
    for t in (0, 20, 40):
        kp.scan(t)
    assert kp.get_key() == "g"
    try:
        Keypad4x4(m.rows[:3], m.cols)
        raise AssertionError("3 rows accepted")
    except ValueError:
        pass


def _run_cycle(rig, kp, m):
    m.press("5")
    kp.scan(0)
    kp.scan(20)
    kp.scan(40)
    kp.get_key()
    kp.get_key()
    m.release("5")
    kp.scan(60)
    kp.scan(80)
    kp.scan(100)


def test_scan_allocates_nothing_under_micropython():
    if not hasattr(gc, "mem_alloc"):
        return                                     # CPython: nothing to measure
    rig = _Rig()
    kp = rig.kp
    m = rig.m
    _run_cycle(rig, kp, m)
    gc.collect()
    before = gc.mem_alloc()
    for _ in range(20):
        _run_cycle(rig, kp, m)
    used = gc.mem_alloc() - before
    assert used == 0, used
