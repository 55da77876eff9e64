"""Times OpenPAYGO Token decoding: ours (firmware/meter/core/openpaygo.py) against the reference
package `openpaygo`, under CPython, on the same 200-token sequence.

The tokens are made with the reference encoder and decoded in order, each implementation
carrying its own state (the reference's used-count list, with a sentinel so it is never empty:
see host_tests/test_openpaygo_oracle.py).  Every decision is checked to agree before timing.

Two sequences: "random values" (every token a different amount, so the decoder's RAM chain
positions rarely help: the headline figures) and "typical amounts" (a household buying one of a
few amounts, where they do).  The best of three runs is reported.

usage: python tools/bench_openpaygo.py [--mp]   (--mp: also time ours under MicroPython via node)
"""
import json
import os
import random
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _p in (os.path.join(ROOT, "firmware"), os.path.join(ROOT, "tools", "cpython_shim")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from openpaygo import OpenPAYGOTokenDecoder, OpenPAYGOTokenEncoder, TokenType  # noqa: E402

from meter.core import openpaygo as op  # noqa: E402

KEY_HEX = "7d3c0e51a2b94f68c1e0aa3b5f29d487"
START = 384017265
TOKENS = 200
REPEATS = 3


def make_sequence(typical, seed=7):
    """-> [(digits, value, count)]: Add tokens, one after the other, from the reference."""
    rnd = random.Random(seed)
    count = 1
    out = []
    for _ in range(TOKENS):
        if typical:
            value = rnd.choice((20, 20, 50, 50, 50, 100, 200))
        else:
            value = rnd.randrange(996)
        count, digits = OpenPAYGOTokenEncoder.generate_token(
            secret_key=KEY_HEX, count=count, value=value, starting_code=START)
        out.append((digits, value, count))
    return out


def decode_reference(seq):
    last = 1
    used = [-1000]
    results = []
    for digits, _, _ in seq:
        value, kind, count, updated = OpenPAYGOTokenDecoder.decode_token(
            token=digits, secret_key=KEY_HEX, count=last, used_counts=used,
            starting_code=START)
        if value is not None:
            last = max(last, count)
            used = updated + [-1000]
        results.append((kind, value, count))
    return results


def decode_ours(seq):
    dec = op.OpenPaygoDecoder(bytes.fromhex(KEY_HEX), START)
    state = op.OpenPaygoState()
    return [dec.decode(digits, state) for digits, _, _ in seq]


def decode_ours_one_off(seq):
    # no decoder kept between tokens: key prepared and chain searched from count 0 every time
    key = bytes.fromhex(KEY_HEX)
    state = op.OpenPaygoState()
    return [op.decode(digits, key, START, state) for digits, _, _ in seq]


def best_ms(fn, seq):
    best = None
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        fn(seq)
        dt = (time.perf_counter() - t0) * 1000.0
        best = dt if best is None or dt < best else best
    return round(best, 1)


def check_agreement(seq):
    ref = decode_reference(seq)
    ours = decode_ours(seq)
    for (digits, value, count), r, o in zip(seq, ref, ours):
        if not (r[0] == TokenType.ADD_TIME and r[1] == value and r[2] == count
                and o == (op.ADD, value, count)):
            raise AssertionError("decoders disagree on %s: %r %r" % (digits, r, o))
    if decode_ours_one_off(seq) != ours:
        raise AssertionError("one-off decode differs from the kept decoder")


def run():
    """-> {"ours_ms", "reference_ms", ...}: milliseconds to decode the 200-token sequences."""
    result = {}
    for name, typical in (("", False), ("_typical", True)):
        seq = make_sequence(typical)
        check_agreement(seq)
        result["ours%s_ms" % name] = best_ms(decode_ours, seq)
        result["reference%s_ms" % name] = best_ms(decode_reference, seq)
        result["ours_one_off%s_ms" % name] = best_ms(decode_ours_one_off, seq)
    result["tokens"] = TOKENS
    return result


_MP_SCRIPT = """
import time
from meter.core import openpaygo as op
seq = %s
dec = op.OpenPaygoDecoder(bytes.fromhex(%r), %d)
state = op.OpenPaygoState()
t0 = time.ticks_ms()
for digits, value, count in seq:
    if dec.decode(digits, state) != (op.ADD, value, count):
        raise AssertionError(digits)
print("micropython_ms", time.ticks_diff(time.ticks_ms(), t0))
"""

_MP_RUNNER = """
import { loadPort } from %s;
const mp = await loadPort(8 * 1024 * 1024);
mp.runPython(%s);
"""


def run_micropython(typical=False):
    """-> ms for ours on the same sequence under the MicroPython WebAssembly port (node)."""
    seq = make_sequence(typical)
    script = _MP_SCRIPT % (repr(seq), KEY_HEX, START)
    runner = _MP_RUNNER % (json.dumps(os.path.join(ROOT, "tools", "mp_test.mjs")),
                           json.dumps(script))
    proc = subprocess.run(["node", "--input-type=module", "-e", runner], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    for line in proc.stdout.splitlines():
        if line.startswith("micropython_ms"):
            return int(line.split()[1])
    raise RuntimeError(proc.stdout + proc.stderr)


if __name__ == "__main__":
    r = run()
    print("openpaygo decode, %d tokens, CPython (best of %d):" % (r["tokens"], REPEATS))
    print("  random values:   ours %.1f ms (one-off %.1f ms), reference %.1f ms"
          % (r["ours_ms"], r["ours_one_off_ms"], r["reference_ms"]))
    print("  typical amounts: ours %.1f ms (one-off %.1f ms), reference %.1f ms"
          % (r["ours_typical_ms"], r["ours_one_off_typical_ms"], r["reference_typical_ms"]))
    if "--mp" in sys.argv[1:]:
        print("  MicroPython (WebAssembly port), ours: random values %d ms, typical amounts %d ms"
              % (run_micropython(False), run_micropython(True)))
