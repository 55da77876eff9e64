"""Networked boards (Pico W, ESP32: `NETWORK = "wlan"` in boards/<board>.py): Wi-Fi and the
broker from /data/network.json, then the remote channel (docs/remote.md).

/data/network.json (written at provisioning, or by hand):
    {"ssid": "...", "password": "...", "broker": "192.0.2.10:8883",
     "tls": true, "ca": "/data/ca.der", "server_hostname": "broker.example",
     "keepalive_s": 60, "state_minutes": 15, "user": "...", "mqtt_password": "..."}
Only ssid and broker are required.  A missing file means no network (the meter runs as a
board without one); a bad file is refused with a clear error on the console and the meter
runs without network.  Give the broker as an address: a DNS lookup blocks on MicroPython.
"""
import json

from micropython import const

WIFI_RETRY_MIN_MS = const(10000)
WIFI_RETRY_MAX_MS = const(300000)


class ConfigError(Exception):
    pass


def parse(text):
    """-> the settings dict; ConfigError saying what is wrong."""
    try:
        cfg = json.loads(text)
    except ValueError:
        raise ConfigError("network.json is not JSON")
    if not isinstance(cfg, dict):
        raise ConfigError("network.json must be an object")
    for k in ("ssid", "broker"):
        if not isinstance(cfg.get(k), str) or not cfg[k]:
            raise ConfigError("network.json: %s missing" % k)
    host, _, port = cfg["broker"].rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError("network.json: broker must be HOST:PORT")
    cfg["host"] = host
    cfg["port"] = int(port)
    for k, lo, hi, dflt in (("keepalive_s", 10, 3600, 60), ("state_minutes", 1, 1440, 15)):
        v = cfg.get(k, dflt)
        if not isinstance(v, int) or not lo <= v <= hi:
            raise ConfigError("network.json: %s must be %d..%d" % (k, lo, hi))
        cfg[k] = v
    if cfg.get("tls") and not isinstance(cfg.get("ca"), str):
        raise ConfigError("network.json: tls needs ca (a CA certificate file)")
    return cfg


def ssl_context(ca_data, ssl_mod=None):
    """A client context that verifies the broker against the given CA (DER or PEM bytes)."""
    if ssl_mod is None:
        import ssl as ssl_mod
    ctx = ssl_mod.SSLContext(ssl_mod.PROTOCOL_TLS_CLIENT)
    ctx.verify_mode = ssl_mod.CERT_REQUIRED
    if ca_data[:10] == b"-----BEGIN":
        try:
            ctx.load_verify_locations(cadata=ca_data.decode())
            return ctx
        except TypeError:
            pass
    ctx.load_verify_locations(cadata=ca_data)
    return ctx


class Wifi:
    """Station mode, polled: the connect call returns at once on both ports; retried with a
    backoff while the link is down."""

    def __init__(self, wlan, ssid, password, ticks_ms):
        self.wlan = wlan
        self.ssid = ssid
        self.password = password
        self.ticks_ms = ticks_ms
        self._retry_at = None
        self._backoff = WIFI_RETRY_MIN_MS

    def poll(self, now):
        try:
            if self.wlan.isconnected():
                self._backoff = WIFI_RETRY_MIN_MS
                return True
            if self._retry_at is None or now - self._retry_at >= 0:
                self.wlan.connect(self.ssid, self.password)
                self._retry_at = now + self._backoff
                self._backoff = min(self._backoff * 2, WIFI_RETRY_MAX_MS)
        except OSError:
            pass
        return False


def start(app, path="/data/network.json"):
    """-> a meter.net.remote.Remote for the board, or None (no file or a bad one; the error
    is printed for the console and kept in app.net_error)."""
    try:
        with open(path) as f:
            cfg = parse(f.read())
    except OSError:
        return None
    except ConfigError as e:
        app.net_error = str(e)
        print("network: %s" % e)
        return None
    import time

    import network

    from meter.net.mqtt import MQTTClient
    from meter.net.remote import Remote
    ctx = None
    if cfg.get("tls"):
        try:
            with open(cfg["ca"], "rb") as f:
                ctx = ssl_context(f.read())
        except (OSError, ValueError) as e:
            app.net_error = "network: CA certificate: %s" % e
            print(app.net_error)
            return None
    wlan = network.WLAN(network.STA_IF)
    wlan.active(True)
    link = Wifi(wlan, cfg["ssid"], cfg.get("password", ""), time.ticks_ms)
    user = cfg.get("user")
    pw = cfg.get("mqtt_password")
    client = MQTTClient("meter-%d" % app.serial, cfg["host"], cfg["port"], cfg["keepalive_s"],
                        ssl_context=ctx, server_hostname=cfg.get("server_hostname"),
                        user=user.encode() if user else None,
                        password=pw.encode() if pw else None, jitter_ms=app.serial)
    return Remote(app, client, cfg["state_minutes"] * 60, link=link)
