"""The meter's persistent state as one fixed-layout byte string (METER.md §9).

Everything that must survive a power cut together — balance, debt, emergency credit, counters,
registrations, protections, the clock's proven interval, supply state, and the token layer's
replay memory, lockout and OpenPAYGO counter — is packed here, so that storage can write it
atomically as one record.  The layout is versioned; an unknown version or a wrong length is
refused (ValueError) and the caller falls back to the safe default (supply on, error shown).
"""
import struct

from micropython import const

from meter.core.remotestate import remote_state

VERSION = const(5)

# (object, attribute, struct code).  Object "m" is the Meter, "c" its Credit, "k" its
# ClockTrust, "r" its RemoteState (meter.core.remotestate).  Append only; a change of meaning
# takes a new VERSION.
_FIELDS = (
    ("m", "supply", "B"),
    ("m", "open_reason", "B"),
    ("m", "medical", "?"),
    ("m", "weather", "?"),
    ("m", "protected", "?"),
    ("m", "free", "?"),
    ("m", "record_lost", "?"),
    ("c", "ec_active", "?"),
    ("c", "balance", "i"),
    ("c", "debt", "i"),
    ("c", "ec_amount", "i"),
    ("c", "frac", "i"),
    ("c", "pulse_frac", "i"),
    ("c", "energy_wh", "i"),
    ("c", "week", "i"),
    ("c", "week_recovered", "i"),
    ("c", "topped_up", "i"),
    ("c", "debt_added", "i"),
    ("c", "debt_recovered", "i"),
    ("c", "energy_charged", "i"),
    ("c", "standing_charged", "i"),
    ("c", "ec_taken", "i"),
    ("m", "reg_start", "i"),
    ("m", "reg_end", "i"),
    ("m", "cancel_until", "i"),
    ("m", "warn_since", "i"),
    ("m", "charged_day", "i"),
    ("m", "untrusted_s", "i"),
    ("k", "p_lo_min", "i"),       # v1: the clock floor (a lower bound, as now)
    ("k", "why", "B"),            # v1: the trust latch (now: why the interval is wide)
    # --- version 2 (ux: protections' end dates, emergency offer, cold-home hold) ---
    ("m", "medical_until", "i"),
    ("m", "weather_until", "i"),
    ("m", "cold", "?"),
    ("m", "cold_until", "i"),
    ("m", "protected_until", "i"),
    ("m", "ec_offer_since", "i"),
    ("m", "cold_home", "?"),
    # --- end of version 2 ---
    # --- version 3 (simtools): energy split into whole kWh and the Wh rest ---
    # energy_wh alone overflowed its int32 after 2.5 years at 100 kW; from version 3 it holds
    # 0..999 and energy_kwh the whole kWh.  Older records load with their Wh total split.
    ("c", "energy_kwh", "i"),
    # --- end of version 3 ---
    # --- version 4 (clock: the proven interval, docs/clock.md).  [lo, hi] and an RTC reading
    # taken at the same instant: after a power-off lo still holds, and the RTC's elapsed time
    # since that reading carries hi (p_hi_min -1: unbounded; p_rtc_min -1: no healthy
    # reading to measure from, -2: the RTC's rate was seen out of tolerance, docs/clock.md) ---
    ("k", "p_lo_sec", "B"),
    ("k", "p_hi_min", "i"),
    ("k", "p_hi_sec", "B"),
    ("k", "p_rtc_min", "i"),
    ("k", "p_rtc_sec", "B"),
    # --- end of version 4 ---
    # --- version 5 (mqtt: the remote channel, meter.core.remotestate.RemoteState) ---
    # the counter of the last accepted remote command, the newest event sequence number the
    # broker acknowledged, and protections set by command to start later (start, end minutes;
    # -1 none) in PROTECT_* order.  Older records load with no command seen and every logged
    # event still to send.
    ("r", "counter", "I"),
    ("r", "acked_seq", "I"),
    ("r", "ps0", "i"), ("r", "ps1", "i"), ("r", "ps2", "i"), ("r", "ps3", "i"),
    ("r", "pe0", "i"), ("r", "pe1", "i"), ("r", "pe2", "i"), ("r", "pe3", "i"),
    # --- end of version 5 ---
)
# fields each older version holds (the first n of _FIELDS); compiled in as constants and the
# older layouts worked out when a record is read (issue 11: each module-level name costs the
# board a qstr for good)
_V1_FIELDS = const(30)
_V2_FIELDS = const(37)
_V3_FIELDS = const(38)
_V4_FIELDS = const(43)


def _fmt(fields):
    # "?" marks a flag; MicroPython's struct has no "?", so flags travel as a byte
    return "<H" + "".join("B" if f[2] == "?" else f[2] for f in fields)


_FMT = _fmt(_FIELDS)
FIXED_SIZE = struct.calcsize(_FMT)


def layout(version):
    """-> (struct format, size, field count) of the fixed part of a record of `version`, or
    None for a version this firmware cannot read."""
    if version == VERSION:
        return _FMT, FIXED_SIZE, len(_FIELDS)
    if not 1 <= version < VERSION:
        return None
    count = (_V1_FIELDS, _V2_FIELDS, _V3_FIELDS, _V4_FIELDS)[version - 1]
    fmt = _fmt(_FIELDS[:count])
    return fmt, struct.calcsize(fmt), count


def _owner(meter, which):
    if which == "c":
        return meter.credit
    if which == "k":
        return meter.clock
    if which == "r":
        return remote_state(meter)
    return meter


def pack(meter):
    """-> bytes: the fixed fields followed by the token layer's blobs (meter.blobs())."""
    meter.clock.snapshot()
    values = [VERSION]
    for which, attr, code in _FIELDS:
        v = getattr(_owner(meter, which), attr)
        values.append((1 if v else 0) if code == "?" else v)
    return struct.pack(_FMT, *values) + meter.blobs()


def unpack(meter, data):
    """Loads data into meter; raises ValueError (meter unchanged) when it is not a record of
    this version."""
    if len(data) < 2:
        raise ValueError("record too short")
    version = data[0] | (data[1] << 8)
    lay = layout(version)
    if lay is None:
        raise ValueError("record version %d" % version)
    fmt, size, count = lay
    if len(data) < size:
        raise ValueError("record too short")
    values = struct.unpack(fmt, data[:size])
    meter.check_blobs(data[size:])            # raises before anything is changed
    if version < 5:
        remote_state(meter).reset()           # no command seen, every event still to send
    for i in range(count):
        which, attr, code = _FIELDS[i]
        v = values[i + 1]
        setattr(_owner(meter, which), attr, (v != 0) if code == "?" else v)
    if version == 1:
        # protections of a version 1 record had no end date
        meter.medical_until = -1 if not meter.medical else 0x3FFFFFFF
        meter.weather_until = -1 if not meter.weather else 0x3FFFFFFF
        meter.protected_until = -1 if not meter.protected else 0x3FFFFFFF
        meter.cold = False
        meter.cold_until = -1
        meter.ec_offer_since = -1
        meter.cold_home = False
    if version < 3:
        c = meter.credit
        c.energy_kwh = c.energy_wh // 1000
        c.energy_wh -= c.energy_kwh * 1000
    clock = meter.clock
    if version < 4:
        # a floor and a latch: the floor is a lower bound, no upper bound is known
        clock.p_lo_sec = 0
        clock.p_hi_min = -1
        clock.p_rtc_min = -1
    meter.load_blobs(data[size:])
    clock.loaded()
    meter.trusted_prev = clock.why == 0 and clock.p_hi_min >= 0
    meter.warn_level = meter.credit.warning_level()   # already shown before the reboot
