"""The persistent event log (METER.md §8): a ring of 256 fixed-size entries in one file.

Each append writes one 20-byte entry in place (seek + write), never the whole file.  Every
entry carries its own sequence number and check value, so a power cut during an append loses at
most that entry; an absent or damaged file gives an empty or partial log, never a crash.

Entry (little-endian, 20 bytes):  seq u32 (1, 2, ...; 0 = empty), utc u32 (Unix seconds),
mono u32 (seconds since boot), value i32, code u8, trusted u8, check u16 (CRC32 of the first
18 bytes, low half).  Entry i of the ring holds sequence numbers congruent to i modulo 256.
"""
import struct

try:
    from binascii import crc32
except ImportError:
    from ubinascii import crc32  # type: ignore

from micropython import const

_FMT = "<IIIiBB"
_SIZE = const(20)
_BODY = const(18)


class EventLog:
    def __init__(self, fs, path="/data/events.bin", entries=256):
        self.fs = fs
        self.path = path
        self.entries = entries
        self.seq = 0                   # newest sequence number written
        self._buf = bytearray(_SIZE)
        self._items = {}               # ring index -> (seq, utc, trusted, mono, code, value)

    def load(self):
        """Reads the ring; a missing or damaged file is an empty or partial log."""
        self._items = {}
        self.seq = 0
        try:
            with self.fs.open(self.path, "rb") as f:
                data = f.read()
        except OSError:
            return
        for i in range(min(self.entries, len(data) // _SIZE)):
            e = self._decode(data[i * _SIZE:(i + 1) * _SIZE])
            if e is not None and e[0] % self.entries == i:
                self._items[i] = e
                if e[0] > self.seq:
                    self.seq = e[0]

    def _decode(self, raw):
        seq, utc, mono, value, code, trusted = struct.unpack(_FMT, raw[:_BODY])
        check = raw[_BODY] | (raw[_BODY + 1] << 8)
        if seq == 0 or crc32(raw[:_BODY]) & 0xFFFF != check:
            return None
        return seq, utc, trusted, mono, code, value

    def append(self, utc, trusted, mono, code, value):
        seq = self.seq + 1
        i = seq % self.entries
        buf = self._buf
        struct.pack_into(_FMT, buf, 0, seq, utc & 0xFFFFFFFF, mono & 0xFFFFFFFF, value,
                         code & 0xFF, 1 if trusted else 0)
        c = crc32(memoryview(buf)[:_BODY]) & 0xFFFF
        buf[_BODY] = c & 0xFF
        buf[_BODY + 1] = c >> 8
        self.seq = seq
        self._items[i] = (seq, utc, 1 if trusted else 0, mono, code, value)
        try:
            try:
                f = self.fs.open(self.path, "r+b")
            except OSError:
                f = self.fs.open(self.path, "wb")
            with f:
                f.seek(i * _SIZE)
                f.write(buf)
        except OSError:
            return False               # the entry stays in RAM; the meter carries on
        return True

    def count(self):
        return len(self._items)

    def newest(self, n):
        """-> up to n entries, newest first, each (utc, trusted, mono, code, value)."""
        items = sorted(self._items.values(), key=lambda e: -e[0])
        return [(e[1], e[2], e[3], e[4], e[5]) for e in items[:n]]
