"""TLS with CA verification (meter.net.setup.ssl_context + meter.net.mqtt): a test CA made
here with the openssl command line, a Mosquitto TLS listener, and the firmware's client
under CPython and under the MicroPython unix port.  Needs Mosquitto (amqtt is not set up for
TLS here): skipped, saying so, where it is absent."""
import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from testbroker import Broker
from meter.net import mqtt as M
from meter.net import setup

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MICROPYTHON = os.path.join(os.path.dirname(sys.executable), "micropython")

pytestmark = pytest.mark.skipif(
    not (shutil.which("mosquitto") or os.path.exists("/usr/sbin/mosquitto"))
    or not shutil.which("openssl"),
    reason="TLS broker test needs Mosquitto and openssl (apt-get install mosquitto)")


def make_ca(d, name):
    ca_key, ca_crt = os.path.join(d, name + "-ca.key"), os.path.join(d, name + "-ca.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=%s test CA" % name, "-keyout", ca_key, "-out", ca_crt],
                   check=True, capture_output=True)
    return ca_key, ca_crt


def make_server_cert(d, ca_key, ca_crt):
    key, csr, crt = (os.path.join(d, n) for n in ("srv.key", "srv.csr", "srv.pem"))
    ext = os.path.join(d, "ext.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
                    "-keyout", key, "-out", csr], check=True, capture_output=True)
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key,
                    "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", crt],
                   check=True, capture_output=True)
    return crt, key


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("tls"))
    ca_key, ca_crt = make_ca(d, "good")
    _, other_ca = make_ca(d, "other")
    crt, key = make_server_cert(d, ca_key, ca_crt)
    b = Broker(kind="mosquitto", tls=(crt, key)).start()
    yield b, ca_crt, other_ca, d
    b.close()


def run_client(port, ca_pem):
    with open(ca_pem, "rb") as f:
        ctx = setup.ssl_context(f.read())
    c = M.MQTTClient("tls-test", "127.0.0.1", port, 30, ssl_context=ctx,
                     server_hostname="localhost")
    end = time.monotonic() + 10
    while not c.is_up() and c.failures == 0 and time.monotonic() < end:
        c.poll()
        time.sleep(0.01)
    return c


def test_tls_with_the_right_ca_connects(tls):
    broker, ca, _, _ = tls
    c = run_client(broker.port, ca)
    assert c.is_up(), c.last_error
    c.close()


def test_tls_with_another_ca_is_refused(tls):
    broker, _, other, _ = tls
    c = run_client(broker.port, other)
    assert not c.is_up() and c.failures >= 1 and c.last_error.startswith("tls")


def test_tls_under_micropython(tls):
    broker, ca, other, d = tls
    if not os.path.exists(MICROPYTHON):
        pytest.skip("no MicroPython unix port")
    ders = []
    for pem in (ca, other):
        der = pem[:-4] + ".der"
        subprocess.run(["openssl", "x509", "-in", pem, "-outform", "DER", "-out", der],
                       check=True)
        ders.append(der)
    script = (
        "import sys, time\nsys.path.insert(0, 'firmware')\n"
        "from meter.net import mqtt as M, setup\n"
        "ctx = setup.ssl_context(open(sys.argv[1], 'rb').read())\n"
        "c = M.MQTTClient('mp-tls', '127.0.0.1', int(sys.argv[2]), 30, ssl_context=ctx,"
        " server_hostname='localhost')\n"
        "t0 = time.ticks_ms()\n"
        "while not c.is_up() and c.failures == 0 and time.ticks_diff(time.ticks_ms(), t0) < 10000:\n"
        "    c.poll()\n    time.sleep_ms(5)\n"
        "print(c.is_up(), c.last_error)\n")
    path = os.path.join(d, "mp_tls.py")
    with open(path, "w") as f:
        f.write(script)
    good = subprocess.run([MICROPYTHON, path, ders[0], str(broker.port)], cwd=ROOT,
                          capture_output=True, timeout=60)
    assert good.stdout.decode().startswith("True"), (good.stdout, good.stderr)
    bad = subprocess.run([MICROPYTHON, path, ders[1], str(broker.port)], cwd=ROOT,
                         capture_output=True, timeout=60)
    out = bad.stdout.decode()
    assert bad.returncode == 0 and out.startswith("False tls"), (bad.stdout, bad.stderr)
