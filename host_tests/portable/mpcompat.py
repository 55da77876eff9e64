"""Test helpers that work under CPython (pytest) and MicroPython alike.

Portable tests (host_tests/portable/test_*.py) are plain `test_*` functions using `assert`; they
must not import pytest or hypothesis, so that tools/mp_test.mjs can run them under real
MicroPython.  `assert` is fine here: tests never run under mpy-cross -O.
"""


def raises(exc_type, fn, *args, **kwargs):
    """Calls fn and checks that it raises exc_type; returns the exception."""
    try:
        fn(*args, **kwargs)
    except exc_type as e:
        return e
    raise AssertionError("expected %s" % exc_type.__name__)
