"""The display on board-like fakes (real LCD driver over the simulated PCF8574/HD44780):
what the console reports is what the LCD shows, and results expire even when the wrapping
tick counter has gone round.  Portable."""
from apprig import provisioned
from meter.core import codes
from meter.display import fit


def test_status_lcd_is_what_the_lcd_shows():
    board, app = provisioned()
    st = app.status()
    assert st["lcd"] == board.lcd_chip.lines()
    assert st["lcd"][0].startswith("CREDIT")
    app.key("D")
    assert app.status()["lcd"] == board.lcd_chip.lines()
    assert board.lcd_chip.lines()[0].startswith("CLOCK")


def test_a_token_result_does_not_come_back_when_the_ticks_wrap():
    board, app = provisioned()
    app.display.result(codes.TOKEN_INVALID, 0, board.clock.ticks_ms())
    assert app.status()["lcd"][0] == fit(codes.text(codes.TOKEN_INVALID))
    board.clock.advance(6000)
    app.ui_step()
    assert app.status()["lcd"][0].startswith("CREDIT")
    # seven days on, the 2**30 ms tick difference reads negative: the result must stay gone
    board.clock.advance(7 * 86400 * 1000)
    app.ui_step()
    assert app.status()["lcd"][0].startswith("CREDIT")


def test_ui_step_times_out_typed_digits():
    board, app = provisioned()
    app.key("1")
    app.key("2")
    board.clock.advance(31000)
    app.ui_step()
    assert board.lcd_chip.lines()[0] == fit(codes.text(codes.ENTRY_TIMEOUT))
    assert app.entry.count == 0
    assert app.display.ms_to_expiry(board.clock.ticks_ms()) == 5000
