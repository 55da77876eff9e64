"""The keypad lockout against a household that attacks it (issue 8): through the real app in the
simulator, judged on the simulator's TRUE time.  The RTC set back and forth, reboots and valid
tokens must not buy guesses; the number of guesses the app lets through stays under the bound
of docs/tokens.md, for native and for OpenPAYGO codes (tools/exploit_rigs.attack)."""
import pytest

import exploit_rigs as rigs
import vend
from exploit_rigs import ask, native_guess, opg_guess
from meter.core import calendar
from meter.core import isotime
from meter.core.lockout import Lockout

START = "2026-11-30T09:00:00Z"          # a Monday


@pytest.fixture
def world(tmp_path):
    w = rigs.World(START, {}, str(tmp_path / "state"))
    yield w
    w.close()


@pytest.fixture
def opg_world(tmp_path):
    w = rigs.World(START, {"openpaygo_key": rigs.OPG_KEY, "openpaygo_unit": 100},
                   str(tmp_path / "state"))
    yield w
    w.close()


def test_setting_the_rtc_back_and_forth_does_not_unlock(world):
    """Regression (issue 8): on 0.1.0 the lock ended at an RTC instant, so `rtc set` past it
    unlocked the keypad: 1,500 guesses in 500 cycles with no real time passing."""
    sim = world.sim
    for i in range(3):
        ask(sim, "token " + native_guess(i))
    assert ask(sim, "status")["lockout_s"] == 60
    t0 = sim.clock.ms
    guesses = 0
    for cycle in range(50):
        ask(sim, "rtc set " + isotime.iso_utc(world.utc() + (1 + cycle) * 3600))
        for j in range(3):
            if ask(sim, "token " + native_guess(10 + 3 * cycle + j))["result"] == "invalid":
                guesses += 1
        ask(sim, "rtc set " + isotime.iso_utc(world.utc() - (1 + cycle) * 86400))
        if ask(sim, "token " + native_guess(500 + cycle))["result"] == "invalid":
            guesses += 1
    assert guesses == 0
    assert sim.clock.ms == t0                     # no true time passed
    assert ask(sim, "status")["lockout_s"] == 60  # the lock holds for its real duration
    sim.advance(59)
    assert ask(sim, "status")["lockout_s"] == 1
    sim.advance(1)
    assert ask(sim, "status")["lockout_s"] == 0


def test_a_lock_holds_across_reboots_and_only_powered_time_counts(world):
    sim = world.sim
    for i in range(3):
        ask(sim, "token " + native_guess(i))
    sim.advance(20)
    for _ in range(30):                           # power-cycling never shortens the lock
        ask(sim, "reboot")
        assert ask(sim, "token " + native_guess(99))["result"] == "locked"
    assert 0 < ask(sim, "status")["lockout_s"] <= 60


def test_valid_tokens_do_not_buy_guesses(world):
    """Regression (issue 8): a valid token reset the counter, so 3 guesses, a 60 s lock and a
    valid token gave a household 177 guesses an hour."""
    guesses = rigs.attack(world, 3600, native_guess, ("valid",))
    lk = Lockout()
    # no decay within the first hour: locks of 60, 120, 240, 480, 960 s, then 1,920 s
    assert guesses <= 18 <= rigs.bound(3, lk.top_level, lk.cap_s, 3600)
    assert guesses >= 15                          # the attacker model really typed


def test_native_forging_rate_through_the_app_stays_under_the_bound(world):
    days = 6
    guesses = rigs.attack(world, days * 86400, native_guess, ("valid", "rtc", "reboot"))
    lk = Lockout()
    assert 30 < guesses <= rigs.bound(3, lk.top_level, lk.cap_s, days * 86400)


def test_openpaygo_forging_rate_through_the_app_stays_under_the_bound(opg_world):
    days = 20
    guesses = rigs.attack(opg_world, days * 86400, opg_guess, ("rtc", "reboot"))
    lk = Lockout(opg_world.sim.app.cfg.openpaygo_lockout_cap_s, 1)
    assert lk.top_level == 15
    assert 12 <= guesses <= rigs.bound(1, lk.top_level, lk.cap_s, days * 86400)
    # the stricter OpenPAYGO lock leaves native tokens usable
    t = vend.vend_native(["credit", "5.00", "--at", isotime.iso_utc(opg_world.utc())])
    assert ask(opg_world.sim, "token " + t)["result"] == "accepted"
