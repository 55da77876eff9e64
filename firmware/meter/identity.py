"""Reading the meter's identity (/data/identity.json) and configuration (/config.json).

Both files are written once (at the factory, by the utility) and read at every boot.  Whatever
is in them, reading never raises: a file that is missing, unreadable, not JSON, of the wrong
shape or with a value out of range gives safe defaults and an error text that says what is
wrong, which main.py prints on the console and the app shows on the LCD and logs.  A meter
without a usable key cannot take a token, so it never cuts (policy.cut_hold: NO_KEY); a
configuration that was refused leaves the Belgian defaults in force and holds cuts as well
(CONFIG_ERROR, App.config_refused): the rules the utility chose are not known.

identity.json: {"serial": <int 0..2**32-1>, "meter_key": "<64 hex digits: 32 bytes>"}
config.json:   a JSON object of settings (meter.core.configdefaults.DEFAULTS), every name known.
"""
import json

from meter.core.config import Config, config_from_json

IDENTITY_PATH = "/data/identity.json"
CONFIG_PATH = "/config.json"
KEY_BYTES = 32
_ENOENT = 2


def _read(fs, path):
    """-> (text, None), or (None, "missing") / (None, error text)."""
    try:
        with fs.open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        if e.args and e.args[0] == _ENOENT:
            return None, "missing"
        return None, "unreadable (%s)" % (e.args[0] if e.args else "I/O error")
    try:
        return data.decode(), None
    except (UnicodeError, AttributeError):
        return None, "not text"


def _json_object(text):
    try:
        obj = json.loads(text)
    except ValueError:
        return None, "not JSON"
    if not isinstance(obj, dict):
        return None, "not a JSON object"
    return obj, None


def parse_identity(text):
    """-> (serial, key bytes, None) or (0, b"", error text)."""
    obj, err = _json_object(text)
    if err or obj is None:
        return 0, b"", err or "not a JSON object"
    serial = obj.get("serial")
    if isinstance(serial, bool) or not isinstance(serial, int) or not 0 <= serial <= 0xFFFFFFFF:
        return 0, b"", "serial: want an integer 0 to 4294967295"
    key = obj.get("meter_key")
    if not isinstance(key, str):
        return 0, b"", "meter_key: want %d hex digits" % (2 * KEY_BYTES)
    if len(key) != 2 * KEY_BYTES:
        return 0, b"", "meter_key: %d hex digits, want %d" % (len(key), 2 * KEY_BYTES)
    try:
        raw = bytes.fromhex(key)
    except ValueError:
        return 0, b"", "meter_key: not hex"
    if len(raw) != KEY_BYTES:
        return 0, b"", "meter_key: not hex"
    return serial, raw, None


def parse_config(text):
    """-> (Config, None) or (default Config, (what was wrong, not_json)) as
    meter.core.config.config_from_json, which never raises on a bad file either."""
    try:
        return config_from_json(text)
    except TypeError as e:            # (none known: a type slipping past the checks)
        return Config(), ("config.json: %s" % e, False)


def load_identity(fs, path=IDENTITY_PATH):
    """-> (serial, key, error text or None)."""
    text, err = _read(fs, path)
    if err:
        return 0, b"", err
    return parse_identity(text)


def load_config(fs, path=CONFIG_PATH):
    """-> (Config, None or (what was wrong, not_json)) for App.config_refused.  No file at all
    is not an error: the defaults are meant."""
    text, err = _read(fs, path)
    if err == "missing":
        return Config(), None
    if err:
        return Config(), ("config.json %s" % err, True)
    return parse_config(text)
