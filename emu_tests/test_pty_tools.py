"""The real host tools against the emulated board behind a pty: mpremote and `make deploy`
(tools/deploy.py).  The board has the test jumper fitted (maintenance), as a technician's
board on the bench would."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MPREMOTE = os.path.join(os.path.dirname(sys.executable), "mpremote")


def _mpremote(port, *args, timeout=240):
    return subprocess.run([MPREMOTE, "connect", port] + list(args), capture_output=True,
                          text=True, timeout=timeout)


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
    second = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "deploy.py"),
                             "rp2-pico", board_pty], capture_output=True, text=True,
                            timeout=600)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "copying 0 of" in second.stdout, second.stdout
