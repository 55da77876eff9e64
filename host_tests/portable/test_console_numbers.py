"""The console reads numbers as ASCII digits only, the same under CPython and MicroPython
(whose str.isdigit differ): anything else answers ok: false and changes nothing.  Portable."""
import json

from apprig import provisioned
from meter.console import Console, is_digits


def test_is_digits_is_ascii_only():
    assert is_digits("0") and is_digits("0123456789")
    for text in ("", " ", "1 ", "-1", "+1", "1.0", "\u00b2", "\u2460", "\u0663", "1\u00b2",
                 "\uff11", "x"):
        assert not is_digits(text), text


def test_console_refuses_other_digits_without_crashing():
    board, app = provisioned()
    console = Console(app)
    before = app.meter.credit.balance
    for line in ("pulses \u00b2", "pulses -\u00b2", "events \u2460", "token \u0663\u0663",
                 "pulses \uff11", "token 1\u00b2"):
        out = json.loads(console.handle(line))
        assert out["ok"] is False and out["error"], line
    assert app.meter.credit.balance == before
    out = json.loads(console.handle("pulses 1000"))
    assert out["ok"] is True and app.meter.credit.balance < before
