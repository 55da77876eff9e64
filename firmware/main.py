"""Board entry point: MicroPython runs /main.py after boot.  Builds the hardware from /board.py
(boards/<board>.py), the configuration (/config.json if present), the meter key, and runs the
app's asyncio tasks.  firmware/_boot.py (frozen) has already mounted the flash without ever
formatting it; if it could not, supply stays on and the LCD shows the storage error.

The loading functions import nothing of the board, so host tests call them with a fake
filesystem (host_tests/test_main_loading.py); main() runs only when this is the main program."""
from meter import identity
from meter.storage import BoardFS


def storage_mounted():
    try:
        import _boot
        return getattr(_boot, "mounted", True)
    except ImportError:
        return True


def load_config(fs=None):
    """-> (Config, problem): a bad file never stops the meter (the defaults run); problem is
    None or (what was wrong, not JSON), printed here and given to App.config_refused for the
    LCD, `status` and the event log (no cut on rules nobody chose)."""
    cfg, problem = identity.load_config(fs or BoardFS())
    if problem is not None:
        print("config: %s; defaults in force, no cut" % problem[0])
    return cfg, problem


def load_identity(fs=None):
    """-> (serial, key, error text or None): the meter serial and its provisioned key (32
    bytes), written at the factory.  Without a usable key no token can be accepted, so the app
    never cuts (NO_KEY)."""
    serial, key, err = identity.load_identity(fs or BoardFS())
    if err:
        print("identity: %s: %s; no token can be accepted, no cut" % (identity.IDENTITY_PATH, err))
    return serial, key, err


def main():
    import asyncio

    import board
    from meter.app import App
    from meter.boardhw import Hardware
    from meter.console import Console

    hw = Hardware(board, storage_mounted())
    serial, key, id_err = load_identity()
    cfg, problem = load_config()
    app = App(hw, cfg, serial=serial, meter_key=key, board=board.NAME,
              test_mode=hw.test_mode, identity_error=id_err)
    if problem is not None:
        app.config_refused(problem[0], problem[1])
    console = Console(app, extra=app.board_test_command)
    asyncio.run(app.run(keypad=hw.keypad, wdt=hw.wdt, console=console))


if __name__ == "__main__":
    main()
