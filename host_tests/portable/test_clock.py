"""Clock trust (METER.md §4)."""
from meter.core import codes
from meter.core.clock import ClockTrust, from_unix, to_unix
from meter.core.config import Config

BUILD = 10000000   # minutes since 2000 (2019-01-06)


def trusted_clock():
    c = ClockTrust(Config(), BUILD)
    c.latched = 0
    return c


def test_unix_conversion():
    assert to_unix(0) == 946684800
    assert from_unix(946684800 + 61) == (1, 1)
    assert from_unix(to_unix(12345678, 59)) == (12345678, 59)


def test_new_meter_is_untrusted_until_authenticated():
    c = ClockTrust(Config(), BUILD)
    assert not c.check(0, False, BUILD + 10, 0, 0)
    assert c.code == codes.CLOCK_NOT_SET
    assert c.set_time(BUILD + 10, 0) == 0
    assert c.trusted and c.check(0, False, BUILD + 10, 5, 5)


def test_rtc_faults_untrust_and_latch():
    for status, osf, code in ((codes.RTC_NO_ANSWER, False, codes.RTC_NO_ANSWER),
                              (codes.RTC_BAD_DATA, False, codes.RTC_BAD_DATA),
                              (0, True, codes.OSC_STOPPED)):
        c = trusted_clock()
        assert c.check(0, False, BUILD + 100, 0, 0)
        assert not c.check(status, osf, BUILD + 101, 0, 60)
        assert c.code == code and c.changed
        # a good reading afterwards does not bring trust back by itself
        assert not c.check(0, False, BUILD + 102, 0, 120)
        assert c.code == code and not c.changed


def test_before_build_or_floor_and_too_late():
    c = trusted_clock()
    assert not c.check(0, False, BUILD - 1, 0, 0)
    assert c.code == codes.CLOCK_TOO_EARLY
    c = trusted_clock()
    c.floor = BUILD + 5000
    assert not c.check(0, False, BUILD + 4999, 0, 0)
    assert c.code == codes.CLOCK_BACKWARDS
    c = trusted_clock()
    assert not c.check(0, False, BUILD + 400 * 1440 + 1, 0, 0)
    assert c.code == codes.CLOCK_TOO_LATE


def test_jump_forward_and_back_against_ticks():
    c = trusted_clock()
    assert c.check(0, False, BUILD + 10, 0, 1000)
    assert c.check(0, False, BUILD + 70, 0, 4600)       # an hour later on both
    assert not c.check(0, False, BUILD + 70 + 1440, 0, 4660)   # RTC one day ahead
    assert c.code == codes.CLOCK_JUMPED
    c = trusted_clock()
    assert c.check(0, False, BUILD + 10, 0, 1000)
    assert not c.check(0, False, BUILD + 9, 0, 1100)
    assert c.code == codes.CLOCK_BACKWARDS


def test_drift_within_tolerance_is_fine():
    c = trusted_clock()
    assert c.check(0, False, BUILD, 0, 0)
    # 10 days on the tick counter, RTC 1000 s fast: within 10 + 120 s/day
    assert c.check(0, False, BUILD + 14400 + 16, 40, 864000)
    c2 = trusted_clock()
    assert c2.check(0, False, BUILD, 0, 0)
    assert not c2.check(0, False, BUILD + 1440 + 3, 0, 86400)   # 180 s in one day


def test_floor_follows_trusted_time():
    c = trusted_clock()
    c.check(0, False, BUILD + 500, 0, 0)
    assert c.floor == BUILD + 500


def test_token_restores_trust_only_when_it_agrees():
    c = ClockTrust(Config({"token_time_window": 15}), BUILD)
    c.check(0, False, BUILD + 100, 0, 0)
    assert not c.token_seen(BUILD + 80, 0, False, BUILD + 100, 0, 0)   # 20 min old
    assert not c.trusted
    assert c.token_seen(BUILD + 90, 0, False, BUILD + 100, 0, 0)       # 10 min old
    assert c.trusted and c.code == 0


def test_token_never_restores_over_a_hardware_fault():
    c = trusted_clock()
    c.check(0, True, BUILD + 100, 0, 0)
    assert not c.token_seen(BUILD + 100, 0, True, BUILD + 100, 0, 0)
    assert c.code == codes.OSC_STOPPED


def test_token_from_the_future_untrusts_a_slow_clock():
    c = trusted_clock()
    c.check(0, False, BUILD + 100, 0, 0)
    assert not c.token_seen(BUILD + 200, 0, False, BUILD + 100, 0, 0)
    assert not c.trusted and c.code == codes.CLOCK_BACKWARDS
    assert c.floor == BUILD + 200


def test_set_time_refuses_winding_back_past_the_floor():
    c = trusted_clock()
    c.check(0, False, BUILD + 10000, 0, 0)
    assert c.set_time(BUILD + 100, 0) == codes.TOKEN_TIME_BAD
    assert c.set_time(BUILD + 10001, 0) == 0
