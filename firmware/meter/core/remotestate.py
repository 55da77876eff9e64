"""The remote channel's part of the meter's atomic record (meter.core.record), apart from the
channel itself (meter.core.remote): a meter without a network still stores these fields, and
must not load the command format and its HMAC to do so (issue 11, heap).
"""


class RemoteState:
    """What the remote channel keeps in the meter's atomic record (core/record.py): the counter
    of the last accepted command (so a replay after a reboot is still a replay), the sequence
    number of the newest event the broker acknowledged (store-and-forward resumes after it),
    and protections set by command to start later, as ps<i>/pe<i> (start and end minutes, -1
    none) for i in meter.core.meter's PROTECT_* order (medical, weather, cold, customer)."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.counter = 0
        self.acked_seq = 0
        self.ps0 = self.ps1 = self.ps2 = self.ps3 = -1
        self.pe0 = self.pe1 = self.pe2 = self.pe3 = -1

    def start(self, i):
        return self.ps0 if i == 0 else self.ps1 if i == 1 else self.ps2 if i == 2 else self.ps3

    def end(self, i):
        return self.pe0 if i == 0 else self.pe1 if i == 1 else self.pe2 if i == 2 else self.pe3

    def set_window(self, i, start, end):
        if i == 0:
            self.ps0, self.pe0 = start, end
        elif i == 1:
            self.ps1, self.pe1 = start, end
        elif i == 2:
            self.ps2, self.pe2 = start, end
        else:
            self.ps3, self.pe3 = start, end


def remote_state(meter):
    """The meter's RemoteState, made on first use (the core Meter does not need to know it)."""
    r = getattr(meter, "remote", None)
    if r is None:
        r = RemoteState()
        meter.remote = r
    return r
