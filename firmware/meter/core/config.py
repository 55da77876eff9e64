"""The meter's configuration: Belgian (Walloon budget meter) defaults, METER.md §3-§5.

Every amount of money is an int in minor units (cents), every price an int in thousandths of a
minor unit per kWh (so 28.5 c/kWh is 28500), every time of day an int in minutes after local
midnight.  A config file (JSON, the simulator's --config) may set any of these names; anything
else is refused so that a typo never silently leaves a default in force.  The names and their
defaults are in meter.core.configdefaults, the checks in meter.core.configcheck; a board
loads them only while it builds or checks a configuration (issue 11, heap).
"""

from meter import overlay

_CHECK = ("meter.core.configcheck", "meter.core.configdefaults")
_DEFAULTS = ("meter.core.configdefaults",)

class Config:
    """Attribute access to the settings; built once at boot, read in the hot path."""

    def __init__(self, overrides=None):
        # the table of defaults is loaded for this and let go (issue 11: built once at boot)
        from meter.core.configdefaults import DEFAULTS
        try:
            for key in DEFAULTS:
                value = DEFAULTS[key]
                if isinstance(value, list):
                    value = list(value)
                setattr(self, key, value)
        finally:
            overlay.release(_DEFAULTS)
        if overrides is not None:
            self.update(overrides)

    def __getattr__(self, name):
        # only reached for names that are not settings (those are set in __init__); it also
        # tells type checkers that the settings are attributes
        raise AttributeError(name)

    def update(self, overrides):
        """Applies a dict of settings; raises ValueError naming the first bad one, changing
        nothing (meter.core.configcheck: loaded for the check, then released on a board)."""
        from meter.core import configcheck
        try:
            configcheck.update(self, overrides)
        finally:
            overlay.release(_CHECK)

    def as_dict(self):
        from meter.core.configdefaults import DEFAULTS
        try:
            out = {}
            for key in DEFAULTS:
                out[key] = getattr(self, key)
            return out
        finally:
            overlay.release(_DEFAULTS)


def config_from_json(text):
    """/config.json's text -> (Config, None), or (the defaults, (what was wrong, not_json)) so
    that a bad file never stops the meter and the LCD, `status` and the event log say why."""
    from meter.core import configcheck
    try:
        return configcheck.from_json(text)
    finally:
        overlay.release(_CHECK)
