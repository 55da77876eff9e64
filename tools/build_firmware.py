"""`make firmware BOARD=<board>`: compiles the firmware for one board into build/<board>/.

Every module under firmware/ becomes a .mpy (mpy-cross -O3: no line numbers in tracebacks,
about 4 KB less heap on the deploy path; the board's native architecture hint; the module's
dotted name as its source name, see source_name()); boot.py and main.py stay .py because MicroPython only runs those by name; the board file
boards/<board>.py becomes board.mpy.  firmware/_boot.py is not copied: it replaces the port's
frozen _boot.py and must be frozen into a custom MicroPython build (docs/storage.md).
"""
import argparse
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MPY_CROSS = os.path.join(os.path.dirname(sys.executable), "mpy-cross")
ARCH = {"rp2": "armv6m", "esp32": "xtensawin"}
KEEP_SOURCE = ("main.py", "boot.py")
SKIP = ("_boot.py",)


def boards():
    return sorted(n[:-3] for n in os.listdir(os.path.join(ROOT, "boards")) if n.endswith(".py"))


def build(board, out_root=None):
    if board not in boards():
        raise SystemExit("unknown BOARD %r; one of: %s" % (board, ", ".join(boards())))
    out = os.path.join(out_root or os.path.join(ROOT, "build"), board)
    shutil.rmtree(out, ignore_errors=True)
    arch = ARCH[board.split("-")[0]]
    count = 0
    src_root = os.path.join(ROOT, "firmware")
    jobs = [(os.path.join(ROOT, "boards", board + ".py"), "board.py")]
    for dirpath, dirnames, filenames in os.walk(src_root):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith(".py") and name not in SKIP:
                src = os.path.join(dirpath, name)
                jobs.append((src, os.path.relpath(src, src_root)))
    for src, rel in jobs:
        dst = os.path.join(out, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if rel in KEEP_SOURCE:
            shutil.copyfile(src, dst)
        else:
            dst = dst[:-3] + ".mpy"
            subprocess.run([MPY_CROSS, "-O3", "-march=" + arch, "-o", dst, "-s", source_name(rel),
                            src], check=True)
        count += 1
    # the board file under the name a freezing manifest needs (boards/manifests/<board>.py)
    frozen = os.path.join(out_root or os.path.join(ROOT, "build"), "frozen", board)
    os.makedirs(frozen, exist_ok=True)
    shutil.copyfile(os.path.join(ROOT, "boards", board + ".py"), os.path.join(frozen, "board.py"))
    print("built %d files for %s into %s" % (count, board, os.path.relpath(out, ROOT)))
    return out


def source_name(rel):
    """The name a .mpy gives its source in tracebacks: the module's dotted name
    ("meter/core/clock.py" -> "meter.core.clock"), the same string as the name it is imported
    by, so the board interns one qstr for both instead of two (issue 11: ~1 KB of heap; -O3
    keeps no line numbers anyway)."""
    name = rel[:-3] if rel.endswith(".py") else rel
    if name.endswith("/__init__"):
        name = name[:-len("/__init__")]
    return name.replace(os.sep, ".").replace("/", ".")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("board")
    p.add_argument("--out", help="output root (default build/)")
    a = p.parse_args()
    build(a.board, a.out)


if __name__ == "__main__":
    main()
