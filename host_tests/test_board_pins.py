"""The board files against the chips' pin limits (issue 11): what a real board needs that
the fakes cannot show."""
import importlib.util
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BOARDS = sorted(n[:-3] for n in os.listdir(os.path.join(ROOT, "boards")) if n.endswith(".py"))


def _board(name):
    spec = importlib.util.spec_from_file_location("board_" + name.replace("-", "_"),
                                                  os.path.join(ROOT, "boards", name + ".py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _inputs_wanting_internal_pull(b):
    return list(b.KEYPAD_COLS) + [b.TEST_JUMPER]


def test_esp32_avoids_flash_and_wrover_psram_pins():
    b = _board("esp32-devkitc")
    used = list(b.KEYPAD_ROWS) + list(b.KEYPAD_COLS) + [
        b.I2C_SDA, b.I2C_SCL, b.RELAY_SET, b.RELAY_RESET, b.RELAY_FEEDBACK, b.S0_PIN, b.BUZZER,
        b.LED_SUPPLY, b.LED_ALERT, b.BUTTON, b.TEST_JUMPER]
    assert len(set(used)) == len(used)
    for n in used:
        assert n not in (6, 7, 8, 9, 10, 11, 16, 17), n
    for n in list(b.KEYPAD_ROWS) + [b.RELAY_SET, b.RELAY_RESET, b.BUZZER, b.LED_SUPPLY,
                                    b.LED_ALERT]:
        assert not 34 <= n <= 39, n                 # input only
    assert b.RELAY_SET not in (0, 2, 5, 12, 15) and b.RELAY_RESET not in (0, 2, 5, 12, 15)


@pytest.mark.parametrize("name", BOARDS)
def test_no_internal_pull_is_asked_of_a_pin_without_one(name):
    b = _board(name)
    for n in _inputs_wanting_internal_pull(b):
        assert n not in b.NO_PULL_PINS, n
    if name.startswith("esp32"):
        assert set(range(34, 40)) <= set(b.NO_PULL_PINS)
        assert b.S0_HARD_IRQ is False               # Pin.irq has no `hard` on the esp32 port


@pytest.mark.parametrize("name", BOARDS)
def test_a_board_file_cannot_switch_test_mode_on(name):
    assert not hasattr(_board(name), "TEST_MODE")
