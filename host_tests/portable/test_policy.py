"""The cut decision, rule by rule (METER.md §5, §6)."""
from meter.core import codes, policy
from meter.core.config import Config


def cut_ready(**kw):
    """A situation in which a cut for lack of credit is due (Tuesday 10:00, no protection)."""
    s = policy.Situation()
    s.trusted = True
    s.clock_code = 0
    s.credit_left = -100
    s.weekday = 1
    s.minute_of_day = 600
    s.notice_ok = True
    for k in kw:
        setattr(s, k, kw[k])
    return s


def run(s, cfg=None):
    out = policy.Decision()
    policy.decide(s, cfg or Config(), out)
    return out.supply, out.reason


def test_cut_when_every_rule_holds():
    assert run(cut_ready()) == (policy.OPEN, codes.NO_CREDIT)


def test_credit_above_threshold_keeps_supply():
    assert run(cut_ready(credit_left=0)) == (policy.CLOSED, codes.SUPPLY_ON)


def test_each_hold_keeps_supply_on_with_its_reason():
    cases = (
        (dict(trusted=False, clock_code=codes.OSC_STOPPED), codes.OSC_STOPPED),
        (dict(medical=True), codes.MEDICAL),
        (dict(weather=True), codes.WEATHER),
        (dict(registration=True), codes.REGISTRATION),
        (dict(holiday=True), codes.HOLIDAY),
        (dict(weekday=5), codes.WEEKEND),
        (dict(weekday=6), codes.WEEKEND),
        (dict(holiday_eve=True), codes.HOLIDAY_EVE),
        (dict(minute_of_day=479), codes.OUTSIDE_WINDOW),
        (dict(minute_of_day=960), codes.OUTSIDE_WINDOW),
        (dict(minute_of_day=23 * 60), codes.OUTSIDE_WINDOW),
        (dict(cancelled=True), codes.CUT_CANCELLED),
        (dict(notice_ok=False), codes.NOTICE),
        (dict(minute_of_day=841), codes.TOO_LATE),
    )
    for kw, reason in cases:
        assert run(cut_ready(**kw)) == (policy.CLOSED, reason), kw


def test_window_edges():
    assert run(cut_ready(minute_of_day=480))[0] == policy.OPEN
    assert run(cut_ready(minute_of_day=840))[0] == policy.OPEN   # 2 h left exactly


def test_holiday_eve_only_when_configured():
    cfg = Config({"no_cut_before_holiday": False})
    assert run(cut_ready(holiday_eve=True), cfg)[0] == policy.OPEN


def test_existing_cut_stands_until_window_closes_then_arms():
    s = cut_ready(supply=policy.OPEN, open_reason=codes.NO_CREDIT, minute_of_day=900)
    assert run(s) == (policy.OPEN, codes.NO_CREDIT)
    s.minute_of_day = 960
    assert run(s) == (policy.ARMED, codes.ARMED)


def test_armed_closes_on_press_or_auto_reconnect():
    s = cut_ready(supply=policy.ARMED, credit_left=500)
    assert run(s) == (policy.ARMED, codes.ARMED)
    s.pressed = True
    assert run(s) == (policy.CLOSED, codes.SUPPLY_ON)
    s.pressed = False
    assert run(s, Config({"auto_reconnect": True})) == (policy.CLOSED, codes.SUPPLY_ON)


def test_credit_restored_after_cut_arms():
    s = cut_ready(supply=policy.OPEN, open_reason=codes.NO_CREDIT, credit_left=10)
    assert run(s) == (policy.ARMED, codes.ARMED)


def test_untrusted_clock_arms_an_open_relay():
    s = cut_ready(supply=policy.OPEN, open_reason=codes.NO_CREDIT, trusted=False,
                  clock_code=codes.CLOCK_JUMPED)
    assert run(s) == (policy.ARMED, codes.ARMED)


def test_protected_winter_customer_is_limited_not_cut():
    s = cut_ready(protected=True, winter=True)
    assert run(s) == (policy.LIMITED, codes.LIMITED)
    s.supply = policy.LIMITED
    s.over_limit_s = 30
    assert run(s) == (policy.LIMITED, codes.LIMITED)
    s.over_limit_s = 31
    assert run(s) == (policy.OPEN, codes.LIMITER_TRIP)


def test_limiter_trip_recloses_after_60_s_or_press():
    s = cut_ready(protected=True, winter=True, supply=policy.OPEN,
                  open_reason=codes.LIMITER_TRIP, trip_s=59)
    assert run(s) == (policy.OPEN, codes.LIMITER_TRIP)
    s.trip_s = 60
    assert run(s) == (policy.LIMITED, codes.LIMITED)
    s.trip_s = 5
    s.pressed = True
    assert run(s) == (policy.LIMITED, codes.LIMITED)


def test_limiter_trip_never_at_night():
    s = cut_ready(protected=True, winter=True, supply=policy.LIMITED, over_limit_s=100,
                  minute_of_day=22 * 60)
    assert run(s) == (policy.CLOSED, codes.OUTSIDE_WINDOW)


def test_winter_without_limiter_is_a_plain_hold():
    s = cut_ready(protected=True, winter=True)
    assert run(s, Config({"limiter_watts": 0})) == (policy.CLOSED, codes.WINTER)


def test_winter_alone_does_not_protect_an_unprotected_customer():
    assert run(cut_ready(winter=True))[0] == policy.OPEN


def test_free_supply_overrides_everything():
    assert run(cut_ready(free=True)) == (policy.CLOSED, codes.FREE_SUPPLY)


def test_next_local_boundary():
    cfg = Config()
    assert policy.next_local_boundary(0, cfg) == 420       # 07:00 tariff
    assert policy.next_local_boundary(420, cfg) == 60      # 08:00 window
    assert policy.next_local_boundary(480, cfg) == 361     # 14:01 too late to cut
    assert policy.next_local_boundary(841, cfg) == 119     # 16:00
    assert policy.next_local_boundary(960, cfg) == 360     # 22:00
    assert policy.next_local_boundary(1320, cfg) == 120    # midnight
