"""The console protocol against the simulator, in-process (docs/console.md)."""
import json
import string
import subprocess
import sys
import os

import pytest
from hypothesis import given, settings, strategies as st

import sim as simmod
import vend

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
START = "2026-11-28T12:00:00Z"


@pytest.fixture
def sim(tmp_path):
    s = simmod.Simulator(simmod.isotime.parse_iso_utc(START), {}, str(tmp_path / "state"))
    yield s
    s.close()


def ask(sim, line):
    reply = sim.handle(line)
    assert "\n" not in reply
    out = json.loads(reply)
    assert isinstance(out["ok"], bool)
    return out


def comparable(status):
    """Status without the parts that move by themselves (the LCD alternates)."""
    status = dict(status)
    status.pop("lcd", None)
    return status


def test_status_fields(sim):
    st_ = ask(sim, "status")
    assert st_["ok"] is True
    assert set(st_) >= {"relay", "supply", "balance", "emergency", "debt", "clock", "code",
                        "reason", "next_cut", "lcd", "lockout_s"}
    assert st_["relay"] == "closed" and st_["supply"] == "on"
    assert st_["balance"] == 0 and st_["debt"] == 0
    # offered since the proven upper bound of that instant, to the minute (docs/clock.md)
    assert st_["emergency"] == {"available": 1200, "active": False, "used": 0,
                               "offered_since": "2026-11-28T12:01:00Z"}
    clock = dict(st_["clock"])
    # a new meter is trusted at once, whatever the second it was provisioned at; its error
    # is the provisioning second plus the reboot's measurement slack
    assert 0 <= clock.pop("error_s") <= 5
    assert clock == {"trusted": True, "utc": START, "local": "2026-11-28T13:00:00+01:00",
                     "lo": START, "hi": clock["hi"], "rtc": "ok",
                     "challenge": clock["challenge"]}
    assert len(clock["challenge"]) == 5 and clock["challenge"].isdigit()
    assert START < clock["hi"] <= "2026-11-28T12:00:05Z"
    assert isinstance(st_["code"], int) and st_["reason"] == "supply_on"
    assert st_["next_cut"] is None
    assert len(st_["lcd"]) == 2 and all(len(line) == 16 for line in st_["lcd"])
    assert st_["lockout_s"] == 0


def test_bad_requests_change_nothing(sim):
    before = comparable(ask(sim, "status"))
    for line in ("", "   ", "bogus", "status extra", "key", "key 12X", "key 1 2",
                 "token", "token 12a", "token " + "1" * 21, "pulses", "pulses -1",
                 "pulses x", "events 0", "events 999", "events x", "advance", "advance -5",
                 "advance 1.5", "load", "load -1", "load 200000", "rtc", "rtc set",
                 "rtc set 2026-13-01T00:00:00Z", "rtc fault", "rtc fault fire",
                 "protect", "protect medical", "protect medical maybe", "protect cat on",
                 "powerfail", "powerfail 0", "reboot now", "x" * 300, "status\x00"):
        out = ask(sim, line)
        assert out["ok"] is False, line
        assert isinstance(out["error"], str) and out["error"]
    assert comparable(ask(sim, "status")) == before


def test_long_line_rejected(sim):
    out = ask(sim, "key " + "1" * 253)
    assert out["ok"] is False and "256" in out["error"]


def test_token_results_and_value(sim):
    digits = vend.vend_native(["credit", "20.00", "--at", START])
    out = ask(sim, "token " + digits)
    assert out["ok"] and out["result"] == "accepted" and out["value"] == 2000
    assert out["balance"] == 2000
    out = ask(sim, "token " + digits)
    assert out["result"] == "used" and out["balance"] == 2000
    out = ask(sim, "token 12345")
    assert out["result"] == "invalid" and out["balance"] == 2000


def test_key_command_types_a_token(sim):
    digits = vend.vend_native(["credit", "1.50", "--at", START])
    out = ask(sim, "key " + digits[:10])
    assert out["lcd"][1].strip() == digits[:10]
    out = ask(sim, "key " + digits[10:] + "#")
    assert out["balance"] == 150


def test_events_config_info(sim):
    ask(sim, "pulses 1000")
    ev = ask(sim, "events 5")
    assert ev["ok"] and 1 <= len(ev["events"]) <= 5
    for e in ev["events"]:
        assert set(e) - {"source"} == {"utc", "trusted", "mono_s", "code", "name", "value"}
        assert e["utc"].endswith("Z")
    out = ask(sim, "config")
    cfg = out["config"]
    assert cfg["currency"] == "EUR" and cfg["cut_start"] == 480 and cfg["notice"] == 1440
    assert out["currency"] == "EUR" and out["emergency_amount"] == 1200
    info = ask(sim, "info")
    assert info["board"] == "sim" and info["firmware"] and info["cpython"]


def test_pulses_charge_money(sim):
    out = ask(sim, "pulses 1000")     # 1 kWh at the weekend (night) rate 24.000 c
    assert out["balance"] == -24


def test_local_time_carries_its_offset(tmp_path):
    s = simmod.Simulator(simmod.isotime.parse_iso_utc("2026-07-01T10:00:00Z"), {},
                         str(tmp_path / "summer"))
    try:
        out = ask(s, "status")
    finally:
        s.close()
    assert out["clock"]["local"] == "2026-07-01T12:00:00+02:00"


def test_advance_and_load(sim):
    ask(sim, "load 1000")
    out = ask(sim, "advance 3600")
    assert out["clock"]["utc"] == "2026-11-28T13:00:00Z"
    assert out["balance"] == -24


def test_reboot_keeps_flash(sim):
    digits = vend.vend_native(["credit", "5.00", "--at", START])
    ask(sim, "token " + digits)
    out = ask(sim, "reboot")
    assert out["balance"] == 500 and out["clock"]["trusted"] is True


def test_test_mode_commands_refused_without_test_mode(sim):
    sim.app.test_mode = False
    for line in ("advance 10", "load 100", "rtc set 2026-11-28T12:00:00Z", "reboot",
                 "powerfail 1", "protect medical on"):
        out = ask(sim, line)
        assert out["ok"] is False and "test mode" in out["error"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=string.printable + "\x00\xe9", max_size=80))
def test_fuzzed_console_lines_never_crash_or_credit(line):
    s = simmod.Simulator(simmod.isotime.parse_iso_utc(START), {}, None)
    try:
        if line.split()[:1] in (["pulses"], ["advance"], ["load"], ["rtc"], ["reboot"],
                                ["powerfail"], ["vend"], ["plot"]):
            line = "status"
        out = json.loads(s.handle(line))
        assert isinstance(out["ok"], bool)
        assert s.app.meter.credit.balance <= 0
    finally:
        s.close()


def test_serve_mode_over_stdio(tmp_path):
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "sim.py"), "--serve",
                           "--state", str(tmp_path / "s")],
                          input="status\nbogus\nadvance 60\n", capture_output=True, text=True,
                          timeout=60)
    lines = [json.loads(ln) for ln in proc.stdout.splitlines()]
    assert [ln["ok"] for ln in lines] == [True, False, True]
    assert lines[2]["clock"]["utc"] == "2026-11-28T12:01:00Z"


def test_listen_mode_over_tcp(tmp_path):
    import socket
    import time
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "tools", "sim.py"), "--listen",
                             "127.0.0.1:%d" % port, "--state", str(tmp_path / "s")],
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 30
        while True:
            try:
                conn = socket.create_connection(("127.0.0.1", port), timeout=10)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        with conn:
            f = conn.makefile("rwb")
            f.write(b"status\nadvance 60\n")
            f.flush()
            first = json.loads(f.readline())
            second = json.loads(f.readline())
        assert first["ok"] and second["clock"]["utc"] == "2026-11-28T12:01:00Z"
    finally:
        proc.kill()
        proc.wait()
