"""The persistent event log (METER.md §8): a ring of fixed-size entries in one file.

Entry i of the ring holds the sequence numbers congruent to i modulo `entries` (256 by
default): an append writes one 20-byte entry in place (open, seek, write, close), never the
whole file.  Every entry carries its own sequence number and check value, so a power cut during
an append loses at most that entry (and the oldest one it was replacing); an absent, short or
damaged file gives an empty or partial log, never an exception.

Entry (little-endian, 20 bytes):
    0  4  seq      u32, 1 for the first event; 0 = never written
    4  4  utc      u32 Unix seconds (the clock as the meter saw it, trusted or not); 0 when
                   the date was unknown (flag bit 1)
    8  4  mono     u32 seconds since boot
   12  4  value    i32
   16  1  code     u8 (meter.core.codes, all below 256)
   17  1  flags    bit 0 the clock was trusted; bit 1 no date (an RTC outage: only `mono`
                   tells when); bits 4-7 the layout version (1)
   18  2  check    low 16 bits of CRC32 of bytes 0..17

A sequence number is valid only in its own ring entry and only within `entries` of the
newest, so an old entry can never pass for a new one.  At one event a minute, 32-bit sequence
numbers last 8,000 years; they are never compared modulo 2**32.

RAM: the log keeps no copy of the entries, only the newest sequence number, a bitmap of the
ring entries known to be valid, and up to 8 entries whose write failed (a filesystem that did
not mount still shows its STORAGE ERROR and BOOT events on the LCD).  Reading the log is
meter.eventread's (the console, the LCD's page D and the remote channel load it).
"""
import struct

from binascii import crc32
from micropython import const

ENTRY_SIZE = const(20)
_BODY = const(18)
_FMT = "<IIIiBB"
_VERSION = const(0x10)
_TRUSTED = const(0x01)
_NODATE = const(0x02)
_ENOENT = const(2)
_RAM_MAX = const(8)
_U32 = 0xFFFFFFFF


def _clamp(x, lo, hi):
    return lo if x < lo else hi if x > hi else x


class EventLog:
    def __init__(self, fs, path="/data/events.bin", entries=256):
        if entries < 2:
            raise ValueError("entries")
        self.fs = fs
        self.path = path
        self.entries = entries
        self.seq = 0                       # newest sequence number written (0: none)
        self.ok = True                     # False after a read or write failure
        self._buf = bytearray(ENTRY_SIZE)
        self._valid = bytearray((entries + 7) // 8)
        self._ram = []                     # (seq, utc, trusted, mono, code, value) not on flash
                                           # (utc None: no date)
        self._loaded = False

    # --- bitmap of ring entries holding a valid entry ------------------------------------

    def _bit(self, i):
        return self._valid[i >> 3] & (1 << (i & 7))

    def _set(self, i, on):
        if on:
            self._valid[i >> 3] |= 1 << (i & 7)
        else:
            self._valid[i >> 3] &= ~(1 << (i & 7)) & 0xFF

    # --- decoding ------------------------------------------------------------------------

    def _decode(self):
        """The entry in _buf -> (seq, utc or None, trusted, mono, code, value), or None."""
        buf = self._buf
        seq, utc, mono, value, code, flags = struct.unpack_from(_FMT, buf, 0)
        if seq == 0 or flags & 0xF0 != _VERSION:
            return None
        if crc32(memoryview(buf)[:_BODY]) & 0xFFFF != buf[_BODY] | (buf[_BODY + 1] << 8):
            return None
        return seq, None if flags & _NODATE else utc, flags & _TRUSTED, mono, code, value

    def load(self):
        """Reads the ring from flash; a missing or damaged file is an empty or partial log."""
        n = self.entries
        for i in range(len(self._valid)):
            self._valid[i] = 0
        self._ram = []
        self.seq = 0
        self.ok = True
        self._loaded = True
        found = []                          # (slot, seq) of entries that check out
        try:
            with self.fs.open(self.path, "rb") as f:
                for slot in range(n):
                    if f.readinto(self._buf) != ENTRY_SIZE:
                        break
                    e = self._decode()
                    if e is not None and e[0] % n == slot:
                        found.append((slot, e[0]))
                        if e[0] > self.seq:
                            self.seq = e[0]
        except OSError as e:
            self.ok = e.args[0] == _ENOENT if e.args else False
        # entries older than one lap of the ring are leftovers, not part of the log
        for slot, seq in found:
            if seq > self.seq - n:
                self._set(slot, True)

    # --- appending -----------------------------------------------------------------------

    def append(self, utc, trusted, mono, code, value):
        """Logs one event (utc None: the date is unknown) -> True when it reached the file,
        False when it is kept in RAM only (the filesystem failed; the meter carries on)."""
        if not self._loaded:
            self.load()
        n = self.entries
        seq = self.seq + 1
        slot = seq % n
        flags = _VERSION | (_TRUSTED if trusted else 0) | (_NODATE if utc is None else 0)
        utc = 0 if utc is None else _clamp(utc, 0, _U32)
        mono = _clamp(mono, 0, _U32)
        value = _clamp(value, -0x80000000, 0x7FFFFFFF)
        code = _clamp(code, 0, 255)
        buf = self._buf
        struct.pack_into(_FMT, buf, 0, seq, utc, mono, value, code, flags)
        check = crc32(memoryview(buf)[:_BODY]) & 0xFFFF
        buf[_BODY] = check & 0xFF
        buf[_BODY + 1] = check >> 8
        self.seq = seq
        self._set(slot, False)              # until the write is known to have landed
        self._forget(seq - n)
        if self._write(slot):
            self._set(slot, True)
            return True
        self.ok = False
        self._ram.append((seq, None if flags & _NODATE else utc, flags & _TRUSTED, mono, code,
                          value))
        if len(self._ram) > _RAM_MAX:
            self._ram.pop(0)
        return False

    def _forget(self, seq):
        """Drops RAM entries at or below seq: their ring entry has been reused."""
        ram = self._ram
        i = 0
        while i < len(ram):
            if ram[i][0] <= seq:
                ram.pop(i)
            else:
                i += 1

    def _write(self, slot):
        fs = self.fs
        try:
            try:
                f = fs.open(self.path, "r+b")
            except OSError as e:
                if not e.args or e.args[0] != _ENOENT:
                    raise
                self._make_dir()
                f = fs.open(self.path, "wb")     # new file: holes read back as zeros
            with f:
                f.seek(slot * ENTRY_SIZE)
                f.write(self._buf)
        except OSError:
            return False
        return True

    def _make_dir(self):
        cut = self.path.rfind("/")
        if cut > 0:
            try:
                self.fs.mkdir(self.path[:cut])
            except OSError:
                pass
