"""Property tests of the no-cut policy and of money conservation (hypothesis), and the sweep of
METER.md §11 over every hour 2000-2099 against independent oracles (zoneinfo, holidays)."""
import datetime
from zoneinfo import ZoneInfo

import holidays
from hypothesis import event, given, settings, strategies as st

from meter.core import codes, policy
from meter.core.clock import to_unix
from meter.core.config import Config
from meter.core.meter import LocalDay
from coretest import Rig, local_minute

BRUSSELS = ZoneInfo("Europe/Brussels")
BE = holidays.country_holidays("BE", years=range(2000, 2101))
NEVER_CUT = (codes.MEDICAL, codes.WEATHER, codes.REGISTRATION, codes.HOLIDAY, codes.WEEKEND)

# Protections are drawn rarely, so that most examples come close to a cut and one broken rule
# shows up among them.
rare = st.integers(0, 5).map(lambda v: v == 0)
usual = st.integers(0, 5).map(lambda v: v != 0)
situations = st.builds(
    dict,
    trusted=usual, credit_left=st.integers(-5000, 5000), free=rare,
    weekday=st.integers(0, 6),
    minute_of_day=st.one_of(st.integers(0, 1439), st.integers(470, 970)), holiday=rare,
    holiday_eve=rare, winter=st.booleans(), registration=rare,
    medical=rare, weather=rare, protected=st.booleans(),
    cancelled=rare, notice_ok=usual, record_lost=rare,
    supply=st.sampled_from([policy.CLOSED, policy.OPEN, policy.ARMED, policy.LIMITED]),
    open_reason=st.sampled_from([codes.NO_CREDIT, codes.LIMITER_TRIP]),
    pressed=st.booleans(), over_limit_s=st.integers(0, 100), trip_s=st.integers(0, 100),
)


def make(d):
    s = policy.Situation()
    for k, v in d.items():
        setattr(s, k, v)
    s.clock_code = 0 if s.trusted else codes.CLOCK_JUMPED
    return s


@settings(max_examples=1500, deadline=None)
@given(situations, st.booleans())
def test_relay_never_opens_when_a_protection_holds(d, before_holiday_rule):
    cfg = Config({"no_cut_before_holiday": before_holiday_rule})
    s = make(d)
    out = policy.Decision()
    policy.decide(s, cfg, out)
    was_open = s.supply in (policy.OPEN, policy.ARMED)
    opens = out.supply == policy.OPEN and not was_open
    night = not (cfg.cut_start <= s.minute_of_day < cfg.cut_end)
    protected_now = (not s.trusted or s.medical or s.weather or s.registration or s.holiday
                     or s.weekday >= 5 or night or s.record_lost
                     or (before_holiday_rule and s.holiday_eve))
    if protected_now:
        assert not opens
        # and a standing cut does not outlast the protection (a limiter trip runs its minute)
        if out.supply == policy.OPEN:
            assert s.supply == policy.OPEN and s.open_reason == codes.LIMITER_TRIP
    if out.supply == policy.OPEN and out.reason == codes.NO_CREDIT:
        assert s.credit_left < cfg.disconnect_threshold and not s.free
        assert not (s.protected and s.winter)   # protected customers get the limiter
        if s.supply != policy.OPEN:
            assert s.notice_ok and not s.cancelled
            assert s.minute_of_day + cfg.topup_margin <= cfg.cut_end
    if s.credit_left >= cfg.disconnect_threshold or s.free:
        assert out.supply != policy.OPEN or out.reason == codes.LIMITER_TRIP


def oracle_cut_allowed(minute, cfg, before_holiday_rule=True):
    """Independent: zoneinfo for local time, the holidays package for Belgium."""
    local = datetime.datetime.fromtimestamp(to_unix(minute), BRUSSELS)
    d = local.date()
    if d in BE or local.weekday() >= 5:
        return False
    nxt = d + datetime.timedelta(days=1)
    while nxt.weekday() >= 5:
        nxt += datetime.timedelta(days=1)
    if before_holiday_rule and nxt in BE:
        return False
    mod = local.hour * 60 + local.minute
    return cfg.cut_start <= mod and mod + cfg.topup_margin <= cfg.cut_end


def test_every_hour_2000_to_2099_agrees_with_the_oracles():
    cfg = Config()
    lc = LocalDay(cfg)
    s = policy.Situation()
    s.trusted = True
    s.clock_code = 0
    s.credit_left = -1
    s.notice_ok = True
    start = 0                      # 2000-01-01 00:00 UTC
    end = local_minute(2099, 12, 31, 23, 0) + 60
    checked = 0
    mismatches = []
    for minute in range(start, end, 60):
        lc.update(minute)
        s.weekday = lc.weekday
        s.minute_of_day = lc.mod
        s.holiday = lc.holiday
        s.holiday_eve = lc.holiday_eve
        ours = policy.cut_hold(s, cfg) == 0
        if ours != oracle_cut_allowed(minute, cfg):
            mismatches.append(minute)
        checked += 1
    assert checked > 876000
    assert mismatches == []


def oracle_night(m, rig):
    """The cheaper rate: untrusted clock, weekends, Belgian holidays, 22:00-07:00 local."""
    if not m.clock.trusted:
        return True
    # billing may use the meter's best estimate (the RTC while it agrees with the proven time)
    local = datetime.datetime.fromtimestamp(to_unix(m.minute), BRUSSELS)
    if local.date() in BE or local.weekday() >= 5:
        return True
    return not (7 <= local.hour < 22)


# --- whole meter under random use -------------------------------------------------------------

advance = st.tuples(st.just("advance"), st.integers(1, 600), st.integers(0, 40))
others = st.one_of(
    st.tuples(st.just("topup"), st.integers(0, 5000)),
    st.tuples(st.just("debt"), st.integers(0, 3000)),
    st.tuples(st.just("emergency")),
    st.tuples(st.just("press")),
    st.one_of(  # clock trouble, as one choice: the RTC goes wrong, the proven time does not
        st.tuples(st.just("jump"), st.integers(-3000, 3000)),
        st.tuples(st.just("fault"), st.sampled_from([codes.RTC_NO_ANSWER, codes.RTC_BAD_DATA])),
        st.tuples(st.just("osf"))),
    st.tuples(st.just("protect"), st.sampled_from(["medical", "weather", "winter"]),
              st.booleans()),
    st.tuples(st.just("register"), st.integers(-2000, 2000), st.integers(0, 5000)),
    st.tuples(st.just("cancel")),
)
# time passing is most of a meter's life: two actions in three are an advance
actions = st.lists(st.integers(0, 2).flatmap(lambda n: others if n == 0 else advance), min_size=4, max_size=40)


@settings(max_examples=300, deadline=None)
@given(st.integers(2001, 2099), st.integers(1, 360), st.integers(0, 23),
       st.integers(-3000, 3000), actions, st.booleans())
def test_meter_never_cuts_when_forbidden_and_money_is_conserved(year, yday, hour, balance, acts,
                                                                dual):
    # the start is drawn field by field so that every weekday and hour comes up
    start = local_minute(year, 1, 1, hour) + (yday - 1) * 1440
    rig = Rig(start, {"tariff": "dual" if dual else "single", "notice": 30}, balance=balance)
    opened = []
    m = rig.meter
    c = m.credit
    opening = c.balance
    expected_cost = 0          # in cost units, from the tariff the oracle says applies
    cfg = rig.cfg

    def check_step(before_supply):
        if m.supply == policy.OPEN and before_supply != policy.OPEN:
            opened.append(rig.minute)
            assert m.open_reason == codes.NO_CREDIT or m.open_reason == codes.LIMITER_TRIP
            assert m.clock.trusted, "opened on an untrusted clock"
            # judged at the TRUE time, whatever the RTC reads (docs/clock.md)
            true_minute = rig.minute
            assert oracle_cut_allowed(true_minute, cfg) or m.open_reason == codes.LIMITER_TRIP
            assert not (m.reg_start <= true_minute < m.reg_end)
            assert not m.medical and not m.weather
        assert c.balance - opening == (c.topped_up - c.debt_recovered - c.energy_charged
                                       - c.standing_charged)

    for act in acts:
        before = m.supply
        kind = act[0]
        if kind == "advance":
            for _ in range(act[1] // 10 + 1):
                # pulses are charged at the rate in force at the step before the one that sees
                # them: they were drawn since then (the first step after boot: its own rate)
                night = oracle_night(m, rig) if m.started else None
                rig.minute += 10
                rig.mono += 600
                before = m.supply
                m.step(rig.status, rig.osf, rig.minute + rig.rtc_offset, 0, rig.mono, act[2])
                if night is None:
                    night = oracle_night(m, rig)
                if cfg.tariff == "single":
                    price = cfg.price_single
                else:
                    price = cfg.price_night if night else cfg.price_day
                expected_cost += act[2] * price
                check_step(before)
        elif kind == "topup":
            m.topup(act[1])
        elif kind == "debt":
            c.add_debt(act[1])
        elif kind == "emergency":
            m.accept_emergency()
        elif kind == "press":
            m.press()
        elif kind == "jump":
            rig.rtc_offset += act[1]
            rig.step()
        elif kind == "fault":
            rig.status = act[1]
            rig.step()
        elif kind == "osf":
            rig.osf = True
            rig.step()
        elif kind == "protect":
            m.set_protect(act[1], act[2])
        elif kind == "register":
            m.register_nocut(rig.minute + act[1], rig.minute + act[1] + act[2])
        elif kind == "cancel":
            m.cancel_cut()
        check_step(before)
    unit = cfg.imp_per_kwh * 1000
    assert c.energy_charged * unit + c.frac == expected_cost
    event("relay opened: %s" % bool(opened))
