"""What the household and the utility see (issue 9): words on the LCD, emergency credit offered
before a cut, the debt split, protections set by token, the cold-home hold, and an event log
that tells the story.  Portable: runs under CPython and MicroPython."""
from apprig import KEY, make_app, provisioned, reboot, run
from coretest import Rig, local_minute
from meter.core import codes, policy, record
from meter.core import meter as meter_mod
from meter.core import token as T
from meter.core.config import Config, config_from_json

MONDAY_10 = local_minute(2026, 11, 30, 10, 0)


def vend(app, kind, value, minutes_ago=0, challenge=-1):
    return T.encode(KEY, kind, value, T.token_id_at(app.meter.minute - minutes_ago, 0),
                    challenge)


def shown(app, times=(0, 3000, 6000, 9000, 12000, 15000)):
    """Every second line the idle screen alternates through."""
    out = []
    base = app.display._now_ms
    for dt in times:
        app.display._now_ms = base + dt
        out.append(app.display._idle()[1].strip())
    app.display._now_ms = base
    return out


def events_of(app):
    return [(e["name"], e["value"]) for e in app.events(64)]


# --- 1. words on the LCD ---------------------------------------------------------------------

def test_every_code_has_words_that_fit_the_lcd():
    for code, name, text in codes.all_codes():
        assert 1 <= len(text) <= 16, (code, text)
        assert not text.startswith("CODE"), (code, text)
    assert "CODE" not in codes.text(9999)


def test_token_results_show_words_not_code_numbers():
    # bug: a set-time token showed "TIME SET" / "CODE 47", a refused one "CODE 53"
    board, app = provisioned()
    minute = app.meter.minute
    app.submit(vend(app, T.SET_TIME, 0))
    lines = app.display.lines()
    assert lines[0].strip() == "TIME SET"
    assert "CODE" not in lines[1] and lines[1].strip() != ""
    old = T.encode(KEY, T.SET_TIME, 0, T.token_id_at(minute - 600, 0))
    app.submit(old)
    lines = app.display.lines()
    assert lines[0].strip() == "TOKEN TIME BAD" and "CODE" not in lines[1]
    for code, name, text in codes.all_codes():
        app.display.result(code, 0, board.clock.ticks_ms())
        for line in app.display.lines():
            assert len(line) == 16 and "CODE" not in line, (code, line)


def test_idle_screen_shows_words_for_every_reason():
    board, app = provisioned()
    m = app.meter
    for code, name, text in codes.all_codes():
        m.reason = code
        for line in shown(app):
            assert len(line) <= 16 and "CODE" not in line, (code, line)


# --- 2. emergency credit and the debt split -------------------------------------------------

def test_no_cut_while_emergency_credit_was_not_offered_for_the_notice():
    # bug: cut on Monday 08:00 with 12.00 of emergency credit on offer and never shown
    rig = Rig(local_minute(2026, 11, 30, 8, 0), balance=-500)
    m = rig.meter
    m.warn_since = rig.minute - 3 * 1440         # warned days ago
    m.ec_offer_since = -1
    rig.step()
    assert m.credit.ec_available() == 1200
    assert m.supply == policy.CLOSED and m.reason == codes.EMERGENCY_OFFER
    # from the proven upper bound of the time the offer showed (docs/clock.md)
    assert rig.minute <= m.ec_offer_since <= rig.minute + 1
    assert policy.OPEN not in rig.advance(7 * 60)  # all Monday's window
    # the next window, a day after the offer first showed: the cut may start
    rig.advance(17 * 60 + 2)
    assert m.supply == policy.OPEN and m.reason == codes.NO_CREDIT


def test_offer_is_taken_with_b_then_hash_and_supply_returns():
    board, app = provisioned()
    m = app.meter
    m.credit.balance = -500
    m.warn_since = m.ec_offer_since = m.minute - 2000
    run(board, app, 2)
    assert m.supply == policy.OPEN
    assert "EMERGENCY: B #" in shown(app)        # bug: hidden while the reason is no_credit
    app.key("B")
    assert app.display.lines()[1].strip() == "PRESS # TO TAKE"
    app.key("#")
    assert m.credit.ec_active and m.credit.credit_left() == 700
    assert m.supply == policy.ARMED
    app.button()
    assert m.relay_closed()


def test_configured_auto_activation_takes_it_instead_of_a_cut():
    rig = Rig(MONDAY_10, {"emergency_auto": True}, balance=50)
    m = rig.meter
    m.warn_since = rig.minute - 3000
    rig.step()
    assert not m.credit.ec_active                 # not needed yet
    m.credit.balance = -10
    rig.advance(1)
    assert m.credit.ec_active and m.supply == policy.CLOSED
    assert (codes.EMERGENCY_TAKEN, 1200) in rig.drain()


def test_lcd_credit_is_the_console_balance_and_names_emergency_credit():
    # bug: LCD "CREDIT -41.69" beside a balance of -53.69 (12.00 emergency credit active)
    board, app = provisioned()
    c = app.meter.credit
    c.balance = 50
    assert app.meter.accept_emergency() == 1200
    c.balance = -800
    run(board, app, 1)
    st = app.status()
    assert st["balance"] == -800
    assert st["lcd"][0] == "CREDIT  -8.00EUR"
    assert any(line.startswith("EMERG. LEFT") and "4.00" in line for line in shown(app))


def test_top_up_that_repays_debt_shows_the_split():
    # bug: "+20.00EUR" while 5.00 went to the debt
    board, app = provisioned(overrides={"opening_debt": 3000})
    app.control_step()
    digits = vend(app, T.CREDIT, 2000)
    result = app.submit(digits)
    assert result[0] == "accepted"
    assert app.display.lines() == ["15.00EUR CREDIT ", "5.00EUR DEBT    "]
    assert app.last_split == (1500, 500)
    assert app.meter.credit.debt == 2500 and app.meter.credit.balance == 1500


def test_split_lines_fit_for_large_amounts():
    from meter.display import _amount_line
    assert _amount_line(123456, "EUR", "CREDIT") == "CREDIT   1234.56"
    assert len(_amount_line(6553500, "EUR", "CREDIT")) == 16


# --- 3. protections by token ------------------------------------------------------------------

def test_medical_protection_token_with_an_end_date():
    board, app = provisioned()
    m = app.meter
    digits = vend(app, T.PROTECT, T.protect_value(0, 61))   # issued 2026-11-30
    assert app.submit(digits)[0] == "accepted"
    assert m.medical
    assert app.status()["protections"]["medical"] == "2027-01-30T23:00:00Z"   # 31 Jan 24:00
    assert app.display.lines()[0].strip() == "PROTECTION SET"
    assert app.display.lines()[1].strip() == "MEDICAL TO 30/01"
    assert app.submit(digits)[0] == "used"
    m.credit.balance = -500
    m.warn_since = m.ec_offer_since = m.minute - 2000
    run(board, app, 2)
    assert m.supply == policy.CLOSED and m.reason == codes.MEDICAL
    app = reboot(board)
    assert app.meter.medical and app.status()["protections"]["medical"] == \
        "2027-01-30T23:00:00Z"
    assert ("protect_set", 61) in events_of(app)


def test_protection_ends_on_proven_time_only():
    rig = Rig(MONDAY_10)
    m = rig.meter
    m.protect_until(meter_mod.PROTECT_WEATHER, rig.minute + 90)
    rig.advance(60)
    assert m.weather
    # the clock is no longer trusted: an authenticated time contradicts the proven one, the
    # interval widens (docs/clock.md)
    m.clock.anchor(rig.minute + 5000, 0, -1, 0, rig.mono, codes.TIME_NETWORK)
    rig.advance(60)
    assert not m.clock.trusted and m.weather      # errs towards protection
    m.clock.anchor(rig.minute, 0, rig.minute, 1, rig.mono, codes.TIME_CHALLENGE)   # agreed
    rig.advance(1)
    assert not m.weather and m.weather_until == -1
    assert (codes.PROTECT_ENDED, meter_mod.PROTECT_WEATHER) in rig.drain()


def test_protected_customer_and_cold_tokens_and_off():
    board, app = provisioned()
    m = app.meter
    app.submit(vend(app, T.PROTECT, T.protect_value(3, 10)))
    assert m.protected and app.last_result[1] == codes.PROTECTED_CUSTOMER
    app.submit(vend(app, T.PROTECT, T.protect_value(2, 5), 1))
    assert m.cold
    m.credit.balance = -500
    m.warn_since = m.ec_offer_since = m.minute - 2000
    run(board, app, 1)
    assert m.reason == codes.COLD
    app.submit(vend(app, T.PROTECT, T.protect_value(2, 0), 2))
    assert not m.cold and app.status()["protections"]["cold"] is None
    assert app.display.lines()[1].strip() == "COLD OFF"
    prot = app.status()["protections"]
    assert prot["medical"] is None and prot["protected"].endswith("T23:00:00Z")


def test_next_cut_plans_past_a_protection_end():
    rig = Rig(MONDAY_10, balance=-500)
    m = rig.meter
    m.warn_since = m.ec_offer_since = rig.minute - 3000
    m.protect_until(meter_mod.PROTECT_MEDICAL, local_minute(2026, 12, 2, 0, 0))
    assert m.supply == policy.CLOSED
    assert m.next_cut(rig.minute) == local_minute(2026, 12, 2, 8, 0)


def test_version_1_record_still_loads():
    rig = Rig(MONDAY_10, balance=1234)
    m = rig.meter
    m.medical = True
    data = record.pack(m)
    import struct
    fmt, size, count = record.layout(1)
    now = record.layout(record.VERSION)
    v1 = struct.pack(fmt, 1, *struct.unpack(now[0], data[:now[1]])[1:count + 1]) + \
        data[record.FIXED_SIZE:]
    other = Rig(MONDAY_10).meter
    record.unpack(other, v1)
    assert other.credit.balance == 1234 and other.medical
    assert other.medical_until == meter_mod.NO_END and other.ec_offer_since == -1


# --- 4. cold-home hold ------------------------------------------------------------------------

COLD = {"cold_hold": True, "cold_hold_below": 100, "cold_hold_hysteresis": 20,
        "cold_hold_min_s": 3600}


def test_cold_home_hold_with_hysteresis_and_a_minimum_time():
    rig = Rig(MONDAY_10, COLD, balance=-500)
    m = rig.meter
    m.warn_since = m.ec_offer_since = rig.minute - 3000
    m.temperature(9 * 4 + 3)                      # 9.75 C
    rig.step()
    assert m.cold_home and m.reason == codes.COLD_HOME and m.supply == policy.CLOSED
    assert (codes.COLD_HOLD_ON, 97) in rig.drain()
    m.temperature(11 * 4)                         # 11 C: inside the hysteresis
    rig.advance(70)
    assert m.cold_home
    m.temperature(None)                           # the bus failed: no change
    rig.advance(1)
    assert m.cold_home
    m.temperature(13 * 4)                         # warm again; the hold has lasted > 1 h
    rig.advance(1)
    assert not m.cold_home
    assert (codes.COLD_HOLD_OFF, 130) in rig.drain()
    assert m.supply == policy.OPEN                # the other rules allow the cut


def test_cold_home_minimum_hold_time():
    rig = Rig(MONDAY_10, COLD)
    m = rig.meter
    m.temperature(0)
    rig.advance(1)
    m.temperature(80)                             # 20 C a minute later
    rig.advance(58)
    assert m.cold_home
    assert 0 < m.seconds_to_change(0) <= 120
    rig.advance(2)
    assert not m.cold_home


def test_cold_home_hold_is_off_by_default():
    rig = Rig(MONDAY_10, balance=-500)
    m = rig.meter
    m.warn_since = m.ec_offer_since = rig.minute - 3000
    m.temperature(-40)
    rig.step()
    assert not m.cold_home and m.supply == policy.OPEN


def test_untrusted_clock_still_never_cuts_when_warm():
    rig = Rig(MONDAY_10, COLD, balance=-500)
    m = rig.meter
    m.warn_since = m.ec_offer_since = rig.minute - 3000
    m.temperature(100)
    # untrusted: an authenticated time contradicts the proven one (docs/clock.md)
    m.clock.anchor(rig.minute + 5000, 0, -1, 0, rig.mono, codes.TIME_NETWORK)
    rig.advance(5)
    assert m.supply == policy.CLOSED and m.reason == codes.CLOCK_CONFLICT


def test_app_reads_the_ds3231_temperature_registers():
    board, app = provisioned(overrides=COLD)
    board.chip.set_temperature(8 * 4)             # 8 C in the meter cupboard
    run(board, app, 65)
    assert app.meter.cold_home
    st = app.status()["cold_hold"]
    assert st == {"enabled": True, "on": True, "temperature_c": 8.0}
    assert ("cold_hold_on", 80) in events_of(app)
    for k in "CCC":
        app.key(k)
    assert app.display.lines() == ["METER TEMP. 8.0C", "COLD HOLD ON    "]


# --- 5. the event log tells the story --------------------------------------------------------

def test_low_credit_warning_start_is_logged():
    rig = Rig(MONDAY_10, balance=600)
    rig.meter.credit.balance = 450
    rig.advance(1)
    events = rig.drain()
    assert (codes.WARNING_START, 450) in events
    assert (codes.LOW_CREDIT_1, 450) in events


def test_trust_restored_by_a_vending_token_is_logged_with_its_source():
    # (a vending token proves nothing, a plain set-time token a lower bound only; after a
    # reboot on a stopped oscillator it takes a challenge set-time token: docs/clock.md)
    board, app = provisioned()
    board.chip.fault("stop")
    app = reboot(board)
    assert not app.meter.clock.trusted
    board.chip.fault("none")
    board.chip.write_reg(0x0F, 0)                 # OSF cleared by a technician
    run(board, app, 1)
    app.submit(vend(app, T.CREDIT, 1000, 1))
    assert not app.meter.clock.trusted
    run(board, app, 60)
    app.submit(vend(app, T.SET_TIME, 0, 3))
    assert not app.meter.clock.trusted            # plain: it may have been kept back
    run(board, app, 60)
    app.submit(vend(app, T.SET_TIME, 0, 0, challenge=app.meter.clock.challenge))
    assert app.meter.clock.trusted
    ev = app.events(10)
    trusted = [e for e in ev if e["name"] == "clock_trusted"]
    assert trusted and trusted[0]["value"] == codes.TIME_CHALLENGE
    assert trusted[0]["source"] == "time_challenge"
    lost = [e for e in ev if e["name"] == "osc_stopped"]
    assert len(lost) == 1 and lost[0]["source"] == "trust_reading"


def test_trust_restored_by_a_set_time_token_names_it():
    rig = Rig(MONDAY_10)
    m = rig.meter
    m.clock.anchor(rig.minute + 5000, 0, -1, 0, rig.mono, codes.TIME_NETWORK)
    rig.advance(1)
    assert not m.clock.trusted
    rig.drain()
    m.trust_source = codes.TIME_CHALLENGE
    m.clock.anchor(rig.minute, 0, rig.minute, 1, rig.mono, codes.TIME_CHALLENGE)
    m.redecide()
    assert rig.drain()[0] == (codes.CLOCK_TRUSTED, codes.TIME_CHALLENGE)


def test_watchdog_reset_is_logged_at_boot():
    board, app = provisioned()
    board.watchdog_reset = lambda: True
    app = reboot(board)
    names = [e["name"] for e in app.events(5)]
    assert "watchdog_reset" in names
    board.watchdog_reset = lambda: False
    app = reboot(board)
    assert [e["name"] for e in app.events(3)].count("watchdog_reset") == 1


def test_config_errors_say_what_was_wrong():
    cfg, problem = config_from_json('{"price_day": "32"}')
    assert problem == ("config.json: price_day: expected an integer", False)
    assert cfg.price_day == Config().price_day
    assert config_from_json("{nope")[1] == ("config.json is not JSON", True)
    assert config_from_json("[1]")[1][1]
    assert config_from_json('{"cold_hold": true}') [1] is None
    board, app = provisioned()
    app = make_app(board)
    app.config_refused(*config_from_json('{"warn_level_9": 1}')[1])
    app.boot()
    assert app.status()["config_error"] == "config.json: unknown setting: warn_level_9"
    assert ("config_error", 2) in events_of(app)
    assert "CONFIG ERROR" in shown(app)
    assert "VERY LOW CREDIT" in shown(app)           # the warning is not hidden


def test_events_during_an_rtc_outage_carry_no_false_date():
    # bug: events during an RTC reset were stamped 2000-01-01
    # (while the controller runs, the proven time dates them: the outage must span a reboot)
    board, app = provisioned()
    board.chip.fault("stop")
    app = reboot(board)
    board.chip.fault("none")
    board.chip.set_datetime(2000, 1, 1, 0, 0, 0)
    board.chip.fault("osf")
    run(board, app, 3)
    app.button()
    ev = app.events(3)
    assert ev[0]["name"] == "button"
    assert ev[0]["mono_s"] > 0
    for e in ev[:2]:
        assert e["utc"] is None and e["mono_s"] >= 0 and not e["trusted"]
    app.key("D")
    app.key("D")
    app.key("D")
    assert app.display.lines()[0].strip() == "E93 NO DATE"
    # a dated event before the outage keeps its date
    assert any(e["utc"] and e["utc"].startswith("2026-11-30") for e in app.events(20))


def test_a_flag_set_without_an_end_never_expires():
    rig = Rig(MONDAY_10, balance=-500)
    m = rig.meter
    m.warn_since = m.ec_offer_since = rig.minute - 3000
    m.medical = True                              # as a version 1 record or older code sets it
    rig.advance(3)
    assert m.medical and m.reason == codes.MEDICAL
    assert m.protection_end(meter_mod.PROTECT_MEDICAL) == meter_mod.NO_END
    assert m.next_cut(rig.minute) == -1


def test_protection_past_the_calendar_end_is_clamped_not_a_crash():
    board, app = provisioned(when=(2095, 6, 1, 9, 0, 0))
    app.desk.base = 3                             # base 3: 2064-2095
    tid = T.token_id_at(app.meter.minute, 3)
    result = app.submit(T.encode(KEY, T.PROTECT, T.protect_value(0, T.PROTECT_MAX_DAYS), tid))
    assert result[0] == "accepted" and app.meter.medical
    assert app.status()["protections"]["medical"] == "2099-12-30T23:00:00Z"
