# Type stub for /board.py, which `make firmware BOARD=...` copies from boards/<board>.py.
from typing import Optional, Tuple, Union

NAME: str
I2C_ID: int
I2C_SDA: int
I2C_SCL: int
I2C_FREQ: int
RTC_ADDR: int
LCD_ADDR: int
RELAY_TYPE: str
RELAY_SET: int
RELAY_RESET: int
RELAY_PULSE_MS: int
RELAY_ACTIVE: int
RELAY_FEEDBACK: Optional[int]
RELAY_FEEDBACK_ACTIVE: int
KEYPAD_ROWS: Tuple[int, int, int, int]
KEYPAD_COLS: Tuple[int, int, int, int]
S0_PIN: int
BUZZER: int
LED_SUPPLY: Union[int, str]
LED_ALERT: int
BUTTON: int
TEST_JUMPER: Optional[int]
WDT_MS: int
INTERNAL_RTC_FALLBACK: bool
NO_PULL_PINS: Tuple[int, ...]
S0_HARD_IRQ: bool
S0_COUNTER: Optional[int]
NETWORK: str | None
