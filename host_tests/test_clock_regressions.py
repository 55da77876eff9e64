"""Issue 8's clock bugs, each reproduced on the simulator (in-process) and judged against the
TRUE time of the simulated world (start + virtual elapsed time), never the meter's belief.
Oracles: zoneinfo (Europe/Brussels) and the `holidays` package (Belgium).  docs/clock.md."""
import datetime
import json
from zoneinfo import ZoneInfo

import holidays
import pytest

import sim as simmod
import vend

BRUSSELS = ZoneInfo("Europe/Brussels")
BE = holidays.country_holidays("BE", years=range(2020, 2031))
parse = simmod.isotime.parse_iso_utc
iso = simmod.isotime.iso_utc


def cut_allowed_at(utc):
    """May supply be off for lack of credit at this true instant (08:00-16:00 local on a working
    day that is neither a public holiday nor the working day before one)?"""
    local = datetime.datetime.fromtimestamp(utc, BRUSSELS)
    day = local.date()
    if local.weekday() >= 5 or day in BE:
        return False
    nxt = day + datetime.timedelta(days=1)
    while nxt.weekday() >= 5:
        nxt += datetime.timedelta(days=1)
    if nxt in BE:
        return False
    return 8 * 60 <= local.hour * 60 + local.minute < 16 * 60


class World:
    """A simulated meter and the true time of its world."""

    def __init__(self, tmp_path, start, name="state"):
        self.start = parse(start)
        self.sim = simmod.Simulator(self.start, {}, str(tmp_path / name))
        self.cuts = []               # true instants at which supply was seen off for no credit

    def close(self):
        self.sim.close()

    def true_utc(self):
        return self.start + self.sim.clock.ms // 1000

    def ask(self, line):
        out = json.loads(self.sim.handle(line))
        if "clock" in out:
            self.judge(out)
        return out

    def judge(self, out):
        now = self.true_utc()
        clock = out["clock"]
        if clock.get("lo") is not None:
            assert parse(clock["lo"]) <= now, ("lower bound after the true time", clock, iso(now))
        if clock.get("hi") is not None:
            assert now <= parse(clock["hi"]), ("upper bound before the true time", clock, iso(now))
        if out["supply"] == "off" and out["reason"] == "no_credit":
            assert cut_allowed_at(now), "cut at %s real time (meter: %s)" % (
                datetime.datetime.fromtimestamp(now, BRUSSELS), clock["local"])
            self.cuts.append(now)

    def token(self, *args, ahead_s=0, challenge=False):
        """Vends a native token issued at the true time (+ ahead_s) and types it; challenge:
        a set-time token for the TIME CODE the meter shows."""
        args = list(args)
        if challenge:
            args += ["--challenge", self.ask("status")["clock"]["challenge"]]
        digits = vend.vend_native(args + ["--at", iso(self.true_utc() + ahead_s)])
        return self.ask("token %s" % digits)

    def run(self, seconds, chunk=600, each=None):
        """Advances in chunks, judging the state after each."""
        while seconds > 0:
            dt = min(chunk, seconds)
            out = self.ask("advance %d" % dt)
            if each is not None:
                each(dt)
            seconds -= dt
        return out

    def power_cycle(self, off_s, rtc_jump_s=0):
        """The controller loses power for off_s; the RTC (on its battery) keeps counting and,
        if asked, is moved by rtc_jump_s meanwhile (a wrong clock, or a household at it)."""
        sim = self.sim
        sim.fs.reboot()
        sim.clock.advance_ms(off_s * 1000)
        if rtc_jump_s:
            sim.rtc.set_utc(sim.rtc.utc() + rtc_jump_s)
        sim.app = sim._new_app()
        sim.app.boot()
        return self.ask("status")


@pytest.fixture
def world(tmp_path):
    made = []

    def make(start, name="state"):
        w = World(tmp_path, start, name)
        made.append(w)
        return w
    yield make
    for w in made:
        w.close()


# --- a new meter starts untrusted at second > :10 -------------------------------------------

@pytest.mark.parametrize("second", [11, 37, 59])
def test_new_meter_is_trusted_whatever_the_second(world, second):
    w = world("2026-11-28T12:00:%02dZ" % second)
    out = w.ask("status")
    assert out["clock"]["trusted"] is True, out["clock"]
    assert out["clock"]["utc"] == "2026-11-28T12:00:%02dZ" % second
    assert out["clock"]["error_s"] <= 5
    out = w.ask("advance 3600")
    assert out["clock"]["trusted"] is True
    # the clock page (D) shows trust and the error bound
    out = w.ask("key D")
    assert out["lcd"][0].rstrip() == "CLOCK OK +-%dS" % out["clock"]["error_s"], out["lcd"]


# --- a stale set-time token moves the clock back -----------------------------------------------

def test_stale_set_time_token_is_refused_and_no_cut_on_saturday(world):
    w = world("2026-12-02T09:00:00Z")           # Wednesday 10:00 local
    w.ask("load 1500")
    wednesday = vend.vend_native(["settime", "--at", iso(w.true_utc() + 300)])
    w.run(600)
    w.ask("rtc fault osf")                       # the clock goes doubtful
    w.run(2 * 86400 - 600, chunk=3600)           # Friday 10:00 local, real
    out = w.ask("token %s" % wednesday)
    assert out["result"] != "accepted" or out["clock"]["trusted"] is False
    est = parse(out["clock"]["utc"])
    assert abs(est - w.true_utc()) <= 300, "the clock went back to %s" % out["clock"]["utc"]
    # through Saturday and Sunday (real): the judge refuses any cut
    w.run(2 * 86400, chunk=600)


# --- drift accumulates without bound ---------------------------------------------------------

def test_a_fast_rtc_never_makes_a_cut_before_the_real_window(world):
    w = world("2026-08-24T10:00:00Z")           # Monday
    w.ask("protect medical on")                  # no cut while the drift builds up
    w.ask("load 1500")
    chip = w.sim.rtc.chip
    acc = [0]

    def fast(dt):                                # the RTC gains 110 s a day
        acc[0] += dt * 110
        whole = acc[0] // 86400
        if whole:
            acc[0] -= whole * 86400
            chip.advance(whole)

    w.run(59 * 86400, chunk=6 * 3600, each=fast)
    w.ask("protect medical off")
    w.run(5 * 86400, chunk=600, each=fast)
    assert w.cuts, "the meter never cut: the test would prove nothing"


# --- a jump while the controller is off is believed ------------------------------------------

def test_rtc_jump_while_off_is_not_believed(world):
    w = world("2026-11-29T12:00:00Z")           # Sunday
    w.ask("load 1500")
    w.run(86400 + 5 * 3600, chunk=1800)          # Monday 18:00 local: credit gone, notice over
    out = w.ask("button")                        # after the day's cut: supply back on
    assert out["balance"] < 0 and out["supply"] == "on"
    # off for ten minutes; meanwhile the RTC moves 16 hours ahead (Tuesday 10:10 local)
    out = w.power_cycle(600, rtc_jump_s=16 * 3600)
    assert out["relay"] == "closed"
    w.run(86400, chunk=600)                      # to Tuesday 19:10 local, judged


# --- trust comes back on a fast RTC ----------------------------------------------------------

def test_vending_token_on_a_fast_rtc_cuts_only_in_the_real_window(world):
    w = world("2026-11-28T12:00:00Z")           # Saturday
    w.ask("load 1500")
    w.run(42 * 3600, chunk=1800)                 # Monday 07:00 local: credit gone, notice over
    out = w.ask("rtc set %s" % iso(w.true_utc() + 14 * 60))   # the RTC 14 minutes fast
    out = w.token("credit", "0.01")
    assert out["result"] == "accepted"
    w.run(28 * 3600, chunk=300)                  # to Tuesday 11:00 local, judged
    assert w.cuts, "the meter never cut: the test would prove nothing"
    assert min(w.cuts) >= parse("2026-11-30T07:00:00Z")


# --- a normal top-up loses trust ---------------------------------------------------------------

def test_set_time_then_a_prompt_top_up_keeps_trust(world):
    w = world("2026-11-30T09:00:00Z")
    w.ask("advance 50")
    out = w.token("settime", ahead_s=-50)        # vended at 09:00:00, typed at 09:00:50
    assert out["result"] == "accepted" and out["clock"]["trusted"] is True
    assert abs(parse(out["clock"]["utc"]) - w.true_utc()) <= 2   # written to the second
    w.ask("advance 20")
    out = w.token("credit", "5.00")              # typed promptly, issued in the next minute
    assert out["result"] == "accepted"
    out = w.ask("advance 60")
    assert out["clock"]["trusted"] is True, out["clock"]
    assert abs(parse(out["clock"]["utc"]) - w.true_utc()) <= out["clock"]["error_s"]


def test_tokens_issued_two_minutes_ahead_keep_trust(world):
    w = world("2026-11-30T09:00:40Z")
    out = w.token("credit", "5.00", ahead_s=120)
    assert out["result"] == "accepted"
    out = w.ask("advance 60")
    assert out["clock"]["trusted"] is True, out["clock"]


# --- a future-dated token poisons the floor ------------------------------------------------

def test_future_dated_token_does_not_block_a_real_set_time(world):
    w = world("2026-11-30T09:00:00Z")
    out = w.token("credit", "5.00", ahead_s=25 * 60)   # vended 25 minutes in the future
    assert out["result"] == "accepted"
    w.ask("advance 120")
    out = w.token("settime")                     # the real time: not refused as old
    assert out["result"] == "accepted", out
    assert w.true_utc() >= parse(out["clock"]["lo"])
    w.ask("advance 60")
    out = w.token("settime", challenge=True)     # the real time, for the TIME CODE shown
    assert out["result"] == "accepted", out
    assert out["clock"]["trusted"] is True
    assert abs(parse(out["clock"]["utc"]) - w.true_utc()) <= out["clock"]["error_s"]


# --- clockfix: weak vending times, kept-back set-time tokens, an RTC seen out of rate -------

def test_a_vending_office_ahead_never_raises_lo_past_the_true_time(world):
    w = world("2026-11-30T07:50:00Z")
    w.ask("rtc fault osf")                       # an unvouched off period: hi unbounded
    w.ask("reboot 600")
    w.ask("rtc fault nobus")                     # and no RTC to weigh the token against
    out = w.token("credit", "5.00", ahead_s=10 * 60)   # the office's clock 10 minutes ahead
    assert out["result"] == "accepted"
    assert parse(out["clock"]["lo"]) <= w.true_utc()   # World.judge checks it on each reply
    out = w.token("settime")                     # the real time: accepted, lo still below
    assert out["result"] == "accepted", out


def test_a_kept_back_set_time_token_does_not_set_an_earlier_day(world):
    # July 2020: a set-time token kept, the plug pulled (oscillator stopped), typed a day later
    w = world("2026-11-30T09:00:00Z")
    kept = vend.vend_native(["settime", "--at", iso(w.true_utc())])
    w.ask("rtc fault stop")
    w.ask("reboot 86400")
    w.ask("rtc fault none")
    out = w.ask("token %s" % kept)               # judged: hi never before the true time
    assert out["clock"]["hi"] is None or parse(out["clock"]["hi"]) >= w.true_utc()
    assert out["clock"]["trusted"] is False
    out = w.token("settime", challenge=True)     # the vending office, for the code shown
    assert out["result"] == "accepted" and out["clock"]["trusted"] is True, out


def test_an_rtc_seen_at_half_speed_does_not_bound_a_later_off_period(world):
    w = world("2026-11-30T09:00:00Z")
    w.ask("rtc drift -500000")                   # half speed, seen while powered
    w.run(3600, chunk=60)
    w.ask("reboot")
    w.ask("reboot 172800")                       # two days off: the RTC counts one
    out = w.ask("status")                        # World.judge: hi not before the true time
    assert out["clock"]["hi"] is None or parse(out["clock"]["hi"]) >= w.true_utc()
