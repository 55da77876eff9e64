"""Board entry point: MicroPython runs /main.py after boot.  Builds the hardware from /board.py
(boards/<board>.py), the configuration (/config.json if present), the meter key, and runs the
app's asyncio tasks.  firmware/_boot.py (frozen) has already mounted the flash without ever
formatting it; if it could not, supply stays on and the LCD shows the storage error."""
import asyncio
import json

import board
from meter.app import App
from meter.boardhw import Hardware
from meter.console import Console
from meter.core.config import Config, config_from_json


def storage_mounted():
    try:
        import _boot
        return getattr(_boot, "mounted", True)
    except ImportError:
        return True


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


def main():
    hw = Hardware(board, storage_mounted())
    serial, key = load_identity()
    cfg, problem = load_config()
    app = App(hw, cfg, serial=serial, meter_key=key, board=board.NAME,
              test_mode=hw.test_mode)
    if problem is not None:
        app.config_refused(problem[0], problem[1])
    console = Console(app, extra=app.board_test_command)
    asyncio.run(app.run(keypad=hw.keypad, wdt=hw.wdt, console=console))


main()
