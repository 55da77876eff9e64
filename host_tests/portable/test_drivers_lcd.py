"""HD44780 over PCF8574 (METER.md §2): the text reaches a simulated display, init timing,
only changed characters are rewritten, bus errors do not escape."""
from fakehw import FakeClock, FakeI2C, FakePCF8574
from meter.core.codes import LCD_ERROR
from meter.drivers.lcd import Pcf8574Lcd

BLANK = " " * 16


def _rig(**kw):
    clock = FakeClock(0)
    screen = FakePCF8574(clock=clock)
    i2c = FakeI2C(screen)
    lcd = Pcf8574Lcd(i2c, sleep_ms=clock.sleep_ms, **kw)
    return clock, screen, i2c, lcd


def test_init_brings_up_a_blank_two_line_display_with_correct_timing():
    clock, screen, i2c, lcd = _rig()
    assert lcd.ok and lcd.code == 0
    assert screen.violations == 0
    assert not screen.eight_bit and screen.two_lines and screen.display_on
    assert not screen.cursor and not screen.blink and screen.backlight
    assert screen.lines() == [BLANK, BLANK]
    assert clock.ms >= 40 + 5 + 1 + 1 + 2


def test_init_without_delays_is_caught_by_the_fake():
    clock = FakeClock(0)
    screen = FakePCF8574(clock=clock)
    Pcf8574Lcd(FakeI2C(screen), sleep_ms=lambda ms: None)
    assert screen.violations > 0


def test_text_appears_padded_and_truncated():
    clock, screen, i2c, lcd = _rig()
    assert lcd.write_line(0, "BAL EUR 12.34")
    assert lcd.write_line(1, "NO CUT: WEEKEND and more text")
    assert screen.lines() == ["BAL EUR 12.34   ", "NO CUT: WEEKEND "]
    assert lcd.line(0) == b"BAL EUR 12.34   "
    lcd.write_line(0, "")
    assert screen.line(0) == BLANK


def test_only_changed_characters_are_sent():
    clock, screen, i2c, lcd = _rig()
    lcd.write_line(0, "BAL EUR 12.34")
    before = screen.data_writes
    lcd.write_line(0, "BAL EUR 12.35")
    assert screen.data_writes - before == 1
    assert screen.line(0) == "BAL EUR 12.35   "
    tx = i2c.transactions
    lcd.write_line(0, "BAL EUR 12.35")
    assert i2c.transactions == tx                  # nothing changed: nothing on the bus
    before = screen.data_writes
    lcd.write_line(0, "BAL EUR  9.99")
    assert screen.data_writes - before == 4
    assert screen.line(0) == "BAL EUR  9.99   "


def test_clear_and_second_row_addressing():
    clock, screen, i2c, lcd = _rig()
    lcd.write_line(1, "0123456789ABCDEF")
    lcd.write_line(0, "top")
    assert screen.lines() == ["top" + " " * 13, "0123456789ABCDEF"]
    lcd.clear()
    assert screen.lines() == [BLANK, BLANK]


def test_character_mapping_and_custom_chars():
    clock, screen, i2c, lcd = _rig()
    lcd.write_line(0, "21.5\u00b0C \u20ac5")
    assert screen.line_bytes(0)[:9] == b"21.5\xdfC ?5"
    assert screen.line(0).startswith("21.5\u00b0C ?5")
    bell = (0x04, 0x0E, 0x0E, 0x0E, 0x1F, 0x00, 0x04, 0x00)
    assert lcd.define_char(1, bell)
    assert screen.custom_char(1) == bytes(bell)
    lcd.write_line(1, "\x01 low")
    assert screen.line_bytes(1)[:5] == b"\x01 low"
    lcd.write_line(1, b"\xdf raw")
    assert screen.line_bytes(1)[:5] == b"\xdf raw"
    try:
        lcd.define_char(8, bell)
        raise AssertionError("index 8 accepted")
    except ValueError:
        pass


def test_backlight():
    clock, screen, i2c, lcd = _rig(backlight=False)
    assert not screen.backlight
    lcd.write_line(0, "x")
    assert not screen.backlight
    lcd.backlight(True)
    assert screen.backlight
    lcd.write_line(0, "y")
    assert screen.backlight and screen.line(0)[0] == "y"


def test_bus_error_is_reported_not_raised_and_recovers():
    clock, screen, i2c, lcd = _rig()
    lcd.write_line(0, "BALANCE")
    i2c.nobus = True
    assert lcd.write_line(0, "BALANCE 2") is False
    assert not lcd.ok and lcd.code == LCD_ERROR
    assert lcd.write_line(1, "x") is False
    i2c.nobus = False
    # the display lost power meanwhile: back in 8-bit mode with garbage
    fresh = FakePCF8574(clock=clock)
    i2c.add(fresh)
    assert lcd.write_line(0, "BALANCE 2")
    assert lcd.ok and lcd.code == 0
    lcd.write_line(1, "again")
    assert fresh.lines() == ["BALANCE 2       ", "again           "]
    assert fresh.violations == 0


def test_missing_backpack():
    clock = FakeClock(0)
    lcd = Pcf8574Lcd(FakeI2C(), sleep_ms=clock.sleep_ms)
    assert not lcd.ok and lcd.code == LCD_ERROR
    assert lcd.write_line(0, "hello") is False
    assert clock.ms == 0                           # a missing display costs no waiting


def test_init_resynchronises_a_display_left_mid_byte():
    clock, screen, i2c, lcd = _rig()
    screen.writeto(bytes((0x34 | 0x08, 0x30 | 0x08)))   # half a byte: out of step
    assert lcd.init()
    lcd.write_line(0, "in step")
    assert screen.line(0) == "in step         "
