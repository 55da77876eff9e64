"""The persistent event ring (METER.md §8): order, wrap, one write per event, damage, faults."""
from fakefs import FakeFS, PowerCut
from mpcompat import raises
from meter.eventlog import ENTRY_SIZE, EventLog
from meter.eventread import count, newest

PATH = "/data/events.bin"
T0 = 1795867200                      # 2026-11-28, above 2**30: a long int on MicroPython


def fresh(entries=256):
    fs = FakeFS()
    log = EventLog(fs, PATH, entries)
    log.load()
    return fs, log


def reopened(fs, entries=256):
    log = EventLog(fs, PATH, entries)
    log.load()
    return log


def fill(log, count, first=0):
    for i in range(first, first + count):
        assert log.append(T0 + i, i % 2 == 0, i, 40 + i % 10, -i)


def test_absent_file_is_an_empty_log():
    fs, log = fresh()
    assert count(log) == 0 and newest(log, 5) == [] and log.ok and log.seq == 0


def test_append_and_read_back_newest_first():
    fs, log = fresh()
    log.append(T0, True, 5, 39, 0)
    log.append(T0 + 60, False, 65, 33, -7200)
    log.append(0xFFFFFFFF, True, 0xFFFFFFFF, 61, 0x7FFFFFFF)
    want = [(0xFFFFFFFF, 1, 0xFFFFFFFF, 61, 0x7FFFFFFF), (T0 + 60, 0, 65, 33, -7200),
            (T0, 1, 5, 39, 0)]
    assert newest(log, 10) == want
    assert newest(log, 1) == want[:1] and newest(log, 0) == []
    again = reopened(fs)
    assert newest(again, 10) == want and count(again) == 3 and again.seq == 3


def test_one_in_place_write_per_event():
    fs, log = fresh()
    fill(log, 10)
    writes = fs.writes
    log.append(T0, True, 1, 90, 0)
    assert fs.writes == writes + 1
    assert len(fs.files[PATH]) == 12 * ENTRY_SIZE     # slot 0 unused until the ring wraps


def test_ring_wraps_at_256_and_keeps_the_newest():
    fs, log = fresh()
    fill(log, 300)
    assert count(log) == 256
    assert len(fs.files[PATH]) == 256 * ENTRY_SIZE     # the file never grows past the ring
    again = reopened(fs)
    assert count(again) == 256 and again.seq == 300
    top = newest(again, 3)
    assert top[0] == (T0 + 299, 0, 299, 49, -299)
    assert top[2][0] == T0 + 297
    everything = newest(again, 1000)
    assert len(everything) == 256
    assert everything[-1][0] == T0 + 44              # the 45th event is the oldest kept
    # appends after a reload carry on from the newest
    again.append(T0 + 300, True, 300, 90, 1)
    assert newest(reopened(fs), 1)[0][0] == T0 + 300


def test_small_ring():
    fs, log = fresh(4)
    fill(log, 10)
    assert [e[2] for e in newest(reopened(fs, 4), 10)] == [9, 8, 7, 6]


def test_torn_entry_loses_only_that_entry():
    for keep in (0, 1, 10, 19, None):
        fs, log = fresh()
        fill(log, 5)
        fs.cut_after(1, keep)
        raises(PowerCut, log.append, T0 + 99, True, 99, 91, 9)
        fs.reboot()
        again = reopened(fs)
        assert [e[2] for e in newest(again, 10)] == [4, 3, 2, 1, 0], keep
        again.append(T0 + 100, True, 100, 92, 0)     # takes the torn entry's place
        assert [e[2] for e in newest(reopened(fs), 3)] == [100, 4, 3]


def test_torn_entry_after_a_wrap_loses_it_and_the_oldest():
    fs, log = fresh(4)
    fill(log, 6)                                     # kept: events 2, 3, 4, 5
    fs.cut_after(1)
    raises(PowerCut, log.append, T0, True, 6, 90, 0)     # overwrites event 2, the oldest
    fs.reboot()
    assert [e[2] for e in newest(reopened(fs, 4), 10)] == [5, 4, 3]


def test_damaged_entries_are_skipped():
    fs, log = fresh()
    fill(log, 8)
    fs.flip(PATH, 3 * ENTRY_SIZE + 5)                # event 2 (sequence 3)
    fs.flip(PATH, 6 * ENTRY_SIZE + 19)               # event 5, in its check value
    again = reopened(fs)
    assert [e[2] for e in newest(again, 10)] == [7, 6, 4, 3, 1, 0]
    assert count(again) == 6


def test_truncated_and_garbage_files():
    fs, log = fresh()
    fill(log, 8)
    fs.truncate(PATH, 5 * ENTRY_SIZE + 7)            # half of event 4 survives
    assert [e[2] for e in newest(reopened(fs), 10)] == [3, 2, 1, 0]
    for junk in (b"\xff" * 777, b"\x00" * 5120, b"x", b""):
        fs.files[PATH] = bytearray(junk)
        again = reopened(fs)
        assert count(again) == 0 and newest(again, 3) == []
        assert again.append(5, False, 1, 30, 0)
        assert newest(again, 1) == [(5, 0, 1, 30, 0)]
        assert newest(reopened(fs), 5) == [(5, 0, 1, 30, 0)]


def test_leftover_from_an_older_lap_is_not_an_event():
    fs, log = fresh(4)
    fill(log, 8)                                     # slot 1 holds the 5th event (sequence 5)
    old_fs, old = fresh(4)
    old.append(T0, True, 777, 90, 0)                 # sequence 1, also for slot 1
    fs.files[PATH][ENTRY_SIZE:2 * ENTRY_SIZE] = old_fs.files[PATH][ENTRY_SIZE:2 * ENTRY_SIZE]
    again = reopened(fs, 4)
    assert [e[2] for e in newest(again, 10)] == [7, 6, 5]
    assert count(again) == 3


def test_mount_failure_keeps_the_last_events_in_ram():
    fs = FakeFS()
    fs.mount_fails = True
    log = EventLog(fs, PATH)
    log.load()
    assert count(log) == 0
    assert not log.append(T0, False, 1, 90, 0)       # BOOT
    assert not log.append(T0, False, 1, 61, 0)       # STORAGE ERROR
    assert not log.ok
    assert [e[3] for e in newest(log, 5)] == [61, 90] and count(log) == 2
    for i in range(20):
        log.append(T0 + i, False, 2 + i, 41, i)
    assert count(log) == 8 and len(newest(log, 50)) == 8
    assert newest(log, 1)[0][4] == 19


def test_write_failure_then_recovery():
    fs, log = fresh()
    fill(log, 3)
    fs.mount_fails = True
    assert not log.append(T0 + 50, True, 50, 61, 0)
    fs.mount_fails = False
    assert log.append(T0 + 51, True, 51, 90, 0)
    assert [e[2] for e in newest(log, 10)] == [51, 50, 2, 1, 0]
    assert [e[2] for e in newest(reopened(fs), 10)] == [51, 2, 1, 0]   # 50 never reached flash


def test_values_are_clamped_never_raised():
    fs, log = fresh()
    log.append(-5, 1, -1, 300, 1 << 40)
    log.append(1 << 40, 0, 1 << 33, -1, -(1 << 40))
    assert newest(reopened(fs), 2) == [(0xFFFFFFFF, 0, 0xFFFFFFFF, 0, -0x80000000),
                                      (0, 1, 0, 255, 0x7FFFFFFF)]


def test_append_before_load_keeps_the_existing_log():
    fs, log = fresh()
    fill(log, 3)
    late = EventLog(fs, PATH)
    late.append(T0 + 9, True, 9, 90, 0)
    assert [e[2] for e in newest(reopened(fs), 10)] == [9, 2, 1, 0]


def test_directory_is_created_when_missing():
    fs = FakeFS()
    log = EventLog(fs, PATH)
    assert log.append(T0, True, 1, 90, 0)
    assert "/data" in fs.dirs and len(fs.files[PATH]) == ENTRY_SIZE * 2
