"""Atomic record storage and the event log on a fake flash (METER.md §9, §11)."""
import struct

from fakefs import FakeFS, PowerCut
from meter.core import codes
from meter.eventlog import EventLog
from meter.storage import RecordStore


def payload(balance, filler=40):
    return struct.pack("<i", balance) + bytes(filler)


def balance_of(data):
    return struct.unpack("<i", data[:4])[0]


def test_round_trip_and_newest_wins():
    fs = FakeFS()
    st = RecordStore(fs)
    assert st.load() == (None, codes.RECORD_CORRUPT)     # nothing written yet
    for b in (100, 90, 80):
        assert st.commit(payload(b)) == 0
    again = RecordStore(fs)
    data, status = again.load()
    assert status == 0 and balance_of(data) == 80
    assert again.seq == 3 and st.writes == 3


def test_commit_alternates_slots_and_never_removes():
    fs = FakeFS()
    st = RecordStore(fs)
    st.load()
    st.commit(payload(1))
    st.commit(payload(2))
    assert set(fs.files) == {"/data/rec_a.bin", "/data/rec_b.bin"}
    a = RecordStore(fs)
    a.load()
    assert a.slot == 1


def test_corrupt_newest_slot_falls_back_to_the_other():
    for damage in ("flip", "truncate"):
        fs = FakeFS()
        st = RecordStore(fs)
        st.load()
        st.commit(payload(50))
        st.commit(payload(40))            # in slot B
        if damage == "flip":
            fs.flip("/data/rec_b.bin", 14)
        else:
            fs.truncate("/data/rec_b.bin", 20)
        data, status = RecordStore(fs).load()
        assert status == 0 and balance_of(data) == 50, damage


def test_both_slots_corrupt_or_wrong_magic():
    fs = FakeFS()
    st = RecordStore(fs)
    st.load()
    st.commit(payload(5))
    st.commit(payload(6))
    fs.flip("/data/rec_a.bin", 0)          # magic
    fs.flip("/data/rec_b.bin", 30)         # payload
    assert RecordStore(fs).load() == (None, codes.RECORD_CORRUPT)


def test_mount_failure_is_a_storage_error():
    fs = FakeFS()
    fs.mount_fails = True
    st = RecordStore(fs)
    assert st.load() == (None, codes.STORAGE_ERROR)
    assert st.commit(payload(1)) == codes.STORAGE_ERROR


def test_power_cut_at_every_write_of_a_commit():
    # balances only go down between top-ups: whatever write the cut hits, boot finds the old
    # or the new record, never garbage, and never more credit than was committed
    for n in (1, 2, 3):
        fs = FakeFS()
        st = RecordStore(fs)
        st.load()
        st.commit(payload(300))
        st.commit(payload(200))
        fs.cut_after(n)
        try:
            st.commit(payload(100))
            cut = False
        except PowerCut:
            cut = True
        assert cut
        fs.reboot()
        data, status = RecordStore(fs).load()
        assert status == 0 and balance_of(data) in (200, 100), n
        # the meter carries on from there
        st2 = RecordStore(fs)
        st2.load()
        assert st2.commit(payload(50)) == 0
        assert balance_of(RecordStore(fs).load()[0]) == 50


def test_record_larger_than_slot_refused():
    st = RecordStore(FakeFS(), payload_size=8)
    try:
        st.commit(bytes(9))
    except ValueError:
        return
    raise AssertionError("oversized record accepted")


def test_event_log_ring_keeps_the_newest_256():
    fs = FakeFS()
    log = EventLog(fs)
    log.load()
    for i in range(300):
        log.append(1795867200 + i, i % 2 == 0, i, 40 + i % 10, -i)
    again = EventLog(fs)
    again.load()
    assert again.count() == 256
    newest = again.newest(3)
    assert newest[0] == (1795867200 + 299, 0, 299, 49, -299)
    assert newest[2][0] == 1795867200 + 297
    oldest = again.newest(256)[-1]
    assert oldest[0] == 1795867200 + 44


def test_event_log_torn_entry_loses_only_that_entry():
    fs = FakeFS()
    log = EventLog(fs)
    log.load()
    for i in range(5):
        log.append(1000 + i, True, i, 90, i)
    fs.cut_after(1)
    try:
        log.append(2000, True, 9, 91, 9)
    except PowerCut:
        pass
    fs.reboot()
    again = EventLog(fs)
    again.load()
    assert [e[0] for e in again.newest(10)] == [1004, 1003, 1002, 1001, 1000]


def test_event_log_absent_or_garbage_file():
    fs = FakeFS()
    log = EventLog(fs)
    log.load()
    assert log.count() == 0 and log.newest(5) == []
    with fs.open("/data/events.bin", "wb") as f:
        f.write(b"\xff" * 777)
    log.load()
    assert log.count() == 0
    log.append(5, False, 1, 30, 0)
    assert log.newest(1) == [(5, 0, 1, 30, 0)]
