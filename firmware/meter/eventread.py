"""Reading the event log (meter/eventlog.py, whose ring layout it reads): what the console's
`events`, the LCD's page D and the remote channel's store-and-forward ask of it.  Apart from
EventLog, which a meter keeps for every event it logs, so that a board loads this only where
the log is read (issue 11: the deploy path's heap).  Each function takes the EventLog.
"""
from meter.eventlog import ENTRY_SIZE


def count(log):
    """Number of entries the log holds (at most `entries`)."""
    total = 0
    for b in log._valid:
        while b:
            total += b & 1
            b >>= 1
    return total + len(log._ram)


def newest(log, n):
    """-> up to n entries, newest first, each (utc or None, trusted 0/1, mono, code,
    value); utc is None for an event logged while the date was unknown."""
    if not log._loaded:
        log.load()
    out = []
    size = log.entries
    seq = log.seq
    stop = seq - size if seq > size else 0
    f = None
    try:
        while seq > stop and len(out) < n:
            e = None
            for r in log._ram:
                if r[0] == seq:
                    e = r
            slot = seq % size
            if e is None and log._bit(slot):
                if f is None:
                    f = log.fs.open(log.path, "rb")
                f.seek(slot * ENTRY_SIZE)
                if f.readinto(log._buf) == ENTRY_SIZE:
                    e = log._decode()
                    if e is not None and e[0] != seq:
                        e = None
            if e is not None:
                out.append((e[1], e[2], e[3], e[4], e[5]))
            seq -= 1
    except OSError:
        log.ok = False                  # what was read so far is still the newest
    if f is not None:
        try:
            f.close()
        except OSError:
            pass
    return out


def oldest_seq(log):
    """The oldest sequence number the ring can still hold (store-and-forward starts here
    when more events happened offline than the ring keeps)."""
    return log.seq - log.entries + 1 if log.seq > log.entries else 1


def entry(log, seq):
    """-> (utc, trusted 0/1, mono, code, value) of event `seq`, or None when the ring no
    longer (or never) held it."""
    if seq < 1 or seq > log.seq or seq < oldest_seq(log):
        return None
    for r in log._ram:
        if r[0] == seq:
            return r[1], r[2], r[3], r[4], r[5]
    slot = seq % log.entries
    if not log._bit(slot):
        return None
    try:
        with log.fs.open(log.path, "rb") as f:
            f.seek(slot * ENTRY_SIZE)
            if f.readinto(log._buf) != ENTRY_SIZE:
                return None
    except OSError:
        return None
    e = log._decode()
    if e is None or e[0] != seq:
        return None
    return e[1], e[2], e[3], e[4], e[5]
