"""The emulated-chip tier: the deployed firmware on the stock MicroPython UF2 in rp2040js
(tools/emu/).  Skips (loudly, in `make emutest`) where ../shared/rp2040/ is absent."""
import os
import sys

import pytest

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _p in (os.path.join(_ROOT, "tools", "emu"), os.path.join(_ROOT, "tools"),
           os.path.join(_ROOT, "firmware"), os.path.join(_ROOT, "tools", "cpython_shim")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import board as emu  # noqa: E402

START = "2026-11-30T09:00:00Z"       # a Monday morning: an ordinary working day


def _need_rom():
    uf2, why = emu.find_rom()
    if uf2 is None:
        pytest.skip("EMULATED RP2040 TIER SKIPPED: %s" % why)


@pytest.fixture
def make_board():
    """-> factory(**EmulatedBoard kwargs) of booted boards, closed after the test."""
    _need_rom()
    made = []

    def make(**kw):
        kw.setdefault("start", START)
        b = emu.EmulatedBoard(**kw)
        made.append(b)
        return b

    yield make
    for b in made:
        b.close()


@pytest.fixture
def board(make_board):
    b = make_board()
    b.boot_until_ready()
    return b


@pytest.fixture
def make_board_pty():
    """-> factory(**EmulatedBoard kwargs) -> the path of a pty behind which an emulated board
    (test jumper fitted unless jumper=False) runs; for mpremote, tools/deploy.py,
    tools/provision.py.  Served until the end of the test."""
    _need_rom()
    import emu_pty
    servers = []

    def make(**kw):
        kw.setdefault("start", START)
        b = emu.EmulatedBoard(**kw)
        # as a technician waits for the meter to come up before running mpremote: a Ctrl-C
        # sent while main.py still boots (kbd_intr(-1) until the jumper is read) is plain text
        b.boot_until_ready()
        b.rx = bytearray()
        server = emu_pty.PtyBoard(b)
        servers.append(server)
        server.start()
        return server.path

    yield make
    for s in servers:
        s.stop()


@pytest.fixture
def board_pty(make_board_pty):
    """-> the pty path of a provisioned emulated board with the test jumper fitted."""
    return make_board_pty()
