"""Provisions a meter on a board: its identity, its configuration and its time, then checks it.

    python tools/provision.py --port /dev/ttyACM0 --serial 10000042 \\
        --utility-key-file /secure/utility.key [--config meter.json] [--at UTC] [--force]

1. Reads the UTILITY key from a file (64 hex digits, or the 32 raw bytes) or, without
   --utility-key-file, from the environment variable METER_UTILITY_KEY (64 hex digits).  A key
   is never taken from the command line, where shell history and `ps` would show it.
2. Refuses a board that already holds /data/identity.json unless --force is given.
3. Derives the per-meter key (meter.core.token.derive_meter_key(utility key, serial)) and
   writes /data/identity.json ({"serial": N, "meter_key": "<64 hex>"}) with mpremote
   (`fs cp`), then /config.json when --config is given (checked against the firmware's
   Config first), and resets the board so that the firmware loads them.
4. Sets the time with a set-time token for --at (default: now), typed through the console's
   `token` command over the serial port (pyserial), and checks that it was accepted.
5. Reads `info` back and checks the serial.

The board must be in maintenance mode (the jumper fitted at boot, docs/storage.md): a
production meter ignores Ctrl-C, so mpremote cannot reach its REPL.  The per-meter key goes to
the board through a temporary file readable only by the user, removed afterwards.

Exit status: 0 provisioned; 1 failed (the message says at which step); 2 bad arguments;
3 refused (already provisioned, no --force).

The transport is two small classes (Mpremote for files and reset, SerialConsole for console
lines) so that tests and other rigs (an emulated board's pty) can point --port, --mpremote
at what they have.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _p in (os.path.join(ROOT, "firmware"), os.path.join(ROOT, "tools", "cpython_shim")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from meter.core import calendar  # noqa: E402

from meter.core import isotime  # noqa: E402
from meter.core import token as T  # noqa: E402
from meter.core.config import Config  # noqa: E402

MPREMOTE = os.path.join(os.path.dirname(sys.executable), "mpremote")
KEY_ENV = "METER_UTILITY_KEY"
IDENTITY = "/data/identity.json"
CONFIG = "/config.json"


class ProvisionError(Exception):
    pass


class Refused(ProvisionError):
    pass


# --- the utility key ----------------------------------------------------------------------

def read_utility_key(path=None, environ=None):
    """-> the 32-byte utility key from a file (64 hex digits or 32 raw bytes) or, when path is
    None, from $METER_UTILITY_KEY (64 hex digits)."""
    environ = os.environ if environ is None else environ
    if path is not None:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise ProvisionError("cannot read the utility key file %s: %s" % (path, e.strerror))
        if len(data) == 32 and not _is_hex(data):
            return data
        text = data.decode("ascii", "replace").strip()
        where = "the utility key file %s" % path
    else:
        text = environ.get(KEY_ENV, "").strip()
        if not text:
            raise ProvisionError("no utility key: give --utility-key-file FILE or set %s"
                                 % KEY_ENV)
        where = "$" + KEY_ENV
    if len(text) != 64 or not _is_hex(text.encode("ascii", "replace")):
        raise ProvisionError("%s must hold 64 hex digits (a 32-byte key)" % where)
    return bytes.fromhex(text)


def _is_hex(data):
    return bool(data) and all(c in b"0123456789abcdefABCDEF" for c in data.strip())


# --- the transport ------------------------------------------------------------------------

class Mpremote:
    """Files and reset through mpremote (its raw REPL: the board must be in maintenance
    mode)."""

    def __init__(self, port, exe=MPREMOTE, timeout=60):
        self.port = port
        self.exe = exe
        self.timeout = timeout

    def _run(self, *args):
        try:
            return subprocess.run([self.exe, "connect", self.port] + list(args),
                                  capture_output=True, text=True, timeout=self.timeout)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise ProvisionError("mpremote %s: %s" % (" ".join(args), e))

    def reachable(self):
        return self._run("fs", "ls", ":/").returncode == 0

    def cat(self, path):
        """-> the file's text, or None when the board has no such file."""
        proc = self._run("fs", "cat", ":" + path)
        if proc.returncode != 0:
            return None
        return proc.stdout

    def mkdir(self, path):
        self._run("fs", "mkdir", ":" + path)        # fails when it exists: that is fine

    def put(self, local, path):
        proc = self._run("fs", "cp", local, ":" + path)
        if proc.returncode != 0:
            raise ProvisionError("mpremote fs cp to %s failed: %s"
                                 % (path, (proc.stderr or proc.stdout).strip()[:200]))

    def reset(self):
        self._run("reset")


class SerialConsole:
    """Console lines over the serial port (pyserial).  After a reset the port may vanish while
    USB re-enumerates: request() reopens it until `wait_s` runs out."""

    def __init__(self, port, baud=115200, wait_s=30.0):
        self.port = port
        self.baud = baud
        self.wait_s = wait_s
        self._serial = None

    def _open(self):
        import serial
        if self._serial is None:
            self._serial = serial.Serial(self.port, self.baud, timeout=0.2)
        return self._serial

    def close(self):
        if self._serial is not None:
            try:
                self._serial.close()
            except OSError:
                pass
            self._serial = None

    def request(self, line, timeout_s=5.0):
        """-> the JSON reply (a dict) to one console line."""
        import serial
        deadline = time.monotonic() + self.wait_s
        last = "no reply"
        while time.monotonic() < deadline:
            try:
                port = self._open()
                port.reset_input_buffer()
                port.write(line.encode("ascii") + b"\n")
                port.flush()
                reply = self._read_json(port, time.monotonic() + timeout_s)
                if reply is not None:
                    return reply
            except (OSError, serial.SerialException) as e:
                last = str(e)
                self.close()
            time.sleep(0.3)
        raise ProvisionError("no console reply to %r on %s (%s)" % (line.split()[0], self.port,
                                                                     last))

    @staticmethod
    def _read_json(port, deadline):
        buf = b""
        while time.monotonic() < deadline:
            chunk = port.readline()
            if not chunk:
                continue
            buf += chunk
            if not buf.endswith(b"\n"):
                continue
            text = buf.strip()
            buf = b""
            if text.startswith(b"{"):           # boot messages and echoes are skipped
                try:
                    return json.loads(text.decode("utf-8", "replace"))
                except ValueError:
                    continue
        return None


# --- provisioning -------------------------------------------------------------------------

def load_config_file(path):
    """-> the configuration file's text, checked with the firmware's own Config."""
    try:
        with open(path) as f:
            text = f.read()
        Config(json.loads(text))
    except OSError as e:
        raise ProvisionError("cannot read %s: %s" % (path, e.strerror))
    except ValueError as e:
        raise ProvisionError("%s is not a valid meter configuration: %s" % (path, e))
    return text


def set_time_token(meter_key, at):
    """-> the digits of a set-time token for UTC second `at` (a new meter: revision 0, base 0)."""
    return T.encode(meter_key, T.SET_TIME, 0, T.token_id_from_utc(at, 0))


def provision(files, console, serial, utility_key, config_text=None, at=None, force=False,
              say=print):
    """Runs the steps of the module doc -> the board's `info` reply."""
    if not files.reachable():
        raise ProvisionError("cannot reach the board's REPL on %s: fit the maintenance jumper "
                             "and reset the board (docs/storage.md)" % files.port)
    existing = files.cat(IDENTITY)
    if existing is not None and not force:
        try:
            old = json.loads(existing).get("serial")
        except (ValueError, AttributeError):
            old = "unreadable"
        files.reset()                   # mpremote stopped the app: let the meter run on
        raise Refused("the board is already provisioned (serial %s in %s); --force to "
                      "overwrite" % (old, IDENTITY))
    meter_key = T.derive_meter_key(utility_key, serial)
    identity = json.dumps({"serial": serial, "meter_key": meter_key.hex()})
    fd, tmp = tempfile.mkstemp(prefix="identity-", suffix=".json")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(identity)
        files.mkdir("/data")
        files.put(tmp, IDENTITY)
    finally:
        os.remove(tmp)
    say("wrote %s (serial %d)" % (IDENTITY, serial))
    if config_text is not None:
        fd, tmp = tempfile.mkstemp(prefix="config-", suffix=".json")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(config_text)
            files.put(tmp, CONFIG)
        finally:
            os.remove(tmp)
        say("wrote %s" % CONFIG)
    files.reset()
    console.close()
    say("reset the board")
    info = console.request("info")
    if info.get("serial") != serial:
        raise ProvisionError("after the reset the board reports serial %r, not %d: the "
                             "identity did not load" % (info.get("serial"), serial))
    at = int(time.time()) if at is None else at
    reply = console.request("token " + set_time_token(meter_key, at))
    if not reply.get("ok") or reply.get("result") != "accepted":
        raise ProvisionError("the set-time token was refused: %s"
                             % (reply.get("error") or reply.get("result") or reply))
    say("time set to %s" % isotime.iso_utc(at - at % 60))
    info = console.request("info")
    if info.get("serial") != serial:
        raise ProvisionError("info reports serial %r, not %d" % (info.get("serial"), serial))
    say("provisioned: serial %d, board %s, firmware %s"
        % (serial, info.get("board"), info.get("firmware")))
    return info


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", required=True, help="the board's serial port (e.g. /dev/ttyACM0)")
    p.add_argument("--serial", required=True, type=int, help="the meter's serial number")
    p.add_argument("--utility-key-file", metavar="FILE",
                   help="file holding the utility key (default: $%s)" % KEY_ENV)
    p.add_argument("--config", metavar="FILE", help="a /config.json to install")
    p.add_argument("--at", metavar="UTC", help="the time to set (default now), "
                   "YYYY-MM-DDTHH:MM:SSZ")
    p.add_argument("--force", action="store_true", help="overwrite an existing identity")
    p.add_argument("--mpremote", default=MPREMOTE, help=argparse.SUPPRESS)
    p.add_argument("--baud", type=int, default=115200, help=argparse.SUPPRESS)
    p.add_argument("--wait", type=float, default=30.0,
                   help="seconds to wait for the console after a reset (default 30)")
    a = p.parse_args(argv)
    if not 0 < a.serial <= 0xFFFFFFFF:
        p.error("--serial must be 1 .. 4294967295")
    at = None
    if a.at is not None:
        try:
            at = isotime.parse_iso_utc(a.at)
        except ValueError:
            p.error("--at: want YYYY-MM-DDTHH:MM:SSZ")
    console = SerialConsole(a.port, a.baud, a.wait)
    try:
        key = read_utility_key(a.utility_key_file)
        config_text = load_config_file(a.config) if a.config else None
        provision(Mpremote(a.port, a.mpremote), console, a.serial, key, config_text, at,
                  a.force)
    except Refused as e:
        sys.stderr.write("provision: refused: %s\n" % e)
        return 3
    except ProvisionError as e:
        sys.stderr.write("provision: %s\n" % e)
        return 1
    finally:
        console.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
