"""ESP32-DevKitC (ESP32-WROOM-32).

Pin limits respected: GPIO 6-11 are the SPI flash (never used); GPIO 16 and 17 are the PSRAM
on WROVER modules (never used, so the same wiring fits WROOM and WROVER); 34-39 are input only
and have NO internal pulls (NO_PULL_PINS: only inputs with an external pull-up go there, and the
firmware never asks for an internal one); strapping pins 0, 2, 5, 12, 15 are kept off the relay
so that boot can never pulse a coil (GPIO 12 must also be low at reset).  GPIO 5 (a keypad row,
released = high at reset, as its strap wants) and 15 (a keypad column, pulled up, as its strap
wants) are only read or released during boot.  The test jumper is on GPIO 4, which has an
internal pull-up: a missing jumper reads high (test mode off) without any external part.
S0: counted by the PCNT hardware counter (S0_COUNTER, machine.Counter on MicroPython 1.27+);
without it by a soft pin IRQ, since Pin.irq has no hard IRQ here (docs/wiring.md).
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

KEYPAD_ROWS = (18, 19, 23, 5)    # open-drain outputs
KEYPAD_COLS = (32, 33, 27, 15)   # inputs with internal pull-ups
S0_PIN = 34                # input only: external 4k7 pull-up to 3V3
BUZZER = 13
LED_SUPPLY = 14
LED_ALERT = 2              # strapping pin: an LED to GND keeps it low, as download mode wants
BUTTON = 39                # input only: external 10k pull-up, button to GND
TEST_JUMPER = 4            # internal pull-up; jumper to GND = maintenance/test mode
WDT_MS = 8000
INTERNAL_RTC_FALLBACK = True
NO_PULL_PINS = (34, 35, 36, 37, 38, 39)   # input only, no internal pulls
S0_HARD_IRQ = False        # the esp32 port's Pin.irq has no `hard`
S0_COUNTER = 0             # PCNT unit 0 (machine.Counter, 1.27+); older ports: soft IRQ
NETWORK = "wlan"             # Wi-Fi and the broker from /data/network.json (docs/remote.md)
