"""firmware/main.py and meter/boardhw.py on a fake `machine` module (tools/fake*.py devices):
the maintenance jumper, Ctrl-C, test mode, the watchdog and storage as main.py decides them."""
import importlib.util
import json
import os
import sys
import types

import pytest

import fakehw
import micropython as shim

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class FakeMachine(types.ModuleType):
    """`machine` for boardhw: pins by number (shared, so a test can fit the jumper), one I2C
    bus with a DS3231 and the LCD backpack, WDT, RTC."""

    def __init__(self, clock, jumper_pin=None, float_low=(), counter=False):
        types.ModuleType.__init__(self, "machine")
        self.clock = clock
        self.pins = {}
        self.chip = fakehw.FakeDS3231(when=(2026, 11, 30, 9, 0, 0), clock=clock, osf=False)
        self.lcd_chip = fakehw.FakePCF8574()
        self.wdts = []
        machine = self

        class Pin(fakehw.FakePin):
            def __init__(self, n, mode=-1, pull=-1, value=None):
                fakehw.FakePin.__init__(self, n, mode, pull, value, clock=clock)
                self.floating = 0 if n in float_low else 1
                if n == jumper_pin:
                    self.external = 0          # the jumper ties the pin to GND
                self._level = self.level()
                machine.pins[n] = self

        self.Pin = Pin
        self.I2C = lambda *a, **kw: fakehw.FakeI2C(machine.chip, machine.lcd_chip)
        self.RTC = fakehw.FakeMachineRTC

        def WDT(timeout=5000):
            w = fakehw.FakeWDT(clock, timeout)
            machine.wdts.append(w)
            return w
        self.WDT = WDT
        if counter:
            class Counter:
                """machine.Counter on the ESP32 (PCNT): counts falling edges of its pin."""
                FALLING = 2
                made = []

                def __init__(self, id, src, edge=1, filter_ns=0):
                    self.id, self.src, self.edge, self.filter_ns = id, src, edge, filter_ns
                    self.count = 0
                    Counter.made.append(self)
                    src.irq(handler=self._edge, trigger=fakehw.FakePin.IRQ_FALLING)

                def _edge(self, pin):
                    self.count += 1

                def value(self):
                    return self.count
            self.Counter = Counter
        self.disable_irq = lambda: 0
        self.enable_irq = lambda state: None
        self.reset = lambda: None
        self.PWRON_RESET, self.WDT_RESET = 1, 3
        self.reset_cause = lambda: self.PWRON_RESET


def _board_module(name):
    spec = importlib.util.spec_from_file_location("board", os.path.join(ROOT, "boards",
                                                                          name + ".py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture
def firmware(monkeypatch, tmp_path):
    """firmware(board_name, jumper=False, config=None) -> (meter.boardstart, app, console, hw,
    machine), main.py run first (its Ctrl-C switch); files (/config.json, /data/identity.json) live under tmp_path."""
    def load(board_name, jumper=False, config=None, float_low=(), counter=False):
        clock = fakehw.FakeClock(1000)
        board = _board_module(board_name)
        machine = FakeMachine(clock, board.TEST_JUMPER if jumper else None, float_low, counter)
        monkeypatch.setitem(sys.modules, "machine", machine)
        monkeypatch.setitem(sys.modules, "board", board)
        for name in ("meter.boardhw", "_boot"):
            monkeypatch.delitem(sys.modules, name, raising=False)
        time_mod = types.ModuleType("time")
        time_mod.sleep_ms = clock.sleep_ms
        time_mod.ticks_ms = clock.ticks_ms
        import meter.boardhw
        import meter.storage
        monkeypatch.setattr(meter.boardhw, "time", time_mod)
        if config is not None:
            (tmp_path / "config.json").write_text(json.dumps(config))
        real_open = open

        def board_open(path, *a, **kw):
            if isinstance(path, str) and path.startswith("/"):
                path = str(tmp_path) + path
            return real_open(path, *a, **kw)
        spec = importlib.util.spec_from_file_location("main_under_test",
                                                      os.path.join(ROOT, "firmware", "main.py"))
        main = importlib.util.module_from_spec(spec)
        shim.kbd_intr_char = 3
        spec.loader.exec_module(main)              # not __main__: defines, does not run
        from dirfs import DirFS
        monkeypatch.setattr(meter.boardhw, "BoardFS", lambda: DirFS(str(tmp_path)))
        monkeypatch.delitem(sys.modules, "meter.boardstart", raising=False)
        from meter import boardstart                # what main() builds the meter with
        monkeypatch.setattr(boardstart, "open", board_open, raising=False)
        app, console, hw = boardstart.start(board, storage=(True, False))
        return boardstart, app, console, hw, machine
    return load


@pytest.mark.parametrize("board_name", ["rp2-pico", "rp2-pico-w", "esp32-devkitc"])
def test_production_board_disables_ctrl_c_and_has_no_test_mode(firmware, board_name):
    main, app, console, hw, machine = firmware(board_name)
    assert shim.kbd_intr_char == -1
    assert not app.test_mode and not hw.maintenance
    out = json.loads(console.handle("protect medical on"))
    assert out == {"ok": False, "error": "protect: test mode is off"}
    out = json.loads(console.handle("rtc set 2030-01-01T00:00:00Z"))
    assert out["ok"] is False


@pytest.mark.parametrize("board_name", ["rp2-pico", "esp32-devkitc"])
def test_test_mode_in_the_configuration_alone_gives_nothing(firmware, board_name):
    main, app, console, hw, machine = firmware(board_name, config={"test_mode": True})
    assert not app.test_mode
    assert json.loads(console.handle("protect medical on"))["ok"] is False
    assert shim.kbd_intr_char == -1


@pytest.mark.parametrize("board_name", ["rp2-pico", "esp32-devkitc"])
def test_the_jumper_opens_test_mode_and_ctrl_c(firmware, board_name):
    main, app, console, hw, machine = firmware(board_name, jumper=True)
    assert app.test_mode and hw.maintenance and shim.kbd_intr_char == 3
    assert json.loads(console.handle("protect medical on"))["ok"] is True


def test_esp32_jumper_pin_has_an_internal_pull_up_and_a_floating_pin_fails_closed(firmware):
    # the jumper pin is asked for its pull-up: a pin that would float low without it is off
    board = _board_module("esp32-devkitc")
    main, app, console, hw, machine = firmware("esp32-devkitc",
                                               float_low=(board.TEST_JUMPER,))
    assert not app.test_mode
    assert machine.pins[board.TEST_JUMPER].pull == fakehw.FakePin.PULL_UP


def test_esp32_pins_avoid_psram_and_never_ask_input_only_pins_for_pulls(firmware):
    main, app, console, hw, machine = firmware("esp32-devkitc")
    for n, pin in machine.pins.items():
        assert n not in (6, 7, 8, 9, 10, 11, 16, 17), n     # SPI flash, WROVER PSRAM
        if isinstance(n, int) and 34 <= n <= 39:
            assert pin.mode == fakehw.FakePin.IN and pin.pull in (-1, None), (n, pin.pull)
    # no hard IRQ on this port's Pin.irq
    board = _board_module("esp32-devkitc")
    assert not machine.pins[board.S0_PIN].hard


def test_main_never_imports_boot(firmware, monkeypatch):
    # a stock port's _boot (deployed .mpy files) is frozen, not in sys.modules: importing it
    # from main.py would run it again and mount "/" a second time
    ran = []
    boot = types.ModuleType("_boot")
    main, app, console, hw, machine = firmware("rp2-pico")

    class Finder:
        def find_spec(self, name, path=None, target=None):
            if name == "_boot":
                ran.append(name)
            return None
    monkeypatch.setattr(sys, "meta_path", [Finder()] + sys.meta_path)
    vfs = types.ModuleType("vfs")
    mounts = [(object(), "/")]
    vfs.mount = lambda *a: mounts if not a else mounts.append((a[0], a[1]))
    monkeypatch.setitem(sys.modules, "vfs", vfs)
    assert main.storage_state() == (True, False)
    assert ran == [] and len(mounts) == 1
    # our frozen _boot publishes itself: main reads that, formatted included
    boot.mounted = True
    boot.formatted = True
    monkeypatch.setitem(sys.modules, "_boot", boot)
    assert main.storage_state() == (True, True)
    del mounts[:]
    monkeypatch.delitem(sys.modules, "_boot")
    assert main.storage_state() == (False, False)


def test_maintenance_board_runs_without_a_watchdog(firmware):
    from fakeloop import FakeLoop
    main, app, console, hw, machine = firmware("rp2-pico", jumper=True)
    loop = FakeLoop(machine.clock).install()
    try:
        # what main() passes: no watchdog with the jumper
        loop.spawn(app.run(keypad=hw.keypad, wdt=None if hw.test_mode else hw.wdt,
                           button=hw.button))
        loop.run_for(20000)
    finally:
        loop.remove()
    assert machine.wdts == []
    main, app, console, hw, machine = firmware("rp2-pico")
    loop = FakeLoop(machine.clock).install()
    try:
        loop.spawn(app.run(keypad=hw.keypad, wdt=hw.wdt, button=hw.button))
        loop.run_for(20000)
    finally:
        loop.remove()
    assert len(machine.wdts) == 1 and not machine.wdts[0].fired()


def test_the_reconnect_button_is_read(firmware):
    from fakeloop import FakeLoop
    main, app, console, hw, machine = firmware("rp2-pico")
    board = sys.modules["board"]
    presses = []
    app.button = lambda now_ms=None: presses.append(machine.clock.ms)
    loop = FakeLoop(machine.clock).install()
    try:
        loop.spawn(app.run(keypad=hw.keypad, wdt=hw.wdt, button=hw.button))
        loop.run_for(1000)
        machine.pins[board.BUTTON].drive(0)
        loop.run_for(300)
        machine.pins[board.BUTTON].drive(1)
        loop.run_for(1000)
    finally:
        loop.remove()
    assert len(presses) == 1


def test_esp32_counts_s0_with_the_pcnt_hardware_counter(firmware):
    main, app, console, hw, machine = firmware("esp32-devkitc", counter=True)
    board = sys.modules["board"]
    assert len(machine.Counter.made) == 1
    unit = machine.Counter.made[0]
    assert unit.id == board.S0_COUNTER and unit.edge == machine.Counter.FALLING
    assert unit.src is machine.pins[board.S0_PIN]
    for _ in range(5):
        unit.src.drive(0)
        unit.src.drive(1)
    assert hw.s0.take() == 5 and hw.s0.take() == 0
    # a port without machine.Counter (before 1.27): the soft pin IRQ
    main, app, console, hw, machine = firmware("esp32-devkitc")
    assert type(hw.s0).__name__ == "S0Counter"
