"""Raspberry Pi Pico W (RP2040 + CYW43439).  Same header as the Pico; the on-board LED hangs off
the wireless chip (Pin("LED")), and GP23-25/GP29 belong to the wireless interface.
docs/wiring.md has the wiring table and the parts list.
"""
NAME = "rp2-pico-w"
I2C_ID = 0
I2C_SDA = 4
I2C_SCL = 5
I2C_FREQ = 100000
RTC_ADDR = 0x68
LCD_ADDR = 0x27

RELAY_TYPE = "latching"
RELAY_SET = 14
RELAY_RESET = 15
RELAY_PULSE_MS = 100
RELAY_ACTIVE = 1
RELAY_FEEDBACK = 16
RELAY_FEEDBACK_ACTIVE = 0

KEYPAD_ROWS = (6, 7, 8, 9)
KEYPAD_COLS = (10, 11, 12, 13)
S0_PIN = 17
BUZZER = 18
LED_SUPPLY = "LED"         # on-board LED via the CYW43439
LED_ALERT = 19
BUTTON = 20
TEST_JUMPER = 22
WDT_MS = 8000
INTERNAL_RTC_FALLBACK = True
NO_PULL_PINS = ()          # every RP2040 GPIO has an internal pull-up
S0_HARD_IRQ = True
S0_COUNTER = None          # no hardware counter: the pin IRQ (hard) counts
NETWORK = "wlan"             # Wi-Fi and the broker from /data/network.json (docs/remote.md)
