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

Identity and configuration: load_identity() and load_config() (meter.identity) never raise,
print what is wrong, and give safe defaults; a meter without a usable key, or on a refused
configuration, makes no cut.  They import nothing of the board, so host tests call them with
a fake filesystem (host_tests/test_main_loading.py).
"""
import micropython

micropython.kbd_intr(-1)     # first of all: no Ctrl-C until the jumper is known to be fitted

import asyncio  # noqa: E402

from meter import overlay  # noqa: E402
from meter.app import App  # noqa: E402
from meter.storage import BoardFS  # noqa: E402
from meter.usbserial import SerialConsole  # noqa: E402


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


def load_config(fs=None):
    """-> (Config, problem): a bad file never stops the meter (the defaults run); problem is
    None or (what was wrong, not JSON), printed here and given to App.config_refused for the
    LCD, `status` and the event log (no cut on rules nobody chose)."""
    from meter import identity
    try:
        cfg, problem = identity.load_config(fs or BoardFS())
    finally:
        overlay.release(("meter.identity",))      # boot-only code leaves the heap (issue 11)
    if problem is not None:
        print("config: %s; defaults in force, no cut" % problem[0])
    return cfg, problem


def load_identity(fs=None):
    """-> (serial, key, error text or None): the meter serial and its provisioned key (32
    bytes), written at the factory.  Without a usable key no token can be accepted, so the app
    never cuts (NO_KEY)."""
    from meter import identity
    try:
        serial, key, err = identity.load_identity(fs or BoardFS())
    finally:
        overlay.release(("meter.identity",))
    if err:
        print("identity: %s: %s; no token can be accepted, no cut" % (identity.IDENTITY_PATH, err))
    return serial, key, err


def start(board, storage=None):
    """Builds the meter on this board -> (app, console, hw).  Reads the jumper first, and
    disables Ctrl-C before anything slow runs."""
    from meter import boardhw
    try:
        maintenance = boardhw.jumper_fitted(board)
        if maintenance:
            micropython.kbd_intr(3)       # the jumper: Ctrl-C reaches the REPL again
        mounted, formatted = storage_state() if storage is None else storage
        hw = boardhw.build(board, mounted, maintenance=maintenance, formatted=formatted)
    finally:
        overlay.release(("meter.boardhw",))       # boot-only code leaves the heap (issue 11)
    serial, key, id_err = load_identity()
    cfg, problem = load_config()
    app = App(hw, cfg, serial=serial, meter_key=key, board=board.NAME,
              test_mode=hw.test_mode, identity_error=id_err)
    if problem is not None:
        app.config_refused(problem[0], problem[1])
    net = None
    if getattr(board, "NETWORK", None):
        # Wi-Fi and the broker from /data/network.json (docs/remote.md); none: no network
        from meter.net import setup
        net = setup.start(app)
    app.net = net

    def extra(cmd, args):
        if cmd == "net" and not args and net is not None:
            return net.status()            # test mode: the remote channel's counters
        return app.board_test_command(cmd, args)
    # meter.console is loaded for each console line and released after it (RAM)
    console = SerialConsole(app, extra=extra)
    return app, console, hw


def main():
    import board
    app, console, hw = start(board)
    # with the maintenance jumper the watchdog is never started (see above)
    wdt = None if hw.test_mode else hw.wdt
    asyncio.run(app.run(keypad=hw.keypad, wdt=wdt, console=console, button=hw.button,
                        net=app.net))


if __name__ == "__main__":
    main()
