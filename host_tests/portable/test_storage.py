"""The atomic record store on a fake flash (METER.md §9, §11): slots, sequence, CRC, faults."""
import struct

from binascii import crc32

from fakefs import FakeFS, PowerCut
from mpcompat import raises
from meter.core import codes
from meter.storage import RecordStore, newer

A = "/data/rec_a.bin"
B = "/data/rec_b.bin"


def payload(balance, filler=40):
    return struct.pack("<i", balance) + bytes(filler)


def balance_of(data):
    return struct.unpack("<i", data[:4])[0]


def store_with(*balances):
    fs = FakeFS()
    st = RecordStore(fs)
    for b in balances:
        assert st.commit(payload(b)) == 0
    return fs, st


def loaded(fs):
    return RecordStore(fs).load()


def slot_image(version, seq, body, magic=b"BMR"):
    """A slot file with a correct CRC, for headers the store must refuse on other grounds."""
    head = struct.pack("<4sHHI", magic + bytes((version,)), len(body), 0, seq)
    return head + struct.pack("<I", crc32(body, crc32(head))) + body


def test_fresh_flash_has_no_record():
    fs = FakeFS()
    st = RecordStore(fs)
    assert st.load() == (None, codes.RECORD_CORRUPT)
    assert st.seq == 0 and st.slot == -1 and st.writes == 0


def test_round_trip_and_newest_wins():
    fs, st = store_with(100, 90, 80)
    again = RecordStore(fs)
    data, status = again.load()
    assert status == 0 and data == payload(80)
    assert again.seq == 3 and again.slot == 0 and st.writes == 3
    assert isinstance(data, bytes)


def test_commits_alternate_slots_and_the_newest_is_never_touched():
    fs, st = store_with(10)
    assert set(fs.files) == {A}
    newest = bytes(fs.files[A])
    assert st.commit(payload(9)) == 0
    assert bytes(fs.files[A]) == newest          # the previous record stayed as it was
    assert st.slot == 1 and st.seq == 2
    newest = bytes(fs.files[B])
    assert st.commit(payload(8)) == 0
    assert bytes(fs.files[B]) == newest and st.slot == 0


def test_a_new_store_looks_before_it_writes():
    # committing without load() must not overwrite the newest slot nor restart the sequence
    fs, st = store_with(300, 200, 100)           # newest in A (seq 3)
    late = RecordStore(fs)
    assert late.commit(payload(50)) == 0
    assert late.seq == 4 and late.slot == 1
    data, status = loaded(fs)
    assert status == 0 and balance_of(data) == 50


def test_empty_and_full_size_payloads():
    fs = FakeFS()
    st = RecordStore(fs, payload_size=64)
    assert st.commit(b"") == 0
    assert RecordStore(fs, payload_size=64).load() == (b"", 0)
    assert st.commit(bytes(range(64))) == 0
    assert RecordStore(fs, payload_size=64).load() == (bytes(range(64)), 0)


def test_record_larger_than_its_slot_is_refused():
    st = RecordStore(FakeFS(), payload_size=8)
    raises(ValueError, st.commit, bytes(9))
    assert st.writes == 0
    raises(ValueError, RecordStore, FakeFS(), "/data", 0)


def test_corrupt_newest_slot_falls_back_to_the_other():
    for damage in ("flip header", "flip payload", "flip crc", "truncate", "empty"):
        fs, st = store_with(50, 40)              # 40 is in slot B
        if damage == "flip header":
            fs.flip(B, 8)                        # the sequence number
        elif damage == "flip payload":
            fs.flip(B, 20, 0x01)
        elif damage == "flip crc":
            fs.flip(B, 12)
        elif damage == "truncate":
            fs.truncate(B, 30)
        else:
            fs.truncate(B, 0)
        data, status = loaded(fs)
        assert status == 0 and balance_of(data) == 50, damage


def test_corrupt_older_slot_does_not_matter():
    fs, st = store_with(50, 40)
    fs.flip(A, 17)
    data, status = loaded(fs)
    assert status == 0 and balance_of(data) == 40


def test_both_slots_corrupt_is_record_corrupt():
    fs, st = store_with(5, 6)
    fs.flip(A, 0)                                # magic
    fs.flip(B, 30)                               # payload
    st2 = RecordStore(fs)
    assert st2.load() == (None, codes.RECORD_CORRUPT)
    # the caller starts from a safe default and commits it: that works and wins from then on
    assert st2.commit(payload(0)) == 0
    assert balance_of(loaded(fs)[0]) == 0


def test_truncated_files():
    for size in (0, 3, 15, 16, 17, 59):
        fs, st = store_with(7)
        fs.truncate(A, size)
        assert loaded(fs) == (None, codes.RECORD_CORRUPT), size


def test_wrong_magic_version_or_length_with_a_good_crc():
    body = payload(1234)
    for magic, version, ok in ((b"BMR", 1, True), (b"BMR", 2, False), (b"BMR", 0, False),
                               (b"XMR", 1, False)):
        fs = FakeFS()
        fs.mkdir("/data")
        fs.files[A] = bytearray(slot_image(version, 9, body, magic))
        data, status = loaded(fs)
        if ok:
            assert status == 0 and balance_of(data) == 1234
        else:
            assert (data, status) == (None, codes.RECORD_CORRUPT), (magic, version)
    # a length beyond the slot size is refused before it is trusted
    fs = FakeFS()
    fs.mkdir("/data")
    fs.files[A] = bytearray(slot_image(1, 9, bytes(100)))
    assert RecordStore(fs, payload_size=64).load() == (None, codes.RECORD_CORRUPT)


def test_mount_failure_is_a_storage_error():
    fs, st = store_with(70)
    fs.mount_fails = True
    st = RecordStore(fs)
    assert st.load() == (None, codes.STORAGE_ERROR)
    assert st.commit(payload(1)) == codes.STORAGE_ERROR
    fs.mount_fails = False                        # the data was never touched
    assert balance_of(loaded(fs)[0]) == 70


def test_unreadable_slot():
    fs, st = store_with(60, 50)                   # 50 in B
    fs.io_errors.add(B)
    data, status = loaded(fs)
    assert status == 0 and balance_of(data) == 60    # the readable one is used
    fs.io_errors.add(A)
    assert loaded(fs) == (None, codes.STORAGE_ERROR)
    fs.io_errors.clear()
    fs.flip(A, 20)
    fs.io_errors.add(B)
    assert loaded(fs) == (None, codes.STORAGE_ERROR)  # no valid record, and a read failed


def test_a_write_that_does_not_read_back_is_a_storage_error():
    class BitRotFS(FakeFS):
        rot = False

        def open(self, path, mode="rb"):
            f = FakeFS.open(self, path, mode)
            if self.rot and "w" in mode:
                class Rotten:
                    def write(self, buf):
                        data = bytearray(buf)
                        data[-1] ^= 0x10          # the flash kept one bit wrong
                        return f.write(data)

                    def flush(self):
                        f.flush()

                    def __enter__(self):
                        return self

                    def __exit__(self, *exc):
                        f.close()
                return Rotten()
            return f

    fs = BitRotFS()
    st = RecordStore(fs)
    assert st.commit(payload(30)) == 0
    fs.rot = True
    assert st.commit(payload(20)) == codes.STORAGE_ERROR
    assert st.seq == 1 and st.slot == 0
    fs.rot = False
    assert balance_of(loaded(fs)[0]) == 30
    assert st.commit(payload(20)) == 0 and st.seq == 2


def test_power_cut_during_a_commit_keeps_the_old_record():
    for keep in (0, 1, 16, 30, 59, None):
        fs, st = store_with(300, 200)
        writes = fs.writes
        fs.cut_after(1, keep)
        raises(PowerCut, st.commit, payload(100))
        assert fs.writes == writes + 1            # one low-level write per commit
        raises(PowerCut, st.load)                 # no power until the reboot
        fs.reboot()
        data, status = loaded(fs)
        assert status == 0 and balance_of(data) in (200, 100), keep
        st2 = RecordStore(fs)
        st2.load()
        assert st2.commit(payload(50)) == 0
        assert balance_of(loaded(fs)[0]) == 50
        assert balance_of(RecordStore(fs).load()[0]) == 50


def test_power_cut_in_the_first_commit_is_no_record_not_garbage():
    fs = FakeFS()
    fs.cut_after(1)
    raises(PowerCut, RecordStore(fs).commit, payload(1))
    fs.reboot()
    assert loaded(fs) == (None, codes.RECORD_CORRUPT)


def test_sequence_comparison_wraps():
    assert newer(2, 1) and not newer(1, 2) and not newer(5, 5)
    assert newer(0, 0xFFFFFFFF) and newer(1, 0xFFFFFFFF)
    assert not newer(0xFFFFFFFF, 1)
    fs = FakeFS()
    fs.mkdir("/data")
    fs.files[A] = bytearray(slot_image(1, 0xFFFFFFFF, payload(9)))
    st = RecordStore(fs)
    assert balance_of(st.load()[0]) == 9
    assert st.commit(payload(8)) == 0 and st.seq == 1      # 0 is skipped
    data, status = loaded(fs)
    assert status == 0 and balance_of(data) == 8


def test_writes_count_record_writes_for_the_wear_benchmark():
    fs, st = store_with(1, 2, 3, 4)
    assert st.writes == 4 and fs.writes == 4
    fs.mount_fails = True
    st.commit(payload(5))
    assert st.writes == 5                          # attempted writes wear flash too
