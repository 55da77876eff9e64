"""The meter's record on flash, written atomically (METER.md §9, docs/storage.md).

One record (the core's state, meter.core.record) lives in two slot files, A and B.  Each commit
writes the slot that does NOT hold the newest valid record, as header + payload + CRC32, so a
power cut in the middle of a commit leaves the other slot — the previous record — intact; at
boot the newest valid slot wins.  Nothing is ever removed before the new data is written.

Slot layout (little-endian):
    0  4  magic b"BMR1"
    4  4  sequence number (u32; newer = larger, compared modulo 2**32)
    8  2  payload length
   10  2  reserved (0)
   12  n  payload
 12+n  4  CRC32 of bytes 0 .. 12+n

The filesystem is any object with open(path, mode) (files with read/write/seek/close) — the
board's littlefs (meter.boardhw.BoardFS), DirFS below on the host, or tools/fakefs.FakeFS in
tests, which can cut the power at any low-level write.
"""
import struct

try:
    from binascii import crc32
except ImportError:  # some ports spell it ubinascii
    from ubinascii import crc32  # type: ignore

from micropython import const

from meter.core import codes

MAGIC = b"BMR1"
_HEAD = "<4sIHH"
_HEAD_SIZE = const(12)
_CRC_SIZE = const(4)
_SLOTS = ("rec_a.bin", "rec_b.bin")


def _newer(a, b):
    """Sequence a is newer than b (modulo 2**32)."""
    return 0 < ((a - b) & 0xFFFFFFFF) < 0x80000000


class RecordStore:
    def __init__(self, fs, dir="/data", payload_size=512):
        self.fs = fs
        self.dir = dir
        self.payload_size = payload_size
        self._image = bytearray(_HEAD_SIZE + payload_size + _CRC_SIZE)
        self.seq = 0               # sequence of the newest valid record
        self.slot = -1             # slot holding it (-1: none)
        self.writes = 0            # commits written (flash-wear benchmark)

    def _path(self, slot):
        return self.dir + "/" + _SLOTS[slot]

    def _read(self, slot):
        """-> (seq, payload) of a valid slot, or None."""
        try:
            with self.fs.open(self._path(slot), "rb") as f:
                data = f.read()
        except OSError:
            return None
        if len(data) < _HEAD_SIZE + _CRC_SIZE:
            return None
        magic, seq, length, _ = struct.unpack(_HEAD, data[:_HEAD_SIZE])
        end = _HEAD_SIZE + length
        if magic != MAGIC or length > self.payload_size or len(data) < end + _CRC_SIZE:
            return None
        stored = struct.unpack("<I", data[end:end + _CRC_SIZE])[0]
        if crc32(data[:end]) & 0xFFFFFFFF != stored:
            return None
        return seq, bytes(data[_HEAD_SIZE:end])

    def load(self):
        """-> (payload, 0) with the newest valid record, (None, RECORD_CORRUPT) when no slot
        holds one (the caller starts from a safe default with supply on and shows the error),
        or (None, STORAGE_ERROR) when the filesystem itself fails."""
        try:
            self._ensure_dir()
        except OSError:
            return None, codes.STORAGE_ERROR
        best = None
        for slot in (0, 1):
            got = self._read(slot)
            if got is not None and (best is None or _newer(got[0], best[0])):
                best = (got[0], got[1], slot)
        if best is None:
            self.slot = -1
            return None, codes.RECORD_CORRUPT
        self.seq = best[0]
        self.slot = best[2]
        return best[1], 0

    def _ensure_dir(self):
        try:
            self.fs.stat(self.dir)
        except OSError:
            self.fs.mkdir(self.dir)

    def commit(self, payload):
        """Writes payload as the next record; -> 0, or STORAGE_ERROR (the previous record is
        still the newest valid one)."""
        n = len(payload)
        if n > self.payload_size:
            raise ValueError("record larger than its slot")
        seq = (self.seq + 1) & 0xFFFFFFFF
        slot = 1 - self.slot if self.slot >= 0 else 0
        img = self._image
        struct.pack_into(_HEAD, img, 0, MAGIC, seq, n, 0)
        img[_HEAD_SIZE:_HEAD_SIZE + n] = payload
        end = _HEAD_SIZE + n
        struct.pack_into("<I", img, end, crc32(memoryview(img)[:end]) & 0xFFFFFFFF)
        mv = memoryview(img)
        try:
            self._ensure_dir()
            with self.fs.open(self._path(slot), "wb") as f:
                # three writes, as the flash sees them: header, payload, checksum
                f.write(mv[:_HEAD_SIZE])
                f.write(mv[_HEAD_SIZE:end])
                f.write(mv[end:end + _CRC_SIZE])
        except OSError:
            return codes.STORAGE_ERROR
        self.seq = seq
        self.slot = slot
        self.writes += 1
        return 0

