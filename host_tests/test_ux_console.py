"""Issue 9 on the console of the simulator: the debt split in the `token` reply, protections
vended with tools/vend.py and shown in `status`, the simulator's `temp` command driving the
DS3231's temperature registers, events without a false date."""
import json

import pytest

import sim as simmod
import vend
from meter.core import token as T

START = "2026-11-30T09:00:00Z"          # Monday 10:00 in Brussels


def make(tmp_path, cfg=None):
    return simmod.Simulator(simmod.isotime.parse_iso_utc(START), cfg or {},
                            str(tmp_path / "state"))


@pytest.fixture
def sim(tmp_path):
    s = make(tmp_path)
    yield s
    s.close()


def ask(sim, line):
    out = json.loads(sim.handle(line))
    assert isinstance(out["ok"], bool)
    return out


def test_token_reply_carries_the_debt_split(tmp_path):
    s = make(tmp_path, {"opening_debt": 3000})
    try:
        out = ask(s, "token " + vend.vend_native(["credit", "20.00", "--at", START]))
        assert out["result"] == "accepted" and out["value"] == 2000
        assert out["split"] == {"credit": 1500, "debt": 500}
        assert out["lcd"] == ["15.00EUR CREDIT ", "5.00EUR DEBT    "]
        assert out["balance"] == 1500 and out["debt"] == 2500
        out = ask(s, "token " + vend.vend_native(["reconnect", "--at",
                                                  "2026-11-30T09:01:00Z"]))
        assert out["split"] is None
    finally:
        s.close()


@pytest.mark.parametrize("args, which, days", [
    (["protect", "medical", "--days", "61"], 0, 61),
    (["protect", "weather", "--until", "2026-12-07"], 1, 7),
    (["protect", "cold", "--off"], 2, 0),
    (["protect", "protected", "--days", "4095"], 3, 4095),
])
def test_vend_protect_commands(args, which, days):
    digits = vend.vend_native(args + ["--at", START])
    kind, value, tid = T.decode(T.derive_meter_key(bytes.fromhex(vend.DEV_UTILITY_KEY_HEX),
                                                   vend.DEV_SERIAL), digits)
    assert (kind, T.protect_split(value)) == (T.PROTECT, (which, days))


@pytest.mark.parametrize("args", [
    ["protect", "medical"], ["protect", "medical", "--days", "0"],
    ["protect", "medical", "--days", "4096"], ["protect", "frost", "--days", "3"],
    ["protect", "medical", "--until", "2026-11-30"], ["protect", "medical", "--off", "--days", "3"],
])
def test_vend_protect_refuses_bad_arguments(args, capsys):
    with pytest.raises(SystemExit) as e:
        vend.vend_native(args + ["--at", START])
    assert e.value.code == 2


def test_protection_tokens_show_in_status(sim):
    out = ask(sim, "status")
    assert out["protections"] == {"medical": None, "weather": None, "cold": None,
                                  "protected": None}
    out = ask(sim, "token " + vend.vend_native(["protect", "medical", "--until", "2027-01-31",
                                                "--at", START]))
    assert out["result"] == "accepted"
    assert out["protections"]["medical"] == "2027-01-31T23:00:00Z"
    assert out["lcd"] == ["PROTECTION SET  ", "MEDICAL TO 31/01"]
    out = ask(sim, "protect weather on")
    assert out["protections"]["weather"] is True


def test_temp_command_drives_the_cold_home_hold(tmp_path):
    s = make(tmp_path, {"cold_hold": True, "cold_hold_min_s": 3600})
    try:
        out = ask(s, "temp 8.5")
        assert out["cold_hold"] == {"enabled": True, "on": True, "temperature_c": 8.5}
        assert s.rtc.chip.regs[0x11] == 8 and s.rtc.chip.regs[0x12] == 0x80
        out = ask(s, "temp 15")
        assert out["cold_hold"]["on"] is True            # the minimum hold time
        out = ask(s, "advance 3700")
        assert out["cold_hold"]["on"] is False
        names = [e["name"] for e in ask(s, "events 10")["events"]]
        assert "cold_hold_on" in names and "cold_hold_off" in names
        out = ask(s, "temp -3.2")
        assert out["cold_hold"]["on"] is True and out["cold_hold"]["temperature_c"] == -3.25
    finally:
        s.close()


@pytest.mark.parametrize("arg", ["\u00b2", "8.55", "8,5", "", "86", "-41", "1e1", "+5",
                                 "\u0669", "5.", ".5", "--5", "8.5.1"])
def test_temp_command_takes_ascii_degrees_only(sim, arg):
    before = ask(sim, "status")
    out = ask(sim, ("temp " + arg).strip())
    assert out["ok"] is False and "temp" in out["error"]
    assert ask(sim, "status")["cold_hold"] == before["cold_hold"]


def test_events_during_an_rtc_outage_show_utc_null(sim):
    # (while the controller runs, the proven time dates them: the outage spans a reboot)
    ask(sim, "rtc fault stop")
    ask(sim, "reboot")
    ask(sim, "rtc fault reset2000")
    ask(sim, "button")
    ev = ask(sim, "events 3")["events"]
    assert ev[0]["name"] == "button" and ev[0]["utc"] is None and ev[0]["mono_s"] >= 0
    assert all(e["utc"] is None or not e["utc"].startswith("2000") for e in ev)


def test_well_formed_class_count_in_the_docs():
    import os
    n = sum(1 for cls in range(1 << 18) if T._kind(cls) != T.INVALID)
    assert n == 195940
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "docs", "tokens.md")) as f:
        assert "195,940 of the 262,144" in f.read()
