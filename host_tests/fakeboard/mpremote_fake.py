"""A stand-in for mpremote, for tools/provision.py's tests: `connect PORT` then `fs ls`,
`fs cat`, `fs mkdir`, `fs cp` and `reset` on a directory that plays the board's flash
($FAKE_BOARD_DIR).  $FAKE_BOARD_LOCKED=1 plays a production meter (no maintenance jumper):
the raw REPL cannot be reached, every command fails as mpremote does.  Each call is logged to
$FAKE_BOARD_DIR/../mpremote.log."""
import os
import shutil
import sys


def main(argv):
    board = os.environ["FAKE_BOARD_DIR"]
    with open(os.path.join(os.path.dirname(board), "mpremote.log"), "a") as log:
        log.write(" ".join(argv) + "\n")
    if len(argv) < 3 or argv[0] != "connect":
        sys.stderr.write("usage\n")
        return 2
    if os.environ.get("FAKE_BOARD_LOCKED") == "1":
        sys.stderr.write("mpremote: could not enter raw repl\n")
        return 1
    cmd = argv[2:]

    def local(remote):
        assert remote.startswith(":/"), remote
        return os.path.join(board, remote[2:])
    if cmd == ["reset"]:
        path = os.path.join(board, "..", "resets")
        n = int(open(path).read()) if os.path.exists(path) else 0
        with open(path, "w") as f:
            f.write(str(n + 1))
        return 0
    if cmd[:2] == ["fs", "ls"]:
        print("\n".join(sorted(os.listdir(local(cmd[2])))))
        return 0
    if cmd[:2] == ["fs", "cat"]:
        path = local(cmd[2])
        if not os.path.isfile(path):
            sys.stderr.write("mpremote: cat: %s: No such file or directory.\n" % cmd[2])
            return 1
        sys.stdout.write(open(path).read())
        return 0
    if cmd[:2] == ["fs", "mkdir"]:
        path = local(cmd[2])
        if os.path.exists(path):
            sys.stderr.write("mpremote: mkdir: File exists.\n")
            return 1
        os.mkdir(path)
        return 0
    if cmd[:2] == ["fs", "cp"] and len(cmd) == 4:
        shutil.copyfile(cmd[2], local(cmd[3]))
        return 0
    sys.stderr.write("fake mpremote: unsupported %r\n" % cmd)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
