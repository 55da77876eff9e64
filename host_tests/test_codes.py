"""Codes are stable, unique, fit the LCD, and docs/codes.md lists them all."""
import os

from meter.core import codes
import gen_codes_doc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_codes_unique_and_fit_the_lcd():
    table = codes.all_codes()
    assert len({c for c, _, _ in table}) == len(table)
    assert len({n for _, n, _ in table}) == len(table)
    for code, name, text in table:
        assert 0 <= code <= 255          # the event log stores a byte
        assert 1 <= len(text) <= 16, text
        assert text == text.upper()
        assert codes.name(code) == name and codes.text(code) == text
    assert codes.name(12345) == "code_12345"


def test_every_row_is_the_constant_of_its_name_and_every_constant_has_a_row():
    # the table is one string (heap, issue 11): its numbers are held to the constants here
    table = {name: code for code, name, _ in codes.all_codes()}
    for name, code in table.items():
        assert getattr(codes, name.upper(), None) == code, name
    constants = {k: v for k, v in vars(codes).items()
                 if k.isupper() and not k.startswith("_") and isinstance(v, int)}
    missing = sorted(k for k in constants if k.lower() not in table)
    assert not missing, missing


def test_spec_codes_exist():
    # METER.md §8 names these at least
    for name in ("CLOCK_NOT_SET", "OSC_STOPPED", "CLOCK_BACKWARDS", "CLOCK_JUMPED",
                 "RTC_NO_ANSWER", "TOKEN_INVALID", "TOKEN_USED", "TOKEN_OLD", "KEYPAD_LOCKED",
                 "RELAY_FAILED", "STORAGE_ERROR", "NO_CREDIT", "PROTECTED", "OUTSIDE_WINDOW",
                 "HOLIDAY", "WINTER", "LIMITER_TRIP", "ARMED"):
        assert isinstance(getattr(codes, name), int)


def test_docs_are_up_to_date():
    with open(os.path.join(ROOT, "docs", "codes.md")) as f:
        assert f.read() == gen_codes_doc.render(), "run tools/gen_codes_doc.py"
