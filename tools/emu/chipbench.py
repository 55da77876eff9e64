"""`make bench`, on-chip part: heap and time of the deployed firmware measured on the emulated
Pico (rp2040js, cycle counted at 125 MHz: `time.ticks_us()` on the chip is emulated time).

The board boots the deployed .mpy firmware as main.py runs it; the test jumper is fitted, so
Ctrl-C stops main.py and the REPL is available (issue 11).  A script pasted into the REPL then
builds the app the way main.py does (Hardware, App, boot) and measures:

  heap in use after boot and in steady state (gc.mem_alloc() after gc.collect(), with the
  objects of the running app alive), the control step (mean of 20), bytes allocated per
  steady-state control step (gc disabled around 20 steps), a native token check, an OpenPAYGO
  token at count 10 and at count 1,000 decoded cold, and boot to the first decision (from
  power-on to the first relay coil pulse, which the boot's first decision drives).

Prints each figure with its budget (issue 11).  The frozen path needs a frozen image
(`make uf2`); without one it is reported as not measured.
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
import gc, time, json, machine
wdt = machine.WDT(timeout=8000)
wdt.feed()
import board
from meter.app import App
from meter.boardhw import Hardware
from meter.core.config import Config
gc.collect()
base = gc.mem_alloc()
print('BENCH heap_base', base)
hw = Hardware(board, True)
with open('/config.json') as f:
    cfg = Config(json.load(f))
with open('/data/identity.json') as f:
    ident = json.load(f)
app = App(hw, cfg, serial=int(ident['serial']), meter_key=bytes.fromhex(ident['meter_key']),
          board=board.NAME, test_mode=hw.test_mode)
app.boot()
gc.collect()
print('BENCH heap_boot', gc.mem_alloc())
wdt.feed()
for i in range(5):
    app.control_step()
t = 0
for i in range(20):
    t0 = time.ticks_us()
    app.control_step()
    t += time.ticks_diff(time.ticks_us(), t0)
print('BENCH step_us', t // 20)
wdt.feed()
gc.collect()
gc.disable()
a0 = gc.mem_alloc()
for i in range(20):
    app.control_step()
a1 = gc.mem_alloc()
gc.enable()
print('BENCH step_bytes', (a1 - a0) // 20)
gc.collect()
print('BENCH heap_steady', gc.mem_alloc())
wdt.feed()
def fresh():
    a = App(hw, cfg, serial=int(ident['serial']), meter_key=bytes.fromhex(ident['meter_key']),
            board=board.NAME, test_mode=hw.test_mode)
    a.boot()
    return a
for name, digits in (('native', '%(native)s'), ('opg10', '%(opg10)s'), ('opg1000', '%(opg1000)s')):
    app = None
    gc.collect()
    a = fresh()
    wdt.feed()
    st = a.read_rtc()
    t0 = time.ticks_us()
    r = a.desk.enter(digits, st, a.osf, a.rtc_minute, a.rtc_second, a.mono_s)
    dt = time.ticks_diff(time.ticks_us(), t0)
    print('BENCH', name + '_us', dt, r[0])
    wdt.feed()
print('BENCH', 'end')
"""


def _say(text):
    sys.stderr.write("chipbench: %s\n" % text)
    sys.stderr.flush()


def measure():
    import vend
    config = {"openpaygo_key": OPG_KEY, "openpaygo_unit": 100}
    b = emu.EmulatedBoard(start=START, config=config)
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
        code = (SCRIPT % tokens).replace("\n", "\r")
        b.send(code.encode() + b"\x04")
        _say("script sent at %d emulated ms" % b.ms)
        ok = b.wait_for(b"BENCH end", 60000)
        text = bytes(b.rx).decode(errors="replace")
        if not ok:
            raise RuntimeError("the on-chip script did not finish:\n" + text[-2000:])
        out = {}
        for m in re.finditer(r"BENCH (\w+) (-?\d+)", text):
            out[m.group(1)] = int(m.group(2))
        out["boot_ms"] = first_decision_ms
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
    rows = [
        ("heap at the REPL, modules imported", "%.1f KB" % (f["heap_base"] / kb), "", None),
        ("heap in use after boot (deploy .mpy)", "%.1f KB" % (f["heap_boot"] / kb), "<= 80 KB",
         f["heap_boot"] <= 80 * kb),
        ("heap in use steady state (deploy .mpy)", "%.1f KB" % (f["heap_steady"] / kb),
         "<= 80 KB", f["heap_steady"] <= 80 * kb),
        ("heap in use (frozen)", "n/a: no frozen image", "<= 40 KB", None),
        ("control step", "%.2f ms" % (f["step_us"] / 1000), "<= 5 ms", f["step_us"] <= 5000),
        ("bytes allocated per control step", "%d B" % f["step_bytes"], "0 B",
         f["step_bytes"] == 0),
        ("native token check", "%.1f ms" % (f["native_us"] / 1000), "<= 50 ms",
         f["native_us"] <= 50000),
        ("OpenPAYGO token at count 10, cold", "%.1f ms" % (f["opg10_us"] / 1000), "<= 500 ms",
         f["opg10_us"] <= 500000),
        ("OpenPAYGO token at count 1,000, cold", "%.1f ms" % (f["opg1000_us"] / 1000),
         "<= 500 ms", f["opg1000_us"] <= 500000),
        ("boot to the first decision", "%s ms" % f["boot_ms"], "", None),
    ]
    print("On-chip figures (emulated RP2040, 125 MHz cycle-counted, MicroPython 1.29 stock UF2):")
    for name, value, budget, ok in rows:
        mark = "" if ok is None else ("ok" if ok else "OVER BUDGET")
        print("  %-40s %-14s %-9s %s" % (name, value, budget, mark))
    return 0


if __name__ == "__main__":
    sys.exit(main())
