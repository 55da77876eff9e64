"""The world the meter lives in, and what it must never do in it (issue 8, item 5).

`World` drives the REAL app through the simulator's console (tools/sim.py, in-process) and
judges every reply and every relay movement against the TRUE time of the simulated world and
independent oracles: CPython zoneinfo (Europe/Brussels) and the `holidays` package (Belgium).
Nothing here asks the firmware's calendar, policy or clock what is allowed; the model keeps its
own small state (the true time, the tokens it saw accepted, the lock it was shown, the load).

Invariants (each breach is one violation, with the console lines that led to it):
  cut        the relay opens only at a true instant inside the window: Mon-Fri, not a Belgian
             public holiday nor the working day before one, 08:00 local or later with >= 2 h
             left before 16:00 (minute resolution, as the rule is written), after a warning
             shown for >= 24 h of true time (60 s slack: the meter counts minutes), not on a
             day of the no-cut registration in force, not later on a day a reconnect token
             was accepted (on a trusted clock);
  clock      no cut while the clock's error is unbounded (`clock.error_s` null; without that
             field: an untrusted clock), and the true time lies in [clock.lo, clock.hi]
             whenever those are reported;
  balance    the balance rises only by accepted credit tokens, or at a reboot by at most the
             energy not yet committed (max(0.1 kWh, the last 31 min of load) at the day price;
             standing charges are never lost);
  lockout    a lock the meter announced (lockout_s) holds for that long in true time: no token
             is judged before it ends, and the announcement never shrinks faster than time;
  settime    a set-time token vended at the true time is accepted (a future-dated token once
             accepted must not make the real time look "old");
  undo       a cut can be undone: a credit token (or else a reconnect token, or either after
             a set-time token) vended for this meter at the true time is accepted and the relay
             closes at the button, after at most twice the lock cap's wait (checked in a copy of
             the world when the relay is open, and at the end of every run);
  console    every request gets one line of JSON with ok true/false, and no exception.

A token dated in the future (a vending clock ahead of the world, even by seconds: the office
issues the minute it is in) is an authenticated lie: while
one is in force (until a set-time token for the true time is accepted), the checks that depend
on the meter knowing the time (window, notice, registrations, [lo, hi]) are not applied; the
others are.
"""
import copy
import json
import math
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays

import sim as simmod
import simparts
import vend

BRUSSELS = ZoneInfo("Europe/Brussels")
BE = holidays.country_holidays("BE", years=range(2020, 2101))
UTC = timezone.utc
DEV_SERIAL = simmod.DEV_SERIAL
OTHER_SERIAL = DEV_SERIAL + 1
DAY_MS = 86400 * 1000

# the configuration the oracle assumes (the simulator's defaults; checked at start)
CUT_START = 8 * 60
CUT_END = 16 * 60
MARGIN = 120
NOTICE_MS = DAY_MS
NOTICE_SLACK_MS = 60 * 1000
PRICE_MAX = 32000                       # thousandths of a cent per kWh (day rate)
STANDING = 30
LOCK_SLACK_MS = 2000
LOCK_WAIT_MAX_S = 2 * 30720 + 120       # twice the configured cap: a household can wait that
REPLAY_SLOTS = 32                       # docs/tokens.md "Replay window"
WORLD_CONFIG = {"cut_start": CUT_START, "cut_end": CUT_END, "topup_margin": MARGIN,
                "notice": NOTICE_MS // 60000, "no_cut_before_holiday": True,
                "price_day": PRICE_MAX, "standing_charge": STANDING, "tz_std_minutes": 60,
                "tz_eu_dst": True, "disconnect_threshold": 0, "protected_customer": False,
                "limiter_always": False, "extra_holidays": []}


def iso(t):
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text):
    return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())


def local(t):
    return datetime.fromtimestamp(t, BRUSSELS)


def window_problem(t):
    """None when a cut for lack of credit may start at true UTC second t, else why not."""
    lt = local(t)
    d = lt.date()
    if lt.weekday() >= 5:
        return "weekend: %s local" % lt.isoformat()
    if d in BE:
        return "holiday: %s (%s local)" % (BE.get(d), lt.isoformat())
    nxt = d + timedelta(days=1)
    while nxt.weekday() >= 5:
        nxt += timedelta(days=1)
    if nxt in BE:
        return "eve: working day before the holiday %s (%s local)" % (BE.get(nxt), lt.isoformat())
    mod = lt.hour * 60 + lt.minute
    if mod < CUT_START:
        return "early: before 08:00 (%s local)" % lt.isoformat()
    if mod + MARGIN > CUT_END:
        return "late: less than 2 h before 16:00 (%s local)" % lt.isoformat()
    return None


# --- the simulated world, observed from the hardware side --------------------------------

def _no_disk():
    """The simulated flash stays in memory: the world never restarts from the directory."""


class RecordingRelay(simparts.SimRelay):
    """The relay contacts, with the TRUE instant of every movement and what the meter showed
    then (its clock, how long its low-credit warning had been shown)."""

    def __init__(self, world_sim, state):
        simparts.SimRelay.__init__(self)
        self.state = state
        self.owner = world_sim
        self.moves = []

    def request(self, closed, now_ms):
        if closed != self.state:
            o = self.owner
            clock = None
            try:
                clock = o.app.status()["clock"]
            except Exception as e:              # recorded, judged by the checker
                clock = {"error": repr(e)}
            reason = getattr(o.app.meter, "reason", None)
            self.moves.append({"ms": o.world_ms(), "closed": closed, "clock": clock,
                               "warn_ms": o.leds.warn_ms, "reason": reason})
        simparts.SimRelay.request(self, closed, now_ms)


class RecordingLeds(simparts.SimLeds):
    """The indicators, noting when the low-credit warning started being shown (true time)."""

    def __init__(self, world_sim):
        simparts.SimLeds.__init__(self)
        self.owner = world_sim
        self.warn_ms = None

    def set(self, supply, alert):
        simparts.SimLeds.set(self, supply, alert)
        o = self.owner
        level = o.app.meter.warn_level
        if level > 0 and self.warn_ms is None:
            self.warn_ms = o.world_ms()
        elif level == 0:
            self.warn_ms = None


class TextLCD:
    """The LCD as the text the app wrote (the display code runs; the HD44780 protocol decoding
    of tools/fakelcd, a fifth of the run's time, does not: tests of the screen itself live
    elsewhere, the world model judges money and time)."""

    def __init__(self):
        self._lines = [" " * 16, " " * 16]

    def write_line(self, row, text):
        self._lines[row] = text

    def line(self, row):
        return self._lines[row]

    @property
    def lines(self):
        return list(self._lines)


class WorldSim(simmod.Simulator):
    def __init__(self, start_utc):
        self.reboots = 0
        self.off_at = []
        self.leds = None
        simmod.Simulator.__init__(self, start_utc, {}, None)
        self.fs.flush = _no_disk
        self.leds = RecordingLeds(self)
        self.hw.leds = self.leds
        if self.app.meter.warn_level > 0:
            self.leds.warn_ms = self.world_ms()
        self.hw.relay = RecordingRelay(self, self.hw.relay.state)
        self.hw.lcd = TextLCD()

    def reboot(self, off_ms=2000, rtc_at=None):
        self.reboots += 1
        self.off_at.append(self.world_ms())     # the true instant the power went
        simmod.Simulator.reboot(self, off_ms, rtc_at)


class Vendor:
    """The utility's vending office: tools/vend.py in-process (development key, no journal:
    the model keeps its own list of the minutes it issued)."""

    def token(self, argv, serial, at_utc):
        return vend.vend_native(list(argv) + ["--serial", str(serial), "--at", iso(at_utc)],
                                quiet=True)


VENDOR = Vendor()


# --- the checker ------------------------------------------------------------------------

class World:
    def __init__(self, start_utc, honest_vending=False):
        self.start_utc = start_utc
        self.honest_vending = honest_vending
        self.sim = WorldSim(start_utc)
        self.log = []                 # (line, meta): replaying them rebuilds this world
        self.violations = []          # (kind, detail, index in log)
        self.load_changes = [(self.sim.world_ms(), 0)]
        self.lock_until_ms = 0
        self.lie = False              # an accepted token was dated in the future
        self.vended = set()           # issue minutes used for this meter
        self.accepted = []            # issue minutes of accepted tokens for this meter
        self.nocut_days = set()       # local dates of the accepted no-cut registration
        self.reconnect_days = set()   # true local dates on which a reconnect was accepted
        self.entry_dirty = False
        self.drift_ppm = 0            # what `rtc drift` last set
        self.trusted_steps = 0
        self.replies = 0
        self.reasons = {}             # supply reason -> replies (how the runs spend their time)
        self.moves_seen = 0
        self.cuts = 0
        self.undo_checks = 0
        self._credited = 0            # credit accepted by the request being judged
        cfg = json.loads(self.sim.handle("config"))
        for k, v in WORLD_CONFIG.items():
            if cfg.get(k) != v:
                raise AssertionError("the oracle assumes %s=%r, the simulator has %r"
                                     % (k, v, cfg.get(k)))
        self.status = self._ask("status")
        self.balance = self.status["balance"]

    # --- talking to the meter ---

    def now_ms(self):
        return self.sim.world_ms()

    def violate(self, kind, detail):
        self.violations.append((kind, detail, len(self.log)))

    def _ask(self, line):
        """One request; -> the reply object (or {} when the console broke its promise)."""
        try:
            raw = self.sim.handle(line)
        except Exception as e:
            self.violate("console/raised", "%r raised %s: %s" % (line[:60], type(e).__name__, e))
            return {}
        if not isinstance(raw, str) or "\n" in raw:
            self.violate("console/lines", "%r: reply is not one line: %r" % (line[:60], raw))
            return {}
        try:
            out = json.loads(raw)
        except ValueError:
            self.violate("console/json", "%r: reply is not JSON: %r" % (line[:60], raw[:80]))
            return {}
        if not isinstance(out, dict) or not isinstance(out.get("ok"), bool):
            self.violate("console/ok", "%r: reply without ok true/false: %r" % (line[:60], raw[:80]))
            return {}
        if out["ok"] is False and not (isinstance(out.get("error"), str) and out["error"]):
            self.violate("console/error", "%r: ok false without an error text" % line[:60])
        return out

    def send(self, line, meta=None):
        """Sends one console line and checks everything that must hold after it."""
        self.log.append((line, meta))
        before_ms = self.now_ms()
        reboots = self.sim.reboots
        reply = self._ask(line)
        if isinstance(line, str) and line.startswith("key "):
            self.entry_dirty = True
        if meta is not None and meta.get("token"):
            if meta["serial_ok"]:
                self.vended.add(meta["issue_ms"] // 60000)
            self._token_result(meta, reply, before_ms)
        self._judge_moves()
        st = reply if "clock" in reply and "balance" in reply else self._ask("status")
        if st:
            self.status = st
            self.replies += 1
            if (st.get("clock") or {}).get("trusted"):
                self.trusted_steps += 1
            r = st.get("reason")
            self.reasons[r] = self.reasons.get(r, 0) + 1
            self._check_status(st, meta, reply, reboots)
        if isinstance(line, str) and line.startswith("rtc drift ") and reply.get("ok"):
            self.drift_ppm = int(line.split()[2])
        if isinstance(line, str) and line.startswith("load ") and reply.get("ok"):
            self.load_changes.append((self.now_ms(), int(line.split()[1])))
        if isinstance(line, str) and line.startswith("advance ") and reply.get("ok") and \
                int(line.split()[1]) > 30:
            self.entry_dirty = False              # the entry times out after 30 s
        return reply

    # --- tokens ---

    def free_minute(self, minute):
        """The vending office never issues two tokens for one meter in the same minute: it
        takes the next free one (an honest office, one before: never a minute still to come)."""
        step = -1 if self.honest_vending else 1
        while minute in self.vended:
            minute += step
        return minute

    def vend(self, kind, issue_ms, serial=DEV_SERIAL, amount=None, nocut=None, challenge=None):
        """-> (console line, meta) for a token vended at issue_ms (true ms since 1970)."""
        minute = issue_ms // 60000
        if serial == DEV_SERIAL:
            minute = self.free_minute(minute)
            self.vended.add(minute)
        at = minute * 60
        argv = {"credit": ["credit", "%d.%02d" % divmod(amount or 0, 100)],
                "reconnect": ["reconnect"], "cancel": ["cancel-cut"], "settime": ["settime"],
                "emergency": ["emergency", "--amount", "%d.%02d" % divmod(amount or 0, 100)],
                "clear": ["clear"]}.get(kind)
        if kind == "nocut":
            start, days = nocut
            first = (datetime.fromtimestamp(at, UTC).date() + timedelta(days=start))
            argv = ["nocut", "--start", first.isoformat(), "--days", str(days)]
            nocut = (first, days)
        if kind == "settime" and challenge is not None:
            argv = argv + ["--challenge", str(int(challenge))]
        digits = VENDOR.token(argv, serial, at)
        meta = {"token": kind, "issue_ms": at * 1000, "serial_ok": serial == DEV_SERIAL,
                "amount": amount, "nocut": nocut, "challenge": challenge is not None}
        return "token " + digits, meta

    def fresh_minute(self):
        """A minute no token for this meter was issued in yet: the present one, or later."""
        while (self.now_ms() // 60000) in self.vended:
            self.send("advance 60")
        return self.now_ms()

    def type_token(self, line, meta):
        if self.entry_dirty:
            self.send("key " + "*" * 21)          # the household clears its typo first
            self.entry_dirty = False
        reply = self.send(line, meta)
        self.entry_dirty = False
        return reply

    def _token_result(self, meta, reply, at_ms):
        result = reply.get("result")
        if result is None and "power failed" in str(reply.get("error")):
            # the commit may have landed before the power went: the credit may count
            if meta["serial_ok"] and meta["token"] == "credit":
                self._credited += meta["amount"]
            if meta["serial_ok"] and meta["issue_ms"] > at_ms:
                self.lie = True       # a token from a vending clock ahead may have landed
            return
        if at_ms < self.lock_until_ms - LOCK_SLACK_MS and result not in ("locked", None):
            self.violate("lockout/judged", "a token was judged (%s) %d s before the lock shown ended"
                         % (result, (self.lock_until_ms - at_ms) // 1000))
        if result == "invalid" and isinstance(reply.get("value"), int) and reply["value"] > 0:
            self.lock_until_ms = max(self.lock_until_ms, at_ms + reply["value"] * 1000)
        kind = meta["token"]
        minute = meta["issue_ms"] // 60000
        if not meta["serial_ok"]:
            if result == "accepted":
                self.violate("token/other-meter", "a token for another meter was accepted")
            return
        # vended at the true time: in the minute the world is in (judged now, not by the caller)
        fresh = kind == "settime" and at_ms - 60000 < meta["issue_ms"] <= at_ms
        # only a challenge set-time token (made for the code the meter shows) can undo an
        # accepted lie: a plain one is a lower bound only, refused when it ends before a lo
        # that a set-time token from a vending clock ahead raised (docs/clock.md)
        undoes = fresh and meta.get("challenge", False)
        if fresh and result != "accepted" and (undoes or not self.lie):
            newer = sum(1 for m in self.accepted if m > minute)
            if result != "locked" and not (result == "old" and newer >= REPLAY_SLOTS):
                self.violate("settime/" + str(result), "a set-time token vended at the true time %s was %s"
                             % (iso(meta["issue_ms"] // 1000), result))
        if result != "accepted":
            return
        self.accepted.append(minute)
        if meta["issue_ms"] > at_ms:
            self.lie = True           # issued after the instant it was typed: a clock ahead
        if undoes:
            self.lie = False
        if kind == "credit":
            self._credited += meta["amount"]
        elif kind == "nocut":
            # one registration at a time: a newer one replaces it (the utility may shorten it)
            first, days = meta["nocut"]
            self.nocut_days = set(first + timedelta(days=i) for i in range(days))
        elif kind == "reconnect" and self.status.get("clock", {}).get("trusted"):
            # (judged only when the meter knew the day: "today" is the meter's)
            self.reconnect_days.add(local(at_ms // 1000).date())

    # --- cuts ---

    def _judge_moves(self):
        moves = self.sim.hw.relay.moves
        while self.moves_seen < len(moves):
            mv = moves[self.moves_seen]
            self.moves_seen += 1
            if not mv["closed"]:
                self.cuts += 1
                self._judge_cut(mv)

    def _judge_cut(self, mv):
        t = mv["ms"] // 1000
        when = "cut at %s (true), meter said %s" % (iso(t), (mv["clock"] or {}).get("utc"))
        clock = mv["clock"] or {}
        if "error" in clock:
            self.violate("console/status", "status failed at a cut: %s" % clock["error"])
        elif "error_s" in clock:
            if clock["error_s"] is None:
                self.violate("clock/unbounded", when + ": the clock's error was unbounded")
        elif not clock.get("trusted"):
            self.violate("clock/untrusted", when + ": the clock was not trusted")
        if self.lie:
            return
        why = window_problem(t)
        if why:
            self.violate("cut/" + why.split(":")[0], when + ": " + why)
        if mv["warn_ms"] is None:
            self.violate("cut/no-warning", when + ": no low-credit warning was being shown")
        elif mv["ms"] - mv["warn_ms"] < NOTICE_MS - NOTICE_SLACK_MS:
            self.violate("cut/notice", when + ": the warning had been shown for only %.2f h"
                         % ((mv["ms"] - mv["warn_ms"]) / 3600000.0))
        d = local(t).date()
        if d in self.nocut_days:
            self.violate("cut/registered", when + ": %s is a registered no-cut day" % d)
        if d in self.reconnect_days:
            self.violate("cut/reconnected", when + ": a reconnect token was accepted earlier that day")

    # --- after every request ---

    def _energy_allowance(self, off_ms=None):
        """Cents a reboot may hand back: charges not yet committed (see module doc), judged
        at the instant the power went (off_ms), not after the time it stayed off: the soak
        found the window of a 3-day outage past the load it had to cover."""
        now = self.now_ms() if off_ms is None else off_ms
        since = now - 31 * 60 * 1000
        watts = 0
        for t, w in self.load_changes:
            if t <= since:
                watts = w
            else:
                watts = max(watts, w)
        kwh = max(0.1, watts * 31 * 60 / 3.6e6)
        return int(math.ceil(kwh * PRICE_MAX / 1000.0)) + 1

    def _check_status(self, st, meta, reply, reboots_before):
        now = self.now_ms()
        clock = st.get("clock") or {}
        lo, hi = clock.get("lo"), clock.get("hi")
        if not self.lie and (lo is not None or hi is not None):
            try:
                if lo is not None and parse_iso(lo) * 1000 > now + 1000:
                    self.violate("clock/lo", "clock.lo %s is after the true time %s" % (lo, iso(now // 1000)))
                if hi is not None and parse_iso(hi) * 1000 + 1000 < now:
                    self.violate("clock/hi", "clock.hi %s is before the true time %s" % (hi, iso(now // 1000)))
            except (TypeError, ValueError):
                self.violate("console/lohi", "clock.lo/hi not ISO UTC: %r %r" % (lo, hi))
        # money
        bal = st.get("balance")
        if isinstance(bal, int):
            allowed = self._credited
            n = self.sim.reboots - reboots_before
            for off_ms in self.sim.off_at[len(self.sim.off_at) - n:] if n else ():
                allowed += self._energy_allowance(off_ms)
            if bal - self.balance > allowed:
                self.violate("balance/reboot" if n else "balance/rise", "the balance rose by %d (from %d to %d) with %d credited"
                             " and %d reboots" % (bal - self.balance, self.balance, bal,
                                                  self._credited, n))
            self.balance = bal
        self._credited = 0
        # the lock shown must hold in true time
        left = st.get("lockout_s")
        if isinstance(left, int):
            ends = now + left * 1000
            if ends < self.lock_until_ms - LOCK_SLACK_MS:
                self.violate("lockout/shortened", "the lock shown ends %d s early (%d s left, %d s due)"
                             % ((self.lock_until_ms - ends) // 1000, left,
                                (self.lock_until_ms - now) // 1000))
                self.lock_until_ms = ends
            self.lock_until_ms = max(self.lock_until_ms, ends)

    # --- the way back ---

    def undo(self):
        """The household undoes a cut: waits out a lock, then a credit token vended now (or
        else a reconnect token) and the button.  Violations land in self."""
        st = self.status
        waited = 0
        while st.get("lockout_s", 0) > 0 and waited <= LOCK_WAIT_MAX_S:
            wait = st["lockout_s"] + 1
            waited += wait
            self.send("advance %d" % wait)
            st = self.status
        if st.get("lockout_s", 0) > 0:
            self.violate("undo/locked", "the keypad was still locked after waiting %d s" % waited)
            return False
        bal = st.get("balance", 0)
        ec = st.get("emergency") or {}
        owed = -bal if bal < 0 else 0
        amount = (owed // 100 + 10) * 100 + (ec.get("used", 0) or 0)
        amount = min(amount, 990000)
        results = []
        # what the office can give, simplest first: credit, a reconnect, then the same after a
        # set-time token for the true time; a power failure may strike on the way (an armed
        # `powerfail`), so the household tries again, as it would at a dark meter
        remedies = (("credit",), ("reconnect",), ("settime", "credit"), ("settime", "reconnect"))
        for attempt in range(2):
            for remedy in remedies:
                for kind in remedy:
                    line, meta = self.vend(kind, self.fresh_minute(),
                                           amount=amount if kind == "credit" else None)
                    reply = self.type_token(line, meta)
                    results.append("%s: %s" % (kind, reply.get("result") or reply.get("error")))
                self.send("button")
                if self.sim.hw.relay.state:
                    break
            if self.sim.hw.relay.state:
                break
        if not self.sim.hw.relay.state:
            self.violate("undo/open", "the relay stayed open (%s; supply %s, reason %s)"
                         % (", ".join(results), self.status.get("supply"),
                            self.status.get("reason")))
            return False
        return True

    def undo_in_a_copy(self):
        """The undo path tried in a copy of this world; this world goes on unchanged."""
        self.log.append(("#undo", None))
        twin = copy.deepcopy(self)
        start = len(twin.violations)
        twin.undo()
        for kind, detail, _ in twin.violations[start:]:
            self.violate(kind, "(undoing a cut) " + detail)
        self.undo_checks += 1
        return twin


def replay(start_utc, log):
    """Rebuilds a world from its log (for reproductions and minimising)."""
    w = World(start_utc)
    for line, meta in log:
        if line == "#undo":
            w.undo_in_a_copy()
        else:
            if meta and meta.get("challenge") and meta.get("serial_ok"):
                # made for the TIME CODE shown now: a shortened log shows other codes
                ch = (w.status.get("clock") or {}).get("challenge")
                if ch is not None:
                    line = "token " + VENDOR.token(["settime", "--challenge", str(int(ch))],
                                                   DEV_SERIAL, meta["issue_ms"] // 1000)
            w.send(line, meta)
    return w


def minimise(start_utc, log, kind):
    """A shorter log that still gives a violation of `kind` (greedy delta debugging over the
    console lines; tokens keep their digits, so the replay is exact, except challenge set-time
    tokens, vended again for the code the shortened session shows)."""
    def fails(candidate):
        try:
            w = replay(start_utc, candidate)
        except Exception:
            return False
        return any(v[0] == kind for v in w.violations)

    log = list(log)
    if not fails(log):
        return log
    # cut the tail after the first violation of that kind
    w = replay(start_utc, log)
    first = min(v[2] for v in w.violations if v[0] == kind)
    log = log[:first + 1]
    chunk = max(1, len(log) // 2)
    while chunk >= 1:
        i = 0
        changed = False
        while i < len(log):
            candidate = log[:i] + log[i + chunk:]
            if candidate and fails(candidate):
                log = candidate
                changed = True
            else:
                i += chunk
        if not changed:
            chunk //= 2
    return log


def script(start_utc, log):
    """The log as a console session for `python tools/sim.py --serve --start ...`."""
    out = ["# python tools/sim.py --serve --start %s" % iso(start_utc)]
    for line, meta in log:
        if meta and meta.get("token"):
            note = "%s%s issued %s%s" % (meta["token"], " (for the TIME CODE shown)"
                                         if meta.get("challenge") else "",
                                         iso(meta["issue_ms"] // 1000),
                                       "" if meta["serial_ok"] else " for another meter")
            if meta.get("amount"):
                note += " amount %d" % meta["amount"]
            out.append("%s    # %s" % (line, note))
        else:
            out.append(line)
    return "\n".join(out)
