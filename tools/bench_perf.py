"""`make bench`: prints the performance figures of METER.md §10 (no pass/fail thresholds)."""
import os
import subprocess
import sys
import time
import timeit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "firmware"))
sys.path.insert(0, os.path.join(ROOT, "host_tests", "portable"))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tools", "cpython_shim"))


def micropython_figures():
    proc = subprocess.run(["node", os.path.join(ROOT, "tools", "mp_bench.mjs")],
                          capture_output=True, text=True, cwd=ROOT)
    sys.stdout.write(proc.stdout)
    if proc.returncode != 0:
        sys.stdout.write(proc.stderr)
        raise SystemExit("MicroPython benchmark failed")


def deploy_heap_figures():
    """Heap of the deploy path (.mpy files) under the WebAssembly port: tools/mp_heap.mjs."""
    proc = subprocess.run(["node", os.path.join(ROOT, "tools", "mp_heap.mjs")],
                          capture_output=True, text=True, cwd=ROOT)
    sys.stdout.write(proc.stdout)
    if proc.returncode != 0:
        sys.stdout.write(proc.stderr)
        raise SystemExit("deploy-path heap measurement failed")


def cpython_decision_time():
    from meter.core import policy
    from meter.core.config import Config
    s = policy.Situation()
    s.trusted = True
    s.clock_code = 0
    s.credit_left = -1
    s.weekday = 2
    s.minute_of_day = 600
    s.notice_ok = True
    cfg = Config()
    out = policy.Decision()
    n = 200000
    t = timeit.timeit(lambda: policy.decide(s, cfg, out), number=n)
    print("policy decision time (CPython %s): %.2f us/decision" % (sys.version.split()[0], t / n * 1e6))


def simulated_year():
    """A household for a year in serve mode: load varying over the day (180-1500 W), a
    30.00 top-up every week.  Prints the wall time, control steps and record writes a day."""
    import sim
    import vend
    from meter.core import calendar
    from meter.core import isotime
    start = isotime.parse_iso_utc("2026-01-05T00:00:00Z")
    s = sim.Simulator(start, {}, None)
    try:
        # watts by local hour: ~490 W on average, 4,300 kWh a year
        profile = (200, 180, 180, 180, 180, 200, 400, 900, 500, 300, 300, 400,
                   600, 400, 300, 300, 500, 1200, 1500, 1000, 800, 600, 400, 300)
        t0 = time.perf_counter()
        steps = 0
        writes0 = s.app.store.writes
        for day in range(365):
            for hour in range(24):
                if day % 7 == 0 and hour == 8:
                    at = isotime.iso_utc(start + day * 86400 + hour * 3600)
                    s.handle("token " + vend.vend_native(["credit", "30.00", "--at", at]))
                s.load_w = profile[hour]
                steps += s.advance(3600)
        wall = time.perf_counter() - t0
        writes = s.app.store.writes - writes0
        m = s.app.meter
        print("simulated year (serve mode, event-driven): %.2f s wall, %d control steps"
              % (wall, steps))
        print("record writes per simulated day of normal use: %.1f (%d in 365 days)"
              % (writes / 365, writes))
        print("  year's energy %d kWh, balance at the end %d minor units, relay %s"
              % (m.credit.energy_total_wh() // 1000, m.credit.balance,
                 "closed" if m.relay_closed() else "open"))
    finally:
        s.close()


def console_round_trip():
    """Round trip of `status` through `tools/sim.py --serve` over pipes."""
    proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "tools", "sim.py"), "--serve"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
    try:
        proc.stdin.write("status\n")
        proc.stdin.flush()
        proc.stdout.readline()
        n = 300
        t0 = time.perf_counter()
        for _ in range(n):
            proc.stdin.write("status\n")
            proc.stdin.flush()
            proc.stdout.readline()
        per = (time.perf_counter() - t0) / n
        print("console round trip (status, simulator over pipes): %.2f ms" % (per * 1000))
    finally:
        proc.stdin.close()
        proc.wait()


def openpaygo_decode():
    import bench_openpaygo
    r = bench_openpaygo.run()
    print("OpenPAYGO decode, %d tokens, CPython: ours %.0f ms vs reference %.0f ms "
          "(typical amounts: ours %.0f ms vs %.0f ms)"
          % (r["tokens"], r["ours_ms"], r["reference_ms"], r["ours_typical_ms"],
             r["reference_typical_ms"]))


def forging_rates():
    """Guesses a household gets through the real app in a simulated year, with every trick
    (valid tokens of its own, the RTC set back and forth, reboots), and the forging odds they
    give (docs/tokens.md)."""
    import exploit_rigs as rigs
    from meter.core.lockout import Lockout
    from meter.core.config import Config
    cfg = Config()
    cases = (
        ("native 20-digit", {}, rigs.native_guess, ("valid", "rtc", "reboot"),
         Lockout(cfg.lockout_cap_s), 2.0 ** -24),
        ("OpenPAYGO 9-digit", {"openpaygo_key": rigs.OPG_KEY}, rigs.opg_guess,
         ("rtc", "reboot"), Lockout(cfg.openpaygo_lockout_cap_s, 1), 72e-6),
    )
    for name, overrides, guess, tricks, lk, p in cases:
        world = rigs.World("2026-11-30T09:00:00Z", overrides)
        try:
            t0 = time.perf_counter()
            n = rigs.attack(world, rigs.YEAR_S, guess, tricks)
            wall = time.perf_counter() - t0
        finally:
            world.close()
        limit = rigs.bound(lk.tries, lk.top_level, lk.cap_s, rigs.YEAR_S)
        print("keypad guesses through the app in a simulated year, %s (tricks: %s): %d "
              "(bound %d, %.2f an hour on average); forging odds per year <= %.2g "
              "(%.0f s wall)" % (name, ", ".join(tricks), n, limit, n / 8766.0,
                                 1 - (1 - p) ** n, wall))


def power_cycling():
    """Energy the household gains and record writes a day at 3 kW, the controller
    power-cycled every 29 and every 5 minutes, against no cycling (docs/storage.md)."""
    import exploit_rigs as rigs
    def favour(r):
        o = r["oracle"]
        return (o.energy_cost() + o.standing() - r["charged"]) / r["days"]

    for label, period, days in (("no cycling", 0, 7), ("every 29 min", 29 * 60, 7),
                                ("every 5 min", 5 * 60, 3)):
        r = rigs.power_cycles("2026-11-30T06:10:00Z", period, days)
        o = r["oracle"]
        gained = (o.wh() - r["meter"].credit.energy_total_wh()) / days
        # the simulator charges a step's pulses at the tariff of the step's end: the same steps
        # without the power cycles show how much of the money difference that is
        base = rigs.power_cycles("2026-11-30T06:10:00Z", period, days, reboot=False) \
            if period else r
        print("power cycling at 3 kW, %s (%d cycles in %d days): energy not charged %.1f Wh "
              "a day; money in the household's favour %.2f minor units a day (%.2f with the "
              "same steps and no cycling); %.1f record writes a day (incl. one top-up)"
              % (label, r["cycles"], days, gained, favour(r), favour(base), r["writes"] / days))


def openpaygo_hashes_after_reboot():
    """Hashes per OpenPAYGO decode after a reboot at counts 10, 1,000 and 5,000 (the value
    table on flash): the proxy for time on the chip, about 4.3 ms a hash on a Pico."""
    sys.path.insert(0, os.path.join(ROOT, "host_tests"))
    import apprig
    import test_openpaygo_bounded as b
    from meter.core import openpaygo as op
    real = op.fold_word
    counted = [0]

    def counting(ks, w):
        counted[0] += 1
        return real(ks, w)
    out = []
    for last in (10, 1000, 5000):
        board = b._meter_at(last, (20,))
        app = apprig.reboot(board, b.CFG)
        count, digits = b._token(last, 20)
        op.fold_word = counting
        counted[0] = 0
        try:
            word = app.submit(digits)[0]
        finally:
            op.fold_word = real
        out.append("%d: %d (%s)" % (last, counted[0], word))
    print("OpenPAYGO hashes per token after a reboot, at count %s; bound 80, ~4.3 ms each on "
          "a Pico" % ", ".join(out))


def main():
    print("== MicroPython (WebAssembly port) ==")
    micropython_figures()
    deploy_heap_figures()
    print("== CPython ==")
    cpython_decision_time()
    openpaygo_decode()
    openpaygo_hashes_after_reboot()
    simulated_year()
    power_cycling()
    forging_rates()
    console_round_trip()


if __name__ == "__main__":
    main()
