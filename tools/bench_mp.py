"""Measurements taken under MicroPython (run by tools/mp_bench.mjs, printed by `make bench`).

Heap allocation is measured with gc.mem_alloc() around many repetitions with the collector
disabled, so a collection cannot hide an allocation; the figure is bytes per repetition.
"""
import gc
import time



def allocated_per_call(fn, reps=200):
    fn()
    fn()
    gc.collect()
    gc.disable()
    before = gc.mem_alloc()
    for _ in range(reps):
        fn()
    after = gc.mem_alloc()
    gc.enable()
    return (after - before) // reps


def bench_control_step():
    from coretest import Rig, local_minute
    # a trusted meter on a weekday afternoon with a load, credit running down
    rig = Rig(local_minute(2026, 11, 24, 14, 0), balance=100000)
    state = [0]

    def one_step():
        state[0] += 1
        if state[0] % 60 == 0:
            rig.minute += 1
        rig.mono += 1
        rig.meter.step(0, False, rig.minute, state[0] % 60, rig.mono, 1)

    for _ in range(120):
        one_step()
    per_step = allocated_per_call(one_step, 600)
    t0 = time.ticks_us()
    for _ in range(1000):
        one_step()
    us = time.ticks_diff(time.ticks_us(), t0) / 1000
    print("control step heap: %d bytes/step" % per_step)
    print("control step time (MicroPython wasm): %.1f us/step" % us)


def bench_cold_hold_step():
    """The app's step with the cold-home hold configured and on (the DS3231 thermometer read
    every 64 s), credit gone, emergency credit on offer: the ux hot path."""
    import apprig
    board, app = apprig.provisioned(overrides={"cold_hold": True})
    board.chip.set_temperature(20)                # 5 C in the meter cupboard
    app.meter.credit.balance = -500

    def control():
        board.clock.advance(1000)
        app.control_step()

    def chip_only():
        board.clock.advance(1000)
        board.chip._sync()

    for _ in range(130):
        control()
    whole = allocated_per_call(control, 640)      # ten temperature reads among them
    chip = allocated_per_call(chip_only, 640)
    print("app control step heap, cold-home hold on and emergency credit offered: %d "
          "bytes/step (cold_home=%s)" % (whole - chip, app.meter.cold_home))


def bench_app():
    gc.collect()
    start = gc.mem_alloc()
    import meter.app          # noqa: F401  firmware modules as bytecode in RAM (not frozen)
    import meter.drivers.relay  # noqa: F401
    import meter.drivers.lcd  # noqa: F401
    import meter.drivers.ds3231  # noqa: F401
    gc.collect()
    code = gc.mem_alloc() - start
    import apprig
    import fakehw
    from meter.drivers.keypad import Keypad4x4
    gc.collect()
    base = gc.mem_alloc()
    board, app = apprig.provisioned()
    gc.collect()
    total = gc.mem_alloc()
    print("heap after the app booted on fake drivers: %d bytes of app objects; %d bytes of "
          "firmware bytecode when not frozen; %d bytes in use in all (with test harness)"
          % (total - base, code, total))

    def control():
        board.clock.advance(1000)
        app.extra_pulses += 1          # a pulse a second: the pulse store is written each step
        app.control_step()

    def chip_only():
        board.clock.advance(1000)
        board.chip._sync()

    for _ in range(30):
        control()
    whole = allocated_per_call(control, 300)
    chip = allocated_per_call(chip_only, 300)
    print("app control step heap (RTC driver, S0, core, relay, events, pulse store): %d bytes/step "
          "(%d measured, of which %d in the fake DS3231 chip model)" % (whole - chip, whole, chip))
    clock = fakehw.FakeClock()
    matrix = fakehw.FakeKeypadMatrix()
    keypad = Keypad4x4(matrix.rows, matrix.cols)

    def scan():
        clock.advance(15)
        keypad.scan(clock.ticks_ms())

    print("keypad scan heap: %d bytes/scan" % allocated_per_call(scan, 500))
    t0 = time.ticks_us()
    from meter.core import token as T
    digits = T.encode(apprig.KEY, T.CREDIT, 2000, 5000000)
    key = T.prepare(apprig.KEY)
    n = 200
    for _ in range(n):
        T.decode(key, digits)
    print("native token check (MicroPython wasm): %.3f ms/token"
          % (time.ticks_diff(time.ticks_us(), t0) / 1000 / n))


def main():
    bench_app()
    bench_cold_hold_step()
    bench_control_step()
