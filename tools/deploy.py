"""`make deploy BOARD=<board> PORT=<port>`: copies build/<board>/ to the board with mpremote,
only the files that changed since the last deploy, then resets the board.

What is on the board is remembered in /deployed.txt there (path and SHA-256 per line), so a
second deploy of the same build copies nothing, and a file an earlier deploy put there that the
build no longer has is removed (an old firmware's meter/core/devkeys.mpy, issue 11, would
otherwise stay on the board for ever).

The board must be in maintenance mode (the jumper fitted at boot, docs/storage.md): mpremote
needs Ctrl-C, which a production meter ignores.
"""
import argparse
import hashlib
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MPREMOTE = os.path.join(os.path.dirname(sys.executable), "mpremote")
MANIFEST = "deployed.txt"


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def local_files(build):
    out = {}
    for dirpath, _, filenames in os.walk(build):
        for name in filenames:
            path = os.path.join(dirpath, name)
            out[os.path.relpath(path, build).replace(os.sep, "/")] = digest(path)
    return out


def remote_manifest(port):
    proc = subprocess.run([MPREMOTE, "connect", port, "fs", "cat", ":" + MANIFEST],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return {}
    out = {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2:
            out[parts[0]] = parts[1]
    return out


def plan(local, remote):
    """-> the files to copy: new or changed."""
    return sorted(p for p, h in local.items() if remote.get(p) != h)


def stale(local, remote):
    """-> the files an earlier deploy left that this build does not have."""
    return sorted(p for p in remote if p not in local and p != MANIFEST)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("board")
    p.add_argument("port")
    a = p.parse_args()
    build = os.path.join(ROOT, "build", a.board)
    if not os.path.isdir(build):
        raise SystemExit("no build for %s: run make firmware BOARD=%s" % (a.board, a.board))
    local = local_files(build)
    remote = remote_manifest(a.port)
    todo = plan(local, remote)
    gone = stale(local, remote)
    folders = set()
    for t in todo:
        parts = t.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            folders.add("/".join(parts[:i]))
    print("copying %d of %d files, removing %d" % (len(todo), len(local), len(gone)))
    # one call per folder: mkdir of an existing folder fails, and that is fine
    for d in sorted(folders, key=len):
        subprocess.run([MPREMOTE, "connect", a.port, "fs", "mkdir", ":" + d],
                       capture_output=True)
    manifest = os.path.join(ROOT, "build", a.board + "." + MANIFEST)
    with open(manifest, "w") as f:
        for path in sorted(local):
            f.write("%s %s\n" % (path, local[path]))
    chain = [MPREMOTE, "connect", a.port]
    for t in gone:
        chain += ["fs", "rm", ":" + t, "+"]
    for t in todo:
        chain += ["fs", "cp", os.path.join(build, t), ":" + t, "+"]
    chain += ["fs", "cp", manifest, ":" + MANIFEST, "+", "reset"]
    sys.exit(subprocess.run(chain).returncode)


if __name__ == "__main__":
    main()
