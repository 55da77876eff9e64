"""Keypad entry state machine (METER.md §7): typing, deleting, submitting, the 20-digit limit,
the scrolled echo, timeouts across tick wraparound, pages and subpages, # on an empty entry,
the lock hook, unknown keys, and no allocation per key under MicroPython."""
import gc

from mpcompat import raises
from meter.core import keypad as K
from meter.core.keypad import Entry, ticks_diff

WRAP = 1 << 30                         # MicroPython ticks_ms period


def typed(e, keys, t=0, step=100):
    """Presses each character of keys; -> list of actions."""
    out = []
    for k in keys:
        out.append(e.press(k, t))
        t = (t + step) % WRAP
    return out


def line(e):
    buf = bytearray(16)
    e.render(buf)
    return buf.decode()


def test_ticks_diff_wraps():
    assert ticks_diff(5, 3) == 2
    assert ticks_diff(3, 5) == -2
    assert ticks_diff(10, WRAP - 10) == 20
    assert ticks_diff(WRAP - 10, 10) == -20
    assert ticks_diff(0, 0) == 0
    assert ticks_diff((1 << 29) - 1, 0) == (1 << 29) - 1
    assert ticks_diff(1 << 29, 0) == -(1 << 29)


def test_fresh_entry():
    e = Entry()
    assert not e.active()
    assert e.count == 0
    assert e.page == -1
    assert e.subpage == 0
    assert e.digits() == ""
    assert line(e) == " " * 16
    assert e.tick(123456) == K.NONE


def test_typing_digits():
    e = Entry()
    assert typed(e, "0123456789") == [K.DIGIT] * 10
    assert e.active()
    assert e.count == 10
    assert e.digits() == "0123456789"
    assert line(e) == "0123456789      "


def test_delete():
    e = Entry()
    typed(e, "123")
    assert e.press("*", 500) == K.DELETE
    assert e.digits() == "12"
    assert e.count == 2
    assert line(e) == "12              "
    assert typed(e, "**", 600) == [K.DELETE, K.DELETE]
    assert not e.active()
    assert e.press("*", 900) == K.NONE            # nothing left to delete
    assert e.count == 0
    assert typed(e, "45", 1000) == [K.DIGIT, K.DIGIT]
    assert e.digits() == "45"


def test_submit_9_digits():
    e = Entry()
    typed(e, "123456789")
    assert e.press("#", 1000) == K.SUBMIT
    assert e.digits() == "123456789"              # readable right after SUBMIT
    assert e.count == 0
    assert not e.active()
    assert line(e) == " " * 16
    assert e.press("5", 1100) == K.DIGIT          # the next entry starts afresh
    assert e.digits() == "5"


def test_submit_20_digits():
    e = Entry()
    token = "12345678901234567890"
    assert typed(e, token) == [K.DIGIT] * 20
    assert e.count == 20
    assert e.press("#", 5000) == K.SUBMIT
    assert e.digits() == token
    assert e.tick(5001) == K.NONE
    assert e.digits() == token                    # tick() does not drop it
    assert e.press("*", 5100) == K.NONE           # any key does
    assert e.digits() == ""


def test_submitted_digits_dropped_by_clear():
    e = Entry()
    typed(e, "12345")
    assert e.press("#", 1000) == K.SUBMIT
    e.clear()
    assert e.digits() == ""


def test_max_20_digits():
    e = Entry()
    typed(e, "1" * 20)
    assert not e.overflow
    assert e.press("9", 3000) == K.IGNORED
    assert e.overflow
    assert e.count == 20
    assert e.digits() == "1" * 20
    assert e.press("9", 3100) == K.IGNORED
    assert e.overflow
    assert e.press("*", 3200) == K.DELETE
    assert not e.overflow
    assert e.count == 19
    assert e.press("2", 3300) == K.DIGIT
    assert e.digits() == "1" * 19 + "2"


def test_render_up_to_16_digits():
    e = Entry()
    typed(e, "9")
    assert line(e) == "9               "
    typed(e, "876543210123456", 1000)
    assert e.count == 16
    assert line(e) == "9876543210123456"


def test_render_scrolls_17_to_20_digits():
    e = Entry()
    typed(e, "12345678901234567")
    assert line(e) == "<345678901234567"
    typed(e, "8", 5000)
    assert line(e) == "<456789012345678"
    typed(e, "90", 6000)
    assert e.count == 20
    assert line(e) == "<678901234567890"
    e.press("*", 7000)
    assert line(e) == "<567890123456789"
    typed(e, "***", 8000)
    assert line(e) == "1234567890123456"


def test_render_overwrites_old_content_and_checks_size():
    e = Entry()
    buf = bytearray(b"XXXXXXXXXXXXXXXXYY")
    typed(e, "42")
    e.render(buf)
    assert bytes(buf) == b"42              YY"          # only the first 16 bytes
    raises(ValueError, e.render, bytearray(15))
    mv = memoryview(bytearray(16))
    e.render(mv)
    assert bytes(mv) == b"42              "


def test_entry_timeout():
    e = Entry()
    typed(e, "1234", 0, 1000)                     # last key at 3000
    assert e.tick(32999) == K.NONE
    assert e.active()
    assert e.tick(33000) == K.TIMEOUT
    assert not e.active()
    assert e.digits() == ""
    assert e.tick(33001) == K.NONE                # reported once


def test_timeout_counts_from_the_last_key():
    e = Entry()
    typed(e, "12", 0)
    assert e.tick(29000) == K.NONE
    e.press("3", 29000)
    assert e.tick(58999) == K.NONE
    assert e.tick(59000) == K.TIMEOUT


def test_delete_and_page_keys_count_as_keys():
    e = Entry()
    e.press("1", 0)
    e.press("2", 0)
    e.press("*", 20000)
    assert e.tick(49999) == K.NONE
    assert e.tick(50000) == K.TIMEOUT


def test_timeout_across_wraparound():
    e = Entry()
    start = WRAP - 10000
    typed(e, "55555", start, 1000)                # last key at WRAP - 6000
    assert e.tick(WRAP - 1) == K.NONE
    assert e.tick(0) == K.NONE
    assert e.tick(23999) == K.NONE
    assert e.active()
    assert e.tick(24000) == K.TIMEOUT
    assert not e.active()


def test_stale_digits_never_join_a_new_entry():
    e = Entry()
    typed(e, "999", 1000)
    assert e.press("1", 1000 + 60000) == K.DIGIT  # tick() never ran in between
    assert e.digits() == "1"


def test_timeout_custom_and_bad_settings():
    e = Entry(timeout_ms=5000, page_ms=2000)
    e.press("1", 100)
    assert e.tick(5099) == K.NONE
    assert e.tick(5100) == K.TIMEOUT
    raises(ValueError, Entry, 0)
    raises(ValueError, Entry, 30000, 0)
    raises(ValueError, Entry, 1 << 29)


def test_pages_and_subpages():
    e = Entry()
    assert e.press("A", 0) == K.PAGE
    assert (e.page, e.subpage) == (0, 0)
    assert e.press("B", 10) == K.PAGE
    assert (e.page, e.subpage) == (1, 0)
    assert e.press("C", 20) == K.PAGE
    assert (e.page, e.subpage) == (2, 0)
    assert e.press("D", 30) == K.PAGE
    assert (e.page, e.subpage) == (3, 0)
    assert typed(e, "DDD", 40) == [K.PAGE] * 3
    assert (e.page, e.subpage) == (3, 3)
    assert e.press("A", 500) == K.PAGE            # another page starts at its first screen
    assert (e.page, e.subpage) == (0, 0)
    assert not e.active()


def test_page_closes_after_30_s():
    e = Entry()
    e.press("D", 1000)
    e.press("D", 2000)
    assert e.tick(31999) == K.NONE
    assert e.page == 3
    assert e.tick(32000) == K.NONE                # silently
    assert (e.page, e.subpage) == (-1, 0)
    e.press("D", 40000)                           # opens afresh
    assert (e.page, e.subpage) == (3, 0)


def test_page_expires_before_a_late_press():
    e = Entry()
    e.press("D", 0)
    e.press("D", 10)
    assert e.press("D", 40000) == K.PAGE          # tick() never ran: still a fresh page
    assert (e.page, e.subpage) == (3, 0)


def test_page_close_across_wraparound():
    e = Entry()
    e.press("C", WRAP - 100)
    assert e.tick(29899) == K.NONE
    assert e.page == 2
    e.tick(29900)
    assert e.page == -1


def test_digit_leaves_the_page():
    e = Entry()
    typed(e, "DD")
    assert e.press("7", 1000) == K.DIGIT
    assert (e.page, e.subpage) == (-1, 0)
    assert e.digits() == "7"


def test_page_keys_ignored_while_typing():
    e = Entry()
    typed(e, "123")
    assert e.press("A", 1000) == K.IGNORED
    assert e.page == -1
    assert e.digits() == "123"


def test_star_without_digits_closes_the_page():
    e = Entry()
    e.press("B", 0)
    assert e.press("*", 100) == K.NONE
    assert e.page == -1


def test_hash_on_empty_entry():
    e = Entry()
    assert e.press("#", 0) == K.HASH
    assert e.digits() == ""
    e.press("B", 100)
    assert e.press("#", 200) == K.HASH            # accept emergency credit on page B
    assert e.page == 1                            # the caller still sees the page
    typed(e, "12**", 300)
    assert e.press("#", 1000) == K.HASH           # everything deleted: no SUBMIT


def test_hash_keeps_the_page_open():
    e = Entry()
    e.press("B", 0)
    e.press("#", 20000)
    assert e.tick(49999) == K.NONE
    assert e.page == 1
    e.tick(50000)
    assert e.page == -1


def test_unknown_keys_ignored():
    e = Entry()
    typed(e, "12")
    for k in ("x", "E", "a", "", "12", " ", "\n", "\u00e9", None, 5, b"1", 1.5, ["1"]):
        assert e.press(k, 500) == K.IGNORED, k
    assert e.digits() == "12"
    assert e.page == -1
    assert e.tick(30100) == K.TIMEOUT             # unknown keys do not extend the entry


def test_lock_refuses_digits_only():
    e = Entry()
    e.locked_until_ms = 60000
    assert e.locked(0)
    assert e.press("1", 0) == K.IGNORED
    assert not e.active()
    assert e.press("#", 10) == K.HASH             # reconnect still works
    assert e.press("A", 20) == K.PAGE
    assert e.press("*", 30) == K.NONE
    assert e.press("1", 59999) == K.IGNORED
    assert e.press("1", 60000) == K.DIGIT
    assert e.locked_until_ms == -1
    assert not e.locked(60001)


def test_lock_across_wraparound():
    e = Entry()
    e.locked_until_ms = 5000
    assert e.press("1", WRAP - 5000) == K.IGNORED
    assert e.tick(4999) == K.NONE
    assert e.locked_until_ms == 5000
    e.tick(5000)
    assert e.locked_until_ms == -1
    assert e.press("1", 5001) == K.DIGIT


def test_clear():
    e = Entry()
    typed(e, "DD")
    e.clear()
    assert (e.page, e.subpage) == (-1, 0)
    typed(e, "123")
    e.clear()
    assert not e.active()
    assert e.digits() == ""
    assert e.tick(100000) == K.NONE


def test_actions_are_distinct():
    acts = (K.NONE, K.DIGIT, K.DELETE, K.SUBMIT, K.HASH, K.PAGE, K.IGNORED, K.TIMEOUT)
    assert len(set(acts)) == len(acts)
    assert K.NONE == 0


_SESSION = tuple("12345678901234567890" "9*A#DDx#")   # keys built once, outside the measure


def _session(e, t):
    keys = _SESSION
    for i in range(len(keys)):
        e.press(keys[i], t)
    e.tick(t + 40000)


def test_no_allocation_per_key():
    if not hasattr(gc, "mem_alloc"):
        return                                    # CPython: nothing to measure
    e = Entry()
    buf = bytearray(16)
    _session(e, 0)                                # warm up
    e.render(buf)
    gc.collect()
    gc.disable()
    try:
        before = gc.mem_alloc()
        for i in range(10):
            _session(e, i * 50000)
            e.render(buf)
        used = gc.mem_alloc() - before
    finally:
        gc.enable()
    assert used == 0, used
