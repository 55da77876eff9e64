"""The console protocol (docs/console.md, ../shared/spec/CONSOLE.md): one request line in, one
JSON line out.  The same code answers on a board's USB serial port and in the simulator.

Every failure is `{"ok": false, "error": ...}` and changes nothing.  Test-mode commands answer
`ok: false` unless test mode is on (board file, config or jumper); the simulator always has it.
Commands only the simulator can carry out (advance, load, reboot, powerfail, rtc faults) are
handed to `extra`, a callable (command, args) -> dict or None that the simulator provides; a
board in test mode provides its own for `rtc set`, `reboot` and `protect`.
"""
import json

from micropython import const

_MAX_LINE = const(256)
_KEYS = "0123456789*#ABCD"
TEST_COMMANDS = ("advance", "load", "rtc", "reboot", "powerfail", "protect", "temp", "net")


class ConsoleError(Exception):
    pass


def is_digits(text):
    """True for a non-empty run of ASCII digits 0-9 only.  str.isdigit() differs between
    CPython (which also accepts superscripts, circled and Arabic-Indic digits, that int()
    then refuses or reads) and MicroPython, so every number the console reads is checked here."""
    if not text:
        return False
    for c in text:
        if not "0" <= c <= "9":
            return False
    return True


def _int_arg(args, i, lo, hi, what):
    if len(args) <= i:
        raise ConsoleError("missing %s" % what)
    text = args[i]
    if not (is_digits(text) or (text[:1] == "-" and is_digits(text[1:]))):
        raise ConsoleError("bad %s: %s" % (what[:32], text[:32]))
    v = int(text)
    if not lo <= v <= hi:
        raise ConsoleError("%s out of range %d..%d" % (what, lo, hi))
    return v


class Console:
    def __init__(self, app, extra=None):
        self.app = app
        self.extra = extra

    def handle(self, line):
        """-> the response line (a JSON object, no newline)."""
        try:
            if isinstance(line, bytes):
                if len(line) > _MAX_LINE:
                    raise ConsoleError("line longer than 256 bytes")
                line = line.decode()
            if len(line) > _MAX_LINE:
                raise ConsoleError("line longer than 256 bytes")
            out = self._dispatch(line.strip())
        except ConsoleError as e:
            out = {"ok": False, "error": str(e.args[0])}
        except UnicodeError:
            out = {"ok": False, "error": "line is not UTF-8 text"}
        return json.dumps(out)

    def _dispatch(self, line):
        parts = line.split()
        if not parts:
            raise ConsoleError("empty line")
        cmd = parts[0]
        args = parts[1:]
        app = self.app
        if cmd == "status":
            self._no_args(args)
            return app.status()
        if cmd == "key":
            if len(args) != 1 or not args[0] or any(k not in _KEYS for k in args[0]):
                raise ConsoleError("key: one argument of 0-9 * # A-D")
            for k in args[0]:
                app.key(k)
            return app.status()
        if cmd == "token":
            if len(args) != 1 or not is_digits(args[0]) or len(args[0]) > 20:
                raise ConsoleError("token: digits, at most 20")
            for k in args[0]:
                app.key(k)
            app.key("#")
            out = app.status()
            result = app.last_result
            out["result"] = result[0] if result else None
            out["value"] = result[2] if result else None
            split = app.last_split if result else None
            out["split"] = {"credit": split[0], "debt": split[1]} if split else None
            return out
        if cmd == "button":
            self._no_args(args)
            app.button()
            return app.status()
        if cmd == "pulses":
            n = _int_arg(args, 0, 0, 1000000, "pulse count")
            self._no_args(args[1:])
            app.pulses(n)
            return app.status()
        if cmd == "events":
            n = 20
            if args:
                n = _int_arg(args, 0, 1, 256, "event count")
                self._no_args(args[1:])
            return {"ok": True, "events": app.events(n)}
        if cmd == "config":
            self._no_args(args)
            cfg = app.cfg.as_dict()
            cfg["openpaygo_key"] = "set" if cfg["openpaygo_key"] else ""
            # the settings at the top level, like `info`, and as one object under "config"
            out = {"ok": True, "config": cfg}
            for k in cfg:
                out[k] = cfg[k]
            return out
        if cmd == "info":
            self._no_args(args)
            return app.info()
        if cmd in TEST_COMMANDS:
            if not app.test_mode:
                raise ConsoleError("%s: test mode is off" % cmd)
            if cmd == "protect":
                return self._protect(args)
            if self.extra is not None:
                out = self.extra(cmd, args)
                if out is not None:
                    return out
            raise ConsoleError("%s: not available on this target" % cmd)
        raise ConsoleError("unknown command: %s" % cmd[:32])

    def _no_args(self, args):
        if args:
            raise ConsoleError("unexpected argument: %s" % args[0][:32])

    def _protect(self, args):
        if len(args) != 2 or args[0] not in ("medical", "winter", "weather", "cold",
                                             "protected") or args[1] not in ("on", "off"):
            raise ConsoleError("protect: medical|weather|cold|protected|winter on|off")
        self.app.protect(args[0], args[1] == "on")
        return self.app.status()

    async def serve(self, reader=None, out=None):
        """Board transport (meter.usbserial.SerialConsole, which main.py uses directly so that
        this module loads only when the first line arrives)."""
        from meter.usbserial import SerialConsole
        await SerialConsole(self.app, self.extra, self).serve(reader, out)


def parse_utc(text):
    from meter.core import isotime      # released with this module (meter/usbserial.py)
    try:
        return isotime.parse_iso_utc(text)
    except ValueError:
        raise ConsoleError("bad time (want YYYY-MM-DDTHH:MM:SSZ): %s" % text[:32])

