"""The console's transport on a board's USB serial port: bytes in, one JSON line out per line.

Kept apart from meter.console (the protocol) so that the protocol takes no heap between lines:
SerialConsole loads meter.console for each whole line that arrives and releases it after the
reply (RAM on the deploy path, issue 11).  Nothing here blocks the event loop.
"""
from micropython import const

from meter import overlay

_MAX_LINE = const(256)
_REBOOT_DELAY_MS = const(200)    # `reboot`: the reply leaves over USB before the reset
_RELAY_WAIT_MS = const(5)
_RELAY_WAIT_MAX_MS = const(500)  # a pulse (100 ms) and its feedback's settling (50 ms), twice
_TOO_LONG_REPLY = '{"ok": false, "error": "line longer than 256 bytes"}'


class SerialConsole:
    def __init__(self, app, extra=None, console=None):
        self.app = app
        self.extra = extra
        self._console = console

    def handle(self, line):
        console = self._console
        if console is not None:
            return console.handle(line)
        # the protocol is loaded for each line and let go after it (meter/overlay.py): 24 ms
        # a line on a Pico from .mpy files (emulated), ~3 KB of heap less between lines
        from meter.console import Console
        try:
            return Console(self.app, self.extra).handle(line)
        finally:
            overlay.release(("meter.console", "meter.core.isotime"))

    async def serve(self, reader=None, out=None):
        """Board transport: reads the USB serial as BYTES without ever blocking the event loop
        (reader: StdinBytes by default; out: sys.stdout).  A byte >= 0x80 or a broken UTF-8
        sequence is just a byte of a line that handle() refuses; a line longer than 256 bytes
        is refused whole.  At most one line is answered per pass, so a flood of input cannot
        hold the loop.  After the reply to `reboot` is written and flushed, the app resets."""
        import asyncio
        if reader is None:
            reader = StdinBytes()
        if out is None:
            import sys
            out = sys.stdout
        buf = bytearray(_MAX_LINE)
        n = 0
        too_long = False
        while True:
            budget = _MAX_LINE + 2
            while budget:
                budget -= 1
                b = reader.byte()
                if b < 0:
                    break
                if b == 10 or b == 13:
                    if n == 0 and not too_long:
                        continue
                    # a line loads its code (tens of ms on the deploy path) and holds the loop
                    # meanwhile: not while a relay coil is energised or its feedback settles,
                    # which the relay task ends and samples every 7 ms (a line during the
                    # boot's pulse held the coil on for 194 ms instead of 100).  Bounded, so
                    # that a relay nobody polls cannot silence the console; the simulator's
                    # relay has no busy flag.
                    relay = self.app.hw.relay
                    wait = _RELAY_WAIT_MAX_MS
                    while wait > 0 and getattr(relay, "busy", False):
                        wait -= _RELAY_WAIT_MS
                        await asyncio.sleep_ms(_RELAY_WAIT_MS)
                    if too_long:
                        reply = _TOO_LONG_REPLY
                    else:
                        reply = self.handle(bytes(memoryview(buf)[:n]))
                    n = 0
                    too_long = False
                    out.write(reply)
                    out.write("\n")
                    flush = getattr(out, "flush", None)
                    if flush is not None:
                        flush()
                    if getattr(self.app, "reboot_pending", False):
                        await asyncio.sleep_ms(_REBOOT_DELAY_MS)
                        self.app.reset()
                    break
                if n < _MAX_LINE:
                    buf[n] = b
                    n += 1
                else:
                    too_long = True
            await asyncio.sleep_ms(20)


class StdinBytes:
    """Non-blocking byte reader on the board's USB serial: select.poll on sys.stdin, then one
    byte from sys.stdin.buffer (bytes, never text: sys.stdin.read(1) waits for a whole UTF-8
    character and raises on a broken one).  Injectable stream and poller for tests."""

    def __init__(self, stream=None, poller=None):
        if stream is None or poller is None:
            import select
            import sys
            stream = sys.stdin.buffer
            poller = select.poll()
            poller.register(sys.stdin, select.POLLIN)
        self._stream = stream
        self._poller = poller
        self._one = bytearray(1)

    def byte(self):
        """-> the next byte waiting (0-255), or -1 when none is; never blocks."""
        if not self._poller.poll(0):
            return -1
        if self._stream.readinto(self._one) != 1:
            return -1
        return self._one[0]
