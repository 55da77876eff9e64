"""The real host tools against the emulated board behind a pty: mpremote and `make deploy`
(tools/deploy.py).  The board has the test jumper fitted (maintenance), as a technician's
board on the bench would."""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MPREMOTE = os.path.join(os.path.dirname(sys.executable), "mpremote")


def _mpremote(port, *args, timeout=240):
    return subprocess.run([MPREMOTE, "connect", port] + list(args), capture_output=True,
                          text=True, timeout=timeout)


def _wait_until_the_app_answers(port):
    from provision import SerialConsole
    console = SerialConsole(port, wait_s=120.0)
    try:
        assert "serial" in console.request("info")
    finally:
        console.close()


def test_mpremote_runs_code_and_lists_the_flash(board_pty):
    r = _mpremote(board_pty, "exec", "import sys; print('PLATFORM', sys.platform)")
    assert r.returncode == 0, r.stderr
    assert "PLATFORM rp2" in r.stdout
    r = _mpremote(board_pty, "fs", "ls", ":")
    assert r.returncode == 0, r.stderr
    assert "main.py" in r.stdout and "meter/" in r.stdout


def test_make_deploy_copies_only_what_changed(board_pty):
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "build_firmware.py"),
                    "rp2-pico"], check=True, capture_output=True)
    first = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "deploy.py"),
                            "rp2-pico", board_pty], capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "copying" in first.stdout
    # deploy ends with a reset: the technician's next command comes once the meter is up again
    # (until main.py has read the jumper, a Ctrl-C is plain text and mpremote would wait)
    _wait_until_the_app_answers(board_pty)
    second = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "deploy.py"),
                             "rp2-pico", board_pty], capture_output=True, text=True,
                            timeout=600)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "copying 0 of" in second.stdout, second.stdout


UTILITY_KEY = bytes(range(32))
SERIAL = 20261201


def _provision(port, key_file, *extra):
    return subprocess.run([sys.executable, os.path.join(ROOT, "tools", "provision.py"),
                           "--port", port, "--serial", str(SERIAL), "--utility-key-file",
                           key_file, "--at", "2026-11-30T09:05:00Z", "--wait", "60"]
                          + list(extra), capture_output=True, text=True, timeout=400)


def test_provision_a_fresh_board_then_refuse_it_without_force(make_board_pty, tmp_path):
    port = make_board_pty(identity=False, provisioned=False)
    key_file = tmp_path / "utility.key"
    key_file.write_text(UTILITY_KEY.hex() + "\n")
    first = _provision(port, str(key_file))
    assert first.returncode == 0, first.stdout + first.stderr
    assert "provisioned: serial %d" % SERIAL in first.stdout, first.stdout
    assert "time set to 2026-11-30T09:05:00Z" in first.stdout, first.stdout
    # what the board itself holds now, read back with mpremote
    r = _mpremote(port, "fs", "cat", ":/data/identity.json")
    assert r.returncode == 0, r.stderr
    from meter.core.token import derive_meter_key
    assert json.loads(r.stdout) == {"serial": SERIAL,
                                    "meter_key": derive_meter_key(UTILITY_KEY, SERIAL).hex()}
    again = _provision(port, str(key_file))
    assert again.returncode == 3, again.stdout + again.stderr       # refused: no --force
    assert "already provisioned (serial %d" % SERIAL in again.stdout + again.stderr
