"""Hardware watchdog fed only while the control step proves it is alive (METER.md §2, §11).

The app calls heartbeat(now_ms) each time a control step completes; a separate feeder task
calls feed(now_ms) about once a second, and the real WDT is fed only if the last heartbeat is
younger than `heartbeat_limit_ms` (default 3 s).  A hung control step (or a hung event loop,
which stops the feeder too) therefore stops the feeding and the board resets within
heartbeat_limit_ms + timeout_ms.  The state after that reset is the last committed record.

The WDT is created lazily by start(now_ms), or by the first heartbeat() if board code did not
call start() earlier: once started a WDT can never be stopped, so it must not exist before the
app is ready to prove itself.  The heartbeat limit starts counting at start().

`wdt` is a WDT-like object (has feed()) or a factory called as factory(timeout_ms); default
machine.WDT(timeout=timeout_ms), imported only at start().  timeout_ms is clamped to
1000..8388 ms (the RP2040 maximum; §2 asks for at most 8 s, the boards use 8000), and the
heartbeat limit to at most half the timeout.
"""
from micropython import const

from meter.drivers.ticks import diff

_MIN_TIMEOUT_MS = const(1000)
_MAX_TIMEOUT_MS = const(8388)


def _machine_wdt(timeout_ms):
    import machine
    return machine.WDT(timeout=timeout_ms)


class GuardedWatchdog:
    def __init__(self, wdt=None, timeout_ms=8000, heartbeat_limit_ms=3000, auto_start=True):
        timeout_ms = max(_MIN_TIMEOUT_MS, min(timeout_ms, _MAX_TIMEOUT_MS))
        self.timeout_ms = timeout_ms
        self.heartbeat_limit_ms = min(heartbeat_limit_ms, timeout_ms // 2)
        if wdt is None:
            self._factory = _machine_wdt
            self._wdt = None
        elif hasattr(wdt, "feed"):
            self._factory = None
            self._wdt = wdt
        else:
            self._factory = wdt
            self._wdt = None
        self._auto_start = auto_start
        self.started = False
        self.starving = False            # feeding stopped: a reset is coming
        self.feeds = 0
        self.heartbeats = 0
        self._beat = 0

    def start(self, now_ms):
        if self.started:
            return
        if self._wdt is None:
            factory = self._factory
            if factory is None:
                raise ValueError("no watchdog")
            self._wdt = factory(self.timeout_ms)
        self.started = True
        self._beat = now_ms

    def heartbeat(self, now_ms):
        if not self.started and self._auto_start:
            self.start(now_ms)
        self._beat = now_ms
        self.heartbeats += 1

    def healthy(self, now_ms):
        return diff(now_ms, self._beat) <= self.heartbeat_limit_ms

    def feed(self, now_ms):
        """Feeds the hardware watchdog if the control step beat recently; -> fed or not."""
        wdt = self._wdt
        if not self.started or wdt is None:
            return False
        if not self.healthy(now_ms):
            self.starving = True
            return False
        self.starving = False
        wdt.feed()
        self.feeds += 1
        return True
