"""tools/provision.py against a fake board: its files through a stand-in for mpremote
(host_tests/fakeboard/mpremote_fake.py, the same command lines mpremote gets), its console on
a real pty (pyserial opens it as it opens /dev/ttyACM0) answered by the simulator's app, built
from the identity and configuration files on the fake flash at every reset.

The port is a parameter: `board_pty` can be swapped for an emulated board's pty (issue 11,
item 3) without changing the tests."""
import json
import os
import select
import subprocess
import sys
import threading
import tty

import pytest

import provision
import sim
from meter.app import App
from meter.core import calendar
from meter.core import isotime
from meter.core.config import Config
from meter.core.token import derive_meter_key

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FAKE_MPREMOTE = os.path.join(HERE, "fakeboard", "mpremote_fake.py")
START = "2026-11-28T12:00:00Z"
UTILITY_KEY = bytes(range(32))            # a test key: never the development key
SERIAL = 20260042


class BoardSim(sim.Simulator):
    """The simulator's meter, but as a board builds it: identity and configuration read from
    the flash files, no test mode."""

    def _new_app(self):
        serial, key, cfg = 0, b"", {}
        try:
            with open(os.path.join(self.state_dir, "data", "identity.json")) as f:
                ident = json.load(f)
            serial, key = int(ident["serial"]), bytes.fromhex(ident["meter_key"])
        except (OSError, ValueError, KeyError):
            pass
        try:
            with open(os.path.join(self.state_dir, "config.json")) as f:
                cfg = json.load(f)
        except (OSError, ValueError):
            pass
        return App(self.hw, Config(cfg), serial=serial, meter_key=key, board="fake-board",
                   test_mode=False, build_minute=self.build_minute)


class PtyBoard:
    """The board's USB console on a pty: lines in, the app's JSON lines out.  A reset (the
    fake mpremote counts them in ../resets) boots the app again from the flash files."""

    def __init__(self, root):
        self.root = root
        self.flash = os.path.join(root, "flash")
        os.makedirs(self.flash, exist_ok=True)
        self.master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.port = os.ttyname(self._slave)
        self.lines = []
        self._resets = None
        self._boot()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _boot(self):
        self.sim = BoardSim(isotime.parse_iso_utc(START), {}, self.flash)

    def _check_reset(self):
        path = os.path.join(self.root, "resets")
        resets = open(path).read() if os.path.exists(path) else None
        if resets != self._resets:
            self._resets = resets
            if resets is not None:
                self._boot()

    def _serve(self):
        buf = b""
        while not self._stop.is_set():
            self._check_reset()
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            buf += os.read(self.master, 1024)
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                line = line.strip()
                if not line:
                    continue
                self._check_reset()          # a reset happened before this line was sent
                self.lines.append(line.decode())
                reply = self.sim.handle(line.decode())
                os.write(self.master, reply.encode() + b"\n")

    def close(self):
        self._stop.set()
        self._thread.join(5)
        os.close(self.master)
        os.close(self._slave)


@pytest.fixture
def board_pty(tmp_path):
    board = PtyBoard(str(tmp_path))
    yield board
    board.close()


def _run(board, *args, env=None, key_file=None, at=START):
    e = dict(os.environ)
    e["FAKE_BOARD_DIR"] = board.flash
    e.pop(provision.KEY_ENV, None)
    e.update(env or {})
    cmd = [sys.executable, os.path.join(ROOT, "tools", "provision.py"), "--port", board.port,
           "--mpremote", FAKE_MPREMOTE, "--at", at, "--wait", "10"] + list(args)
    if key_file is not None:
        cmd += ["--utility-key-file", key_file]
    # the fake mpremote is a script: run it with this Python
    wrapper = os.path.join(board.root, "mpremote")
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\nexec %s %s \"$@\"\n" % (sys.executable, FAKE_MPREMOTE))
    os.chmod(wrapper, 0o755)
    cmd[cmd.index(FAKE_MPREMOTE)] = wrapper
    return subprocess.run(cmd, capture_output=True, text=True, env=e, timeout=120)


def _key_file(tmp_path, text=None):
    path = tmp_path / "utility.key"
    path.write_text(UTILITY_KEY.hex() + "\n" if text is None else text)
    return str(path)


def test_provisions_identity_config_and_time(board_pty, tmp_path):
    cfg = tmp_path / "meter.json"
    cfg.write_text(json.dumps({"emergency_amount": 500}))
    proc = _run(board_pty, "--serial", str(SERIAL), "--config", str(cfg),
                key_file=_key_file(tmp_path))
    assert proc.returncode == 0, proc.stderr
    with open(os.path.join(board_pty.flash, "data", "identity.json")) as f:
        ident = json.load(f)
    assert ident == {"serial": SERIAL,
                     "meter_key": derive_meter_key(UTILITY_KEY, SERIAL).hex()}
    with open(os.path.join(board_pty.flash, "config.json")) as f:
        assert json.load(f) == {"emergency_amount": 500}
    app = board_pty.sim.app
    assert app.serial == SERIAL and app.cfg.emergency_amount == 500
    assert app.meter.clock.trusted
    assert [ln.split()[0] for ln in board_pty.lines] == ["info", "token", "info"]
    assert "provisioned: serial %d" % SERIAL in proc.stdout
    # the key never appears on a command line: not in what mpremote was given
    log = open(os.path.join(board_pty.root, "mpremote.log")).read()
    assert UTILITY_KEY.hex() not in log and derive_meter_key(UTILITY_KEY, SERIAL).hex() not in log


def test_key_from_the_environment(board_pty):
    proc = _run(board_pty, "--serial", str(SERIAL), env={provision.KEY_ENV: UTILITY_KEY.hex()})
    assert proc.returncode == 0, proc.stderr
    assert board_pty.sim.app.serial == SERIAL


def test_refuses_a_provisioned_board_unless_forced(board_pty, tmp_path):
    key = _key_file(tmp_path)
    assert _run(board_pty, "--serial", str(SERIAL), key_file=key).returncode == 0
    before = open(os.path.join(board_pty.flash, "data", "identity.json")).read()
    resets = open(os.path.join(board_pty.root, "resets")).read()
    proc = _run(board_pty, "--serial", "20260043", key_file=key)
    assert proc.returncode == 3 and "already provisioned (serial %d" % SERIAL in proc.stderr
    # mpremote stopped the app to look: the board is reset so that the meter runs on
    assert int(open(os.path.join(board_pty.root, "resets")).read()) == int(resets) + 1
    assert open(os.path.join(board_pty.flash, "data", "identity.json")).read() == before
    # a later minute: the replay memory on the flash remembers the first set-time token
    proc = _run(board_pty, "--serial", "20260043", "--force", key_file=key,
                at="2026-11-28T12:05:00Z")
    assert proc.returncode == 0, proc.stderr
    assert board_pty.sim.app.serial == 20260043


def test_no_key_a_bad_key_or_a_bad_config_change_nothing(board_pty, tmp_path):
    proc = _run(board_pty, "--serial", str(SERIAL))
    assert proc.returncode == 1 and "no utility key" in proc.stderr
    proc = _run(board_pty, "--serial", str(SERIAL), key_file=_key_file(tmp_path, "abc\n"))
    assert proc.returncode == 1 and "64 hex digits" in proc.stderr
    cfg = tmp_path / "bad.json"
    cfg.write_text(json.dumps({"no_such_setting": 1}))
    proc = _run(board_pty, "--serial", str(SERIAL), "--config", str(cfg),
                key_file=_key_file(tmp_path))
    assert proc.returncode == 1 and "not a valid meter configuration" in proc.stderr
    assert not os.path.exists(os.path.join(board_pty.flash, "data", "identity.json"))
    assert board_pty.lines == []


def test_a_production_board_without_the_jumper_is_not_reachable(board_pty, tmp_path):
    proc = _run(board_pty, "--serial", str(SERIAL), key_file=_key_file(tmp_path),
                env={"FAKE_BOARD_LOCKED": "1"})
    assert proc.returncode == 1 and "maintenance jumper" in proc.stderr


def test_a_key_on_the_command_line_is_refused(board_pty):
    proc = _run(board_pty, "--serial", str(SERIAL), "--key", UTILITY_KEY.hex())
    assert proc.returncode == 2


@pytest.mark.skipif(not os.environ.get("PROVISION_TEST_PORT"),
                    reason="PROVISION_TEST_PORT (a board or an emulated board's pty in "
                           "maintenance mode) not given")
def test_provisions_a_real_or_emulated_board(tmp_path):
    """The same tool with the real mpremote against a board the integrator points at, e.g.
    the emulated Pico's pty: PROVISION_TEST_PORT=/dev/pts/N pytest host_tests/test_provision.py.
    The board is overwritten (--force)."""
    port = os.environ["PROVISION_TEST_PORT"]
    key = _key_file(tmp_path)
    cmd = [sys.executable, os.path.join(ROOT, "tools", "provision.py"), "--port", port,
           "--serial", str(SERIAL), "--utility-key-file", key, "--force", "--wait", "60"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "provisioned: serial %d" % SERIAL in proc.stdout
    again = subprocess.run(cmd[:-3] + ["--wait", "60"], capture_output=True, text=True,
                           timeout=600)
    assert again.returncode == 3                     # provisioned now: refused without --force
