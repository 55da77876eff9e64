"""Planning, for the LCD, the console and the event-driven simulator: when the next cut could
come (Meter.next_cut's forward search) and how long until anything the decision or the money
depends on can change (Meter.seconds_to_change).  Meter loads this module for one call and
releases it on a board (meter/overlay.py, issue 11): a meter whose credit is fine never needs
it.  m is the meter.core.meter.Meter; nothing here changes it.
"""
from micropython import const

from meter.core import policy
from meter.core.meter import (AGE_COMMIT_S, CHECKPOINT_S, PROTECT_COLD, PROTECT_CUSTOMER,
                              PROTECT_MEDICAL, PROTECT_WEATHER, LocalDay)

# codes this module gives (meter.core.codes, docs/codes.md), compiled in as constants:
# a board keeps no name for them (issue 11); host_tests/test_codes.py holds each to
# its number in meter.core.codes
_LIMITER_TRIP = const(15)


def search_cut(m, start, limit_days):
    """Meter.next_cut's forward search, once the quick refusals are past."""
    lc = LocalDay(m.cfg)
    sit = policy.Situation()
    # searched on the lower bound's timeline (the interval keeps its width), shown on the
    # estimate's
    clock = m.clock
    lead_s = (m.minute - clock.lo_minute) * 60 + m.second - clock.lo_second
    lead = lead_s // 60
    span = m.span_min()
    t = (start * 60 - lead_s) // 60
    end = t + limit_days * 1440
    while t < end:
        lc.update(t)
        s = m._fill(sit, lc, t, span)
        s.supply = policy.CLOSED
        # protections end on their date (the live step waits for proven time)
        s.medical = s.medical and t < m.protection_end(PROTECT_MEDICAL)
        s.weather = s.weather and t < m.protection_end(PROTECT_WEATHER)
        s.cold = s.cold and t < m.protection_end(PROTECT_COLD)
        s.protected = s.protected and t < m.protection_end(PROTECT_CUSTOMER)
        if policy.cut_hold(s, m.cfg) == 0 and not policy.limiter_applies(s, m.cfg):
            return t + lead
        t += minutes_to_change(m, t, lc.mod, span)
    return -1


def minutes_to_change(m, t, mod, span):
    """Minutes from t (the lower bound; local minute of day mod; hi = t + span) to the
    next instant at which a time-driven input of the policy can change."""
    cfg = m.cfg
    step = policy.next_local_boundary(mod, cfg, span)
    # DST switches happen at 01:00 UTC: re-evaluate then too
    to_one = (60 - t % 1440) % 1440
    if 0 < to_one < step:
        step = to_one
    for target in (m.reg_start - span, m.reg_end, m.cancel_until, m.medical_until,
                   m.weather_until, m.cold_until, m.protected_until):
        if t < target < t + step:
            step = target - t
    for since in (m.warn_since, m.ec_offer_since):
        if since >= 0:
            target = since + cfg.notice
            if t < target < t + step:
                step = target - t
    return step if step > 0 else 1


def seconds_to_change(m, power_w):
    """Seconds from now to the next instant at which the decision or the money can change
    (event-driven simulation jumps there).  Takes the current load into account: charges
    crossing a warning, offer or cut threshold, the limiter timers, the checkpoint."""
    cfg = m.cfg
    clock = m.clock
    best = minutes_to_change(m, clock.lo_minute, m.local_lo.mod,
                                   m.span_min()) * 60 - clock.lo_second
    # the tariff and the standing charge follow the best estimate (m.local), which runs
    # ahead of lo: its switches too, so pulses are charged at the rate they were drawn at
    due = policy.next_local_boundary(m.local.mod, cfg) * 60 - m.second
    if 0 < due < best:
        best = due
    credit = m.credit
    if power_w > 0 and not m.free:
        left = credit.credit_left()
        price = cfg.price_single if cfg.tariff == "single" else (
            cfg.price_night if m.is_night() else cfg.price_day)
        for threshold in (cfg.warn_level_1, cfg.warn_level_2, cfg.emergency_offer_below,
                          cfg.disconnect_threshold):
            if left >= threshold and price > 0:
                # cost units needed to fall below the threshold, then pulses, then seconds
                need = (left - threshold + 1) * cfg.imp_per_kwh * 1000 - credit.frac
                pulses = -(-need // price)
                secs = -(-pulses * 3600000 // (power_w * cfg.imp_per_kwh))
                if 0 < secs < best:
                    best = secs
        due = CHECKPOINT_S - (m.mono_s - m.last_commit_mono)
        short = cfg.imp_per_kwh - m.unsaved_pulses * 10     # tenths of pulses to 0.1 kWh
        if short > 0:
            due = max(due, -(-short * 360000 // (power_w * cfg.imp_per_kwh)))
        if 0 < due < best:
            best = due
        if m.supply == policy.LIMITED and power_w > cfg.limiter_watts > 0:
            due = cfg.limiter_trip_s + 1 - m.over_limit_s
            if 0 < due < best:
                best = due
    if (power_w <= 0 or m.free) and (m.unsaved_pulses * 10 >= cfg.imp_per_kwh or
                                        not clock.trusted):
        # the consumption checkpoint is due at 30 min whatever the load now (without
        # this the simulator jumped past it to the 4,000 s commit once the load stopped,
        # unlike a board, which steps every second: found by the world model)
        due = CHECKPOINT_S - (m.mono_s - m.last_commit_mono)
        if 0 < due < best:
            best = due
    if m.supply == policy.OPEN and m.open_reason == _LIMITER_TRIP:
        due = cfg.limiter_reclose_s - (m.mono_s - m.trip_mono)
        if 0 < due < best:
            best = due
    # the next standing charge: lo entering the next local day
    due = (1440 - m.local_lo.mod) * 60 - clock.lo_second
    if 0 < due < best:
        best = due
    if m.clock.trusted and cfg.clock_drift_ppm > 0:
        # the interval widens by 2 * ppm: when it could pass clock_max_error_s
        due = (cfg.clock_max_error_s - clock.error_s) // (2 * cfg.clock_drift_ppm) * 1000000
        if 0 < due < best:
            best = due
    if m.cold_home:
        due = cfg.cold_hold_min_s - (m.mono_s - m.cold_since)
        if 0 < due < best:
            best = due
    due = AGE_COMMIT_S - (m.mono_s - m.last_commit_mono)
    if 0 < due < best:
        best = due
    return best if best > 0 else 1
