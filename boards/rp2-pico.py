"""Raspberry Pi Pico (RP2040).  Copied to the board as /board.py by `make firmware BOARD=rp2-pico`.

GP numbers.  GP23-25 and GP29 are used by the board itself (GP25: the on-board LED).
docs/wiring.md has the wiring table and the parts list.
"""
NAME = "rp2-pico"
I2C_ID = 0                 # I2C0 on GP4 (SDA) / GP5 (SCL): DS3231 0x68 and LCD backpack 0x27
I2C_SDA = 4
I2C_SCL = 5
I2C_FREQ = 100000
RTC_ADDR = 0x68
LCD_ADDR = 0x27

RELAY_TYPE = "latching"    # "latching" (set/reset coils) or "monostable"
RELAY_SET = 14             # set coil driver (closes the contact)
RELAY_RESET = 15           # reset coil driver (opens the contact)
RELAY_PULSE_MS = 100
RELAY_ACTIVE = 1           # level that energises a coil / the monostable relay
RELAY_FEEDBACK = 16        # load-side voltage via optocoupler; None if not fitted
RELAY_FEEDBACK_ACTIVE = 0  # optocoupler pulls low while the load side is live

KEYPAD_ROWS = (6, 7, 8, 9)       # open-drain outputs
KEYPAD_COLS = (10, 11, 12, 13)   # inputs with internal pull-ups
S0_PIN = 17                # S0 pulse input (open collector; internal pull-up plus 4k7 external)
BUZZER = 18
LED_SUPPLY = 25            # on-board LED
LED_ALERT = 19
BUTTON = 20                # reconnect button to GND, internal pull-up
TEST_JUMPER = 22           # maintenance/test jumper to GND, read at boot (docs/storage.md)
WDT_MS = 8000              # RP2040 maximum is 8388 ms
INTERNAL_RTC_FALLBACK = True
NO_PULL_PINS = ()          # every RP2040 GPIO has an internal pull-up
S0_HARD_IRQ = True
S0_COUNTER = None          # no hardware counter: the pin IRQ (hard) counts
NETWORK = None               # no network: the remote channel is for networked boards
