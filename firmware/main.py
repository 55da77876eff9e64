"""Board entry point: MicroPython runs /main.py after boot.  Builds the hardware from /board.py
(boards/<board>.py), the configuration (/config.json if present), the meter key, and runs the
app's asyncio tasks.

Storage: firmware/_boot.py (frozen) has already mounted the flash without ever formatting a
used one, and published what it did as sys.modules["_boot"]; main.py never imports _boot (that
would run it again and, on 1.29, stack a second filesystem on "/").  Without our frozen _boot
(the port's own, deployed as .mpy files) main.py only looks whether "/" is mounted.

Maintenance: the jumper (board.TEST_JUMPER, to GND) is read once, here, before anything else.
Without it (a production meter) Ctrl-C on the USB serial is disabled (micropython.kbd_intr(-1)):
nobody at the console reaches the REPL, where the meter key could be read, and the console's
test-mode commands answer "test mode is off".  With it, Ctrl-C works, test mode is on, and the
watchdog is NOT started, so mpremote, `make deploy`, `make repl` and the storage recovery of
docs/storage.md have all the time they need.  Never leave the jumper in a deployed meter.
"""
import micropython

micropython.kbd_intr(-1)     # first of all: no Ctrl-C until the jumper is known to be fitted

import asyncio  # noqa: E402
import json  # noqa: E402

from meter.app import App
from meter.usbserial import SerialConsole  # noqa: E402
from meter.core.config import Config, config_from_json  # noqa: E402


def storage_state():
    """-> (mounted, formatted) as the boot code left them; mounts nothing."""
    import sys
    state = sys.modules.get("_boot")
    if state is not None:
        return bool(getattr(state, "mounted", False)), bool(getattr(state, "formatted", False))
    try:
        import vfs
        for m in vfs.mount():
            if m[1] == "/":
                return True, False
        return False, False
    except (ImportError, TypeError, AttributeError):
        return True, False          # a port without the listing: it mounted its own at boot


def load_config():
    """-> (Config, problem): a bad file never stops the meter (the defaults run); problem is
    None or (what was wrong, not JSON) for the LCD, `status` and the event log."""
    try:
        with open("/config.json") as f:
            text = f.read()
    except OSError:
        return Config(), None
    return config_from_json(text)


def load_identity():
    """The meter serial and its provisioned key (32 bytes), written at the factory."""
    try:
        with open("/data/identity.json") as f:
            ident = json.load(f)
        return int(ident["serial"]), bytes.fromhex(ident["meter_key"])
    except (OSError, ValueError, KeyError):
        return 0, b""       # no key: native tokens are refused (INVALID), supply stays on


def start(board, storage=None):
    """Builds the meter on this board -> (app, console, hw).  Reads the jumper first, and
    disables Ctrl-C before anything slow runs."""
    from meter.boardhw import Hardware, jumper_fitted
    maintenance = jumper_fitted(board)
    if maintenance:
        micropython.kbd_intr(3)       # the jumper: Ctrl-C reaches the REPL again
    mounted, formatted = storage_state() if storage is None else storage
    hw = Hardware(board, mounted, maintenance=maintenance, formatted=formatted)
    serial, key = load_identity()
    cfg, problem = load_config()
    app = App(hw, cfg, serial=serial, meter_key=key, board=board.NAME,
              test_mode=hw.test_mode)
    if problem is not None:
        app.config_refused(problem[0], problem[1])
    # meter.console itself loads only when the first console line arrives (RAM)
    console = SerialConsole(app, extra=app.board_test_command)
    return app, console, hw


def main():
    import board
    app, console, hw = start(board)
    # with the maintenance jumper the watchdog is never started (see above)
    wdt = None if hw.test_mode else hw.wdt
    asyncio.run(app.run(keypad=hw.keypad, wdt=wdt, console=console, button=hw.button))


if __name__ == "__main__":
    main()
