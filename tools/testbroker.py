"""A real MQTT broker for the remote-channel tests and the fleet bench, on a free loopback port.

Mosquitto where it is installed (`.ci/run` installs it), else amqtt from PyPI (pinned in
requirements-dev.txt), so that `make test` on a fresh clone still runs the tier.  stop() and
start() again on the same port simulate an outage.  TLS listeners need Mosquitto."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

VENV_BIN = os.path.dirname(sys.executable)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, timeout=20.0, proc=None):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("broker exited: %s" % proc.returncode)
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("broker did not listen on %d" % port)


def _more_files():
    """A fleet of a thousand meters needs more than the usual 1024 descriptors."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, 65536), hard))
    except (ValueError, OSError):
        pass


class Broker:
    def __init__(self, kind=None, tls=None, persistent=False):
        # METER_TEST_BROKER=amqtt runs the tests as a machine without Mosquitto would
        self.kind = kind or os.environ.get("METER_TEST_BROKER") or (
            "mosquitto" if shutil.which("mosquitto") or os.path.exists("/usr/sbin/mosquitto")
            else "amqtt")
        self.port = free_port()
        self.tls = tls                          # (cert, key) for a TLS listener
        self.dir = tempfile.mkdtemp(prefix="broker-")
        self.proc = None
        self.persistent = persistent and self.kind == "mosquitto"   # sessions survive restarts

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

    def _mosquitto(self):
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        conf = os.path.join(self.dir, "mosquitto.conf")
        lines = ["listener %d 127.0.0.1" % self.port, "allow_anonymous true",
                 "max_queued_messages 10000", "set_tcp_nodelay true"]
        if os.geteuid() == 0:
            lines += ["user root"]        # else it drops to `mosquitto`, who cannot write here
        if self.persistent:
            lines += ["persistence true", "persistence_location %s/" % self.dir,
                      "autosave_interval 1"]
        else:
            lines += ["persistence false"]
        if self.tls:
            lines += ["certfile %s" % self.tls[0], "keyfile %s" % self.tls[1]]
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        return [exe, "-c", conf]

    def _amqtt(self):
        if self.tls:
            raise RuntimeError("TLS tests need Mosquitto")
        conf = os.path.join(self.dir, "amqtt.yaml")
        with open(conf, "w") as f:
            f.write("listeners:\n  default:\n    type: tcp\n    bind: 127.0.0.1:%d\n"
                    "plugins:\n  amqtt.plugins.authentication.AnonymousAuthPlugin:\n"
                    "    allow_anonymous: true\n" % self.port)
        return [os.path.join(VENV_BIN, "amqtt"), "-c", conf]

    def start(self):
        cmd = self._mosquitto() if self.kind == "mosquitto" else self._amqtt()
        self.log = open(os.path.join(self.dir, "log"), "ab")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                     preexec_fn=_more_files)
        wait_port(self.port, proc=self.proc)
        return self

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
            self.log.close()

    def rss_kb(self):
        """The broker's resident memory (kB), from /proc."""
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return -1

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
