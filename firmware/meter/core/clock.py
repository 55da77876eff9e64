"""Clock trust (METER.md §4): may the meter believe its RTC enough to cut on it?

Core time is held as two small ints: `minute` = minutes since 2000-01-01 00:00 UTC (fits a
31-bit small int until 4041) and `second` 0-59.  Unix seconds would be long ints on a 32-bit
MicroPython (> 2**30), so they appear only at the edges (console, tokens, storage).

The clock is trusted only when every check passes on every reading.  Any failure latches: the
reason is kept (and stored in the record) until an authenticated time arrives — a set-time token,
or a vending token typed within `token_time_window` minutes of its issue on a healthy RTC.  A
plausible-looking RTC alone never brings trust back: in July 2020 a plausible but wrong date cut
hundreds of households.
"""
from micropython import const

from meter.core import codes

EPOCH_2000_UNIX = const(946684800)
_SLACK_S = const(10)        # reading granularity: RTC seconds vs tick counter
_TOKEN_AHEAD_MIN = const(2)  # a token may be issued this far "in the future" of our RTC


def to_unix(minute, second=0):
    return EPOCH_2000_UNIX + minute * 60 + second


def from_unix(utc_seconds):
    """-> (minute, second) since 2000; raises ValueError before 2000."""
    t = utc_seconds - EPOCH_2000_UNIX
    if t < 0:
        raise ValueError("before 2000")
    return t // 60, t % 60


class ClockTrust:
    """Judges each RTC reading.  `trusted` and `code` are read by the rest of the core."""

    def __init__(self, cfg, build_minute):
        self.cfg = cfg
        self.build_minute = build_minute
        self.floor = build_minute       # last known-good minute (persisted)
        self.latched = codes.CLOCK_NOT_SET  # why trust was lost; 0 = none (persisted)
        self.trusted = False
        self.code = codes.CLOCK_NOT_SET
        self.changed = False            # trust or code changed at the last check
        self._base_min = -1             # reading/tick pair the drift check measures from
        self._base_s = 0
        self._base_mono = 0

    def loaded(self):
        """After the record is loaded: a latched fault is already known, so the first reading
        after a reboot does not log it again."""
        if self.latched != 0:
            self.code = self.latched

    def check(self, status, osf, minute, second, mono_s):
        """Judges one reading.  status: 0 or an RTC code from the driver; mono_s: monotonic
        seconds since boot.  Returns trusted.  Allocation-free."""
        fault = status
        if fault == 0 and osf:
            fault = codes.OSC_STOPPED
        if fault == 0:
            fault = self._plausible(minute)
        if fault == 0:
            fault = self._drift(minute, second, mono_s)
        if fault != 0 and fault != codes.RTC_NO_ANSWER and fault != codes.RTC_BAD_DATA:
            # the tick comparison is only meaningful from a good reading: start again from here
            self._base_min = -1
        if fault != 0 and self.latched == 0:
            self.latched = fault
        code = self.latched
        trusted = code == 0
        if trusted and minute > self.floor:
            self.floor = minute
        self.changed = trusted != self.trusted or code != self.code
        self.trusted = trusted
        self.code = code
        return trusted

    def _plausible(self, minute):
        if minute < self.build_minute:
            return codes.CLOCK_TOO_EARLY
        if minute < self.floor:
            return codes.CLOCK_BACKWARDS
        if minute > self.floor + self.cfg.max_off_days * 1440:
            return codes.CLOCK_TOO_LATE
        return 0

    def _drift(self, minute, second, mono_s):
        if self._base_min < 0:
            self._rebase(minute, second, mono_s)
            return 0
        elapsed = mono_s - self._base_mono
        rtc_elapsed = (minute - self._base_min) * 60 + (second - self._base_s)
        allowed = _SLACK_S + self.cfg.drift_s_per_day * elapsed // 86400
        diff = rtc_elapsed - elapsed
        if diff > allowed:
            return codes.CLOCK_JUMPED
        if diff < -allowed:
            return codes.CLOCK_BACKWARDS
        return 0

    def _rebase(self, minute, second, mono_s):
        self._base_min = minute
        self._base_s = second
        self._base_mono = mono_s

    # --- authenticated time (tokens) -------------------------------------------------------

    def set_time(self, minute, mono_s):
        """A set-time token (authenticated) says it is `minute` now.  Returns 0 when accepted
        (the caller writes the RTC), or TOKEN_TIME_BAD for a token older than the floor: an
        old unused set-time token must not wind the clock back."""
        if minute < self.floor - self.cfg.token_time_window:
            return codes.TOKEN_TIME_BAD
        self.floor = minute
        self._restore(minute, 0, mono_s)
        return 0

    def token_seen(self, issue_minute, status, osf, minute, second, mono_s):
        """Any valid token proves the time is at least its issue minute.

        Returns True when the token restored trust."""
        if issue_minute > self.floor:
            self.floor = issue_minute
        if issue_minute > minute + _TOKEN_AHEAD_MIN:
            # our RTC is behind a proven instant
            if self.latched == 0:
                self.latched = codes.CLOCK_BACKWARDS
                self._set(False, codes.CLOCK_BACKWARDS)
            return False
        if self.latched == 0 or status != 0 or osf:
            return False
        if minute - issue_minute <= self.cfg.token_time_window and minute >= self.build_minute:
            self._restore(minute, second, mono_s)
            return True
        return False

    def _restore(self, minute, second, mono_s):
        self.latched = 0
        self._rebase(minute, second, mono_s)
        self._set(True, 0)

    def _set(self, trusted, code):
        self.changed = trusted != self.trusted or code != self.code
        self.trusted = trusted
        self.code = code
