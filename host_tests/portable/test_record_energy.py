"""The record's energy counter (record version 3): whole kWh plus the Wh rest, so 20 years
at 100 kW fit; version 1 and 2 records (one Wh field) still load.  Portable."""
import struct

from meter.core import record
from meter.core.config import Config
from meter.core.credit import Credit
from meter.core.meter import Meter


def test_energy_of_twenty_years_at_100_kw_round_trips():
    m = Meter(Config(), 0)
    wh = 100000 * 24 * 366 * 20                     # 1.76e11 Wh: far past int32
    c = m.credit
    c.pulses(1000, False)                           # through the hot path once
    c.energy_kwh = wh // 1000
    c.energy_wh = 999
    data = record.pack(m)
    m2 = Meter(Config(), 0)
    record.unpack(m2, data)
    assert m2.credit.energy_total_wh() == wh // 1000 * 1000 + 999


def test_pulses_carry_whole_kwh():
    c = Credit(Config())
    c.energy_wh = 999
    c.pulses(2, False)                              # 2 Wh
    assert (c.energy_kwh, c.energy_wh) == (1, 1)
    c.pulses(1000000, False)                        # 1000 kWh in one call
    assert (c.energy_kwh, c.energy_wh) == (1001, 1)


def _old_record(version, count, fmt):
    m = Meter(Config(), 0)
    m.credit.balance = 1234
    fields = record._FIELDS[:count]
    values = [version]
    for which, attr, code in fields:
        owner = m.credit if which == "c" else (m.clock if which == "k" else m)
        v = getattr(owner, attr)
        values.append((1 if v else 0) if code == "?" else v)
    values[1 + [f[1] for f in fields].index("energy_wh")] = 2000000005
    return struct.pack(fmt, *values) + m.blobs()


def test_version_1_and_2_records_still_load():
    for version in (1, 2):
        fmt, size, count = record.layout(version)
        m2 = Meter(Config(), 0)
        record.unpack(m2, _old_record(version, count, fmt))
        assert m2.credit.balance == 1234
        assert (m2.credit.energy_kwh, m2.credit.energy_wh) == (2000000, 5)
