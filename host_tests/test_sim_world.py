"""The simulator's test support: `rtc drift` (the DS3231 model runs fast or slow, exactly) and
`world_utc` (the TRUE time of the simulated world in status-like replies)."""
import json

import pytest
from hypothesis import given, settings, strategies as st

import sim as simmod
from fakeds3231 import FakeDS3231, _days
from fakepins import FakeClock

START = "2026-11-30T09:00:00Z"
T0 = simmod.isotime.parse_iso_utc(START)


def chip_seconds(chip):
    """The chip's time as seconds since 1970 (its own calendar, no firmware code)."""
    y, mo, d, h, mi, s = chip.datetime()
    return _days(y, mo, d) * 86400 + h * 3600 + mi * 60 + s


@pytest.fixture
def sim(tmp_path):
    s = simmod.Simulator(T0, {}, str(tmp_path / "state"))
    yield s
    s.close()


def ask(sim, line):
    reply = sim.handle(line)
    assert "\n" not in reply
    return json.loads(reply)


# --- the chip model ---------------------------------------------------------------------------

def test_drift_gains_exactly_its_rate():
    clock = FakeClock()
    chip = FakeDS3231(when=(2026, 1, 1, 0, 0, 0), clock=clock, osf=False)
    start = chip_seconds(chip)
    chip.set_drift(1273)                      # about 110 s a day fast
    for _ in range(86400):                    # read every second: reads must not add errors
        clock.advance(1000)
        chip.datetime()
    assert chip_seconds(chip) - start == 86400 + 109      # 109.9872 s: the fraction is kept
    clock.advance(10 * 86400 * 1000)
    # 11 days at 1273 ppm: 1209.8592 s gained
    assert chip_seconds(chip) - start == 11 * 86400 + 1209


def test_drift_changes_only_from_now_on():
    clock = FakeClock()
    chip = FakeDS3231(when=(2026, 1, 1, 0, 0, 0), clock=clock, osf=False)
    start = chip_seconds(chip)
    clock.advance(3600 * 1000)
    chip.set_drift(-500000)                   # half speed from here
    assert chip_seconds(chip) - start == 3600
    clock.advance(3600 * 1000)
    assert chip_seconds(chip) - start == 3600 + 1800
    chip.set_drift(0)
    clock.advance(1000)
    assert chip_seconds(chip) - start == 5401


def test_stopped_oscillator_does_not_drift_forward():
    clock = FakeClock()
    chip = FakeDS3231(when=(2026, 1, 1, 0, 0, 0), clock=clock, osf=False)
    chip.set_drift(400000)
    clock.advance(10000)
    chip.fault("stop")
    frozen = chip_seconds(chip)
    clock.advance(100000)
    assert chip_seconds(chip) == frozen
    chip.fault("none")
    clock.advance(10000)
    assert chip_seconds(chip) == frozen + 14


def test_drift_refuses_an_impossible_rate():
    chip = FakeDS3231(when=(2026, 1, 1, 0, 0, 0), clock=FakeClock(), osf=False)
    for bad in (-1000000, -2000000, 1.5, "5"):
        with pytest.raises(ValueError):
            chip.set_drift(bad)
    assert chip.ppm == 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(-500000, 500000), st.integers(0, 10 ** 8),
                          st.booleans()), min_size=1, max_size=12))
def test_drift_segments_add_up_exactly(segments):
    """Chip time = floor(sum of ms * (1e6 + ppm)) / 1e9 over every segment, however often the
    chip is read in between."""
    clock = FakeClock(123)
    chip = FakeDS3231(when=(2030, 6, 1, 12, 0, 0), clock=clock, osf=False)
    start = chip_seconds(chip)
    ns = 0
    for ppm, ms, read in segments:
        chip.set_drift(ppm)
        half = ms // 2
        clock.advance(half)
        if read:
            chip.datetime()
        clock.advance(ms - half)
        ns += ms * (1000000 + ppm)
    assert chip_seconds(chip) - start == ns // 10 ** 9


def test_set_time_restarts_the_second_under_drift():
    clock = FakeClock()
    chip = FakeDS3231(when=(2026, 1, 1, 0, 0, 0), clock=clock, osf=False)
    chip.set_drift(250000)
    clock.advance(700)                       # 875 ms of chip time: not yet a second
    chip.set_datetime(2026, 1, 1, 0, 0, 0)   # a write restarts the countdown chain
    clock.advance(700)
    assert chip_seconds(chip) == _days(2026, 1, 1) * 86400
    clock.advance(100)                       # 1000 ms of chip time since the write
    assert chip_seconds(chip) == _days(2026, 1, 1) * 86400 + 1


# --- the console --------------------------------------------------------------------------

def test_rtc_drift_runs_the_meters_rtc_fast(sim):
    out = ask(sim, "rtc drift 1273")
    assert out["ok"] and out["drift_ppm"] == 1273 and sim.rtc.chip.ppm == 1273
    # the chip alone (the app may write the RTC back when it steps): a day gains 109.9872 s
    before = sim.rtc.utc()
    sim.clock.advance_ms(86400 * 1000)
    assert sim.rtc.utc() - before == 86400 + 109
    out = ask(sim, "rtc drift -1273")
    assert out["drift_ppm"] == -1273
    before = sim.rtc.utc()
    sim.clock.advance_ms(86400 * 1000)
    assert sim.rtc.utc() - before in (86400 - 110, 86400 - 109)    # the carried fraction
    out = ask(sim, "advance 60")
    assert out["world_utc"] == "2026-12-02T09:01:00Z"


@pytest.mark.parametrize("arg", ["", "x", "1.5", "--5", "+-5", "5-", "500001", "-500001",
                                 "\u0661", "\u00b2", "1e3", "0x10", " "])
def test_rtc_drift_bad_arguments_change_nothing(sim, arg):
    before = ask(sim, "status")
    out = ask(sim, ("rtc drift " + arg).rstrip() if arg.strip() else "rtc drift")
    assert out["ok"] is False and out["error"]
    assert sim.rtc.chip.ppm == 0
    after = ask(sim, "status")
    assert after["clock"] == before["clock"] and after["world_utc"] == before["world_utc"]


def test_rtc_drift_extra_argument_refused(sim):
    out = ask(sim, "rtc drift 5 6")
    assert out["ok"] is False and sim.rtc.chip.ppm == 0


@pytest.mark.parametrize("line", ["advance \u00b2", "advance \u0663", "load \u0661",
                                  "powerfail \u00b9", "advance 1" + "0" * 12])
def test_non_ascii_digits_are_refused_not_a_crash(sim, line):
    """'²'.isdigit() is True but int('²') raises: the simulator must answer ok: false."""
    out = ask(sim, line)
    assert out["ok"] is False and out["error"]


def test_world_utc_in_status_like_replies(sim):
    digits = simmod_vend("credit", "5.00", START)
    for line in ("status", "advance 60", "load 100", "key A", "button", "pulses 1",
                 "token " + digits, "rtc set 2026-12-01T00:00:00Z", "rtc fault none",
                 "rtc drift 0", "reboot"):
        out = ask(sim, line)
        assert out["ok"] is True, line
        assert "world_utc" in out and out["world_utc"].endswith("Z"), line
    for line in ("events 2", "config", "info", "bogus", "advance x"):
        assert "world_utc" not in ask(sim, line), line


def test_world_utc_is_the_true_time_whatever_the_rtc_says(sim):
    assert ask(sim, "status")["world_utc"] == START
    out = ask(sim, "rtc set 2030-01-01T00:00:00Z")
    assert out["world_utc"] == START
    out = ask(sim, "advance 3600")
    assert out["world_utc"] == "2026-11-30T10:00:00Z"
    out = ask(sim, "reboot")                  # a power cycle takes 2 s of the world's time
    assert out["world_utc"] == "2026-11-30T10:00:02Z"
    assert sim.world_utc() == T0 + 3602 and sim.world_ms() // 1000 == T0 + 3602


def test_world_utc_in_the_power_failure_reply(sim):
    ask(sim, "powerfail 1")
    out = ask(sim, "token " + simmod_vend("credit", "1.00", START))
    assert out["ok"] is False and "power failed" in out["error"]
    assert out["world_utc"] == "2026-11-30T09:00:02Z"


def simmod_vend(*args):
    import vend
    kind, rest = args[0], list(args[1:])
    at = rest.pop()
    return vend.vend_native([kind] + rest + ["--at", at])


def test_reboot_with_an_off_period_and_an_rtc_jump_while_off(sim):
    out = ask(sim, "reboot 3600")
    assert out["world_utc"] == "2026-11-30T10:00:00Z"
    assert out["clock"]["utc"] == "2026-11-30T10:00:00Z"    # the RTC ran on while off
    writes = []
    real = sim.rtc.set_utc
    sim.rtc.set_utc = lambda utc: (writes.append(utc), real(utc))
    out = ask(sim, "reboot 60 2026-12-05T10:01:00Z")
    assert out["world_utc"] == "2026-11-30T10:01:00Z"       # the world did not jump
    assert writes == [simmod.isotime.parse_iso_utc("2026-12-05T10:01:00Z")]   # the RTC did


@pytest.mark.parametrize("line", ["reboot 0", "reboot x", "reboot -5", "reboot 5 2026-13-01T00:00:00Z",
                                  "reboot 5 2026-12-01T00:00:00Z extra", "reboot \u00b2",
                                  "reboot %d" % (10 * 366 * 86400 + 1)])
def test_reboot_bad_arguments_refused(sim, line):
    before = ask(sim, "status")
    out = ask(sim, line)
    assert out["ok"] is False and out["error"]
    assert ask(sim, "status")["world_utc"] == before["world_utc"]


def test_digits_typed_long_ago_do_not_join_a_token(sim):
    """The board's keypad task drops digits 30 s after the last key; the simulator must too,
    however long an advance is (a tick counter wraps after 12.4 days)."""
    ask(sim, "key 00")
    ask(sim, "advance %d" % (8 * 86400))
    digits = simmod_vend("credit", "5.00", "2026-12-08T09:00:00Z")
    out = ask(sim, "token " + digits)
    assert out["result"] == "accepted" and out["balance"] == 500 - 8 * 30
