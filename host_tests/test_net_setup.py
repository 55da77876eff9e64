"""Networked boards' settings (/data/network.json) and the polled Wi-Fi (meter.net.setup)."""
import json

import pytest

from meter.net import setup


def test_a_minimal_file_gets_the_defaults():
    cfg = setup.parse(json.dumps({"ssid": "field", "broker": "192.0.2.10:1883"}))
    assert (cfg["host"], cfg["port"], cfg["keepalive_s"], cfg["state_minutes"]) == \
        ("192.0.2.10", 1883, 60, 15)


@pytest.mark.parametrize("text, why", [
    ("not json", "not JSON"),
    ("[1]", "object"),
    ('{"broker": "h:1"}', "ssid"),
    ('{"ssid": "x"}', "broker"),
    ('{"ssid": "x", "broker": "h"}', "HOST:PORT"),
    ('{"ssid": "x", "broker": "h:99999"}', "HOST:PORT"),
    ('{"ssid": "x", "broker": "h:1", "keepalive_s": 1}', "keepalive_s"),
    ('{"ssid": "x", "broker": "h:1", "state_minutes": "5"}', "state_minutes"),
    ('{"ssid": "x", "broker": "h:1", "tls": true}', "ca"),
])
def test_bad_files_say_what_is_wrong(text, why):
    with pytest.raises(setup.ConfigError) as e:
        setup.parse(text)
    assert why in str(e.value)


class FakeWlan:
    def __init__(self):
        self.up = False
        self.calls = []

    def isconnected(self):
        return self.up

    def connect(self, ssid, pw):
        self.calls.append((ssid, pw))


def test_wifi_retries_with_a_backoff_and_never_waits():
    w = FakeWlan()
    link = setup.Wifi(w, "field", "pw", None)
    at = []
    for t in range(2000):                       # 2000 s of polls, once a second
        n = len(w.calls)
        assert link.poll(t * 1000) is False
        if len(w.calls) > n:
            at.append(t)
    gaps = [b - a for a, b in zip(at, at[1:])]
    # connect calls at growing intervals: 10 s, 20 s, 40 s ... capped at 300 s
    assert gaps[:5] == [10, 20, 40, 80, 160] and max(gaps) == 300
    w.up = True
    assert link.poll(t * 1000) is True
