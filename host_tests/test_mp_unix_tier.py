"""The MicroPython unix-port tier (tools/mp_unix_test.py) skips loudly, never silently, where
its binary cannot run, and fails when a portable test fails under it."""
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
