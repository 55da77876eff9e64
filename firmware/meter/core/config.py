"""The meter's configuration: Belgian (Walloon budget meter) defaults, METER.md §3-§5.

Every amount of money is an int in minor units (cents), every price an int in thousandths of a
minor unit per kWh (so 28.5 c/kWh is 28500), every time of day an int in minutes after local
midnight.  A config file (JSON, the simulator's --config) may set any of these names; anything
else is refused so that a typo never silently leaves a default in force.
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


class Config:
    """Attribute access to the settings; built once at boot, read in the hot path."""

    def __init__(self, overrides=None):
        for key in DEFAULTS:
            value = DEFAULTS[key]
            if isinstance(value, list):
                value = list(value)
            setattr(self, key, value)
        if overrides is not None:
            self.update(overrides)

    def __getattr__(self, name):
        # only reached for names that are not settings (those are set in __init__); it also
        # tells type checkers that the settings are attributes
        raise AttributeError(name)

    def update(self, overrides):
        """Applies a dict of settings; raises ValueError naming the first bad one, changing nothing."""
        if not isinstance(overrides, dict):
            raise ValueError("the configuration must be a JSON object of settings")
        checked = {}
        for key in overrides:
            if key not in DEFAULTS:
                raise ValueError("unknown setting: %s" % key)
            value = overrides[key]
            default = DEFAULTS[key]
            if isinstance(default, bool):
                if not isinstance(value, bool):
                    raise ValueError("%s: expected true or false" % key)
            elif isinstance(default, int):
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ValueError("%s: expected an integer" % key)
            elif isinstance(default, str):
                if not isinstance(value, str):
                    raise ValueError("%s: expected a string" % key)
            elif isinstance(default, list):
                if not isinstance(value, list) or not all(
                        isinstance(v, int) and not isinstance(v, bool) for v in value):
                    raise ValueError("%s: expected a list of integers" % key)
            checked[key] = value
        _check_ranges(self, checked)
        for key in checked:
            setattr(self, key, checked[key])

    def as_dict(self):
        out = {}
        for key in DEFAULTS:
            out[key] = getattr(self, key)
        return out


def config_from_json(text):
    """/config.json's text -> (Config, None), or (the defaults, (what was wrong, not_json)) so
    that a bad file never stops the meter and the LCD, `status` and the event log say why."""
    import json
    try:
        data = json.loads(text)
    except ValueError:
        return Config(), ("config.json is not JSON", True)
    if not isinstance(data, dict):
        return Config(), ("config.json is not a JSON object", True)
    try:
        return Config(data), None
    except ValueError as e:
        return Config(), ("config.json: %s" % e.args[0], False)


_MONEY_MAX = 10000000               # 100,000.00 in minor units
_MAXIMA = (
    ("minor_per_major", 10000), ("imp_per_kwh", 100000),
    ("price_day", _MONEY_MAX), ("price_night", _MONEY_MAX), ("price_single", _MONEY_MAX),
    ("standing_charge", _MONEY_MAX), ("emergency_amount", _MONEY_MAX),
    ("emergency_offer_below", _MONEY_MAX), ("debt_weekly_cap", _MONEY_MAX),
    ("opening_debt", _MONEY_MAX), ("warn_level_1", _MONEY_MAX), ("warn_level_2", _MONEY_MAX),
    ("disconnect_threshold", _MONEY_MAX), ("openpaygo_unit", _MONEY_MAX),
    ("limiter_watts", 1000000), ("limiter_trip_s", 86400), ("limiter_reclose_s", 86400),
    ("notice", 43200), ("topup_margin", 1440), ("max_off_days", 3660),
    ("token_time_window", 1440),
    ("openpaygo_starting_code", 999999999),
)


def _check_ranges(cfg, new):
    def get(k):
        return new[k] if k in new else getattr(cfg, k)

    for key in ("imp_per_kwh", "minor_per_major"):
        if get(key) < 1:
            raise ValueError("%s: must be at least 1" % key)
    for key in ("price_day", "price_night", "price_single", "standing_charge", "emergency_amount",
                "debt_weekly_cap", "opening_debt", "limiter_watts", "limiter_trip_s", "limiter_reclose_s",
                "notice", "topup_margin", "max_off_days", "clock_max_error_s", "openpaygo_unit",
                "lockout_cap_s", "token_time_window", "token_skew_s", "openpaygo_starting_code",
                "cold_hold_hysteresis", "cold_hold_min_s"):
        if get(key) < 0:
            raise ValueError("%s: must not be negative" % key)
    if not 0 <= get("clock_drift_ppm") <= 1000:
        raise ValueError("clock_drift_ppm: 0 to 1000")
    for key in ("lockout_cap_s", "openpaygo_lockout_cap_s"):
        if not 60 <= get(key) <= 31536000:
            raise ValueError("%s: 60 s to 365 days" % key)
    # upper bounds: a value no utility means is a typo, and would make long ints on the board
    for key, top in _MAXIMA:
        v = get(key)
        if v > top or v < -top:
            raise ValueError("%s: at most %d" % (key, top))
    if len(get("currency")) > 4:
        raise ValueError("currency: at most 4 characters")
    if not 0 <= get("debt_recovery_pct") <= 100:
        raise ValueError("debt_recovery_pct: 0 to 100")
    for key in ("day_start", "day_end", "cut_start", "cut_end"):
        if not 0 <= get(key) <= 1440:
            raise ValueError("%s: minutes 0 to 1440" % key)
    if get("cut_start") > get("cut_end"):
        raise ValueError("cut_start: must not be after cut_end")
    if get("tariff") not in ("single", "dual"):
        raise ValueError("tariff: single or dual")
    for key in ("winter_start", "winter_end"):
        v = get(key)
        if not (1 <= v // 100 <= 12 and 1 <= v % 100 <= 31):
            raise ValueError("%s: mmdd" % key)
    if not -400 <= get("cold_hold_below") <= 850:
        raise ValueError("cold_hold_below: tenths of a degree C, -400 to 850")
    if not -720 <= get("tz_std_minutes") <= 840:
        raise ValueError("tz_std_minutes: -720 to 840")
    key = get("openpaygo_key")
    if key:
        if len(key) != 32:
            raise ValueError("openpaygo_key: 32 hex digits")
        try:
            int(key, 16)
        except ValueError:
            raise ValueError("openpaygo_key: 32 hex digits")
    for v in get("extra_holidays"):
        mmdd = v % 10000
        if not (1 <= mmdd // 100 <= 12 and 1 <= mmdd % 100 <= 31) or (v >= 10000 and not 2000 <= v // 10000 <= 2099):
            raise ValueError("extra_holidays: yyyymmdd or mmdd")
