"""The MicroPython unix-port tier (tools/mp_unix_test.py) skips loudly, never silently, where
its binary cannot run, and fails when a portable test fails under it."""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIER = os.path.join(ROOT, "tools", "mp_unix_test.py")


def _run(binary, *args):
    env = dict(os.environ)
    env["MICROPYTHON_UNIX"] = binary
    return subprocess.run([sys.executable, TIER] + list(args), capture_output=True, text=True,
                          env=env, timeout=300)


def test_missing_or_broken_binary_skips_loudly():
    for binary in ("/nonexistent/micropython", "/bin/false"):
        proc = _run(binary)
        assert proc.returncode == 0
        assert proc.stderr.startswith("SKIPPED: MicroPython unix-port tier:"), proc.stderr


def test_a_failing_portable_test_fails_the_tier(tmp_path):
    import mp_unix_test
    if mp_unix_test.usable() is not None:
        return                            # nothing can run here; the skip test covers it
    good = tmp_path / "test_tier_good.py"
    good.write_text("def test_ok():\n    assert 1 + 1 == 2\n")
    bad = tmp_path / "test_tier_bad.py"
    bad.write_text("import machine\n\ndef test_unix_port_has_no_disable_irq():\n"
                   "    machine.disable_irq()\n")
    proc = _run(mp_unix_test.BINARY, str(good))
    assert proc.returncode == 0 and "micropython unix: 1 passed, 0 failed" in proc.stdout
    proc = _run(mp_unix_test.BINARY, str(good), str(bad))
    assert proc.returncode == 1 and "micropython unix: 1 passed, 1 failed" in proc.stdout
    assert "FAILED test_tier_bad::test_unix_port_has_no_disable_irq" in proc.stdout


SERVE = r"""
import sys
sys.path[:0] = [%(firmware)r, %(tests)r, %(tools)r]
import asyncio
import time
import apprig
from meter.usbserial import SerialConsole

board, app = apprig.provisioned()
for _ in range(3):             # the boot's coil pulse ends, as the app's relay task ends it
    board.clock.advance(200)
    app.hw.relay.poll(app.hw.ticks_ms())
console = SerialConsole(app)
beats = [0]

async def control():
    while True:
        beats[0] += 1
        await asyncio.sleep_ms(50)

async def main():
    asyncio.create_task(control())
    asyncio.create_task(console.serve())      # the real reader: select.poll + sys.stdin.buffer
    await asyncio.sleep_ms(2500)
    sys.stderr.write("beats %%d\n" %% beats[0])

asyncio.run(main())
"""


def test_the_real_stdin_reader_never_blocks_on_the_unix_port(tmp_path):
    # issue 11: sys.stdin.read(1) waited for a whole UTF-8 character (and raised on a broken
    # one).  Here a lone 0xFF and a cut UTF-8 sequence arrive, then nothing for a second, on
    # the port's real stdin: the event loop keeps running and the next line is answered.
    import time
    import mp_unix_test
    if mp_unix_test.usable() is not None:
        return
    script = tmp_path / "serve.py"
    script.write_text(SERVE % {"firmware": os.path.join(ROOT, "firmware"),
                               "tests": os.path.join(ROOT, "host_tests", "portable"),
                               "tools": os.path.join(ROOT, "tools")})
    proc = subprocess.Popen([mp_unix_test.BINARY, str(script)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.5)
    proc.stdin.write(b"\xff\xc3")
    proc.stdin.flush()
    time.sleep(1.0)                       # the cut character never completes
    proc.stdin.write(b"\ninfo\n")
    proc.stdin.flush()
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    replies = [json.loads(line) for line in out.decode().splitlines()]
    assert replies[0]["ok"] is False and "UTF-8" in replies[0]["error"]
    assert replies[1]["ok"] is True and "serial" in replies[1]
    beats = int(err.decode().split("beats")[1])
    assert beats >= 40                    # ~50 in 2.5 s: the loop never stalled
