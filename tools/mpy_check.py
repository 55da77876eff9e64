"""Compiles every .py that goes on a board (firmware/ and boards/) with mpy-cross -O2.

mpy-cross rejects syntax MicroPython lacks, so this catches it before a board does.
Exits 1 on the first failure; prints how many files compiled.
"""
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MPY_CROSS = os.path.join(os.path.dirname(sys.executable), "mpy-cross")


def sources():
    for top in ("firmware", "boards"):
        for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, top)):
            dirnames[:] = [d for d in dirnames if d != "__pycache__"]
            for name in sorted(filenames):
                if name.endswith(".py"):
                    yield os.path.join(dirpath, name)


def main():
    count = 0
    failed = 0
    with tempfile.TemporaryDirectory() as out:
        for src in sources():
            dst = os.path.join(out, "%d.mpy" % count)
            proc = subprocess.run([MPY_CROSS, "-O2", "-o", dst, src], capture_output=True, text=True)
            count += 1
            if proc.returncode != 0:
                failed += 1
                sys.stdout.write("mpy-cross failed: %s\n%s%s" % (os.path.relpath(src, ROOT), proc.stdout, proc.stderr))
    print("mpy-cross: %d passed, %d failed" % (count - failed, failed))
    return 1 if failed or not count else 0


if __name__ == "__main__":
    sys.exit(main())
