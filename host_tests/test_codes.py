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


def test_every_code_has_both_a_word_and_an_lcd_text():
    # the words (meter.core.codenames) and the texts (meter.core.codetext) are two tables
    # since issue 11: the same codes in both, each once
    from meter.core import codenames, codetext

    def numbers(table):
        return [int(line.split(" ", 1)[0]) for line in table.split("\n") if line]
    words = numbers(codenames._NAMES)
    texts = numbers(codetext._TEXTS)
    assert len(set(words)) == len(words) and len(set(texts)) == len(texts)
    assert sorted(words) == sorted(texts)


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


def _firmware_sources():
    top = os.path.join(ROOT, "firmware")
    for d, _, files in os.walk(top):
        for f in sorted(files):
            if f.endswith(".py"):
                path = os.path.join(d, f)
                yield os.path.relpath(path, top), open(path).read()


def test_the_firmware_never_imports_the_code_numbers_and_compiles_in_the_right_ones():
    # issue 11: on a board each code name cost a qstr and a dict slot in every module that
    # used it; modules now compile in `_NAME = const(n)`, held here to meter.core.codes
    import ast
    numbers = {k: v for k, v in vars(codes).items() if k.isupper() and isinstance(v, int)}
    checked = 0
    for rel, text in _firmware_sources():
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                names = [a.name for a in node.names]
                assert node.module != "meter.core.codes", rel
                assert not (node.module == "meter.core" and "codes" in names), rel
            elif isinstance(node, ast.Import):
                assert "meter.core.codes" not in [a.name for a in node.names], rel
        if rel == os.path.join("meter", "core", "codes.py"):
            continue
        for node in tree.body:
            if (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name)
                    and isinstance(node.value, ast.Call)
                    and getattr(node.value.func, "id", None) == "const"):
                name = node.targets[0].id
                if name.startswith("_") and name[1:] in numbers:
                    value = ast.literal_eval(node.value.args[0])
                    assert value == numbers[name[1:]], (rel, name, value)
                    checked += 1
    assert checked > 100
