"""The checks of a configuration (meter.core.config): types, ranges, the JSON file.  Loaded
only while a configuration is checked, then released on a board (meter/overlay.py)."""
from micropython import const

from meter.core.config import Config
from meter.core.configdefaults import DEFAULTS


def update(cfg, overrides):
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
    _check_ranges(cfg, checked)
    for key in checked:
        setattr(cfg, key, checked[key])


def from_json(text):
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


_MONEY_MAX = const(10000000)     # 100,000.00 in minor units
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
