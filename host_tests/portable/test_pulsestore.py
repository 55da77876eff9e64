"""The battery-backed pulse store (DS3231 alarm registers) and what a reboot does with it.
Runs under CPython and MicroPython."""
from apprig import FakeBoard, make_app, provisioned, reboot, run
from meter.core import codes, pulsestore


def test_round_trip_and_the_record_tie():
    buf = bytearray(pulsestore.SIZE)
    pulsestore.pack_into(buf, 41, 1000, 1234, 16000)
    assert pulsestore.unpack(buf, 41) == (1000, 1234, 16000)
    for age, day, night in ((0, 0, 0), (4095, 16383, 16383), (1, 16383, 0), (4094, 1, 8191)):
        pulsestore.pack_into(buf, 99, age, day, night)
        assert pulsestore.unpack(buf, 99) == (age, day, night)
    assert pulsestore.unpack(buf, 42) is None                    # another record's store
    for i in range(pulsestore.SIZE):                              # any torn or flipped byte
        bad = bytearray(buf)
        bad[i] ^= 0x10
        assert pulsestore.unpack(bad, 41) is None
    assert pulsestore.unpack(bytearray(7), 0) is None             # a fresh chip
    assert pulsestore.unpack(bytearray(b"\xff" * 7), 0) is None
    pulsestore.pack_into(buf, 7, 10 ** 6, 70000, -1)              # saturates, never raises
    assert pulsestore.unpack(buf, 7) == (4095, 16383, 0)
    # more pulses than 28 a second (100 kW at 1000 imp/kWh) in the age claimed: refused
    pulsestore.pack_into(buf, 7, 9, 279, 1)
    assert pulsestore.unpack(buf, 7, 28) == (9, 279, 1)          # (9 + 1 s) * 28
    pulsestore.pack_into(buf, 7, 9, 280, 1)
    assert pulsestore.unpack(buf, 7, 28) is None


def test_the_ds3231_keeps_the_store_over_a_power_cut_and_the_energy_is_charged():
    board, app = provisioned()
    app.meter.credit.balance = 5000
    app.commit()
    run(board, app, 600, 1)                        # 600 pulses: 0.6 kWh, no checkpoint yet
    m = app.meter
    assert m.unsaved_pulses == 600
    balance, energy = m.credit.balance, m.credit.energy_total_wh()
    regs = bytes(board.chip.regs[7:14])
    assert regs != bytes(7)
    app = reboot(board)                            # RAM lost, the chip kept its registers
    assert app.meter.credit.energy_total_wh() == energy and app.meter.credit.balance == balance
    assert app.meter.unsaved_pulses == 600
    assert any(e["code"] == codes.UNSAVED_RESTORED and e["value"] == 600
               for e in app.events(5))
    # the checkpoint clock went on: the next commit comes 30 min after the last one, not
    # 30 min after the boot
    writes = app.store.writes
    run(board, app, 1300, 1)
    assert app.store.writes == writes + 1
    # after the commit, a reboot restores nothing twice
    energy = app.meter.credit.energy_total_wh()
    app = reboot(board)
    assert app.meter.credit.energy_total_wh() == energy


def test_a_cut_between_clearing_the_store_and_the_record_counts_nothing_twice():
    board, app = provisioned()
    run(board, app, 100, 1)
    m = app.meter
    energy = m.credit.energy_total_wh()
    # the store is cleared under the next sequence number, then the record write fails
    board.fs.io_errors.add("/data/rec_a.bin")
    board.fs.io_errors.add("/data/rec_b.bin")
    assert app.commit() is False
    board.fs.io_errors.clear()
    app = reboot(board)
    # the old record and a store that does not belong to it: the 100 pulses are lost once,
    # in the household's favour, never charged twice
    assert energy - 100 <= app.meter.credit.energy_total_wh() <= energy


class RtcWithoutStore:
    """A board whose RTC keeps no battery-backed bytes (the internal RTC fallback)."""

    def __init__(self, rtc):
        self.rtc = rtc

    def read_time(self, fields):
        return self.rtc.read_time(fields)

    def osc_stopped(self):
        return self.rtc.osc_stopped()

    def set_time(self, *t):
        self.rtc.set_time(*t)

    def clear_osf(self):
        self.rtc.clear_osf()


def test_without_a_store_a_boot_does_not_restart_the_checkpoint_clock():
    board, app = provisioned()
    board.fs.reboot()
    board.power_on()
    board.rtc = RtcWithoutStore(board.rtc)
    app = make_app(board)
    app.boot()
    writes = app.store.writes
    assert app.meter.mono_s - app.meter.last_commit_mono >= 1800
    run(board, app, 150, 1)                        # 0.1 kWh: the checkpoint is due at once
    assert app.store.writes == writes + 1
