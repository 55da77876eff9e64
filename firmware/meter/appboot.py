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

_RECORD = ("meter.core.record",)


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
            overlay.release(_RECORD)
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
