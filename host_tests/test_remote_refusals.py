"""Commands that must be refused over a real broker — replayed, forged, expired, for another
meter, malformed, out of order — each with a signed reply saying why, changing nothing."""
import pytest

from remote_rig import DEV_SERIAL, RawLink

from meter.core import calendar, codes

from meter.core import isotime
from meter.core import remote as R
from meter.core import token as T
from devkeys import DEV_UTILITY_KEY_HEX

KEY = T.derive_meter_key(bytes.fromhex(DEV_UTILITY_KEY_HEX), DEV_SERIAL)
CMD = R.command_key(KEY)
REPLY = R.reply_key(KEY)
EPOCH_2000 = 946684800


@pytest.fixture
def rig(broker, meter):
    # (broker and meter: conftest.py)
    link = RawLink(broker.address)
    yield meter, link
    link.close()


def now_s(meter):
    return isotime.parse_iso_utc(meter.utc()) - EPOCH_2000


def credit_cmd(meter, counter, amount=500, serial=DEV_SERIAL, key=CMD, issue=None):
    issue = now_s(meter) if issue is None else issue
    tid = T.token_id_from_utc(issue + EPOCH_2000, 0) - counter % 3
    token = T.encode(KEY, T.CREDIT, amount, tid).encode()
    return R.encode(key, serial, counter, issue, issue + 600, R.CREDIT, token)


def snapshot(meter):
    st = meter.ask("status")
    net = meter.ask("net")
    return (st["balance"], st["supply"], st["relay"], net["counter"])


def signed(reply):
    return R.check_reply(REPLY, DEV_SERIAL, reply["counter"], reply["code"], reply["value"],
                         bytes.fromhex(reply["mac"]))


def test_each_refusal_says_why_and_changes_nothing(rig):
    meter, link = rig
    good = credit_cmd(meter, 100)
    r = link.send(good, meter)
    assert r["code"] == 0 and signed(r) and r["value"] == 500
    before = snapshot(meter)
    assert before[0] == 500 and before[3] == 100
    forged = bytearray(credit_cmd(meter, 101))
    forged[-1] ^= 1
    other_key = R.command_key(T.derive_meter_key(b"another utility's key, 32 bytes!",
                                                 DEV_SERIAL))
    cases = [
        (good, codes.REMOTE_REPLAYED),                               # the same bytes again
        (credit_cmd(meter, 99), codes.REMOTE_STALE),                 # an older counter
        (bytes(forged), codes.REMOTE_FORGED),
        (credit_cmd(meter, 102, key=other_key), codes.REMOTE_FORGED),
        (credit_cmd(meter, 103, serial=DEV_SERIAL + 1), codes.REMOTE_OTHER_METER),
        (credit_cmd(meter, 104, issue=now_s(meter) - 2 * 86400), codes.REMOTE_EXPIRED),
        (b"", codes.REMOTE_MALFORMED),
        (b"BMR1" + DEV_SERIAL.to_bytes(4, "big") + bytes(56), codes.REMOTE_MALFORMED),
        (b"BMR1" + bytes(60), codes.REMOTE_OTHER_METER),
        (good[:-1], codes.REMOTE_MALFORMED),
        (bytes(200), codes.REMOTE_MALFORMED),
    ]
    for i, (payload, want) in enumerate(cases):
        r = link.send(payload, meter)
        if i == 0:                             # the first refusal shows on the LCD
            assert any(codes.text(want) in line for line in meter.ask("status")["lcd"])
        assert r["code"] == want, (payload, r)
        assert r["reason"] == codes.name(want)
        assert signed(r)                       # the refusal itself is the meter's
        assert snapshot(meter) == before, codes.name(want)
    # a good, newer command still works after all that
    r = link.send(credit_cmd(meter, 105, amount=1), meter)
    assert r["code"] == 0 and snapshot(meter)[0] == 501


def test_a_credit_token_already_used_is_refused_by_the_token_rules(rig):
    meter, link = rig
    issue = now_s(meter)
    tid = T.token_id_from_utc(issue + EPOCH_2000, 0)
    token = T.encode(KEY, T.CREDIT, 700, tid)
    st = meter.ask("token " + token)                 # typed on the keypad first
    assert st["result"] == "accepted" and st["balance"] == 700
    cmd = R.encode(CMD, DEV_SERIAL, 7, issue, issue + 600, R.CREDIT, token.encode())
    r = link.send(cmd, meter)
    assert r["code"] == codes.REMOTE_REFUSED and signed(r)
    st = meter.ask("status")
    assert st["balance"] == 700 and meter.ask("net")["counter"] == 0
    assert any("REMOTE: REFUSED" in line for line in st["lcd"]), st["lcd"]


def test_refusals_survive_a_reboot(rig):
    meter, link = rig
    cmd = credit_cmd(meter, 50)
    assert link.send(cmd, meter)["code"] == 0
    meter.ask("reboot")
    meter.wait_up()
    assert meter.ask("net")["counter"] == 50      # the counter is in the record
    r = link.send(cmd, meter)
    assert r["code"] == codes.REMOTE_REPLAYED
    assert meter.ask("status")["balance"] == 500


def test_oversize_packets_are_skipped_and_the_meter_stays_up(rig):
    meter, link = rig
    link.c.publish("meters/%d/cmd" % DEV_SERIAL, bytes(5000), qos=1)
    r = link.send(credit_cmd(meter, 60), meter)    # the next command still gets through
    assert r["code"] == 0
    net = meter.ask("net")
    assert net["oversize"] == 1 and net["state"] == "up" and net["failures"] == 0
