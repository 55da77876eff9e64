"""DS3231 driver and the internal-RTC fallback (METER.md §2, §4, §11 clock faults)."""
import gc

from fakehw import FakeClock, FakeDS3231, FakeI2C, FakeMachineRTC
from mpcompat import raises
from meter.core.codes import RTC_BAD_DATA, RTC_NO_ANSWER
from meter.drivers.ds3231 import DS3231, weekday
from meter.drivers.rtc_fallback import InternalRTC


def _rig(when=(2026, 3, 29, 1, 59, 59), **kw):
    chip = FakeDS3231(when, **kw)
    return chip, DS3231(FakeI2C(chip))


def _read(rtc):
    f = [0, 0, 0, 0, 0, 0]
    status = rtc.read_time(f)
    return status, tuple(f)


def test_reads_time_and_flags():
    chip, rtc = _rig()
    assert _read(rtc) == (0, (2026, 3, 29, 1, 59, 59))
    assert rtc.osc_stopped() is False


def test_fresh_chip_has_osf_until_cleared():
    chip = FakeDS3231()
    rtc = DS3231(FakeI2C(chip))
    assert _read(rtc) == (0, (2000, 1, 1, 0, 0, 0))
    assert rtc.osc_stopped() is True
    rtc.set_time(2026, 11, 28, 12, 0, 0)
    assert rtc.osc_stopped() is True               # setting the time leaves OSF alone
    rtc.clear_osf()
    assert rtc.osc_stopped() is False
    assert chip.regs[0x0F] & 0x08                  # other status bits kept


def test_set_time_writes_bcd_24h_and_weekday():
    chip, rtc = _rig()
    rtc.set_time(2024, 2, 29, 23, 45, 7)
    assert bytes(chip.regs[0:7]) == bytes((0x07, 0x45, 0x23, 4, 0x29, 0x02, 0x24))
    assert _read(rtc) == (0, (2024, 2, 29, 23, 45, 7))
    assert weekday(2024, 2, 26) == 1 and weekday(2024, 3, 3) == 7
    assert weekday(2000, 1, 1) == 6 and weekday(2099, 12, 31) == 4


def test_set_time_restarts_a_disabled_oscillator_and_rejects_bad_dates():
    chip, rtc = _rig()
    chip.poke(0x0E, 0x9C)                          # EOSC set: would stop on battery
    rtc.set_time(2030, 1, 1, 0, 0, 0)
    assert chip.regs[0x0E] == 0x1C
    for bad in ((1999, 12, 31, 0, 0, 0), (2100, 1, 1, 0, 0, 0), (2023, 2, 29, 0, 0, 0),
                (2024, 13, 1, 0, 0, 0), (2024, 4, 31, 0, 0, 0), (2024, 1, 1, 24, 0, 0),
                (2024, 1, 1, 0, 60, 0), (2024, 1, 1, 0, 0, 60)):
        raises(ValueError, rtc.set_time, *bad)


def test_weekday_register_is_never_trusted():
    chip, rtc = _rig()
    chip.poke(3, 0)                                # impossible weekday
    assert _read(rtc)[0] == 0
    chip.poke(3, 0xFF)
    assert _read(rtc)[0] == 0


def test_rollover_leap_years_and_month_ends():
    cases = (
        ((2024, 2, 28, 23, 59, 59), 1, (2024, 2, 29, 0, 0, 0)),
        ((2024, 2, 29, 23, 59, 59), 1, (2024, 3, 1, 0, 0, 0)),
        ((2023, 2, 28, 23, 59, 59), 1, (2023, 3, 1, 0, 0, 0)),
        ((2000, 2, 28, 12, 0, 0), 86400, (2000, 2, 29, 12, 0, 0)),
        ((2026, 12, 31, 23, 59, 59), 1, (2027, 1, 1, 0, 0, 0)),
        ((2026, 4, 30, 23, 0, 0), 3600, (2026, 5, 1, 0, 0, 0)),
        ((2028, 12, 30, 0, 0, 0), 86400, (2028, 12, 31, 0, 0, 0)),      # day 366
        ((2036, 1, 1, 0, 0, 0), 366 * 86400, (2037, 1, 1, 0, 0, 0)),
        ((2038, 1, 19, 3, 14, 7), 1, (2038, 1, 19, 3, 14, 8)),
    )
    for start, secs, end in cases:
        chip, rtc = _rig(start)
        chip.advance(secs)
        assert _read(rtc) == (0, end), (start, secs)
        assert chip.regs[3] == weekday(end[0], end[1], end[2])


def test_century_rollover_is_bad_data():
    chip, rtc = _rig((2099, 12, 31, 23, 59, 59))
    f = [1, 2, 3, 4, 5, 6]
    chip.advance(1)
    assert chip.regs[5] & 0x80 and chip.regs[6] == 0
    assert rtc.read_time(f) == RTC_BAD_DATA
    assert f == [1, 2, 3, 4, 5, 6]                 # fields untouched on any failure
    chip.set_datetime(2165, 6, 1, 0, 0, 0)         # the "year 2165" fault
    assert _read(rtc)[0] == RTC_BAD_DATA


def test_twelve_hour_mode():
    chip, rtc = _rig((2026, 6, 1, 0, 0, 0))
    for reg, hour in ((0x52, 0), (0x41, 1), (0x51, 11), (0x72, 12), (0x61, 13), (0x71, 23)):
        chip.poke(2, reg)
        assert _read(rtc) == (0, (2026, 6, 1, hour, 0, 0)), hex(reg)
    for reg in (0x40, 0x53, 0x60, 0x5A, 0xC1):
        chip.poke(2, reg)
        assert _read(rtc)[0] == RTC_BAD_DATA, hex(reg)
    chip.poke(2, 0x71)                             # 11 PM; the fake keeps 12-hour mode
    chip.advance(3600)
    assert chip.regs[2] == 0x52 and _read(rtc) == (0, (2026, 6, 2, 0, 0, 0))


def test_bad_bcd_and_out_of_range_fields():
    bad = ((0, 0x5A), (0, 0x60), (0, 0x80), (1, 0x60), (1, 0x0F), (2, 0x24), (2, 0x1A),
           (2, 0x80), (4, 0x00), (4, 0x32), (4, 0x1F), (4, 0x40), (5, 0x00), (5, 0x13),
           (5, 0x0A), (5, 0x20), (6, 0xA0), (6, 0x0B))
    for reg, value in bad:
        chip, rtc = _rig((2026, 1, 15, 12, 30, 30))
        chip.poke(reg, value)
        assert _read(rtc)[0] == RTC_BAD_DATA, (reg, hex(value))
    chip, rtc = _rig((2026, 2, 15, 0, 0, 0))
    chip.poke(4, 0x29)                             # 29 Feb of a common year
    assert _read(rtc)[0] == RTC_BAD_DATA
    chip, rtc = _rig((2028, 2, 15, 0, 0, 0))
    chip.poke(4, 0x29)
    assert _read(rtc)[0] == 0
    chip.poke(4, 0x30)
    assert _read(rtc)[0] == RTC_BAD_DATA
    chip, rtc = _rig((2026, 4, 15, 0, 0, 0))
    chip.poke(4, 0x31)                             # 31 April
    assert _read(rtc)[0] == RTC_BAD_DATA


def test_missing_or_broken_chip():
    chip, rtc = _rig()
    chip.fault("nobus")
    assert _read(rtc)[0] == RTC_NO_ANSWER
    raises(OSError, rtc.osc_stopped)
    raises(OSError, rtc.clear_osf)
    raises(OSError, rtc.set_time, 2026, 1, 1, 0, 0, 0)
    assert rtc.temperature() is None
    chip.fault("none")
    chip.fault("allff")
    assert _read(rtc)[0] == RTC_NO_ANSWER
    assert rtc.osc_stopped() is True
    assert rtc.temperature() is None
    chip.fault("none")
    chip.fault("absent")
    assert _read(rtc)[0] == RTC_NO_ANSWER
    assert DS3231(FakeI2C()).read_time([0] * 6) == RTC_NO_ANSWER
    chip.fault("none")
    assert _read(rtc) == (0, (2026, 3, 29, 1, 59, 59))


def test_osf_fault_and_stopped_oscillator():
    clock = FakeClock(0)
    chip, rtc = _rig((2026, 3, 29, 0, 0, 0), clock=clock)
    chip.fault("osf")
    assert rtc.osc_stopped()
    rtc.clear_osf()
    assert not rtc.osc_stopped()
    chip.fault("stop")
    clock.advance(10000)
    assert rtc.osc_stopped() and _read(rtc) == (0, (2026, 3, 29, 0, 0, 0))


def test_follows_a_fake_clock():
    clock = FakeClock(0)
    chip, rtc = _rig((2026, 10, 25, 0, 59, 58), clock=clock)
    clock.advance(1999)
    assert _read(rtc)[1] == (2026, 10, 25, 0, 59, 59)
    clock.advance(1)
    assert _read(rtc)[1] == (2026, 10, 25, 1, 0, 0)
    clock.advance(400)
    rtc.set_time(2026, 10, 25, 2, 0, 0)            # writing seconds restarts the second
    clock.advance(999)
    assert _read(rtc)[1] == (2026, 10, 25, 2, 0, 0)
    clock.advance(1)
    assert _read(rtc)[1] == (2026, 10, 25, 2, 0, 1)


def test_temperature_quarters():
    chip, rtc = _rig()
    assert rtc.temperature() == 100
    chip.set_temperature(-41)                      # -10.25 C
    assert rtc.temperature() == -41
    chip.set_temperature(-128 * 4)
    assert rtc.temperature() == -512
    chip.set_temperature(127 * 4 + 3)
    assert rtc.temperature() == 511


def test_read_time_allocates_nothing_under_micropython():
    if not hasattr(gc, "mem_alloc"):
        return
    chip, rtc = _rig()
    f = [0, 0, 0, 0, 0, 0]
    rtc.read_time(f)
    gc.collect()
    before = gc.mem_alloc()
    for _ in range(50):
        rtc.read_time(f)
    used = gc.mem_alloc() - before
    assert used == 0, used


def test_internal_rtc_fallback():
    mrtc = FakeMachineRTC()
    rtc = InternalRTC(mrtc)
    assert rtc.battery_backed is False
    assert rtc.osc_stopped() is True               # whatever it holds was not set by us
    assert _read(rtc) == (0, (2021, 1, 1, 0, 0, 0))
    rtc.set_time(2026, 11, 30, 8, 15, 0)           # a Monday
    assert mrtc.value == (2026, 11, 30, 0, 8, 15, 0, 0)
    assert rtc.osc_stopped() is False
    assert _read(rtc) == (0, (2026, 11, 30, 8, 15, 0))
    raises(ValueError, rtc.set_time, 2026, 2, 29, 0, 0, 0)
    mrtc.value = (2026, 2, 30, 0, 0, 0, 0, 0)
    assert _read(rtc)[0] == RTC_BAD_DATA
    mrtc.value = (1970, 1, 1, 3, 0, 0, 0, 0)
    assert _read(rtc)[0] == RTC_BAD_DATA
    mrtc.fail = True
    assert _read(rtc)[0] == RTC_NO_ANSWER
    assert rtc.temperature() is None
    rtc2 = InternalRTC(FakeMachineRTC())
    rtc2.clear_osf()
    assert rtc2.osc_stopped() is False


def test_alarm_registers_are_a_7_byte_store_kept_by_the_chip():
    chip = FakeDS3231(when=(2026, 11, 30, 9, 0, 0))
    i2c = FakeI2C(chip)
    rtc = DS3231(i2c)
    data = bytearray(b"\x00\x7f\x80\xff\x01\xfe\x55")
    rtc.write_store(data)
    assert bytes(chip.regs[0x07:0x0E]) == bytes(data)     # every bit as written
    # a new driver (a reboot) on the same chip reads them back; the time is untouched
    back = bytearray(7)
    DS3231(i2c).read_store(back)
    assert back == data
    fields = [0] * 6
    assert rtc.read_time(fields) == 0 and fields[:5] == [2026, 11, 30, 9, 0]
    i2c.nobus = True
    raises(OSError, rtc.read_store, back)
    raises(OSError, rtc.write_store, data)
