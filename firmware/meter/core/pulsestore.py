"""The 7-byte battery-backed store of energy not yet committed (docs/storage.md, "Power cycles").

The record on flash is written at most every 30 minutes of consumption (flash wear), so a power
cut would lose what was counted since the last commit, and a controller power-cycled every 29
minutes would charge nothing.  The DS3231 keeps its alarm registers (7 bytes) on its coin cell
while the main supply is off; the app writes there, every control step that counted pulses,
what a reboot needs to go on as if nothing happened:

  byte 0     powered seconds since the last commit, in 16 s units (255 = 4,080 s or more)
  bytes 1-2  day-rate pulses since the last commit, u16 little-endian
  bytes 3-4  night-rate pulses since the last commit, u16
  bytes 5-6  CRC-16/CCITT of bytes 0-4 followed by the sequence number (u32 LE) of the record
             these pulses come after

The sequence number in the check ties the store to one record: before a record is written, the
store is cleared under the NEXT sequence number, so a store left from before that record (or a
cut between the two writes) never matches and nothing is counted twice; a cut between them loses
the pulses once, in the household's favour.  A fresh chip, a dead coin cell or a torn I2C write
fails the check (1 in 65,536 passes by chance: a chance store of zeros changes nothing; a chance
garbage store is refused unless its pulse counts are small enough to have been consumed at
`max_w` in the time it claims).  Pure and allocation-free (pack into a buffer made once).
"""
from micropython import const

SIZE = const(7)
AGE_UNIT_S = const(16)
AGE_MAX = const(255)
PULSES_MAX = const(65535)


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
    age = age_s // AGE_UNIT_S if age_s > 0 else 0
    buf[0] = age if age < AGE_MAX else AGE_MAX
    day = 0 if day < 0 else (day if day < PULSES_MAX else PULSES_MAX)
    night = 0 if night < 0 else (night if night < PULSES_MAX else PULSES_MAX)
    buf[1] = day & 0xFF
    buf[2] = day >> 8
    buf[3] = night & 0xFF
    buf[4] = night >> 8
    crc = _crc(buf, seq)
    buf[5] = crc & 0xFF
    buf[6] = crc >> 8


def unpack(buf, seq, max_pulses_per_s=0):
    """-> (age_s, day, night) when buf belongs to record `seq`, else None.  With
    max_pulses_per_s > 0 a store claiming more pulses than that rate gives in its age (plus
    one unit) is refused as well."""
    if len(buf) != SIZE or buf[5] | buf[6] << 8 != _crc(buf, seq):
        return None
    age_s = buf[0] * AGE_UNIT_S
    day = buf[1] | buf[2] << 8
    night = buf[3] | buf[4] << 8
    if max_pulses_per_s > 0 and day + night > (age_s + AGE_UNIT_S) * max_pulses_per_s:
        return None
    return age_s, day, night
