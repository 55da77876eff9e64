"""ESP32-DevKitC (ESP32-WROOM-32).

Pin limits respected: GPIO 6-11 are the SPI flash (never used); 34-39 are input only and have
no internal pull-ups (used only for inputs with external pull-ups); strapping pins 0, 2, 12, 15
are kept off the relay so that boot can never pulse a coil (GPIO 12 must also be low at reset).
docs/wiring.md has the wiring table and the parts list.
"""
NAME = "esp32-devkitc"
I2C_ID = 0
I2C_SDA = 21
I2C_SCL = 22
I2C_FREQ = 100000
RTC_ADDR = 0x68
LCD_ADDR = 0x27

RELAY_TYPE = "latching"
RELAY_SET = 25
RELAY_RESET = 26
RELAY_PULSE_MS = 100
RELAY_ACTIVE = 1
RELAY_FEEDBACK = 36        # input only: optocoupler with an external 10k pull-up
RELAY_FEEDBACK_ACTIVE = 0

KEYPAD_ROWS = (16, 17, 18, 19)   # open-drain outputs
KEYPAD_COLS = (23, 32, 33, 27)   # inputs with internal pull-ups
S0_PIN = 34                # input only: external 4k7 pull-up to 3V3
BUZZER = 13
LED_SUPPLY = 14
LED_ALERT = 4
BUTTON = 39                # input only: external 10k pull-up, button to GND
TEST_JUMPER = 35           # input only: external 10k pull-up, jumper to GND = test mode
TEST_MODE = False
WDT_MS = 8000
INTERNAL_RTC_FALLBACK = True
NETWORK = "wlan"             # Wi-Fi and the broker from /data/network.json (docs/remote.md)
