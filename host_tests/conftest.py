"""Puts firmware/ (the code that goes on the board) and the portable tests on sys.path; the
remote channel's fixtures (a broker on a free loopback port, a simulated meter on it)."""
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.dirname(_HERE)
# cpython_shim provides the `micropython` module (const) that firmware imports.
for _p in (os.path.join(_ROOT, "firmware"), os.path.join(_HERE, "portable"),
           os.path.join(_ROOT, "tools"), os.path.join(_ROOT, "tools", "cpython_shim")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import pytest  # noqa: E402


@pytest.fixture(scope="module")
def broker():
    """A real MQTT broker on a free loopback port (tools/testbroker.py), for one test module."""
    from testbroker import Broker
    b = Broker().start()
    yield b
    b.close()


@pytest.fixture
def meter(broker, tmp_path):
    """A simulated meter (tools/sim.py --serve --mqtt) on that broker, up and answering."""
    from remote_rig import SimMeter
    m = SimMeter(broker.address, tmp_path / "flash")
    m.wait_up()
    yield m
    m.close()
