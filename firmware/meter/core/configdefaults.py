"""Every setting of the configuration (meter.core.config) and its default: Belgian (Walloon
budget meter) defaults, METER.md §3-§5.  A board loads this table while it builds, lists or
checks a configuration and releases it after (meter/overlay.py, issue 11).
"""

# name: default.  Kept as one table so that `config` on the console, the simulator's --config
# and the documentation (README "Configuration") list the same names.
DEFAULTS = {
    # money and metering (§3)
    "currency": "EUR",
    "minor_per_major": 100,
    "imp_per_kwh": 1000,           # S0 pulses per kWh (DIN 43864 default)
    "tariff": "dual",              # "single" or "dual" (Belgian bi-hourly)
    "price_day": 32000,            # thousandths of a minor unit per kWh
    "price_night": 24000,
    "price_single": 30000,
    "day_start": 420,              # 07:00 local, Mon-Fri, not on public holidays
    "day_end": 1320,               # 22:00
    "standing_charge": 30,         # minor units per local day, taken at local midnight
    "emergency_amount": 1200,      # EUR 12 (ORES electricity)
    "emergency_offer_below": 100,  # offered when credit left falls below this
    "emergency_auto": False,       # True: taken by itself when a cut would otherwise be due
    "debt_recovery_pct": 25,       # share of each top-up that repays outside debt
    "debt_weekly_cap": 1000,       # at most this much recovered per week (Mon-Sun local)
    "opening_debt": 0,             # outside debt loaded when the meter is provisioned
    "warn_level_1": 500,           # low credit
    "warn_level_2": 200,           # very low credit
    "disconnect_threshold": 0,     # cut only when credit left is below this
    # when supply may be cut (§5)
    "cut_start": 480,              # 08:00 local, working days only
    "cut_end": 960,                # 16:00
    "topup_margin": 120,           # minutes the household keeps to top up before cut_end
    "notice": 1440,                # minutes a low-credit warning must have been shown
    "no_cut_before_holiday": True,
    "winter_start": 1101,          # mmdd, inclusive
    "winter_end": 315,             # mmdd, inclusive
    "protected_customer": False,   # winter protection and limiter (console: protect winter)
    "limiter_always": False,       # limiter instead of a cut all year
    "limiter_watts": 2300,         # 10 A at 230 V
    "limiter_trip_s": 30,
    "limiter_reclose_s": 60,
    "auto_reconnect": False,       # True: no # press needed when supply may come back
    "extra_holidays": [],          # ints: yyyymmdd once, or mmdd every year
    # cold-home hold (docs/cold_hold.md): the DS3231's own thermometer, +-3 C, in the cupboard
    "cold_hold": False,            # no cut while the meter's temperature is below the threshold
    "cold_hold_below": 100,        # tenths of a degree C: on below 10.0 C
    "cold_hold_hysteresis": 20,    # tenths of a degree C: off at or above threshold + this
    "cold_hold_min_s": 21600,      # seconds the hold lasts at least once on (6 h)
    # time (§4)
    "tz_std_minutes": 60,          # Europe/Brussels: CET
    "tz_eu_dst": True,             # EU rule: last Sunday of March/October at 01:00 UTC
    # clock trust as a bounded error (docs/clock.md)
    "clock_drift_ppm": 50,         # bound on the tick counter's and the DS3231's rate error
    "clock_max_error_s": 3600,     # trusted while the proven interval is at most this wide
    "max_off_days": 400,           # an RTC farther than this from the lower bound is not read
    "token_time_window": 15,       # minutes: a set-time token says "now is within this of my issue"
    "token_skew_s": 120,           # a vending clock may run this far ahead: a token's issue
                                   # time proves only "now >= issue - this"
    # tokens (§7)
    "openpaygo_unit": 100,         # minor units credited per OpenPAYGO unit
    "openpaygo_key": "",           # 32 hex digits; empty: OpenPAYGO tokens refused
    "openpaygo_starting_code": 0,
    "lockout_cap_s": 30720,        # 512 min; also the calm time that takes one level off
    "openpaygo_lockout_cap_s": 604800,   # 7 days: OpenPAYGO codes are far easier to guess
    # bench rig
    "test_mode": False,            # ignored: only the maintenance jumper opens test mode
}
