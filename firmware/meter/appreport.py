"""What the console reports about the app (`status`, `clock`, `events`, `info`) and the
test-mode commands a board carries out; a board loads this module for one request and
releases it (meter/overlay.py, issue 11): a meter whose console is not used keeps none of it.
"""
import sys

from meter.core import calendar, codenames, policy
from meter.core import isotime
from meter.core.clock import EPOCH_2000_UNIX, from_unix
from meter.core.meter import NO_END, PROTECT_NAMES

from meter.app import FIRMWARE_VERSION

from micropython import const

# codes this module gives (meter.core.codes, docs/codes.md), compiled in as constants:
# a board keeps no name for them (issue 11); host_tests/test_codes.py holds each to
# its number in meter.core.codes
_CLOCK_TRUSTED = const(39)


def _utc_iso(app):
    m = app.meter
    return isotime.iso_utc(EPOCH_2000_UNIX + m.minute * 60 + m.second)


def _local_iso(app):
    """Local time as ISO 8601 with its UTC offset, e.g. 2026-11-28T13:00:00+01:00."""
    m = app.meter
    t = calendar.local_time(EPOCH_2000_UNIX + m.minute * 60 + m.second,
                            app.cfg.tz_std_minutes * 60, app.cfg.tz_eu_dst)
    off = m.local.local_minute(m.minute) - m.minute
    sign = "+" if off >= 0 else "-"
    off = -off if off < 0 else off
    return "%04d-%02d-%02dT%02d:%02d:%02d%s%02d:%02d" % (
        t[0], t[1], t[2], t[3], t[4], t[5], sign, off // 60, off % 60)


def clock_status(app):
    """The console's `clock`: trust, the estimate, the proven interval and its width."""
    clock = app.meter.clock
    hi = None
    if clock.hi_minute >= 0:
        hi = isotime.iso_utc(EPOCH_2000_UNIX + clock.hi_minute * 60 + clock.hi_second)
    return {"trusted": clock.trusted, "utc": _utc_iso(app), "local": _local_iso(app),
            "error_s": clock.error_s if clock.error_s >= 0 else None,
            "lo": isotime.iso_utc(EPOCH_2000_UNIX + clock.lo_minute * 60 +
                                  clock.lo_second),
            "hi": hi, "rtc": codenames.name(clock.rtc_code) if clock.rtc_code else "ok",
            "challenge": "%05d" % clock.challenge if clock.challenge >= 0 else None}

def status(app):
    m = app.meter
    c = m.credit
    nc = app.next_cut_minute()
    app.display.refresh(app._tick())
    lines = app.display.shown()          # what the LCD was sent, not a recomputation
    out = {
        "ok": True,
        "relay": "closed" if m.relay_closed() else "open",
        "supply": policy.SUPPLY_NAMES[m.supply],
        "balance": c.balance,
        "emergency": {"available": c.ec_available(), "active": c.ec_active,
                      "used": c.ec_used(), "offered_since": isotime.iso_utc(
                          EPOCH_2000_UNIX + m.ec_offer_since * 60)
                      if m.ec_offer_since >= 0 else None},
        "debt": c.debt,
        "clock": app.clock_status(),
        "code": m.reason,
        "reason": codenames.name(m.reason),
        "next_cut": isotime.iso_utc(EPOCH_2000_UNIX + nc * 60) if nc >= 0 else None,
        "lcd": [lines[0], lines[1]],
        "lockout_s": app.desk.lockout_s(app.mono_s),
        "credit_left": c.credit_left(),
        "protections": app.protections(),
        "cold_hold": {"enabled": app.cfg.cold_hold, "on": m.cold_home,
                      "temperature_c": None if m.temp_q == -32768 else m.temp_q / 4},
        "config_error": app.config_error,
        "fault": codenames.name(app.fault_code) if app.fault_code else None,
    }
    opg = app.desk.openpaygo_lockout_s(app.mono_s)
    if opg >= 0:
        out["lockout_openpaygo_s"] = opg
    return out

def protections(app):
    """{"medical": end (ISO UTC) | true (no end date) | null (off), ...}"""
    m = app.meter
    out = {}
    for kind in range(len(PROTECT_NAMES)):
        end = m.protection_end(kind)
        out[PROTECT_NAMES[kind]] = None if end < 0 else True if end == NO_END else \
            isotime.iso_utc(EPOCH_2000_UNIX + end * 60)
    return out

def events(app, n):
    from meter import eventread         # released with this module (meter.app _REPORT)
    out = []
    for utc, trusted, mono, code, value in eventread.newest(app.log, n):
        e = {"utc": isotime.iso_utc(utc) if utc is not None else None,
             "trusted": bool(trusted), "mono_s": mono, "code": code,
             "name": codenames.name(code), "value": value}
        if code == _CLOCK_TRUSTED or 30 <= code <= 38:
            e["source"] = codenames.name(value) if value else None
        out.append(e)
    return out

def info(app):
    impl = sys.implementation
    version = ".".join(str(v) for v in impl.version[:3])
    out = {"ok": True, "board": app.board, "firmware": FIRMWARE_VERSION,
           "serial": app.serial, "identity_error": app.identity_error,
           "config_error": app.config_error}
    if impl.name == "micropython":
        import gc
        out["micropython"] = version
        gc.collect()                      # what the running meter keeps, not garbage
        out["heap_free"] = gc.mem_free()
        out["heap_used"] = gc.mem_alloc()      # now, with this request's code loaded
    else:
        out["cpython"] = version
        out["heap_free"] = None
        out["heap_used"] = None
    out["heap_rest"] = app.heap_rest           # between jobs, sampled by the control task
    return out

def board_test_command(app, cmd, args):
    """Test-mode commands a real board can carry out (bench rigs): `rtc set` writes the
    DS3231, `reboot` resets the MCU shortly after answering, `advance` and `load` move
    the bench's time and load (meter/benchtime.py).  Others answer ok: false."""
    if cmd == "advance" or cmd == "load":
        if app._bench is None:
            from meter.benchtime import BenchTime
            app._bench = BenchTime(app)
        return app._bench.command(cmd, args)
    if cmd == "rtc" and len(args) == 2 and args[0] == "set":
        try:
            utc = isotime.parse_iso_utc(args[1])
            minute, second = from_unix(utc)
        except ValueError:
            return {"ok": False, "error": "rtc set: want YYYY-MM-DDTHH:MM:SSZ"}
        app._write_rtc(minute, second)
        app.control_step()
        return app.status()
    if cmd == "net" and not args and app.net is not None:
        return app.net.status()            # the remote channel's counters
    if cmd == "reboot" and not args:
        app.commit()
        # the console writes and flushes this reply, then calls reset() a little later
        app.reboot_pending = True
        return {"ok": True, "rebooting": True}
    return None
