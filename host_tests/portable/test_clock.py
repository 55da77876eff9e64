"""Clock trust as a bounded error: the interval arithmetic of meter.core.clock (docs/clock.md).
Portable: also runs under MicroPython."""
from meter.core import codes
from meter.core.clock import ClockTrust, drift_s, from_unix, to_unix
from meter.core.config import Config

BUILD = 10000000   # minutes since 2000 (2019-01-06)
T = BUILD + 1000   # a true time used below, in minutes


def secs(minute, second):
    return minute * 60 + second


def lo_s(c):
    return secs(c.lo_minute, c.lo_second)


def hi_s(c):
    return secs(c.hi_minute, c.hi_second)


def provisioned(minute=T, second=37, ppm=50, **cfg):
    cfg["clock_drift_ppm"] = ppm
    c = ClockTrust(Config(cfg), BUILD)
    assert c.anchor(minute, second, minute, second + 1, 0, codes.TIME_PROVISIONED) == 0
    return c


def contains(c, true_s):
    return lo_s(c) <= true_s and (c.hi_minute < 0 or true_s <= hi_s(c))


def test_unix_conversion():
    assert to_unix(0) == 946684800
    assert from_unix(946684800 + 61) == (1, 1)
    assert from_unix(to_unix(12345678, 59)) == (12345678, 59)


def test_drift_bound_is_an_upper_bound_in_small_ints():
    assert drift_s(0, 50) == 0 and drift_s(100, 0) == 0
    for e in (1, 999, 1000, 86400, 86400 * 365, 2 ** 29):
        for ppm in (1, 2, 20, 50, 1000):
            d = drift_s(e, ppm)
            assert d * 1000000 >= e * ppm
            assert d <= e * ppm // 1000000 + ppm // 1000 + 2 or e < 1000000


def test_new_meter_is_unbounded_until_anchored():
    c = ClockTrust(Config(), BUILD)
    assert not c.check(0, False, T, 0, 0)
    assert c.code == codes.CLOCK_NOT_SET and c.error_s == -1 and c.hi_minute == -1
    assert c.lo_minute == BUILD          # the build date is a lower bound
    assert c.minute == T                 # the RTC is the estimate, above lo


def test_provisioned_at_any_second_is_trusted():
    for second in (0, 11, 37, 59):
        c = provisioned(second=second)
        assert c.check(0, False, T, second, 0), second
        assert c.trusted and c.error_s <= 1 and c.rtc_code == 0
        assert c.check(0, False, T + 1, second, 60)
        assert c.minute == T + 1 and c.second == second


def test_interval_grows_with_drift_and_always_contains_true_time():
    c = provisioned(ppm=50)
    start = secs(T, 37)
    day = 86400
    for days in (1, 10, 100, 365):
        c.check(0, False, 0, 0, days * day)      # RTC nonsense: judged, not believed
        true_s = start + days * day
        # the counter itself may be off by 50 ppm either way: still inside
        for off in (-(days * day * 50) // 1000000, 0, (days * day * 50) // 1000000):
            assert contains(c, true_s + off), (days, off)
        assert c.error_s <= 1 + 2 * (days * 86400 * 50 // 1000000) + 2 * 2 + 2 * 50
        assert c.error_s >= 2 * (days * 86400 * 50 // 1000000)


def test_trust_ends_when_the_error_passes_the_maximum():
    c = provisioned(ppm=50, clock_max_error_s=600)
    # 2 x 50 ppm = 8.64 s a day: 600 s after about 69 days
    assert c.check(0, False, T, 37, 60 * 86400)
    assert not c.check(0, False, T, 37, 80 * 86400)
    assert c.code == codes.CLOCK_UNSURE and c.trust_changed


def test_rtc_outside_the_interval_is_wrong_not_the_interval():
    c = provisioned()
    c.check(0, False, T, 37, 0)
    # the RTC jumps a day ahead: the interval stays, the estimate carries on by the counter
    assert c.check(0, False, T + 1 + 1440, 37, 60)
    assert c.rtc_code == codes.CLOCK_JUMPED and c.rtc_fix
    assert c.minute == T + 1 and c.second == 37
    # the app rewrites the RTC from the estimate
    c.rtc_written(c.minute, c.second, 60)
    assert not c.rtc_fix
    assert c.check(0, False, T + 2, 37, 120) and c.rtc_code == 0
    # backwards, and an unreadable RTC: the same
    assert c.check(0, False, T - 5, 0, 180) and c.rtc_code == codes.CLOCK_BACKWARDS
    assert c.minute == T + 3
    assert c.check(codes.RTC_NO_ANSWER, False, 0, 0, 240) and c.rtc_code == codes.RTC_NO_ANSWER
    assert not c.rtc_fix                  # nothing to write to
    assert c.minute == T + 4
    assert c.check(0, True, T + 5, 37, 300) and c.rtc_code == codes.OSC_STOPPED and c.rtc_fix


def test_a_fast_rtc_never_drags_the_estimate_out_of_the_interval():
    c = provisioned(ppm=20)
    rtc = secs(T, 37)
    for step in range(1, 24 * 60):
        mono = step * 60
        rtc += 60 + 5                     # 5 s a minute fast (7200 s a day)
        c.check(0, False, rtc // 60, rtc % 60, mono)
        est = secs(c.minute, c.second)
        assert lo_s(c) <= est <= hi_s(c)
        if c.rtc_fix:
            rtc = est
            c.rtc_written(c.minute, c.second, mono)
    assert c.trusted
    assert abs(secs(c.minute, c.second) - (secs(T, 37) + 24 * 60 * 60 - 60)) <= c.error_s


def test_a_vending_token_never_raises_lo():
    # a vending office's clock may be wrong: its issue time is weak evidence
    c = ClockTrust(Config(), BUILD)
    c.check(0, False, T, 0, 0)
    assert c.anchor(T - 3, 0, -1, 0, 0, codes.TOKEN_ACCEPTED) == 0
    assert c.lo_minute == BUILD and c.hi_minute == -1 and not c.trusted
    c = provisioned()
    c.check(0, False, T, 37, 0)
    assert c.anchor(T, 30, -1, 0, 0, codes.TOKEN_ACCEPTED) == 0
    assert secs(c.lo_minute, c.lo_second) == secs(T, 37) and c.trusted


def test_a_plain_set_time_token_is_a_lower_bound_only_and_a_stale_one_is_refused():
    c = ClockTrust(Config(), BUILD)
    c.check(0, False, T, 0, 0)
    assert c.anchor(T, 0, T + 16, 0, 0, codes.TIME_SET) == 0
    # it may have been kept and typed later: no upper bound, no trust
    assert c.lo_minute == T and c.hi_minute == -1 and not c.trusted
    # two days of running on the counter: lo advances, also while untrusted
    c.check(0, False, T + 2880, 0, 2 * 86400)
    assert c.lo_minute >= T + 2880 - 1
    # a set-time token whose window ends before lo: refused, nothing moves
    before = (c.lo_minute, c.lo_second, c.hi_minute, c.hi_second)
    assert c.anchor(T + 60, 0, T + 76, 0, 2 * 86400, codes.TIME_SET) == codes.TOKEN_TIME_BAD
    assert (c.lo_minute, c.lo_second, c.hi_minute, c.hi_second) == before


def test_a_kept_back_set_time_token_never_sets_hi_before_the_true_time():
    # the July 2020 attack: a set-time token kept, the plug pulled, typed a day later
    c = provisioned()
    c.check(0, False, T, 37, 0)
    d = carried(c, 0, 0, True, T + 1440, 37)      # oscillator stopped: hi unbounded
    assert d.anchor(T - 2, 0, T + 14, 0, 0, codes.TIME_SET) == 0
    assert contains(d, secs(T + 1440, 37)) and not d.trusted


def test_lo_advances_while_untrusted():
    c = ClockTrust(Config(), BUILD)
    c.check(0, False, T, 0, 0)
    c.anchor(T, 0, -1, 0, 0, codes.TIME_SET)
    c.check(codes.RTC_NO_ANSWER, False, 0, 0, 86400)
    assert not c.trusted
    assert c.lo_minute >= T + 1440 - 1


def test_future_dated_token_against_an_agreeing_rtc_changes_nothing():
    c = provisioned()
    c.check(0, False, T, 37, 0)
    assert c.anchor(T + 20, 0, -1, 0, 0, codes.TOKEN_ACCEPTED) == codes.CLOCK_CONFLICT
    assert c.lo_minute == T and c.minute == T     # lo and the estimate stay
    assert c.anchor(T, 0, T + 16, 0, 60, codes.TIME_SET) == 0


def test_future_dated_token_widens_and_does_not_poison():
    c = provisioned()
    c.check(codes.RTC_NO_ANSWER, False, 0, 0, 0)    # no RTC to weigh it against
    # vended 20 minutes in the future: it contradicts the proven hi, so the hull is taken
    assert c.anchor(T + 20, 0, -1, 0, 0, codes.TOKEN_ACCEPTED) == codes.CLOCK_CONFLICT
    assert not c.trusted and c.code == codes.CLOCK_CONFLICT and c.hi_minute == T + 20
    assert c.lo_minute == T                # lo was not moved to the token's future
    assert c.minute == T                   # nor the estimate
    # a set-time token for the real time is not refused as old; a challenge one re-trusts
    assert c.anchor(T, 0, T + 16, 0, 60, codes.TIME_SET) == 0
    c.new_challenge(4821, 60)
    hi = c.challenge_hi_s(T + 1, 120, 90)
    assert c.anchor(T - 1, 0, hi // 60, hi % 60, 90, codes.TIME_CHALLENGE) == 0
    assert c.trusted and contains(c, secs(T, 37) + 90)


def test_token_ahead_of_the_rtc_is_not_a_fault():
    c = provisioned()
    c.check(0, False, T, 37, 0)
    # issued 2 minutes ahead of the RTC: its lo (issue less the 2-minute skew) is inside
    assert c.anchor(T, 0, -1, 0, 0, codes.TOKEN_ACCEPTED) == 0
    assert c.trusted and c.lo_minute == T
    c.check(0, False, T, 42, 5)
    assert c.trusted and c.rtc_code == 0 and not c.rtc_fix


def test_challenge_upper_bound_grows_with_the_time_since_it_was_shown():
    c = ClockTrust(Config(), BUILD)
    c.new_challenge(123456, 1000)
    assert c.challenge == 123456 % 100000
    # made at once: issue + 1 min + skew, plus a second for the counter
    assert c.challenge_hi_s(T, 120, 1000) == secs(T, 0) + 60 + 120 + 1
    # typed an hour after the challenge was shown: the bound follows (with drift)
    assert c.challenge_hi_s(T, 120, 4600) >= secs(T, 0) + 60 + 120 + 3600


def test_anchor_never_moves_the_estimate_outside_the_interval():
    c = provisioned()
    c.check(0, False, T, 37, 0)
    for lo, hi in ((T - 5, T + 5), (T, T + 1), (T + 1, -1), (T + 100, T + 200), (T - 50, T - 40)):
        c.anchor(lo, 0, hi, 0, 0, codes.TIME_NETWORK)
        est = secs(c.minute, c.second)
        assert est >= lo_s(c) and (c.hi_minute < 0 or est <= hi_s(c))


def carried(c, mono, status, osf, rtc_minute, rtc_second):
    """c's state stored, then loaded into a fresh ClockTrust as after a power-off."""
    c.snapshot()
    d = ClockTrust(c.cfg, BUILD)
    for name in ("p_lo_min", "p_lo_sec", "p_hi_min", "p_hi_sec", "p_rtc_min", "p_rtc_sec",
                 "why"):
        setattr(d, name, getattr(c, name))
    d.loaded()
    d.check(status, osf, rtc_minute, rtc_second, mono)
    return d


def test_power_off_carried_by_a_healthy_rtc():
    c = provisioned()
    c.check(0, False, T, 37, 0)
    c.check(0, False, T + 10, 37, 600)
    # off for 10 minutes, the RTC kept counting
    d = carried(c, 0, 0, False, T + 20, 37)
    assert contains(d, secs(T + 20, 37))
    assert d.trusted and d.lo_minute == T + 10 and d.minute == T + 20
    assert d.error_s >= 600                # lo stays at the stored bound: the off time is error
    # off for 2 hours: wider than clock_max_error_s, still containing the truth
    d = carried(c, 0, 0, False, T + 130, 37)
    assert contains(d, secs(T + 130, 37))
    assert not d.trusted and d.code == codes.CLOCK_UNSURE and d.error_s >= 7200


def test_power_off_without_a_vouching_rtc_is_unbounded():
    for status, osf, minute, why in ((0, True, T + 130, codes.OSC_STOPPED),
                                     (codes.RTC_NO_ANSWER, False, 0, codes.RTC_NO_ANSWER),
                                     (0, False, T - 60, codes.CLOCK_BACKWARDS)):
        c = provisioned()
        c.check(0, False, T, 37, 0)
        d = carried(c, 0, status, osf, minute, 37)
        assert not d.trusted and d.hi_minute == -1 and d.code == why, why
        assert d.lo_minute == T            # the stored lower bound holds


def test_forward_jump_while_off_only_widens():
    c = provisioned()
    c.check(0, False, T, 37, 0)
    d = carried(c, 0, 0, False, T + 5 + 1440, 37)     # 5 min off, RTC set a day ahead
    assert not d.trusted and d.error_s >= 86400
    assert d.lo_minute == T


def test_v1_fields_load_as_a_lower_bound():
    c = ClockTrust(Config(), BUILD)
    c.p_lo_min = T
    c.p_hi_min = -1
    c.p_rtc_min = -1
    c.why = codes.CLOCK_JUMPED
    c.loaded()
    c.check(0, False, T + 5, 0, 0)
    assert not c.trusted and c.lo_minute == T and c.code == codes.CLOCK_JUMPED


def test_an_rtc_out_of_rate_cannot_carry_a_power_off():
    for ppm_off in (-500, 500):
        c = provisioned(ppm=50)
        c.check(0, False, T, 37, 0)
        rtc = secs(T, 37)
        mono = 0
        for _ in range(24):                       # a day, an hour at a time
            mono += 3600
            rtc += 3600 + 3600 * ppm_off // 1000000
            c.check(0, False, rtc // 60, rtc % 60, mono)
            if c.rtc_fix:
                rtc = secs(c.minute, c.second)
                c.rtc_written(c.minute, c.second, mono)
        assert c.trusted and not c.rtc_rate_ok, ppm_off
        d = carried(c, 0, 0, False, (rtc + 600) // 60, (rtc + 600) % 60)
        assert not d.trusted and d.hi_minute == -1, ppm_off


def test_an_rtc_in_rate_carries_a_power_off():
    c = provisioned(ppm=50)
    c.check(0, False, T, 37, 0)
    rtc = secs(T, 37)
    mono = 0
    for hour in range(48):
        mono += 3600
        rtc += 3600 + (1 if hour % 14 == 13 else 0)   # about 20 ppm fast: inside the bound
        c.check(0, False, rtc // 60, rtc % 60, mono)
    assert c.rtc_rate_ok
    d = carried(c, 0, 0, False, (rtc + 300) // 60, (rtc + 300) % 60)
    assert d.trusted and contains(d, secs(T, 37) + mono + 300)


def test_stale_set_time_after_an_unvouched_power_off_does_not_move_a_healthy_rtc_back():
    c = provisioned()
    c.check(0, False, T, 37, 0)
    # off for two days; the RTC kept time but its flag says it stopped: hi unbounded
    d = carried(c, 0, 0, True, T + 2880, 37)
    assert not d.trusted and d.hi_minute == -1
    d.rtc_written(T + 2880, 37, 0)                # the app clears the flag, same time
    d.check(0, False, T + 2880, 38, 1)
    assert d.rtc_code == 0
    # a set-time token vended before the power-off, typed now: a lower bound only, so the
    # RTC's time stays inside the interval
    assert d.anchor(T + 60, 0, T + 76, 0, 1, codes.TIME_SET) == 0
    assert contains(d, secs(T + 2880, 38))
    assert d.minute == T + 2880


def test_an_rtc_seen_out_of_rate_is_remembered_across_boots_until_a_strong_anchor():
    # seen running at half speed while powered; a later plain reboot must not bound the off
    # period from it, also after a boot that committed before the rate was measured again
    c = provisioned(ppm=50)
    c.check(0, False, T, 37, 0)
    c.check(0, False, T, 47, 20)              # 10 s of RTC in 20 s of counter
    assert not c.rtc_rate_ok
    d = carried(c, 0, 0, False, T + 1, 0)
    assert not d.rtc_rate_ok and d.hi_minute == -1
    d.snapshot()
    e = ClockTrust(d.cfg, BUILD)
    for name in ("p_lo_min", "p_lo_sec", "p_hi_min", "p_hi_sec", "p_rtc_min", "p_rtc_sec", "why"):
        setattr(e, name, getattr(d, name))
    e.loaded()
    e.check(0, False, T + 2, 0, 0)
    assert not e.rtc_rate_ok and e.hi_minute == -1
    # a strong anchor re-vouches
    assert e.anchor(T + 2, 0, T + 2, 1, 0, codes.TIME_PROVISIONED) == 0
    assert e.rtc_rate_ok


def test_a_challenge_token_brings_lo_back_from_a_set_time_token_ahead():
    c = ClockTrust(Config(), BUILD)              # untrusted, the true time is T:00
    c.check(codes.RTC_NO_ANSWER, False, 0, 0, 0)
    c.new_challenge(777, 0)
    # a plain set-time token from an office clock 3 minutes ahead raises lo past the truth
    assert c.anchor(T + 1, 0, T + 19, 0, 0, codes.TIME_SET) == 0
    assert c.lo_minute == T + 1
    hi = c.challenge_hi_s(T, 120, 30)
    assert c.anchor(T - 2, 0, hi // 60, hi % 60, 30, codes.TIME_CHALLENGE) == 0
    assert contains(c, secs(T, 0) + 30) and c.trusted
    c.challenge_used()
    assert c.challenge == -1 and c.prev_challenge == -1


def test_a_challenge_stays_valid_one_renewal_long():
    c = ClockTrust(Config(), BUILD)
    assert c.challenge_due(0)
    c.new_challenge(11111, 0)
    assert not c.challenge_due(899) and c.challenge_due(900)
    c.new_challenge(22222, 900)
    assert c.challenge == 22222 and c.prev_challenge == 11111 and c.prev_challenge_mono == 0
