"""`make bench`: prints the performance figures of METER.md §10 (no pass/fail thresholds)."""
import os
import subprocess
import sys
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


def main():
    print("== MicroPython (WebAssembly port) ==")
    micropython_figures()
    print("== CPython ==")
    cpython_decision_time()


if __name__ == "__main__":
    main()
