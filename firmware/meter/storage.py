"""The meter's record on flash, committed atomically (METER.md §9, §11; docs/storage.md).

One opaque payload (the core's state, packed by meter.core.record) lives in two slot files,
A and B.  A commit writes the slot that does NOT hold the newest valid record, so whatever a
power cut does to that write, the other slot still holds the previous record; at boot the
newest valid slot wins.  Nothing is ever removed, and the newest record is never touched.

Slot file (little-endian), header then payload:
    0  4  magic b"BMR"     + layout version (1 byte)  -> b"BMR\\x01"
    4  2  payload length (<= payload_size)
    6  2  reserved, 0
    8  4  sequence number (u32; 1 for the first record)
   12  4  CRC32 of bytes 0..11 followed by the payload
   16  n  payload

load() -> (payload, status):
  (bytes, 0)                  the newest valid record
  (None, RECORD_CORRUPT)      no slot holds a valid record (fresh flash, or both damaged).
                              The caller starts from a safe default with supply ON and shows
                              the error; it never takes this as a zero balance to cut on.
  (None, STORAGE_ERROR)       no valid record and the filesystem failed (not mounted, I/O
                              error other than a missing file).
commit(payload) -> 0 or STORAGE_ERROR; the record is read back and checked before 0 is
returned.  A payload longer than payload_size is a programming error (the record layout
outgrew its slot): ValueError, caught by the tests long before a board sees it.

Sequence numbers: 32 bits at <= 48 commits a day take 245,000 years to wrap; the comparison
is modulo 2**32 anyway (serial-number arithmetic), so a wrap would still pick the right slot.

The filesystem `fs` is an object with open(path, mode) -> file (read/readinto/write/flush/
close, context manager) and os-like stat/remove/rename/mkdir: BoardFS on a board (littlefs via
builtin open + os), tools/dirfs.DirFS on the host (real files under a directory),
tools/fakefs.FakeFS in tests (power cuts at any write).  Commits and loads are rare (boot,
tokens, relay changes, checkpoints), so they may allocate a little: the slot image buffer is
made for each and let go after, so that a meter holds none of it between them.
"""
import os
import struct

from binascii import crc32
from micropython import const

# codes this module gives (meter.core.codes, docs/codes.md), compiled in as constants:
# a board keeps no name for them (issue 11); host_tests/test_codes.py holds each to
# its number in meter.core.codes
_STORAGE_ERROR = const(61)
_RECORD_CORRUPT = const(62)


MAGIC = b"BMR\x01"                 # the last byte is the slot layout version
_HEAD = "<4sHHII"
_HEAD_SIZE = const(16)
_CRC_AT = const(12)
_ENOENT = const(2)
_SLOT_NAMES = ("rec_a.bin", "rec_b.bin")

# _check() results besides a sequence number
_INVALID = const(-1)               # missing, short, wrong magic/version or CRC
_IO_ERROR = const(-2)              # the filesystem failed


def newer(a, b):
    """Sequence number a is newer than b, modulo 2**32."""
    d = (a - b) & 0xFFFFFFFF
    return 0 < d < 0x80000000


def _errno(e):
    return e.args[0] if e.args else 0


class RecordStore:
    def __init__(self, fs, dir="/data", payload_size=512):
        if payload_size < 1 or payload_size > 0xFFFF:
            raise ValueError("payload_size")
        self.fs = fs
        self.dir = dir
        self.payload_size = payload_size
        self.paths = (dir + "/" + _SLOT_NAMES[0], dir + "/" + _SLOT_NAMES[1])
        self._len = 0                  # payload length of the slot last read (_check)
        self.seq = 0                   # sequence number of the newest valid record (0: none)
        self.slot = -1                 # slot holding it: 0 (A), 1 (B), -1 none
        self.writes = 0                # record writes attempted (the flash-wear benchmark)
        self._scanned = False
        self._have_dir = False

    # --- reading -------------------------------------------------------------------------

    def _check(self, slot, img):
        """Reads a slot into the image buffer img -> its sequence number if it holds a valid
        record, else _INVALID or _IO_ERROR."""
        try:
            with self.fs.open(self.paths[slot], "rb") as f:
                got = f.readinto(img)
        except OSError as e:
            return _INVALID if _errno(e) == _ENOENT else _IO_ERROR
        if got is None or got < _HEAD_SIZE:
            return _INVALID
        magic, length, _, seq, crc = struct.unpack_from(_HEAD, img, 0)
        if magic != MAGIC or length > self.payload_size or got < _HEAD_SIZE + length:
            return _INVALID
        mv = memoryview(img)
        if crc32(mv[_HEAD_SIZE:_HEAD_SIZE + length], crc32(mv[:_CRC_AT])) != crc:
            return _INVALID
        self._len = length
        return seq

    def load(self):
        """-> (payload bytes or None, status); see the module docstring."""
        # a slot's image is made for a load or a commit (48 a day) and let go after, not held
        # between them (issue 11: half a KB of a board's heap)
        img = bytearray(_HEAD_SIZE + self.payload_size)
        best = None
        best_seq = 0
        best_slot = -1
        io_error = False
        for slot in (0, 1):
            seq = self._check(slot, img)
            if seq == _IO_ERROR:
                io_error = True
            elif seq >= 0 and (best_slot < 0 or newer(seq, best_seq)):
                best = bytes(memoryview(img)[_HEAD_SIZE:_HEAD_SIZE + self._len])
                best_seq = seq
                best_slot = slot
        self.seq = best_seq
        self.slot = best_slot
        # an unreadable slot may hold the newest record: look again before the next commit
        self._scanned = not io_error
        if best is not None:
            return best, 0
        return None, _STORAGE_ERROR if io_error else _RECORD_CORRUPT

    # --- writing -------------------------------------------------------------------------

    def commit(self, payload):
        """Writes payload as the next record -> 0, or STORAGE_ERROR (the previous record is
        then still the newest valid one)."""
        n = len(payload)
        if n > self.payload_size:
            raise ValueError("record larger than its slot")
        seq = self.next_seq()
        slot = 0 if self.slot != 0 else 1
        img = bytearray(_HEAD_SIZE + self.payload_size)     # (see load)
        mv = memoryview(img)
        struct.pack_into(_HEAD, img, 0, MAGIC, n, 0, seq, 0)
        img[_HEAD_SIZE:_HEAD_SIZE + n] = payload
        struct.pack_into("<I", img, _CRC_AT,
                         crc32(mv[_HEAD_SIZE:_HEAD_SIZE + n], crc32(mv[:_CRC_AT])))
        size = _HEAD_SIZE + n
        self.writes += 1
        try:
            self._ensure_dir()
            with self.fs.open(self.paths[slot], "wb") as f:
                written = f.write(mv[:size])
                f.flush()
        except OSError:
            return _STORAGE_ERROR
        if written is not None and written != size:
            return _STORAGE_ERROR
        if self._check(slot, img) != seq or self._len != n:  # read back: flash can fail silently
            return _STORAGE_ERROR
        self.seq = seq
        self.slot = slot
        return 0

    def next_seq(self):
        """The sequence number the next commit will write (the battery-backed pulse store is
        cleared under it first, meter.core.pulsestore)."""
        if not self._scanned:
            self.load()        # never guess which slot is older: that could bring back credit
        seq = (self.seq + 1) & 0xFFFFFFFF
        return seq if seq else 1

    def _ensure_dir(self):
        if self._have_dir:
            return
        try:
            self.fs.mkdir(self.dir)
        except OSError:
            pass        # it exists; if the filesystem is gone, the open that follows says so
        self._have_dir = True


class BoardFS:
    """The board's flash filesystem (littlefs mounted at / by firmware/_boot.py) in the shape
    RecordStore and EventLog use."""

    def open(self, path, mode="rb"):
        return open(path, mode)

    def stat(self, path):
        return os.stat(path)

    def remove(self, path):
        os.remove(path)

    def rename(self, old, new):
        os.rename(old, new)

    def mkdir(self, path):
        os.mkdir(path)

    def listdir(self, path="/"):
        return os.listdir(path)
