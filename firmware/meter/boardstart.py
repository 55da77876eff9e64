"""Building the meter on a board, once at boot: the jumper, Ctrl-C, the hardware, the identity,
the configuration, the app and its console (firmware/main.py's docstring says what each
decides).  main.py loads this module for the boot and releases it before the meter runs
(meter/overlay.py, issue 11): nothing built here may keep a function of this module.

load_identity() and load_config() (meter.identity) never raise, print what is wrong, and give
safe defaults; a meter without a usable key, or on a refused configuration, makes no cut.  They
import nothing of the board, so host tests call them with a fake filesystem
(host_tests/test_main_loading.py).
"""
import micropython

from meter import overlay
from meter.app import App
from meter.storage import BoardFS
from meter.usbserial import SerialConsole


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
    # meter.console is loaded for each console line and released after it (RAM).  The
    # test-mode commands are the app's own: a function made here would keep this module's
    # globals, and so all of its code, alive for as long as the meter runs
    console = SerialConsole(app, extra=app.board_test_command)
    return app, console, hw
