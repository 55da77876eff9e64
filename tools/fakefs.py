"""An in-memory filesystem with power-cut injection, for tests under CPython and MicroPython.

It speaks the storage layer's filesystem contract (meter.storage): open(path, mode) -> file
with read/readinto/write/seek/tell/flush/close (and `with`), stat/remove/rename/mkdir/listdir.
Files live in `fs.files` (path -> bytearray), directories in `fs.dirs`; a file can only be
created in a directory that exists, as on littlefs.

Faults:
  fs.cut_after(n, keep=None)  the n-th low-level write from now -- a write() call, a rename or
                              a remove -- is torn: only its first `keep` bytes land (default
                              half; a rename or remove simply does not happen) and it raises
                              PowerCut; so does every later operation, on any file, until
                              fs.reboot().
  fs.reboot()                 power back: the data stays (it is flash), open files are gone.
  fs.mount_fails = True       every operation raises OSError(ENODEV): a filesystem that did
                              not mount.
  fs.flip(path, offset, mask) / fs.truncate(path, size)   damage as a bad flash block would.
  fs.io_errors.add(path)      opening that file raises OSError(EIO): an unreadable block.

The fake is deliberately harsher than littlefs: opening with "w" truncates at once and a torn
write leaves a mix of new and old bytes, as on a filesystem without copy-on-write.
`fs.writes` counts every low-level write.
"""

ENOENT = 2
EIO = 5
EBADF = 9
EEXIST = 17
ENODEV = 19
EISDIR = 21


class PowerCut(Exception):
    """The power failed: execution stops here (deliberately not an OSError, so code that
    handles filesystem errors cannot swallow it)."""


class _File:
    def __init__(self, fs, path, readable, writable, pos):
        self._fs = fs
        self._path = path
        self._readable = readable
        self._writable = writable
        self._pos = pos
        self._boot = fs.boots
        self._closed = False

    def _data(self):
        fs = self._fs
        fs._op()
        if self._closed or self._boot != fs.boots:
            raise OSError(EBADF)
        data = fs.files.get(self._path)
        if data is None:
            raise OSError(EBADF)         # removed under an open handle
        return data

    def read(self, n=-1):
        data = self._data()
        if not self._readable:
            raise OSError(EBADF)
        if n is None or n < 0:
            n = len(data) - self._pos
        out = bytes(data[self._pos:self._pos + n])
        self._pos += len(out)
        return out

    def readinto(self, buf):
        data = self._data()
        if not self._readable:
            raise OSError(EBADF)
        n = min(len(buf), max(0, len(data) - self._pos))
        buf[0:n] = data[self._pos:self._pos + n]
        self._pos += n
        return n

    def write(self, buf):
        data = self._data()
        if not self._writable:
            raise OSError(EBADF)
        chunk = bytes(buf)
        keep = self._fs._write_hook(len(chunk))
        if keep is not None:
            self._put(data, chunk[:keep])
            raise PowerCut("power cut during a write to " + self._path)
        self._put(data, chunk)
        return len(chunk)

    def _put(self, data, chunk):
        end = self._pos + len(chunk)
        if end > len(data):
            data.extend(bytes(end - len(data)))      # a hole reads back as zeros
        data[self._pos:end] = chunk
        self._pos = end

    def seek(self, pos, whence=0):
        data = self._data()
        if whence == 1:
            pos += self._pos
        elif whence == 2:
            pos += len(data)
        if pos < 0:
            raise OSError(22)
        self._pos = pos
        return pos

    def tell(self):
        return self._pos

    def flush(self):
        self._data()

    def close(self):
        self._closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class FakeFS:
    def __init__(self):
        self.files = {}
        self.dirs = {"/": True}
        self.mount_fails = False
        self.io_errors = set()           # paths whose open() fails with EIO
        self.writes = 0                  # low-level writes so far
        self.tripped = False             # the power is off
        self.boots = 0
        self._countdown = 0
        self._keep = None

    # --- fault control -------------------------------------------------------------------

    def cut_after(self, n, keep=None):
        """Tears the n-th low-level write from now (n >= 1); keep = bytes that land."""
        if n < 1:
            raise ValueError("n")
        self._countdown = n
        self._keep = keep

    def reboot(self):
        self._countdown = 0
        self.tripped = False
        self.boots += 1

    def flip(self, path, offset, mask=0xFF):
        self.files[path][offset] ^= mask

    def truncate(self, path, size):
        self.files[path] = bytearray(self.files[path][:size])

    def _op(self):
        if self.mount_fails:
            raise OSError(ENODEV)
        if self.tripped:
            raise PowerCut("no power")

    def _write_hook(self, size):
        """Counts a low-level write -> None to let it through, or how many bytes land."""
        self._op()
        self.writes += 1
        if self._countdown:
            self._countdown -= 1
            if self._countdown == 0:
                self.tripped = True
                keep = size // 2 if self._keep is None else self._keep
                return min(max(keep, 0), size)
        return None

    # --- the filesystem ------------------------------------------------------------------

    @staticmethod
    def _parent(path):
        cut = path.rfind("/")
        return path[:cut] if cut > 0 else "/"

    def open(self, path, mode="rb"):
        self._op()
        if path in self.io_errors:
            raise OSError(EIO)
        if path in self.dirs:
            raise OSError(EISDIR)
        plus = "+" in mode
        if "w" in mode or "a" in mode or "x" in mode:
            if self._parent(path) not in self.dirs:
                raise OSError(ENOENT)
            if "x" in mode and path in self.files:
                raise OSError(EEXIST)
            if "w" in mode or path not in self.files:
                self.files[path] = bytearray()
            pos = len(self.files[path]) if "a" in mode else 0
            return _File(self, path, plus, True, pos)
        if path not in self.files:
            raise OSError(ENOENT)
        return _File(self, path, True, plus, 0)

    def stat(self, path):
        self._op()
        if path in self.files:
            return (0x8000, 0, 0, 0, 0, 0, len(self.files[path]), 0, 0, 0)
        if path in self.dirs:
            return (0x4000, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        raise OSError(ENOENT)

    def mkdir(self, path):
        self._op()
        if path in self.dirs or path in self.files:
            raise OSError(EEXIST)
        if self._parent(path) not in self.dirs:
            raise OSError(ENOENT)
        self.dirs[path] = True

    def listdir(self, path="/"):
        self._op()
        if path not in self.dirs:
            raise OSError(ENOENT)
        out = []
        for name in list(self.files) + list(self.dirs):
            if name != path and self._parent(name) == path:
                out.append(name[name.rfind("/") + 1:])
        return sorted(out)

    def rename(self, old, new):
        self._op()
        if old not in self.files:
            raise OSError(ENOENT)
        if self._write_hook(0) is not None:
            raise PowerCut("power cut before a rename")     # atomic: all or nothing
        self.files[new] = self.files.pop(old)

    def remove(self, path):
        self._op()
        if path not in self.files:
            raise OSError(ENOENT)
        if self._write_hook(0) is not None:
            raise PowerCut("power cut before a remove")
        del self.files[path]
