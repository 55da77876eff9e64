"""The meter's persistent state as one fixed-layout byte string (METER.md §9).

Everything that must survive a power cut together — balance, debt, emergency credit, counters,
registrations, protections, clock floor and trust latch, supply state, and the token layer's
replay memory, lockout and OpenPAYGO counter — is packed here, so that storage can write it
atomically as one record.  The layout is versioned; an unknown version or a wrong length is
refused (ValueError) and the caller falls back to the safe default (supply on, error shown).
"""
import struct

from micropython import const

VERSION = const(2)

# (object, attribute, struct code).  Object "m" is the Meter, "c" its Credit, "k" its
# ClockTrust, "r" its RemoteState.  Append only; a change of meaning takes a new VERSION.
_FIELDS_V1 = (
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

# --- record version 2: the remote channel (mqtt helper; meter.core.remote.RemoteState) ------
# The counter of the last accepted remote command, the newest event sequence number the broker
# acknowledged, and protection windows set by command.  A version 1 record loads with these
# at their defaults (no command seen, every logged event still to send).
_FIELDS_REMOTE = (
    ("r", "counter", "I"),
    ("r", "acked_seq", "I"),
    ("r", "ps0", "i"), ("r", "ps1", "i"), ("r", "ps2", "i"),
    ("r", "pe0", "i"), ("r", "pe1", "i"), ("r", "pe2", "i"),
)
# --- end of the remote channel block ---------------------------------------------------------

_FIELDS = _FIELDS_V1 + _FIELDS_REMOTE

# "?" marks a flag; MicroPython's struct has no "?", so flags travel as a byte
def _fmt(fields):
    return "<H" + "".join("B" if f[2] == "?" else f[2] for f in fields)


_FMT = _fmt(_FIELDS)
FIXED_SIZE = struct.calcsize(_FMT)
_LAYOUTS = {1: (_FIELDS_V1, _fmt(_FIELDS_V1), struct.calcsize(_fmt(_FIELDS_V1))),
            VERSION: (_FIELDS, _FMT, FIXED_SIZE)}


def remote_state(meter):
    """The meter's RemoteState, made on first use (the core Meter does not need to know it)."""
    r = getattr(meter, "remote", None)
    if r is None:
        from meter.core.remote import RemoteState
        r = RemoteState()
        meter.remote = r
    return r


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
    layout = _LAYOUTS.get(data[0] | (data[1] << 8))
    if layout is None:
        raise ValueError("record version %d" % (data[0] | (data[1] << 8)))
    fields, fmt, size = layout
    if len(data) < size:
        raise ValueError("record too short")
    values = struct.unpack(fmt, data[:size])
    meter.check_blobs(data[size:])            # raises before anything is changed
    if fields is not _FIELDS:
        r = remote_state(meter)
        from meter.core.remote import RemoteState
        fresh = RemoteState()
        for which, attr, code in _FIELDS_REMOTE:
            setattr(r, attr, getattr(fresh, attr))
    for i in range(len(fields)):
        which, attr, code = fields[i]
        v = values[i + 1]
        setattr(_owner(meter, which), attr, (v != 0) if code == "?" else v)
    meter.load_blobs(data[size:])
    meter.clock.loaded()
    meter.trusted_prev = meter.clock.latched == 0
    meter.warn_level = meter.credit.warning_level()   # already shown before the reboot
