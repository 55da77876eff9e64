"""A directory of the host standing in for a board's flash, in the shape meter.storage's
RecordStore and meter.eventlog's EventLog use (the board's own is meter.storage.BoardFS).  Kept
out of firmware/: no board needs it (issue 11, heap)."""
import os


class DirFS:
    """A directory of the host standing in for the board's flash: "/data/x" is
    root + "/data/x".  For the simulator (CPython or the MicroPython unix port)."""

    def __init__(self, root):
        while len(root) > 1 and root[-1] == "/":
            root = root[:-1]
        self.root = root

    def _real(self, path):
        if not path.startswith("/"):
            path = "/" + path
        return self.root + path

    def open(self, path, mode="rb"):
        return open(self._real(path), mode)

    def stat(self, path):
        return os.stat(self._real(path))

    def remove(self, path):
        os.remove(self._real(path))

    def rename(self, old, new):
        os.rename(self._real(old), self._real(new))      # POSIX: replaces new atomically

    def mkdir(self, path):
        os.mkdir(self._real(path))

    def listdir(self, path="/"):
        return os.listdir(self._real(path))
