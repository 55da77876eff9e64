"""tools/vend.py as a user runs it: one subprocess per command (docs/tokens.md)."""
import os
import subprocess
import sys
import time

import pytest

from meter.core import calendar

from meter.core import isotime
from meter.core import token as T
from devkeys import DEV_SERIAL, DEV_UTILITY_KEY_HEX

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VEND = os.path.join(ROOT, "tools", "vend.py")
AT = "2026-11-28T12:00:00Z"
AT_UTC = isotime.parse_iso_utc(AT)
DEV_KEY = T.derive_meter_key(bytes.fromhex(DEV_UTILITY_KEY_HEX), DEV_SERIAL)
OTHER_HEX = "11" * 32


def run(*args, env=None):
    """vend.py with the development key (unless a --key-file is given) and without the
    journal (unless a --db is given): these tests are about the token format."""
    args = list(args)
    if "--key-file" not in args and "--dev" not in args:
        args = ["--dev"] + args
    if "--db" not in args:
        args = ["--no-db"] + args
    environ = dict(os.environ)
    environ.pop("METER_UTILITY_KEY", None)
    environ["XDG_DATA_HOME"] = "/nonexistent-vend-test"      # never the user's journal
    environ.update(env or {})
    return subprocess.run([sys.executable, VEND] + args, capture_output=True, text=True,
                          cwd="/", timeout=60, env=environ)


def vend(*args):
    proc = run(*args)
    assert proc.returncode == 0, proc.stderr
    digits = proc.stdout
    assert digits.endswith("\n") and len(digits) == 21 and digits[:20].isdigit(), digits
    return digits[:20]


@pytest.mark.parametrize("args, kind, value", [
    (["credit", "20.00"], T.CREDIT, 2000),
    (["credit", "20"], T.CREDIT, 2000),
    (["credit", "0.5"], T.CREDIT, 50),
    (["credit", "655.35"], T.CREDIT, 65535),
    (["credit", "1234.00"], T.CREDIT, 123400),
    (["credit", "65535"], T.CREDIT, 6553500),
    (["reconnect"], T.RECONNECT, 0),
    (["cancel-cut"], T.CANCEL_CUT, 0),
    (["settime"], T.SET_TIME, 0),
    (["emergency", "--amount", "12.00"], T.EMERGENCY, 1200),
    (["emergency", "--amount", "0"], T.EMERGENCY, 0),
    (["clear"], T.CLEAR, 0),
    (["nocut", "--start", "2026-12-01", "--days", "30"], T.NOCUT, T.nocut_value(3, 30)),
    (["nocut", "--start", "2026-11-28", "--days", "256"], T.NOCUT, T.nocut_value(0, 256)),
    (["keychange"], T.KEY_CHANGE, T.keychange_value(1, 0)),
    (["keychange", "--new-rev", "9"], T.KEY_CHANGE, T.keychange_value(9, 0)),
])
def test_every_command_vends_what_it_says(args, kind, value):
    digits = vend("--at", AT, *args)
    assert T.decode(DEV_KEY, digits) == (kind, value, T.token_id_from_utc(AT_UTC, 0))


def test_known_answer_pins_the_format():
    # DEVELOPMENT key and serial, credit 20.00 issued 2026-11-28T12:00:00Z (token id 5737680)
    assert vend("--at", AT, "credit", "20.00") == "13354784084274972624"


def test_options_before_or_after_the_command_agree(tmp_path):
    kf = tmp_path / "utility.key"
    kf.write_text(OTHER_HEX + "\n")
    a = vend("--key-file", str(kf), "--serial", "5", "--at", AT, "credit", "3.00")
    b = vend("credit", "3.00", "--key-file", str(kf), "--serial", "5", "--at", AT)
    c = vend("--key-file", str(kf), "credit", "--serial", "5", "3.00", "--at", AT)
    assert a == b == c
    key = T.derive_meter_key(bytes.fromhex(OTHER_HEX), 5)
    assert T.decode(key, a)[:2] == (T.CREDIT, 300)
    assert T.decode(DEV_KEY, a)[0] == T.INVALID


def test_default_issue_time_is_now():
    before = int(time.time()) // 60 * 60
    kind, _, tid = T.decode(DEV_KEY, vend("clear"))
    after = int(time.time())
    assert kind == T.CLEAR and before <= T.issue_utc(tid, 0) <= after


def test_decode_prints_the_token_and_exits_0_or_1():
    digits = vend("--at", AT, "credit", "20.00")
    proc = run("decode", digits)
    assert proc.returncode == 0
    assert proc.stdout.splitlines() == ["status: valid", "type: credit", "value: 20.00",
                                        "issued: 2026-11-28T12:00:00Z", "token_id: 5737680"]
    proc = run("decode", digits[:8] + "-" + digits[8:])          # grouping is ignored
    assert proc.returncode == 0
    nocut = vend("--at", AT, "nocut", "--start", "2026-12-24", "--days", "14")
    proc = run("decode", nocut)
    assert proc.returncode == 0 and "value: start 2026-12-24, 14 days" in proc.stdout
    bad = ("1" if digits[5] != "1" else "2").join((digits[:5], digits[6:]))
    for wrong in (bad, "12345", "abc", digits + "0"):
        proc = run("decode", wrong)
        assert proc.returncode == 1 and proc.stdout.strip() == "status: invalid"
    proc = run("--serial", "1", "decode", digits)                 # another meter
    assert proc.returncode == 1


def test_key_change_then_vend_under_the_new_revision():
    at = "2033-03-01T10:00:00Z"
    change = run("--at", at, "keychange")
    assert change.returncode == 0
    assert "key revision 1, base 1" in change.stderr
    digits = change.stdout.strip()
    kind, value, tid = T.decode(DEV_KEY, digits)
    assert kind == T.KEY_CHANGE and T.keychange_split(value) == (1, 1)
    after = vend("--key-rev", "1", "--base", "1", "--at", at, "credit", "5.00")
    k1 = T.derive_meter_key(bytes.fromhex(DEV_UTILITY_KEY_HEX), DEV_SERIAL, 1)
    kind, value, tid = T.decode(k1, after)
    assert (kind, value) == (T.CREDIT, 500)
    assert T.issue_utc(tid, 1) == isotime.parse_iso_utc(at)
    proc = run("--key-rev", "1", "--base", "1", "decode", after)
    assert proc.returncode == 0 and "issued: 2033-03-01T10:00:00Z" in proc.stdout
    proc = run("decode", digits)
    assert "value: key revision 1, base 1 (2032-01-01)" in proc.stdout


def test_openpaygo_matches_the_reference_decoder():
    from openpaygo import OpenPAYGOTokenDecoder, TokenType
    key = "a29ab82edc5fbbc41ec9530f6dac86b1"
    proc = run("openpaygo", "--key", key, "--count", "1", "--value", "7")
    assert proc.returncode == 0 and len(proc.stdout.strip()) == 9
    value, kind, count, _ = OpenPAYGOTokenDecoder.decode_token(
        proc.stdout.strip(), key, 1, used_counts=[], starting_code=None)
    assert (value, kind, count) == (7, TokenType.ADD_TIME, 2)
    proc = run("openpaygo", "--key", key, "--count", "2", "--value", "30", "--mode", "set",
               "--starting-code", "516959010")
    assert proc.returncode == 0
    value, kind, count, _ = OpenPAYGOTokenDecoder.decode_token(
        proc.stdout.strip(), key, 2, used_counts=[], starting_code=516959010)
    assert (value, kind, count) == (30, TokenType.SET_TIME, 3)


@pytest.mark.parametrize("args", [
    ["credit", "-5"], ["credit", "-5.00"], ["credit", "1.234"], ["credit", "0"],
    ["credit", "0.00"], ["credit", "abc"], ["credit", "1e3"], ["credit", "20,00"],
    ["credit", "700.50"], ["credit", "65535.01"], ["credit", "70000"], ["credit", "1."],
    ["credit", "\u0663"], ["credit"],
    ["emergency", "--amount", "163.84"], ["emergency", "--amount", "-1"], ["emergency"],
    ["nocut", "--start", "2026-11-27", "--days", "3"],            # before the issue date
    ["nocut", "--start", "2027-01-31", "--days", "3"],            # 64 days after
    ["nocut", "--start", "2026-12-01", "--days", "0"],
    ["nocut", "--start", "2026-12-01", "--days", "257"],
    ["nocut", "--start", "2026-02-30", "--days", "3"], ["nocut", "--days", "3"],
    ["keychange", "--new-base", "1"],                             # base 1 starts in 2032
    ["keychange", "--new-rev", "0"], ["keychange", "--new-rev", "1024"],
    ["--key-rev", "3", "keychange", "--new-rev", "2"],
    ["--base", "1", "--at", "2033-01-01T00:00:00Z", "keychange", "--new-base", "0"],
    ["--at", "2031-12-31T23:59:00Z", "keychange", "--new-base", "1"],  # a minute too early
    ["--at", "2026-11-28 12:00:00", "credit", "1"], ["--at", "2026-13-01T00:00:00Z", "clear"],
    ["--at", "2015-12-31T23:59:59Z", "clear"],                    # before the base date
    ["--at", "2047-11-24T20:16:00Z", "clear"],                    # base 0 rolled over
    ["--key", "zz", "clear"], ["--key", "00" * 8, "clear"], ["--key", OTHER_HEX, "clear"],
    ["--key-file", "/nonexistent/key", "clear"], ["--serial", "-1", "clear"],
    ["--serial", str(2 ** 32), "clear"], ["--base", "16", "clear"], ["--key-rev", "x", "clear"],
    ["decode"], ["frobnicate"], [],
    ["openpaygo", "--key", "zz", "--count", "1", "--value", "5"],
    ["openpaygo", "--key", "a29ab82edc5fbbc41ec9530f6dac86b1", "--count", "1",
     "--value", "996"],
    ["openpaygo", "--count", "1", "--value", "5"],
])
def test_bad_arguments_exit_2_with_a_message(args):
    if args[:1] != ["--at"] and not any(a == "--at" for a in args):
        args = args + ["--at", AT] if args and args[0] not in ("decode", "openpaygo") else args
    proc = run(*args)
    assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
    assert proc.stdout == ""
    assert "error:" in proc.stderr


def test_last_minute_of_base_0_still_vends():
    digits = vend("--at", "2047-11-24T20:15:59Z", "clear")
    assert T.decode(DEV_KEY, digits) == (T.CLEAR, 0, T.ID_LIMIT - 1)


def test_first_minute_of_base_0_and_the_july_2020_founding_case():
    assert T.decode(DEV_KEY, vend("--at", "2016-01-01T00:00:00Z", "clear")) == (T.CLEAR, 0, 0)
    at = "2020-07-02T10:00:00Z"
    digits = vend("--at", at, "credit", "20.00")
    assert digits == "66080029325526042576"
    assert T.decode(DEV_KEY, digits) == (T.CREDIT, 2000, 2367960)
    assert T.issue_utc(2367960, 0) == isotime.parse_iso_utc(at)
    proc = run("decode", digits)
    assert proc.returncode == 0
    assert proc.stdout.splitlines() == ["status: valid", "type: credit", "value: 20.00",
                                        "issued: 2020-07-02T10:00:00Z", "token_id: 2367960"]
    settime = vend("--at", at, "settime")
    assert T.decode(DEV_KEY, settime) == (T.SET_TIME, 0, 2367960)
