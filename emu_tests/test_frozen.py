"""The production image on the emulated Pico: a UF2 built by `make uf2 BOARD=rp2-pico` (the
firmware frozen in, README "A frozen image"), named by RP2040_FROZEN_UF2.  Skipped, with the
reason, when it is not set: CI builds no MicroPython.

The flash carries only what a factory and provisioning leave (the identity, the first record
and event log, /config.json), no firmware files: on rp2 the filesystem comes before .frozen on
sys.path, so deployed .mpy files would shadow the frozen modules.

  RP2040_FROZEN_UF2=build/rp2-pico.uf2 .venv/bin/python -m pytest -q emu_tests/test_frozen.py
"""
import json
import os
import subprocess
import sys

import pytest

import vend
import board as emu

START = "2026-11-30T09:00:00Z"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def make_frozen(monkeypatch):
    """-> factory(**EmulatedBoard kwargs) of boards running the frozen image, closed after."""
    path = os.environ.get("RP2040_FROZEN_UF2")
    if not path:
        pytest.skip("FROZEN IMAGE TESTS SKIPPED: set RP2040_FROZEN_UF2 to a UF2 built by "
                    "`make uf2 BOARD=rp2-pico MICROPY=...`")
    monkeypatch.setenv("RP2040_UF2", path)
    uf2, rom = emu.find_rom()
    if uf2 is None:
        pytest.skip("FROZEN IMAGE TESTS SKIPPED: %s" % rom)
    made = []

    def make(**kw):
        kw.setdefault("start", START)
        b = emu.EmulatedBoard(rom=(uf2, rom), files={}, **kw)
        made.append(b)
        return b

    yield make
    for b in made:
        b.close()


def test_production_board_boots_answers_info_and_takes_a_keypad_token(make_frozen):
    b = make_frozen(jumper=False)
    info = b.boot_until_ready()
    assert info["ok"] is True and info["board"] == "rp2-pico", info
    assert info["identity_error"] is None and info["config_error"] is None, info
    assert isinstance(info["heap_used"], int), info
    assert b.request("status")["balance"] == 0
    digits = vend.vend_native(["credit", "5.00", "--at", "2026-11-30T09:00:30Z"])
    for key in digits + "#":
        b.press(key)
    b.run(3000)
    st = b.request("status")
    assert st["balance"] == 500 and st["relay"] == "closed", st


PROBE = """import os, sys, json, meter.app, meter.core.token, board
def on_flash(m):
    try:
        os.stat(m.__file__)
        return True
    except OSError:
        return False
bt = sys.modules.get('_boot')
print('PROBE' + json.dumps({'on_flash': [on_flash(m) for m in (meter.app, meter.core.token, board)],
    'boot': type(bt).__name__, 'mounted': getattr(bt, 'mounted', None), 'root': sorted(os.listdir('/'))}))
"""


def test_the_meter_runs_from_the_frozen_modules_with_our_boot(make_frozen):
    b = make_frozen(jumper=True)            # the jumper: Ctrl-C gives the REPL
    b.boot_until_ready()
    b.rx = bytearray()
    b.send(b"\x03\x03")
    assert b.wait_for(b">>>", 5000), bytes(b.rx)
    b.rx = bytearray()
    b.send(b"\x05")                         # paste mode
    b.run(100)
    b.send(PROBE.replace("\n", "\r").encode() + b"\x04")
    assert b.wait_for(b"PROBE{", 5000), bytes(b.rx)
    b.run(300)
    text = bytes(b.rx).decode(errors="replace")
    probe = json.loads("{" + text.split("PROBE{", 1)[1].splitlines()[0])
    # the app, the core and the board file come from the image, not from the filesystem
    assert probe["on_flash"] == [False, False, False], probe
    # our frozen _boot.py ran as the boot code (the port's own publishes nothing) and mounted "/"
    assert probe["boot"] == "_Published" and probe["mounted"] is True, probe
    assert "meter" not in probe["root"] and "main.py" not in probe["root"], probe


def test_a_board_fresh_from_erase_gets_a_filesystem_and_keeps_supply_on(make_frozen, tmp_path):
    # the frozen image is all the firmware: on a fully erased flash our _boot makes the
    # filesystem, and the meter runs without a key (no cut) until it is provisioned
    img = tmp_path / "erased.img"
    img.write_bytes(b"\xff" * (emu.FS_BLOCKS * emu.FS_BLOCK))
    b = make_frozen(jumper=False, flash_image=str(img))
    info = b.boot_until_ready()
    assert info["ok"] is True and info["identity_error"] == "missing", info
    st = b.request("status")
    assert st["fault"] == "no_key" and st["relay"] == "closed", st
    b.power_cycle()
    assert b.boot_until_ready()["identity_error"] == "missing"


def test_provision_a_frozen_board_fresh_from_erase(make_frozen, tmp_path):
    # the production flow for this image: flash the UF2, fit the jumper, tools/provision.py
    import emu_pty
    img = tmp_path / "erased.img"
    img.write_bytes(b"\xff" * (emu.FS_BLOCKS * emu.FS_BLOCK))
    b = make_frozen(jumper=True, flash_image=str(img))
    b.boot_until_ready()
    b.rx = bytearray()
    server = emu_pty.PtyBoard(b)
    server.start()
    try:
        key_file = tmp_path / "utility.key"
        key_file.write_text(bytes(range(32)).hex() + "\n")
        r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "provision.py"),
                            "--port", server.path, "--serial", "20261202", "--utility-key-file",
                            str(key_file), "--at", "2026-11-30T09:05:00Z", "--wait", "60"],
                           capture_output=True, text=True, timeout=400)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "provisioned: serial 20261202" in r.stdout, r.stdout
        from provision import SerialConsole
        console = SerialConsole(server.path, wait_s=60.0)
        try:
            info = console.request("info")
        finally:
            console.close()
        assert info["serial"] == 20261202 and info["identity_error"] is None, info
    finally:
        server.stop()
