"""tools/vend.py's journal (issue 9): meters and tokens in SQLite, the utility key from a file
or the environment only, consecutive ids for tokens in one minute, `history SERIAL`."""
import os
import sqlite3
import subprocess
import sys

import pytest

import sim as simmod
from meter.core import calendar
from meter.core import isotime
from meter.core import token as T
from devkeys import DEV_SERIAL, DEV_UTILITY_KEY_HEX

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VEND = os.path.join(ROOT, "tools", "vend.py")
AT = "2026-11-28T12:00:00Z"
UTILITY_HEX = "5a" * 32
OTHER_HEX = "11" * 32


@pytest.fixture
def env(tmp_path):
    e = dict(os.environ)
    e.pop("METER_UTILITY_KEY", None)
    e["XDG_DATA_HOME"] = str(tmp_path / "xdg")
    return e


def run(env, *args):
    return subprocess.run([sys.executable, VEND] + list(args), capture_output=True, text=True,
                          cwd="/", timeout=60, env=env)


def digits_of(proc):
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.strip()
    assert len(out) == 20 and out.isdigit(), out
    return out


def test_two_tokens_in_one_minute_get_consecutive_ids_and_both_are_accepted(tmp_path, env):
    db = str(tmp_path / "j.sqlite")
    credit = digits_of(run(env, "--dev", "--db", db, "--at", AT, "credit", "20.00"))
    settime = digits_of(run(env, "--dev", "--db", db, "--at", AT, "settime"))
    key = T.derive_meter_key(bytes.fromhex(DEV_UTILITY_KEY_HEX), DEV_SERIAL)
    a, b = T.decode(key, credit), T.decode(key, settime)
    assert b[2] == a[2] + 1
    s = simmod.Simulator(isotime.parse_iso_utc(AT), {}, str(tmp_path / "state"))
    try:
        import json
        r1 = json.loads(s.handle("token " + credit))
        r2 = json.loads(s.handle("token " + settime))
        assert (r1["result"], r2["result"]) == ("accepted", "accepted")
    finally:
        s.close()


def test_history_lists_what_was_issued(tmp_path, env):
    db = str(tmp_path / "j.sqlite")
    kf = tmp_path / "utility.key"
    kf.write_text(UTILITY_HEX + "\n")
    made = [digits_of(run(env, "--key-file", str(kf), "--serial", "42", "--db", db, "--at", AT,
                          *cmd)) for cmd in (["credit", "20.00"], ["reconnect"],
                                             ["nocut", "--start", "2026-12-01", "--days", "5"])]
    proc = run(env, "--db", db, "history", "42")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "meter 42: key revision 0, base 0" in lines[0]
    body = lines[2:]
    assert len(body) == 3
    assert [ln.split()[0] for ln in body] == ["2026-11-28T12:00:00Z", "2026-11-28T12:01:00Z",
                                             "2026-11-28T12:02:00Z"]
    assert [ln.split()[1] for ln in body] == ["credit", "reconnect", "nocut"]
    assert "20.00" in body[0] and "start 2026-12-01, 5 days" in body[2]
    assert [ln.split()[-1] for ln in body] == made
    proc = run(env, "--db", db, "history", "43")
    assert proc.returncode == 2 and "no meter 43" in proc.stderr
    proc = run(env, "--db", db, "meters")
    assert proc.returncode == 0 and "42" in proc.stdout


def test_the_key_comes_from_a_file_or_the_environment_never_the_command_line(tmp_path, env):
    db = str(tmp_path / "j.sqlite")
    kf = tmp_path / "utility.key"
    kf.write_text(UTILITY_HEX)
    from_file = digits_of(run(env, "--key-file", str(kf), "--serial", "7", "--no-db",
                              "--at", AT, "clear"))
    env2 = dict(env, METER_UTILITY_KEY=UTILITY_HEX)
    from_env = digits_of(run(env2, "--serial", "7", "--no-db", "--at", AT, "clear"))
    assert from_file == from_env
    key = T.derive_meter_key(bytes.fromhex(UTILITY_HEX), 7)
    assert T.decode(key, from_file)[0] == T.CLEAR
    proc = run(env, "--key", UTILITY_HEX, "--serial", "7", "--db", db, "clear")
    assert proc.returncode == 2 and "--key-file" in proc.stderr and "METER_UTILITY_KEY" in \
        proc.stderr and proc.stdout == ""
    proc = run(env, "--serial", "7", "--db", db, "clear")        # no key at all
    assert proc.returncode == 2 and "--dev" in proc.stderr
    bad = tmp_path / "bad.key"
    bad.write_text("not hex")
    proc = run(env, "--key-file", str(bad), "--serial", "7", "--db", db, "clear")
    assert proc.returncode == 2 and "hexadecimal" in proc.stderr
    proc = run(env, "--key-file", str(kf), "--db", db, "clear")   # which meter?
    assert proc.returncode == 2 and "--serial" in proc.stderr


def test_the_journal_never_holds_the_key_and_refuses_another_key(tmp_path, env):
    db = tmp_path / "j.sqlite"
    kf = tmp_path / "utility.key"
    kf.write_text(UTILITY_HEX)
    digits_of(run(env, "--key-file", str(kf), "--serial", "9", "--db", str(db), "--at", AT,
                  "credit", "1.00"))
    raw = db.read_bytes()
    assert bytes.fromhex(UTILITY_HEX) not in raw and UTILITY_HEX.encode() not in raw
    other = tmp_path / "other.key"
    other.write_text(OTHER_HEX)
    proc = run(env, "--key-file", str(other), "--serial", "9", "--db", str(db), "--at", AT,
               "credit", "1.00")
    assert proc.returncode == 2 and "belongs to utility key" in proc.stderr
    con = sqlite3.connect(str(db))
    assert con.execute("SELECT COUNT(*) FROM tokens").fetchone()[0] == 1


def test_the_journal_follows_a_key_change(tmp_path, env):
    db = str(tmp_path / "j.sqlite")
    at = "2033-03-01T10:00:00Z"
    change = digits_of(run(env, "--dev", "--db", db, "--at", at, "keychange"))
    after = digits_of(run(env, "--dev", "--db", db, "--at", at, "credit", "5.00"))
    k0 = T.derive_meter_key(bytes.fromhex(DEV_UTILITY_KEY_HEX), DEV_SERIAL, 0)
    k1 = T.derive_meter_key(bytes.fromhex(DEV_UTILITY_KEY_HEX), DEV_SERIAL, 1)
    assert T.decode(k0, change)[0] == T.KEY_CHANGE
    kind, value, tid = T.decode(k1, after)            # under revision 1, base 1
    assert (kind, value) == (T.CREDIT, 500)
    assert T.issue_utc(tid, 1) == isotime.parse_iso_utc(at) + 60
    proc = run(env, "--dev", "--db", db, "decode", after)
    assert proc.returncode == 0 and "issued: 2033-03-01T10:01:00Z" in proc.stdout


def test_the_default_journal_is_in_the_data_directory(tmp_path, env):
    digits_of(run(env, "--dev", "--at", AT, "clear"))
    assert (tmp_path / "xdg" / "budget-meter" / "vend.sqlite").exists()
