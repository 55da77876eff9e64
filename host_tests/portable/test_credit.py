"""Money (METER.md §3): integers, fractions carried, conservation, debt, emergency credit."""
from meter.core.config import Config
from meter.core.credit import Credit


def books_balance(c, opening=0):
    return c.balance - opening == (c.topped_up - c.debt_recovered - c.energy_charged
                                   - c.standing_charged)


def test_pulses_charge_whole_cents_and_carry_fractions():
    c = Credit(Config({"tariff": "single", "price_single": 28500}))   # 28.5 c/kWh
    c.balance = 1000
    for _ in range(999):
        c.pulses(1, False)
    assert c.energy_total_wh() == 999
    assert c.balance == 1000 - 28            # 28.4715 c: 28 charged, the rest carried
    c.pulses(1, False)
    assert c.balance == 1000 - 28 and c.energy_charged == 28
    c.pulses(1000, False)
    assert c.balance == 1000 - 57            # 57.0 c for 2 kWh
    assert books_balance(c, 1000)


def test_day_and_night_rates():
    c = Credit(Config())
    c.pulses(1000, False)
    assert c.balance == -32
    c.pulses(1000, True)
    assert c.balance == -56


def test_other_pulse_rates():
    c = Credit(Config({"imp_per_kwh": 800, "tariff": "single", "price_single": 30000}))
    c.pulses(800, False)
    assert c.energy_total_wh() == 1000 and c.balance == -30
    c.pulses(1, False)                       # 1.25 Wh
    assert c.energy_total_wh() == 1001 and c.pulse_frac == 200


def test_standing_charge():
    c = Credit(Config())
    c.standing(3)
    assert c.balance == -90 and books_balance(c)


def test_debt_recovery_share_and_weekly_cap():
    c = Credit(Config({"debt_recovery_pct": 25, "debt_weekly_cap": 1000}))
    c.add_debt(5000)
    assert c.split(2000, 7) == (500, 1500)
    assert c.topup(2000, 7) == 500
    assert c.balance == 1500 and c.debt == 4500
    assert c.topup(4000, 7) == 500           # cap: 1000 a week
    assert c.topup(1000, 7) == 0
    assert c.topup(1000, 8) == 250           # a new week
    assert books_balance(c)
    assert c.debt == 5000 - 1250 == c.debt_added - c.debt_recovered


def test_debt_never_recovers_more_than_owed():
    c = Credit(Config({"debt_recovery_pct": 50}))
    c.add_debt(100)
    assert c.topup(1000, 1) == 100 and c.debt == 0 and c.balance == 900


def test_emergency_credit_offer_accept_and_repay_first():
    c = Credit(Config({"debt_recovery_pct": 50, "emergency_amount": 1200,
                       "emergency_offer_below": 100}))
    c.add_debt(10000)
    c.balance = 150
    assert c.ec_available() == 0
    c.balance = 50
    assert c.ec_available() == 1200
    assert c.accept_emergency() == 1200 and c.ec_active
    assert c.accept_emergency() == 0         # once
    assert c.credit_left() == 1250
    c.balance = -800
    assert c.ec_used() == 800 and c.credit_left() == 400
    # a 20.00 top-up repays the 8.00 used first; debt takes half of the remaining 12.00
    assert c.split(2000, 3) == (600, 1400)
    c.topup(2000, 3)
    assert c.balance == 600 and not c.ec_active and c.debt == 9400


def test_warning_levels():
    c = Credit(Config({"warn_level_1": 500, "warn_level_2": 200}))
    c.balance = 500
    assert c.warning_level() == 0
    c.balance = 499
    assert c.warning_level() == 1
    c.balance = 199
    assert c.warning_level() == 2


def test_negative_topup_refused():
    c = Credit(Config())
    try:
        c.topup(-1, 0)
    except ValueError:
        return
    raise AssertionError("accepted a negative top-up")
