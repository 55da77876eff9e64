"""Power cycles lose no money (issue 8): the simulated meter at 3 kW, its controller
power-cycled every 29 minutes for days, charged against an independent computation of the
energy the simulated load really drew, priced by the TRUE local time of the simulated world
(zoneinfo, `holidays`: tools/exploit_rigs.Oracle), never by what the meter believes."""
import exploit_rigs as rigs
import sim as simmod
from meter.core import calendar
from meter.core import isotime

START = "2026-11-30T06:10:00Z"          # a Monday morning in Brussels


def check(result, max_writes_per_day):
    oracle = result["oracle"]
    m = result["meter"]
    days = result["days"]
    # the household gains at most 0.1 kWh a day from the cycling (and never pays for energy
    # it did not draw)
    gained_wh = oracle.wh() - m.credit.energy_total_wh()
    assert -1 <= gained_wh <= 100 * days, (oracle.wh(), m.credit.energy_total_wh())
    assert m.credit.standing_charged == oracle.standing()
    owed = oracle.energy_cost() + oracle.standing()
    # whole minor units leave the balance, the fraction stays in the meter
    assert owed - 0.1 * 32 * days - 1 <= result["charged"] <= owed + 1, (owed, result["charged"])
    # (one of the writes is the top-up's own commit)
    assert (result["writes"] - 1) / days <= max_writes_per_day


def test_power_cycling_every_29_minutes_makes_nothing_free(tmp_path):
    """Regression (issue 8): a checkpoint needed 30 min since the last commit and every boot
    committed, so cycling every 29 min charged 0.30 EUR a day instead of 17.22 at 3 kW."""
    result = rigs.power_cycles(START, 29 * 60, 4, state_dir=str(tmp_path / "state"))
    assert result["cycles"] > 190
    check(result, 48)


def test_power_cycling_every_5_minutes(tmp_path):
    result = rigs.power_cycles(START, 5 * 60, 2, state_dir=str(tmp_path / "state"))
    check(result, 48)


def test_standing_charges_survive_the_first_power_cut_after_provisioning(tmp_path):
    """Regression (issue 8): provisioning stored charged_day = -1, so the first power cut
    after it lost every standing charge taken since."""
    sim = simmod.Simulator(isotime.parse_iso_utc(START), {}, str(tmp_path / "state"))
    try:
        # a local midnight, no load, no token: nothing commits before Tuesday 07:00 local (the
        # first possible cut, which would commit, is at 08:00)
        sim.advance(86400 - 600)
        assert sim.app.meter.credit.standing_charged == 30
        sim.reboot()
        sim.advance(60)
        assert sim.app.meter.credit.standing_charged == 30
        assert sim.app.meter.credit.balance == -30
    finally:
        sim.close()
