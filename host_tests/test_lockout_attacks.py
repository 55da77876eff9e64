"""The keypad lockout against a household that attacks it (issue 8): through the real app in the
simulator, judged on the simulator's TRUE time.  The RTC set back and forth, reboots and valid
tokens must not buy guesses; the number of guesses the app lets through stays under the bound
of docs/tokens.md, for native and for OpenPAYGO codes."""
import json

import pytest

import sim as simmod
import vend
from meter.core import calendar
from meter.core.lockout import Lockout

START = "2026-11-30T09:00:00Z"          # a Monday
OPG_KEY = "a29ab82edc5fbbc41ec9530f6dac86b1"
YEAR_S = 31557600


def ask(sim, line):
    out = json.loads(sim.handle(line))
    assert out["ok"] is True, (line, out)
    return out


def world_utc(sim):
    """The TRUE time of the simulated world (the virtual clock started at START)."""
    return calendar.parse_iso_utc(START) + sim.clock.ms // 1000


def iso(utc):
    return calendar.iso_utc(utc)


@pytest.fixture
def sim(tmp_path):
    s = simmod.Simulator(calendar.parse_iso_utc(START), {}, str(tmp_path / "state"))
    yield s
    s.close()


@pytest.fixture
def opg_sim(tmp_path):
    s = simmod.Simulator(calendar.parse_iso_utc(START),
                         {"openpaygo_key": OPG_KEY, "openpaygo_unit": 100},
                         str(tmp_path / "state"))
    yield s
    s.close()


def native_guess(i):
    # well-formed 20-digit strings that are not tokens of this meter
    return "%020d" % (12345678901234567890 + 7919 * i)


def opg_guess(i):
    return "%09d" % (100000007 + 104729 * i)


def bound(tries, top, cap_s, seconds):
    """docs/tokens.md: invalid entries the lockout can let through in `seconds` of time."""
    return tries * (top + 1 + seconds // cap_s) + tries - 1


def attack(sim, seconds, guess, tricks):
    """A household attacking the keypad for `seconds` of true time: it types a guess whenever
    the keypad takes one; while locked it tries every trick it has (`tricks`: "rtc" sets the
    RTC a day back and two days forward, "reboot" power-cycles the controller, "valid" types a
    valid credit token of its own), each followed by a guess, then waits for the lock to end.
    -> the number of guesses the app judged (result "invalid")."""
    end = world_utc(sim) + seconds
    guesses = 0
    i = 0
    last_valid_minute = 0

    def try_guess():
        nonlocal i, guesses
        r = ask(sim, "token " + guess(i))
        i += 1
        if r["result"] == "invalid":
            guesses += 1
        else:
            assert r["result"] == "locked", r
        return r

    while world_utc(sim) < end and guesses < 2000:   # (a broken lockout would never end)
        r = try_guess()
        if r["result"] != "locked":
            continue
        if "rtc" in tricks:
            ask(sim, "rtc set " + iso(world_utc(sim) - 86400))
            try_guess()
            ask(sim, "rtc set " + iso(world_utc(sim) + 2 * 86400))
            try_guess()
            ask(sim, "rtc set " + iso(world_utc(sim)))
        if "reboot" in tricks:
            ask(sim, "reboot")
            try_guess()
        st = ask(sim, "status")
        left = max(st["lockout_s"], st.get("lockout_openpaygo_s", 0))
        if left:
            sim.advance(min(left, max(1, end - world_utc(sim))))
        if "valid" in tricks and world_utc(sim) // 60 > last_valid_minute:
            # the lock is over: a valid token of its own before the next guesses
            last_valid_minute = world_utc(sim) // 60
            t = vend.vend_native(["credit", "0.01", "--at", iso(last_valid_minute * 60)])
            assert ask(sim, "token " + t)["result"] in ("accepted", "locked")
    return guesses


def test_setting_the_rtc_back_and_forth_does_not_unlock(sim):
    """Regression (issue 8): on 0.1.0 the lock ended at an RTC instant, so `rtc set` past it
    unlocked the keypad: 1,500 guesses in 500 cycles with no real time passing."""
    for i in range(3):
        ask(sim, "token " + native_guess(i))
    assert ask(sim, "status")["lockout_s"] == 60
    t0 = sim.clock.ms
    guesses = 0
    for cycle in range(50):
        ask(sim, "rtc set " + iso(world_utc(sim) + (1 + cycle) * 3600))
        for j in range(3):
            if ask(sim, "token " + native_guess(10 + 3 * cycle + j))["result"] == "invalid":
                guesses += 1
        ask(sim, "rtc set " + iso(world_utc(sim) - (1 + cycle) * 86400))
        if ask(sim, "token " + native_guess(500 + cycle))["result"] == "invalid":
            guesses += 1
    assert guesses == 0
    assert sim.clock.ms == t0                     # no true time passed
    st = ask(sim, "status")
    assert st["lockout_s"] == 60                  # the lock holds for its real duration
    sim.advance(59)
    assert ask(sim, "status")["lockout_s"] == 1
    sim.advance(1)
    assert ask(sim, "status")["lockout_s"] == 0


def test_a_lock_holds_across_reboots_and_only_powered_time_counts(sim):
    for i in range(3):
        ask(sim, "token " + native_guess(i))
    sim.advance(20)
    for _ in range(30):                           # power-cycling never shortens the lock
        ask(sim, "reboot")
        assert ask(sim, "token " + native_guess(99))["result"] == "locked"
    assert 0 < ask(sim, "status")["lockout_s"] <= 60


def test_valid_tokens_do_not_buy_guesses(sim):
    """Regression (issue 8): a valid token reset the counter, so 3 guesses, a 60 s lock and a
    valid token gave a household 177 guesses an hour."""
    guesses = attack(sim, 3600, native_guess, ("valid",))
    lk = Lockout()
    # without decay in the first hour: locks of 60, 120, 240, 480, 960 s, then 1,920 s
    assert guesses <= 18 <= bound(3, lk.top_level, lk.cap_s, 3600)
    assert guesses >= 15                          # the attacker model really typed


def test_native_forging_rate_through_the_app_stays_under_the_bound(sim):
    days = 6
    guesses = attack(sim, days * 86400, native_guess, ("valid", "rtc", "reboot"))
    lk = Lockout()
    limit = bound(3, lk.top_level, lk.cap_s, days * 86400)
    assert guesses <= limit
    # the long-run figure of docs/tokens.md: 3 guesses per cap_s of true time at most
    assert guesses > 30


def test_openpaygo_forging_rate_through_the_app_stays_under_the_bound(opg_sim):
    days = 20
    guesses = attack(opg_sim, days * 86400, opg_guess, ("rtc", "reboot"))
    lk = Lockout(opg_sim.app.cfg.openpaygo_lockout_cap_s, 1)
    assert lk.top_level == 15
    assert guesses <= bound(1, lk.top_level, lk.cap_s, days * 86400)
    assert guesses >= 12
    # the stricter OpenPAYGO lock leaves native tokens usable
    t = vend.vend_native(["credit", "5.00", "--at", iso(world_utc(opg_sim))])
    assert ask(opg_sim, "token " + t)["result"] == "accepted"
