"""The meter's persistent state as one fixed-layout byte string (METER.md §9).

Everything that must survive a power cut together — balance, debt, emergency credit, counters,
registrations, protections, clock floor and trust latch, supply state, and the token layer's
replay memory, lockout and OpenPAYGO counter — is packed here, so that storage can write it
atomically as one record.  The layout is versioned; an unknown version or a wrong length is
refused (ValueError) and the caller falls back to the safe default (supply on, error shown).
"""
import struct

from micropython import const

VERSION = const(1)

# (object, attribute, struct code).  Object "m" is the Meter, "c" its Credit, "k" its
# ClockTrust.  Append only; a change of meaning takes a new VERSION.
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
    ("k", "floor", "i"),
    ("k", "latched", "B"),
)

# "?" marks a flag; MicroPython's struct has no "?", so flags travel as a byte
_FMT = "<H" + "".join("B" if f[2] == "?" else f[2] for f in _FIELDS)
FIXED_SIZE = struct.calcsize(_FMT)


def _owner(meter, which):
    if which == "c":
        return meter.credit
    if which == "k":
        return meter.clock
    return meter


def pack(meter):
    """-> bytes: the fixed fields followed by the token layer's blobs (meter.blobs())."""
    values = [VERSION]
    for which, attr, code in _FIELDS:
        v = getattr(_owner(meter, which), attr)
        values.append((1 if v else 0) if code == "?" else v)
    return struct.pack(_FMT, *values) + meter.blobs()


def unpack(meter, data):
    """Loads data into meter; raises ValueError (meter unchanged) when it is not a record of
    this version."""
    if len(data) < FIXED_SIZE:
        raise ValueError("record too short")
    values = struct.unpack(_FMT, data[:FIXED_SIZE])
    if values[0] != VERSION:
        raise ValueError("record version %d" % values[0])
    meter.check_blobs(data[FIXED_SIZE:])      # raises before anything is changed
    for i in range(len(_FIELDS)):
        which, attr, code = _FIELDS[i]
        v = values[i + 1]
        setattr(_owner(meter, which), attr, (v != 0) if code == "?" else v)
    meter.load_blobs(data[FIXED_SIZE:])
    meter.clock.loaded()
    meter.trusted_prev = meter.clock.latched == 0
    meter.warn_level = meter.credit.warning_level()   # already shown before the reboot
