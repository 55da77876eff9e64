"""Measurements taken under MicroPython (run by tools/mp_bench.mjs, printed by `make bench`).

Heap allocation is measured with gc.mem_alloc() around many repetitions with the collector
disabled, so a collection cannot hide an allocation; the figure is bytes per repetition.
"""
import gc
import time

from coretest import Rig, local_minute


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


def main():
    bench_control_step()
