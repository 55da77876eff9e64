"""What an app does once: at boot (the record, the event log, the clock judged, the relay
driven to the decided state), at the factory (provisioning) and when /config.json is refused.
meter.app loads this module for the call and releases it on a board (meter/overlay.py,
issue 11).  app is the meter.app.App.
"""
from micropython import const

from meter import overlay
from meter.core import pulsestore
from meter.core.clock import from_unix

# codes this module gives (meter.core.codes, docs/codes.md), compiled in as constants:
# a board keeps no name for them (issue 11); host_tests/test_codes.py holds each to
# its number in meter.core.codes
_STORAGE_ERROR = const(61)
_RECORD_CORRUPT = const(62)
_WATCHDOG_RESET = const(63)
_BOOT = const(90)
_TIME_PROVISIONED = const(102)
_NO_KEY = const(110)
_UNSAVED_RESTORED = const(111)
_CONFIG_ERROR = const(129)
_STORAGE_FORMATTED = const(150)
_MAINTENANCE = const(151)

_MAX_LOAD_W = const(100000)      # no household draws more: bounds a pulse store read at boot


def boot(app):
    """Loads the record, judges the clock, re-drives the relay to the decided state.
    A reboot never cuts supply unless the core decides so on a trusted clock."""
    m = app.meter
    now_ms = app._tick()
    status = _STORAGE_ERROR
    payload = None
    if getattr(app.hw, "storage_ok", True):
        payload, status = app.store.load()
    if status == 0 and payload is not None:
        from meter.core import record
        try:
            record.unpack(m, payload)
        except ValueError:
            status = _RECORD_CORRUPT
        finally:
            overlay.release(("meter.core.record",))
    app.log.load()
    if app.opg is not None:
        app.opg.load()
    m.event(_BOOT, 0)
    if app.fault_code == _NO_KEY:
        m.event(_NO_KEY)
    if getattr(app.hw, "storage_formatted", False):
        m.event(_STORAGE_FORMATTED)
    if getattr(app.hw, "maintenance", False):
        m.event(_MAINTENANCE)
    reset = getattr(app.hw, "watchdog_reset", None)     # a bool, or a callable
    if reset is not None and (reset() if callable(reset) else reset):
        m.event(_WATCHDOG_RESET)
    if status != 0:
        app.storage_code = status
        m.lost_record()
        if status == _STORAGE_ERROR:
            m.event(_STORAGE_ERROR)
    else:
        restore_unsaved(app)
    # the relay state stored is what the household had; the core re-decides from there
    app.control_step(now_ms)
    # the contact's position is unknown after a reset: drive it to the decided state
    # (a latching relay gets its coil pulse again)
    relay = app.hw.relay
    closed = m.relay_closed()
    # a fresh tick: loading the record took time, and a pulse timed from before it would
    # end early (82 ms instead of 100 measured on the emulated chip)
    now_ms = app.hw.ticks_ms()
    if relay.state != closed:
        relay.request(closed, now_ms)
    else:
        relay.redrive(now_ms)
    app.booted = True


def restore_unsaved(app):
    """What the battery-backed store kept of the energy counted since the record."""
    m = app.meter
    buf = app._pstore
    got = None
    if buf is not None:
        try:
            app.hw.rtc.read_store(buf)
            got = pulsestore.unpack(buf, app.store.seq, app._max_pps)
        except OSError:
            got = None
    if got is None:
        m.checkpoint_unknown(app.mono_s)
        return
    m.restore_unsaved(got[0], got[1], got[2], app.mono_s)
    # the age is powered time counted after the record: the true time at the power cut
    # was at least the stored lower bound plus that (less the drift bound), so the clock's
    # interval does not widen by the running time at every power cycle
    if got[0] > 0:                 # (4,095: at least that)
        m.clock.powered_since_record(got[0])
    if got[1] or got[2]:
        m.event(_UNSAVED_RESTORED, got[1] + got[2])


def provision(app, utc):
    """Factory set-up of a new meter: the RTC set from an authenticated source to the
    second, the clock anchored there (within the second), and a first record (zero balance)
    on flash."""
    minute, second = from_unix(utc)
    app._tick()
    hi_m, hi_s = from_unix(utc + 1)
    app.meter.clock.anchor(minute, second, hi_m, hi_s, app.mono_s, _TIME_PROVISIONED)
    app._write_rtc(minute, second)
    app.hw.rtc.clear_osf()
    m = app.meter
    # the first record holds the local day of installation: with charged_day = -1 a power
    # cut before the next commit would lose every standing charge taken since
    m.minute = minute
    m.second = second
    m.local.update(minute)
    m.charged_day = m.local.lday
    m.trusted_prev = m.clock.trusted
    if app.cfg.opening_debt:
        app.meter.credit.add_debt(app.cfg.opening_debt)
    app.commit()


def config_refused(app, message, not_json=False):
    """main.py could not use /config.json: the defaults run, the LCD and `status` say why,
    and the event log keeps it (value 1: not JSON, 2: a setting refused)."""
    app.config_error = message[:80]
    # the defaults are not the rules the utility chose: no cut on them
    if not app.meter.fault_hold:
        app.meter.fault_hold = _CONFIG_ERROR
    app.meter.event(_CONFIG_ERROR, 1 if not_json else 2)


def init(app, hw, cfg, serial, meter_key, board, test_mode, build_minute, identity_error):
    """What App.__init__ does (the constructor's arguments are App's)."""
    from meter.core.config import Config
    from meter.core.keypad import Entry
    from meter.core.meter import Meter
    from meter.display import Display
    from meter.eventlog import EventLog
    from meter.storage import RecordStore
    from meter.tokens import TokenDesk, native_key_bytes
    app.hw = hw
    app.cfg = cfg if cfg is not None else Config()
    app.serial = serial
    app.board = board
    app.test_mode = bool(test_mode)     # never from the configuration (issue 11)
    app.reboot_pending = False          # `reboot` answered; the console resets after it
    app.meter = Meter(app.cfg, build_minute)
    app.entry = Entry()
    app.desk = TokenDesk(app.meter, app.cfg, meter_key)
    app.opg = None                      # meter.opgkeeper.TableKeeper with OpenPAYGO
    if app.desk._opg_decoder is not None:
        from meter.opgkeeper import TableKeeper
        app.opg = TableKeeper(app)
        app.desk.opg_read = app.opg.read   # decodes with the table parked on flash
    # A meter that cannot take a token must never cut (nothing could undo the cut): it holds
    # every cut (policy.cut_hold), says so on the LCD and logs it at boot.  (A refused
    # configuration holds cuts too: config_refused.)
    app.identity_error = identity_error
    app.fault_code = 0 if app.desk.key_ok() else _NO_KEY
    if app.fault_code and identity_error is None:
        app.identity_error = "no meter key of %d bytes" % native_key_bytes()
    app.meter.fault_hold = app.fault_code
    app.display = Display(app)
    app.store = RecordStore(hw.fs)
    app.log = EventLog(hw.fs, "/data/events.bin")
    app.fields = [0, 0, 0, 0, 0, 0]
    app.rtc_status = 0
    app.rtc_minute = 0
    app.rtc_second = 0
    app.osf = False
    app.mono_s = 0
    app._mono_ms = 0
    app._last_ticks = hw.ticks_ms()
    app.storage_code = 0
    app.last_result = None          # (result word, code, value) of the last token
    app.last_split = None           # (to credit, to debt) of the last top-up token
    app.commits = 0
    app.extra_pulses = 0            # console `pulses`: counted at the next step
    app._relay_failed = False
    app._chirped = 0                # warning level the buzzer last announced
    app._next_cut_key = None
    app._next_cut = -1
    app.opg_background = False      # run() keeps the value table (the simulator does not)
    app._temp_mono = -0x3FFFFFFF     # long ago: the first step reads the thermometer
    app.config_error = None         # what was wrong with /config.json (defaults in use)
    app.heap_rest = None            # bytes in use between jobs (run() on MicroPython)
    app.booted = False
    app._bench = None               # test mode: meter.benchtime, made when first asked
    app.wdt = None                  # the watchdog run() feeds (benchtime feeds it too)
    app.net = None                  # meter.net.remote.Remote on a networked board
    # the battery-backed pulse store (meter.core.pulsestore): None when the RTC has none
    app._pstore = getattr(hw.rtc, "write_store", None) and bytearray(pulsestore.SIZE)
    app._ps_age = -1              # what the store last got: age units, pulses
    app._ps_day = 0
    app._ps_night = 0
    imp = app.cfg.imp_per_kwh
    app._max_pps = (_MAX_LOAD_W * imp + 3599999) // 3600000


def start(app, keypad, wdt, console, button, net):
    """App.run's start: boots, then makes the asyncio tasks that run the meter -> the tasks."""
    import asyncio
    app.wdt = wdt
    # set before the boot: a table too far behind holds cuts from the first decision on
    app.opg_background = app.opg is not None
    app.boot()
    tasks = [asyncio.create_task(app._control_task(wdt)),
             asyncio.create_task(app._relay_task())]
    if keypad is not None:
        tasks.append(asyncio.create_task(app._keypad_task(keypad)))
    if button is not None:
        tasks.append(asyncio.create_task(app._button_task(button)))
    if app.opg_background:
        tasks.append(asyncio.create_task(app._openpaygo_task()))
    tasks.append(asyncio.create_task(app._display_task()))
    if console is not None:
        tasks.append(asyncio.create_task(console.serve()))
    if wdt is not None:
        tasks.append(asyncio.create_task(app._watchdog_task(wdt)))
    if net is not None:
        tasks.append(asyncio.create_task(net.run()))      # meter.net.remote (polled)
    return tasks


def desk_init(desk, meter, cfg, meter_key):
    """What meter.tokens.TokenDesk.__init__ does."""
    from meter.core.lockout import Lockout
    from meter.core.replay import Replay
    from meter.tokens import native_key_bytes
    desk.meter = meter
    desk.cfg = cfg
    # a key of any other length is refused: no token is taken (and the app holds cuts)
    if not isinstance(meter_key, (bytes, bytearray)) or len(meter_key) != native_key_bytes():
        meter_key = b""
    desk.root_key = meter_key          # revision 0, provisioned
    desk.key_rev = 0
    desk.base = 0
    desk.ec_setting = -1               # emergency amount set by token (-1: configuration)
    desk.replay = Replay()
    desk.lock = Lockout(cfg.lockout_cap_s)
    # a random 9-digit code passes 1 time in ~14,000: every wrong one locks, and the
    # counter decays only after a week without one (docs/tokens.md, forging odds); only
    # used (and stored) when OpenPAYGO is configured
    desk.opg_lock = Lockout(cfg.openpaygo_lockout_cap_s, 1)
    desk.split = None                  # (to credit, to debt) of the last top-up
    desk._typing = False               # meter.tokenentry loaded for a token being typed
    desk.key = meter_key or None       # the key of revision key_rev (bytes)
    desk.opg = None
    desk._opg_decoder = None
    desk.opg_read = None            # the app's reader of a parked value table
    if cfg.openpaygo_key:
        from meter.core import openpaygo
        desk.opg = openpaygo.OpenPaygoState()
        # one decoder: it keeps the prepared key and hash-chain positions between tokens
        desk._opg_decoder = openpaygo.OpenPaygoDecoder(
            bytes.fromhex(cfg.openpaygo_key), cfg.openpaygo_starting_code)
    meter.desk = desk


def desk_load(desk, data):
    """What meter.tokens.TokenDesk.load does."""
    import struct
    from meter.core import lockout as lockout_mod
    from meter.core import replay as replay_mod
    from meter.tokens import _HEAD, _HEAD_SIZE, _ENTRY
    desk.key_rev, desk.base, desk.ec_setting = struct.unpack(_HEAD, data[:_HEAD_SIZE])
    i = _HEAD_SIZE
    desk.replay.from_bytes(data[i:i + replay_mod.SIZE])
    i += replay_mod.SIZE
    desk.lock.from_bytes(data[i:i + lockout_mod.SIZE])
    i += lockout_mod.SIZE
    if desk.opg is not None:
        j = i + len(desk.opg.to_bytes())
        desk.opg.from_bytes(data[i:j])
        if len(data) > j:
            desk.opg_lock.from_bytes(data[j:])
    if desk.key_rev and desk.root_key:
        from meter.core import token as native
        try:
            desk.key = native.ratchet(desk.root_key, 0, desk.key_rev)
        finally:
            overlay.release(_ENTRY)
    if desk.ec_setting >= 0:
        desk.cfg.emergency_amount = desk.ec_setting
