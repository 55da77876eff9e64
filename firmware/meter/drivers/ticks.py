"""Millisecond tick arithmetic shared by the drivers.

Drivers never read a clock: the app passes `now_ms` from time.ticks_ms() (tests pass a fake
clock).  MicroPython's ticks wrap at 2**30 on every port, so differences are taken modulo 2**30
and read as signed: valid for intervals up to about 6 days, far beyond any driver timeout.
Small-int arithmetic only, so calling it from a hot path or an IRQ handler never allocates.
"""
from micropython import const

_MASK = const(0x3FFFFFFF)
_HALF = const(0x20000000)
_PERIOD = const(0x40000000)


def diff(a, b):
    """a - b for wrapping tick values (like time.ticks_diff)."""
    d = (a - b) & _MASK
    return d - _PERIOD if d & _HALF else d


def add(a, ms):
    """a + ms, wrapped like a tick value (like time.ticks_add)."""
    return (a + ms) & _MASK


def elapsed(now, then):
    """now - then as an unsigned tick difference (0 .. 2**30-1): for 'how long since', where
    the past may be arbitrarily far back (it wraps after about 12 days)."""
    return (now - then) & _MASK
