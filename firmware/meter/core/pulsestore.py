"""The 7-byte battery-backed store of energy not yet committed (docs/storage.md, "Power cycles").

The record on flash is written at most every 30 minutes of consumption (flash wear), so a power
cut would lose what was counted since the last commit, and a controller power-cycled every 29
minutes would charge nothing.  The DS3231 keeps its alarm registers (7 bytes) on its coin cell
while the main supply is off; the app writes there, every control step that counted pulses,
what a reboot needs to go on as if nothing happened:

  bytes 0-4  little-endian 40 bits: powered seconds since the last commit (bits 0-11, 4,095 =
             that or more), day-rate pulses since then (bits 12-25), night-rate pulses (bits
             26-39); 16,383 pulses at most each (the meter commits before)
  bytes 5-6  CRC-16/CCITT of bytes 0-4 followed by the sequence number (u32 LE) of the record
             these pulses come after

The age is to the second because the clock uses it as well: it is powered time the meter
counted after the record, so it moves the stored lower bound of the true time forward at boot
(meter.appboot.restore_unsaved).

The sequence number in the check ties the store to one record: before a record is written, the
store is cleared under the NEXT sequence number, so a store left from before that record (or a
cut between the two writes) never matches and nothing is counted twice; a cut between them loses
the pulses once, in the household's favour.  A fresh chip, a dead coin cell or a torn I2C write
fails the check (1 in 65,536 passes by chance: a chance store of zeros changes nothing; a chance
garbage store is refused unless its pulse counts are small enough to have been consumed at
the maximum load in the time it claims).  Pure and allocation-free (pack into a buffer made once).
"""
from micropython import const

SIZE = const(7)
AGE_MAX = const(4095)
PULSES_MAX = const(16383)


def _crc(buf, seq):
    crc = 0xFFFF
    for i in range(9):
        b = buf[i] if i < 5 else (seq >> (8 * (i - 5))) & 0xFF
        crc ^= b << 8
        for _ in range(8):
            if crc & 0x8000:
                crc = ((crc << 1) ^ 0x1021) & 0xFFFF
            else:
                crc = (crc << 1) & 0xFFFF
    return crc


def pack_into(buf, seq, age_s, day, night):
    """Fills buf (7 bytes) for record `seq`; counts above the fields saturate (the meter
    commits long before: see Meter.checkpoint_due)."""
    age = 0 if age_s < 0 else (age_s if age_s < AGE_MAX else AGE_MAX)
    day = 0 if day < 0 else (day if day < PULSES_MAX else PULSES_MAX)
    night = 0 if night < 0 else (night if night < PULSES_MAX else PULSES_MAX)
    # (byte by byte: the 40-bit word would be a long int on a 32-bit port)
    buf[0] = age & 0xFF
    buf[1] = age >> 8 | (day & 0x0F) << 4
    buf[2] = (day >> 4) & 0xFF
    buf[3] = day >> 12 | (night & 0x3F) << 2
    buf[4] = night >> 6
    crc = _crc(buf, seq)
    buf[5] = crc & 0xFF
    buf[6] = crc >> 8


def unpack(buf, seq, max_pulses_per_s=0):
    """-> (age_s, day, night) when buf belongs to record `seq`, else None.  With
    max_pulses_per_s > 0 a store claiming more pulses than that rate gives in its age (plus
    one unit) is refused as well."""
    if len(buf) != SIZE or buf[5] | buf[6] << 8 != _crc(buf, seq):
        return None
    age_s = buf[0] | (buf[1] & 0x0F) << 8
    day = buf[1] >> 4 | buf[2] << 4 | (buf[3] & 0x03) << 12
    night = buf[3] >> 2 | buf[4] << 6
    if max_pulses_per_s > 0 and day + night > (age_s + 1) * max_pulses_per_s:
        return None
    return age_s, day, night
