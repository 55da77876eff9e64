"""End to end on a real broker (docs/remote.md): a simulated meter (tools/sim.py --serve --mqtt,
running the firmware's own MQTT client and remote layer) and tools/headend.py."""
import json
import sqlite3

from remote_rig import DEV_SERIAL, SimMeter, headend

# the broker and meter fixtures are in conftest.py


def cut_for_lack_of_credit(meter):
    meter.ask("load 500")
    # Monday 09:00 local; the notice (and the emergency-credit offer) run 24 h: cut on Tuesday
    st = meter.ask("advance 97200")
    assert st["relay"] == "open" and st["reason"] == "no_credit", st
    return st


def test_cut_meter_gets_credit_and_reconnect_then_closes_on_hash(broker, meter, tmp_path):
    db = tmp_path / "headend.sqlite"
    cut_for_lack_of_credit(meter)
    rc, out, err = headend(broker.address, db, "credit", str(DEV_SERIAL), "20.00",
                           at=meter.utc())
    assert rc == 0, (out, err)
    assert json.loads(out)["value"] == 2000
    rc, out, err = headend(broker.address, db, "reconnect", str(DEV_SERIAL), at=meter.utc())
    assert rc == 0, (out, err)
    st = meter.ask("status")
    assert st["supply"] == "armed" and st["relay"] == "open", st
    assert st["balance"] > 0
    st = meter.ask("key #")
    assert st["relay"] == "closed", st
    names = [e["name"] for e in meter.ask("events 30")["events"]]
    assert names.count("remote_command") == 2       # every command is an event, with its source
    # the journal kept both commands, their signed replies and a rising counter
    rows = sqlite3.connect(db).execute(
        "SELECT c.counter, r.code, r.verified FROM commands c JOIN replies r "
        "ON r.serial = c.serial AND r.counter = c.counter ORDER BY c.counter").fetchall()
    assert len(rows) == 2 and rows[0][0] < rows[1][0]
    assert all(code == 0 and ok == 1 for _, code, ok in rows)


def test_reconnect_alone_arms_a_cut_meter(broker, meter, tmp_path):
    db = tmp_path / "headend.sqlite"
    st = cut_for_lack_of_credit(meter)
    assert st["supply"] == "off"
    rc, out, err = headend(broker.address, db, "reconnect", str(DEV_SERIAL), at=meter.utc())
    assert rc == 0, (out, err)
    st = meter.ask("status")
    assert st["supply"] == "armed" and st["relay"] == "open" and st["balance"] < 0, st
    assert meter.ask("key #")["relay"] == "closed"


def test_reconnect_needs_no_trusted_clock(broker, meter, tmp_path):
    db = tmp_path / "headend.sqlite"
    cut_for_lack_of_credit(meter)
    meter.untrust()
    rc, out, err = headend(broker.address, db, "reconnect", str(DEV_SERIAL), at=meter.utc())
    assert rc == 0, (out, err)
    st = meter.ask("status")
    assert st["clock"]["trusted"] is False
    assert st["supply"] in ("armed", "on"), st
    st = meter.ask("key #")
    assert st["relay"] == "closed", st


def test_headend_exit_codes(broker, meter, tmp_path):
    db = tmp_path / "headend.sqlite"
    rc, out, err = headend(broker.address, db, "credit", str(DEV_SERIAL), "1.234")
    assert rc == 2 and "amount" in err
    rc, out, err = headend(broker.address, db, "reconnect", "99999999", timeout=2)
    assert rc == 3 and "no reply" in err           # nobody listens for that meter
    # a command whose expiry already passed on the meter's proven clock: refused, with why
    rc, out, err = headend(broker.address, db, "clear", str(DEV_SERIAL),
                           at="2026-11-01T00:00:00Z")
    assert rc == 1 and json.loads(out)["reason"] == "remote_expired", (out, err)


def test_status_and_events_through_the_headend(broker, meter, tmp_path):
    db = tmp_path / "headend.sqlite"
    meter.wait_sent()
    rc, out, err = headend(broker.address, db, "status", str(DEV_SERIAL))
    assert rc == 0, err
    st = json.loads(out)
    assert st["online"] is True and st["serial"] == DEV_SERIAL
    rc, out, err = headend(broker.address, db, "events", str(DEV_SERIAL), "--count", "4",
                           at=meter.utc())
    assert rc == 0, (out, err)
    events = json.loads(out)["events"]["events"]
    assert events and events[0]["seq"] == 1 and events[0]["name"] == "boot"


def test_last_will_says_offline_when_the_meter_drops(broker, tmp_path):
    m = SimMeter(broker.address, tmp_path / "flash2")
    m.wait_sent()
    m.proc.kill()                                   # no DISCONNECT: the broker sends the will
    m.proc.wait()
    import time
    end = time.monotonic() + 10
    st = None
    while time.monotonic() < end:
        rc, out, err = headend(broker.address, tmp_path / "he.sqlite", "status",
                               str(DEV_SERIAL), timeout=2)
        st = json.loads(out) if rc == 0 else None
        if st is not None and st.get("online") is False:
            break
        time.sleep(0.2)
    assert st == {"online": False}


def test_protections_by_command_with_start_and_end(broker, meter, tmp_path):
    db = tmp_path / "headend.sqlite"
    cut_for_lack_of_credit(meter)
    now = meter.utc()
    rc, out, err = headend(broker.address, db, "protect", str(DEV_SERIAL), "medical", "on",
                           "--days", "2", at=now)
    assert rc == 0, (out, err)
    st = meter.ask("status")
    assert st["protections"]["medical"] is not None and st["supply"] == "armed", st
    # a cold protection that starts in an hour
    import calendar as cal
    import time as _t
    later = _t.strftime("%Y-%m-%dT%H:%M:%SZ", _t.gmtime(cal.timegm(
        _t.strptime(now, "%Y-%m-%dT%H:%M:%SZ")) + 3600))
    rc, out, err = headend(broker.address, db, "protect", str(DEV_SERIAL), "cold", "on",
                           "--start", later, "--days", "1", at=now)
    assert rc == 0, (out, err)
    assert meter.ask("status")["protections"]["cold"] is None
    meter.ask("advance 3700")
    meter.ask("net")
    assert meter.ask("status")["protections"]["cold"] is not None
    rc, out, err = headend(broker.address, db, "protect", str(DEV_SERIAL), "medical", "off",
                           at=meter.utc())
    assert rc == 0, (out, err)
    assert meter.ask("status")["protections"]["medical"] is None
    rc, out, err = headend(broker.address, db, "protect", str(DEV_SERIAL), "medical", "off",
                           "--days", "2")
    assert rc == 2                                     # off takes no dates


def test_watch_prints_the_fleet_live(broker, tmp_path):
    import subprocess
    import sys
    from remote_rig import HEADEND
    watch = subprocess.Popen([sys.executable, HEADEND, "--broker", broker.address, "--db",
                              str(tmp_path / "w.sqlite"), "watch", "--count", "2"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    import time
    time.sleep(1.0)                                  # (subscribed)
    m = SimMeter(broker.address, tmp_path / "flash3")
    try:
        m.wait_sent()
        out, err = watch.communicate(timeout=30)
    finally:
        m.close()
    lines = [json.loads(x) for x in out.decode().splitlines()]
    assert len(lines) == 2 and all(x["serial"] == DEV_SERIAL for x in lines), (out, err)
    assert {x["topic"] for x in lines} <= {"state", "events"}


def test_nocut_cancel_cut_and_clear_by_command(broker, meter, tmp_path):
    db = tmp_path / "headend.sqlite"
    cut_for_lack_of_credit(meter)
    rc, out, err = headend(broker.address, db, "cancel-cut", str(DEV_SERIAL), at=meter.utc())
    assert rc == 0, (out, err)
    assert meter.ask("status")["supply"] == "armed"
    assert meter.ask("key #")["relay"] == "closed"
    day = meter.utc()[:10]
    rc, out, err = headend(broker.address, db, "nocut", str(DEV_SERIAL), "--start", day,
                           "--days", "3", at=meter.utc())
    assert rc == 0 and json.loads(out)["value"] == 3, (out, err)
    st = meter.ask("advance 86400")                 # a day later: still no cut, registered
    assert st["relay"] == "closed" and st["reason"] == "registration", st
    rc, out, err = headend(broker.address, db, "clear", str(DEV_SERIAL), at=meter.utc())
    assert rc == 0, (out, err)
    names = [e["name"] for e in meter.ask("events 40")["events"]]
    assert names.count("remote_command") == 3
