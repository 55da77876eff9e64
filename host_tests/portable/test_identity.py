"""Malformed identity and configuration files (issue 8): clear errors, safe defaults, never a
crash; a meter that cannot take tokens never cuts.  Runs under CPython and MicroPython."""
from apprig import FakeBoard, run
from fakefs import FakeFS
from meter import identity
from meter.app import App
from meter.core import codes, policy
from meter.core.config import Config
from devkeys import DEV_SERIAL

KEY_HEX = "00112233445566778899aabbccddeeff" * 2
DEFAULTS = Config().as_dict()

BAD_IDENTITIES = (
    b"", b"{", b"not json", b"\xff\xfe", b"[]", b"5", b"null", b'"x"',
    b'{}', b'{"serial": null, "meter_key": "%s"}' % KEY_HEX.encode(),
    b'{"serial": 7, "meter_key": 123}', b'{"serial": 7}', b'{"meter_key": "%s"}' % KEY_HEX.encode(),
    b'{"serial": true, "meter_key": "%s"}' % KEY_HEX.encode(),
    b'{"serial": -1, "meter_key": "%s"}' % KEY_HEX.encode(),
    b'{"serial": 4294967296, "meter_key": "%s"}' % KEY_HEX.encode(),
    b'{"serial": "7", "meter_key": "%s"}' % KEY_HEX.encode(),
    b'{"serial": 7.5, "meter_key": "%s"}' % KEY_HEX.encode(),
    b'{"serial": 7, "meter_key": "%s"}' % KEY_HEX[:62].encode(),      # 31 bytes
    b'{"serial": 7, "meter_key": "%s00"}' % KEY_HEX.encode(),         # 33 bytes
    b'{"serial": 7, "meter_key": "%s"}' % ("zz" + KEY_HEX[2:]).encode(),
    b'{"serial": 7, "meter_key": ["%s"]}' % KEY_HEX.encode(),
)

BAD_CONFIGS = (
    b"", b"{", b"[]", b"5", b"null", b"true", b'"x"', b'{"bogus": 1}',
    b'{"price_day": "32000"}', b'{"price_day": true}', b'{"price_day": 1.5}',
    b'{"tz_eu_dst": 1}', b'{"tariff": "triple"}', b'{"imp_per_kwh": 0}',
    b'{"price_day": 1000000000000}', b'{"lockout_cap_s": 5}', b'{"cut_start": 2000}',
    b'{"cut_start": 900, "cut_end": 800}', b'{"winter_start": 1341}',
    b'{"extra_holidays": [1.5]}', b'{"extra_holidays": 5}', b'{"currency": "EUROS"}',
    b'{"openpaygo_key": "12"}', b'{"debt_recovery_pct": 101}', b'{"notice": -1}',
)


def fs_with(path, data):
    fs = FakeFS()
    fs.dirs["/data"] = True
    if data is not None:
        fs.files[path] = bytearray(data)
    return fs


def test_every_malformed_identity_gives_an_error_and_no_key():
    for data in BAD_IDENTITIES:
        serial, key, err = identity.load_identity(fs_with(identity.IDENTITY_PATH, data))
        assert (serial, key) == (0, b"") and err, data
    assert identity.load_identity(fs_with(identity.IDENTITY_PATH, None))[2] == "missing"
    fs = fs_with(identity.IDENTITY_PATH, b"{}")
    fs.io_errors.add(identity.IDENTITY_PATH)
    assert identity.load_identity(fs)[2].startswith("unreadable")
    good = b'{"serial": 10000001, "meter_key": "%s"}' % KEY_HEX.encode()
    assert identity.load_identity(fs_with(identity.IDENTITY_PATH, good)) == \
        (10000001, bytes.fromhex(KEY_HEX), None)


def test_every_malformed_config_gives_an_error_and_the_defaults():
    for data in BAD_CONFIGS:
        cfg, problem = identity.load_config(fs_with(identity.CONFIG_PATH, data))
        assert problem and problem[0].startswith("config.json") and \
            cfg.as_dict() == DEFAULTS, data
    fs = fs_with(identity.CONFIG_PATH, b"{}")
    fs.io_errors.add(identity.CONFIG_PATH)
    assert identity.load_config(fs)[1][0].startswith("config.json unreadable")
    cfg, problem = identity.load_config(fs_with(identity.CONFIG_PATH, None))
    assert problem is None and cfg.as_dict() == DEFAULTS      # no file: defaults, no error
    cfg, problem = identity.load_config(fs_with(identity.CONFIG_PATH, b'{"price_day": 30000}'))
    assert problem is None and cfg.price_day == 30000


def cut_situation(app):
    """Credit gone, warned long ago, Monday 10:00: a meter that may cut, cuts."""
    m = app.meter
    m.credit.balance = -500
    m.warn_since = m.minute - 5000
    m.ec_offer_since = m.minute - 5000     # emergency credit offered long ago, not taken


def booted(meter_key, config_error=None):
    board = FakeBoard((2026, 11, 30, 9, 0, 0))
    app = App(board, Config(), serial=DEV_SERIAL, meter_key=meter_key, board="fake",
              build_minute=0)
    from meter.core import calendar
    app.provision(calendar.days_from_civil(2026, 11, 30) * 86400 + 9 * 3600)
    app = App(board, Config(), serial=DEV_SERIAL, meter_key=meter_key, board="fake",
              build_minute=0)
    if config_error:
        app.config_refused(config_error)          # what main.py does with a refused file
    app.boot()
    return board, app


def test_a_meter_without_a_usable_key_never_cuts_and_says_so():
    from apprig import KEY
    for key in (b"", KEY[:31], KEY + b"\x00", None, "x" * 32):
        board, app = booted(key)
        cut_situation(app)
        run(board, app, 5)
        m = app.meter
        assert m.supply == policy.CLOSED and m.reason == codes.NO_KEY, key
        assert app.display.lines()[1].strip() == "NO KEY: NO CUT"
        assert app.status()["fault"] == "no_key"
        assert any(e["code"] == codes.NO_KEY for e in app.events(10))
        assert m.next_cut(m.minute) == -1
        # a token is refused with the reason, and not counted towards the lockout
        for i in range(5):
            word, code, value = app.submit("1234567890123456789%d" % i)
            assert (word, code) == ("invalid", codes.NO_KEY)
        assert app.desk.lockout_s(app.mono_s) == 0
    board, app = booted(KEY)                       # the same meter with its key cuts
    cut_situation(app)
    run(board, app, 5)
    assert app.meter.supply == policy.OPEN and app.status()["fault"] is None


def test_a_refused_configuration_holds_cuts_and_says_so():
    from apprig import KEY
    board, app = booted(KEY, config_error="config.json: price_day: expected an integer")
    cut_situation(app)
    run(board, app, 5)
    assert app.meter.supply == policy.CLOSED and app.meter.reason == codes.CONFIG_ERROR
    shown = []
    for phase in range(6):                         # the idle screen alternates every 3 s
        app.display._now_ms = phase * 3000
        shown.append(app.display.lines()[1].strip())
    assert "CONFIG ERROR" in shown
    assert any(e["code"] == codes.CONFIG_ERROR for e in app.events(10))
    assert app.status()["config_error"] == "config.json: price_day: expected an integer"
