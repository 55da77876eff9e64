"""The founding case (RESEARCH.md): ORES, July 2020.

A COVID no-cut registration ended Fri 3 July 2020 at 23:01 local; meters with a date bug cut
households at 23:00 on Thu 2 July, a day early, including some who had done the procedure.
Here: no cut on 2 or 3 July whatever the clock does, and the first cut can only come in the
next allowed window, Monday 6 July 08:00 local.
"""
from meter.core import codes, policy
from coretest import Rig, local_minute

REG_START = local_minute(2020, 3, 18)
REG_END = local_minute(2020, 7, 3, 23, 1)
FIRST_ALLOWED = local_minute(2020, 7, 6, 8, 0)


def household(start):
    rig = Rig(start, balance=-2000)            # ran into friendly credit during the lockdown
    rig.meter.register_nocut(REG_START, REG_END)
    rig.meter.warn_since = local_minute(2020, 6, 1)   # warned long ago
    rig.meter.ec_offer_since = local_minute(2020, 6, 1)   # emergency credit offered, not taken
    rig.step()
    return rig


def at_first_allowed(minute, first):
    """The first cut comes once the proven lower bound of the time has reached the window:
    within a minute after it on this rig (whole-minute steps, an error of a few seconds)."""
    return first <= minute <= first + 1


def first_open(rig, until):
    while rig.minute < until:
        rig.advance(1)
        if rig.meter.supply == policy.OPEN:
            return rig.minute
    return -1


def test_registration_covers_the_nights_and_the_weekend():
    rig = household(local_minute(2020, 7, 2, 12, 0))
    assert rig.meter.reason == codes.REGISTRATION
    assert rig.meter.next_cut(rig.minute) == FIRST_ALLOWED
    assert at_first_allowed(first_open(rig, local_minute(2020, 7, 6, 16, 0)), FIRST_ALLOWED)


def test_no_cut_at_23_00_on_thursday_or_friday():
    rig = household(local_minute(2020, 7, 2, 22, 0))
    seen = rig.advance(26 * 60 + 1)             # to Sat 4 July 00:01
    assert policy.OPEN not in seen
    assert rig.meter.reason == codes.WEEKEND


def test_clock_one_day_ahead_is_not_believed_and_cuts_only_in_the_real_window():
    rig = household(local_minute(2020, 7, 2, 20, 0))
    rig.advance(60)
    rig.rtc_offset = 1440                       # the date jumps a day ahead at 21:00
    rig.advance(1)
    # the proven time comes from the tick counter: the RTC is what is wrong
    assert rig.meter.clock.rtc_code == codes.CLOCK_JUMPED
    assert rig.meter.clock.trusted and rig.meter.clock.error_s < 60
    assert abs(rig.meter.minute - rig.minute) <= 1      # the estimate did not follow the RTC
    assert rig.meter.reason == codes.REGISTRATION
    assert at_first_allowed(first_open(rig, local_minute(2020, 7, 7, 16, 0)), FIRST_ALLOWED)
    events = [code for code, _ in rig.drain()]
    # logged when it starts, then at most once a day while it lasts (this rig never rewrites
    # the RTC; the app does, at once)
    assert 1 <= events.count(codes.CLOCK_JUMPED) <= 5


def test_registration_mis_set_a_day_early_still_cannot_cut_at_night():
    rig = Rig(local_minute(2020, 7, 2, 20, 0), balance=-2000)
    rig.meter.register_nocut(REG_START, local_minute(2020, 7, 2, 23, 0))
    rig.meter.warn_since = local_minute(2020, 6, 1)
    rig.meter.ec_offer_since = local_minute(2020, 6, 1)
    assert first_open(rig, local_minute(2020, 7, 3, 7, 59)) == -1
    # the next allowed window is Friday morning
    assert at_first_allowed(first_open(rig, local_minute(2020, 7, 3, 16, 0)),
                            local_minute(2020, 7, 3, 8, 0))


def test_top_up_after_the_cut_arms_and_press_restores():
    rig = household(local_minute(2020, 7, 6, 7, 58))
    rig.advance(3)
    assert rig.meter.supply == policy.OPEN
    rig.meter.topup(3000)
    assert rig.meter.supply == policy.ARMED
    rig.meter.press()
    assert rig.meter.supply == policy.CLOSED
