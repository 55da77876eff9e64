"""Stable reason, error and event codes with their 16-character LCD texts (docs/codes.md).

Numbers never change meaning once released: bench scripts, the event log on flash and support
staff reading a code over the phone all depend on them.  New codes take new numbers.

Ranges: 0-29 supply decisions, 30-39 clock, 40-59 tokens and keypad, 60-69 hardware and
storage, 70-79 money, 80-89 console, 90-99 events, 100-109 the clock interval, 120-139
protections, cold-home hold and the event log's story (what the household and the utility see).

The firmware never imports this module (issue 11): each firmware module compiles in the codes
it gives as `_NAME = const(n)`, and looks words and texts up in meter.core.codetext;
host_tests/test_codes.py holds those constants to the numbers here.
"""
from micropython import const

# Supply decisions (the reason beside every relay decision)
SUPPLY_ON = const(0)          # credit is fine
NO_CREDIT = const(1)          # cut for lack of credit
PROTECTED = const(2)          # credit gone but protected (generic)
OUTSIDE_WINDOW = const(3)     # credit gone, outside the cut hours (evening, night, morning)
WEEKEND = const(4)
HOLIDAY = const(5)
HOLIDAY_EVE = const(6)        # working day before a public holiday
WINTER = const(7)             # winter period, protected customer
REGISTRATION = const(8)       # a no-cut registration is active
MEDICAL = const(9)
WEATHER = const(10)
NOTICE = const(11)            # the low-credit warning has not been shown long enough
TOO_LATE = const(12)          # not enough time left to top up before the window closes
# 13 reserved (an untrusted clock gives its own clock code as the reason)
LIMITED = const(14)           # supply on under the power limiter
LIMITER_TRIP = const(15)      # limiter opened the relay; recloses by itself
ARMED = const(16)             # supply may come back: press #
LOW_CREDIT_1 = const(17)
LOW_CREDIT_2 = const(18)
EMERGENCY_OFFER = const(19)
EMERGENCY_ACTIVE = const(20)
CUT_CANCELLED = const(21)     # the planned cut was cancelled by token
FREE_SUPPLY = const(22)       # supply unconditionally on (OpenPAYGO disable token)

# Clock trust
CLOCK_NOT_SET = const(30)     # never set / no authenticated time yet
OSC_STOPPED = const(31)       # DS3231 oscillator-stop flag
CLOCK_BACKWARDS = const(32)
CLOCK_JUMPED = const(33)      # forward jump the tick counter does not explain
RTC_NO_ANSWER = const(34)     # bus error or all 0xFF
RTC_BAD_DATA = const(35)      # BCD or field out of range
CLOCK_TOO_EARLY = const(36)   # before build date or last known-good time
CLOCK_TOO_LATE = const(37)    # later than last known-good + max off time
CLOCK_DRIFT = const(38)       # RTC and tick counter disagree beyond tolerance
CLOCK_TRUSTED = const(39)     # trust (re)established

# Clock interval (docs/clock.md)
CLOCK_UNSURE = const(100)     # the proven interval is unbounded or wider than clock_max_error_s
CLOCK_CONFLICT = const(101)   # an authenticated time disagreed with the interval: widened
TIME_PROVISIONED = const(102)  # anchor source: factory provisioning
TIME_NETWORK = const(103)     # anchor source: a network time sample
RTC_CORRECTED = const(104)    # the RTC was outside the proven interval and was rewritten
TIME_CHALLENGE = const(105)   # anchor source: a set-time token made for the challenge shown

# Tokens and keypad
TOKEN_ACCEPTED = const(40)
TOKEN_INVALID = const(41)
TOKEN_USED = const(42)
TOKEN_OLD = const(43)
KEYPAD_LOCKED = const(44)
TOKEN_LENGTH = const(45)      # neither 9 nor 20 digits
KEY_CHANGED = const(46)
TIME_SET = const(47)
TOKEN_RECONNECT = const(48)
TOKEN_NOCUT = const(49)
TOKEN_CLEAR = const(50)
TOKEN_EMERGENCY = const(51)
ENTRY_TIMEOUT = const(52)
TOKEN_TIME_BAD = const(53)    # valid token whose issue time contradicts the clock
TOKEN_REFUSED = const(54)     # well-formed token this meter cannot take (key change backwards)

# Hardware and storage
RELAY_FAILED = const(60)      # feedback says the relay did not switch
STORAGE_ERROR = const(61)     # filesystem failed to mount or a write failed
RECORD_CORRUPT = const(62)    # no valid record: safe default loaded, supply on
WATCHDOG_RESET = const(63)
LCD_ERROR = const(64)

# Identity and the pulse store (exploits range 110-119)
NO_KEY = const(110)           # no usable meter identity/key: tokens cannot be taken, no cut
UNSAVED_RESTORED = const(111)  # energy kept by the battery-backed store charged after a reboot

# Money
TOPUP = const(70)
DEBT_RECOVERED = const(71)
EMERGENCY_TAKEN = const(72)
STANDING_CHARGE = const(73)

# Console
BAD_COMMAND = const(80)
TEST_MODE_OFF = const(81)

# Events
BOOT = const(90)
RELAY_OPENED = const(91)
RELAY_CLOSED = const(92)
BUTTON = const(93)
CONFIG_CHANGED = const(94)
PROTECT_CHANGED = const(95)

# Protections, cold-home hold, the story of the event log (ux range 120-139)
COLD = const(120)             # cold protection set by token: no cut
COLD_HOME = const(121)        # cold-home hold: the meter cupboard is below the threshold
COLD_HOLD_ON = const(122)     # event, value: temperature in tenths of a degree C
COLD_HOLD_OFF = const(123)    # event, value: temperature in tenths of a degree C
PROTECT_SET = const(124)      # protection token accepted, value: kind * 10000 + days
PROTECT_ENDED = const(125)    # a protection reached its end date, value: kind
TRUST_READING = const(126)    # source of a trust change: an RTC reading
TRUST_NETWORK = const(127)    # source of a trust change: authenticated network time
WARNING_START = const(128)    # low-credit notice period starts, value: credit left
CONFIG_ERROR = const(129)     # /config.json refused (defaults used), value: 1 not JSON, 2 bad setting
PROTECTED_CUSTOMER = const(130)   # result of a protected-customer token
# Board and chip matters (chipfix helper, 150-159)
STORAGE_FORMATTED = const(150)  # a blank flash got its first filesystem at this boot
MAINTENANCE = const(151)        # booted with the maintenance/test jumper: no watchdog, Ctrl-C on
TOKEN_BUSY = const(152)         # OpenPAYGO value table rebuilding: token not checked, try
                                # later; no cut meanwhile (the household cannot top up)

# Remote channel (docs/remote.md): a command carried out is REMOTE_COMMAND with its kind as the
# value; the others are refusals (the reply's code) and network events
REMOTE_COMMAND = const(140)
REMOTE_FORGED = const(141)    # MAC does not verify under this meter's key
REMOTE_REPLAYED = const(142)  # the counter of the last accepted command again
REMOTE_STALE = const(143)     # a counter below the last accepted one (out of order)
REMOTE_EXPIRED = const(144)
REMOTE_OTHER_METER = const(145)
REMOTE_MALFORMED = const(146)
REMOTE_REFUSED = const(147)   # authentic, but the meter cannot carry it out (value: why)
NET_TIME = const(148)         # two agreeing signed time samples anchored the clock
NET_ONLINE = const(149)       # connected to the broker (value 1) or lost it (0)

# the words and texts, for the host (tools, tests, docs); a board imports meter.core.codetext
# and meter.core.codenames
from meter.core.codenames import all_names, name  # noqa: E402,F401
from meter.core.codetext import text  # noqa: E402,F401


def all_codes():
    """-> [(code, name, text)] for every code (docs, tests)."""
    return [(code, word, text(code)) for code, word in all_names()]
