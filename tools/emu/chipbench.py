"""`make bench`, on-chip part: heap and time of the deployed firmware measured on the emulated
Pico (rp2040js, cycle counted at 125 MHz: `time.ticks_us()` on the chip is emulated time).

Heap: the running firmware itself reports it.  A production board (no jumper, watchdog on)
boots the deployed .mpy files as main.py runs them; `info` answers `heap_rest`, what the
running meter keeps between jobs (gc.mem_alloc() after gc.collect(), sampled by the control
task 5 s after boot and then once a minute, when no console line, report or commit has its
code loaded), after boot and again in steady state, after a native token typed on the keypad, console requests and a
minute of running; and `heap_used`, the same taken while it answers that `info` (the console
protocol and the report code loaded), printed beside it.  The same again with OpenPAYGO
configured (its decoder loads then).

Time: a board with the test jumper fitted, so Ctrl-C stops main.py and the REPL is available
(issue 11).  The script pasted there builds an app as main.py does and measures the control
step (mean of 20 that commit nothing; a step that commits is printed apart), bytes allocated
per steady-state control step (gc disabled around 20 steps), a native token check and an
OpenPAYGO token at count 10 and at count 1,000 decoded cold, each from the #, with the token
code loaded as the app loads it at the first digit (that load is printed apart); boot to the
first decision is from power-on to the first relay coil pulse (the boot's first decision
drives it).

Prints each figure with its budget (issue 11).  The frozen path needs a frozen image
(`make uf2`, then RP2040_UF2=build/rp2-pico.uf2 FROZEN=1; `make bench` does this when
RP2040_FROZEN_UF2 names the image); without one it is reported as not measured.  With
FROZEN=1 the flash carries no firmware files, only what a factory and provisioning leave
(/config.json, /data/identity.json, the first record and event log): on rp2 the filesystem
comes before .frozen on sys.path, so deployed .mpy files would shadow the frozen modules and
the figures would be the deploy path's again.
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tools"))

import board as emu  # noqa: E402

START = "2026-11-30T09:00:00Z"
OPG_KEY = "a29ab82edc5fbbc41ec9530f6dac86b1"

SCRIPT = r"""
import gc, time, json, machine, asyncio
asyncio.new_event_loop()
wdt = machine.WDT(timeout=8000)
wdt.feed()
import board
from meter.app import App
from meter import boardhw
from meter.core.config import Config
%(probe)sgc.collect()
hw = boardhw.build(board, True)
with open('/config.json') as f:
    cfg = Config(json.load(f))
with open('/data/identity.json') as f:
    ident = json.load(f)
app = App(hw, cfg, serial=int(ident['serial']), meter_key=bytes.fromhex(ident['meter_key']),
          board=board.NAME, test_mode=hw.test_mode)
app.boot()
wdt.feed()
for i in range(5):
    app.control_step()
t = 0
n = 0
worst = 0
for i in range(20):
    c0 = app.commits
    t0 = time.ticks_us()
    app.control_step()
    dt = time.ticks_diff(time.ticks_us(), t0)
    if app.commits != c0:
        worst = max(worst, dt)
    else:
        t += dt
        n += 1
print('BENCH step_us', t // max(1, n))
print('BENCH commit_step_us', worst)
wdt.feed()
gc.collect()
gc.disable()
a0 = gc.mem_alloc()
for i in range(20):
    app.control_step()
a1 = gc.mem_alloc()
gc.enable()
print('BENCH step_bytes', (a1 - a0) // 20)
wdt.feed()
def fresh():
    a = App(hw, cfg, serial=int(ident['serial']), meter_key=bytes.fromhex(ident['meter_key']),
            board=board.NAME, test_mode=hw.test_mode)
    a.boot()
    while a.opg_table_step():      # as the background task leaves it: saved, parked on flash
        wdt.feed()
    return a
for name, digits in (('native', '%(native)s'), ('opg10', '%(opg10)s'), ('opg1000', '%(opg1000)s')):
    app = None
    gc.collect()
    a = fresh()
    wdt.feed()
    st = a.read_rtc()
    t0 = time.ticks_us()
    a.desk.ready()
    print('BENCH', name + '_load_us', time.ticks_diff(time.ticks_us(), t0))
    t0 = time.ticks_us()
    r = a.desk.enter(digits, st, a.osf, a.rtc_minute, a.rtc_second, a.mono_s)
    dt = time.ticks_diff(time.ticks_us(), t0)
    print('BENCH', name + '_us', dt, r[0])
    wdt.feed()
print('BENCH', 'end')
"""


# FROZEN=1 only: where meter.app was loaded from (a frozen module's __file__ is no file)
FROZEN_PROBE = """import os, meter.app
try:
    os.stat(meter.app.__file__)
    print('BENCH frozen 0')
except OSError:
    print('BENCH frozen 1')
del os
"""


def _say(text):
    sys.stderr.write("chipbench: %s\n" % text)
    sys.stderr.flush()


FROZEN = os.environ.get("FROZEN") == "1"


def flash_files():
    """The firmware files to put on the flash: none on a frozen image (the board boots its
    frozen main.py; EmulatedBoard still adds the identity, factory files and config), the
    deployed .mpy files otherwise (None: EmulatedBoard's default)."""
    return {} if FROZEN else None


def heap(config, token):
    """The running firmware's own heap_used on a production board (no jumper): after boot,
    and in steady state (a token typed on the keypad, console requests, a minute running)."""
    b = emu.EmulatedBoard(start=START, config=config, jumper=False, files=flash_files())
    try:
        b.boot_until_ready()
        b.run(6000)                  # the control task's first heap sample: 5 s after boot
        boot = b.request("info")
        first_decision_ms = None
        coil = sorted(b.set_coil.starts + (b.reset_coil.starts if b.reset_coil else []))
        if coil:
            first_decision_ms = coil[0]
        for key in token + "#":
            b.press(key)
        b.run(3000)
        status = b.request("status")
        for line in ("events", "status", "info"):
            b.request(line)
        b.run(65000)                 # the control task samples the heap once a minute
        steady = b.request("info")
        if boot.get("heap_rest") is None or steady.get("heap_rest") is None:
            raise RuntimeError("the firmware's info has no heap_rest: %r" % steady)
        return {"boot": boot["heap_rest"], "steady": steady["heap_rest"],
                "boot_answering": boot["heap_used"], "steady_answering": steady["heap_used"],
                "credit": status.get("credit"), "first_decision_ms": first_decision_ms}
    finally:
        b.close()


def measure():
    import vend
    config = {"openpaygo_key": OPG_KEY, "openpaygo_unit": 100}
    native = vend.vend_native(["credit", "5.00", "--at", "2026-11-30T09:00:30Z"])
    plain = heap(None, native)
    _say("heap, native tokens only: %r" % plain)
    opg = heap(config, native)
    _say("heap, OpenPAYGO configured: %r" % opg)
    b = emu.EmulatedBoard(start=START, config=config, files=flash_files())
    try:
        b.boot_until_ready()
        coil = sorted(b.set_coil.starts + b.reset_coil.starts)
        first_decision_ms = coil[0] if coil else None
        tokens = {
            "native": vend.vend_native(["credit", "5.00", "--at", "2026-11-30T09:01:00Z"]),
            "opg10": vend.vend_openpaygo(["--key", OPG_KEY, "--count", "10", "--value", "1"]),
            "opg1000": vend.vend_openpaygo(["--key", OPG_KEY, "--count", "1000", "--value",
                                            "1"]),
        }
        _say("booted at %d emulated ms" % b.ms)
        b.rx = bytearray()
        b.send(b"\x03\x03")
        if not b.wait_for(b">>>", 5000):
            raise RuntimeError("no REPL after Ctrl-C (is the test jumper honoured?)")
        b.rx = bytearray()
        b.send(b"\x05")                       # paste mode
        b.run(100)
        tokens["probe"] = FROZEN_PROBE if FROZEN else ""
        code = (SCRIPT % tokens).replace("\n", "\r")
        b.send(code.encode() + b"\x04")
        _say("script sent at %d emulated ms" % b.ms)
        ok = b.wait_for(b"BENCH end", 60000)
        text = bytes(b.rx).decode(errors="replace")
        if not ok:
            raise RuntimeError("the on-chip script did not finish:\n" + text[-2000:])
        out = {}
        for m in re.finditer(r"BENCH (\w+) (-?\d+)( \w+)?", text):
            out[m.group(1)] = int(m.group(2))
            if m.group(3):
                out[m.group(1) + "_word"] = m.group(3).strip()
        out["boot_ms"] = first_decision_ms
        out["heap_boot"] = plain["boot"]
        out["heap_steady"] = plain["steady"]
        out["heap_boot_opg"] = opg["boot"]
        out["heap_steady_opg"] = opg["steady"]
        out["heap_answering"] = max(plain["boot_answering"], plain["steady_answering"])
        out["heap_answering_opg"] = max(opg["boot_answering"], opg["steady_answering"])
        out["boot_ms_production"] = plain["first_decision_ms"]
        return out
    finally:
        b.close()


def main():
    uf2, why = emu.find_rom()
    if uf2 is None:
        print("ON-CHIP FIGURES SKIPPED: %s" % why)
        return 0
    f = measure()
    kb = 1024
    frozen = FROZEN
    if frozen and f.get("frozen") != 1:
        # a stock UF2 would not even boot on a flash without main.py; this is an image whose
        # meter modules were found on the filesystem, so the figures are not the frozen path's
        print("FROZEN=1 but the chip loaded meter.app from its filesystem: %s is not a frozen "
              "image of this firmware (make uf2)" % uf2)
        return 1
    path = "frozen" if frozen else "deploy .mpy"
    budget = 40 if frozen else 80
    rows = [
        ("heap in use after boot (%s)" % path, "%.1f KB" % (f["heap_boot"] / kb),
         "<= %d KB" % budget, f["heap_boot"] <= budget * kb),
        ("heap in use steady state (%s)" % path, "%.1f KB" % (f["heap_steady"] / kb),
         "<= %d KB" % budget, f["heap_steady"] <= budget * kb),
        ("  the same with OpenPAYGO configured", "%.1f / %.1f KB"
         % (f["heap_boot_opg"] / kb, f["heap_steady_opg"] / kb), "<= %d KB" % budget,
         f["heap_steady_opg"] <= budget * kb),
        ("  while answering `info` (console code in)", "%.1f / %.1f KB"
         % (f["heap_answering"] / kb, f["heap_answering_opg"] / kb), "", None),
        ("heap in use (%s)" % ("deploy .mpy" if frozen else "frozen"),
         "n/a: run again with %s" % ("the stock UF2" if frozen else "FROZEN=1 (make uf2)"),
         "", None),
        ("control step", "%.2f ms" % (f["step_us"] / 1000), "<= 5 ms", f["step_us"] <= 5000),
        ("  a step that commits the record", "%.1f ms" % (f["commit_step_us"] / 1000)
         if f["commit_step_us"] else "none in 20", "", None),
        ("bytes allocated per control step", "%d B" % f["step_bytes"], "0 B",
         f["step_bytes"] == 0),
        ("native token check", "%.1f ms" % (f["native_us"] / 1000), "<= 50 ms",
         f["native_us"] <= 50000),
        ("  loading the token code at the 1st digit", "%.1f ms" % (f["native_load_us"] / 1000),
         "", None),
        ("OpenPAYGO token at count 10, cold (%s)" % f.get("opg10_us_word"),
         "%.1f ms" % (f["opg10_us"] / 1000), "<= 500 ms", f["opg10_us"] <= 500000),
        ("OpenPAYGO token at count 1,000, cold (%s)" % f.get("opg1000_us_word"),
         "%.1f ms" % (f["opg1000_us"] / 1000), "<= 500 ms", f["opg1000_us"] <= 500000),
        ("boot to the first decision", "%s ms" % f["boot_ms_production"], "", None),
    ]
    print("On-chip figures (emulated RP2040, 125 MHz cycle-counted, MicroPython 1.29 %s):"
          % ("frozen UF2 " + os.path.basename(uf2) if frozen else "stock UF2"))
    for name, value, budget, ok in rows:
        mark = "" if ok is None else ("ok" if ok else "OVER BUDGET")
        print("  %-40s %-14s %-9s %s" % (name, value, budget, mark))
    return 0


if __name__ == "__main__":
    sys.exit(main())
