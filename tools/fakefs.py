"""An in-memory filesystem for tests (CPython and MicroPython), with power-cut injection.

fs.cut_after(n): the n-th low-level write from now (a write() call, a rename or a remove) is
torn — only the first half of its bytes lands — and raises PowerCut; every later operation
raises PowerCut too, until fs.reboot() (which keeps the data, as flash does).
fs.mount_fails = True: every operation raises OSError (a filesystem that did not mount).
flip(path, offset) and truncate(path, size) damage a file as a bad flash block would.
"""


class PowerCut(Exception):
    pass


class _File:
    def __init__(self, fs, path, data, writable):
        self._fs = fs
        self._path = path
        self._data = data
        self._pos = 0
        self._writable = writable

    def read(self, n=-1):
        self._fs._op()
        if n is None or n < 0:
            n = len(self._data) - self._pos
        out = bytes(self._data[self._pos:self._pos + n])
        self._pos += len(out)
        return out

    def write(self, buf):
        if not self._writable:
            raise OSError(9)
        data = bytes(buf)
        if self._fs._write_hook():
            data = data[:len(data) // 2]
            self._put(data)
            raise PowerCut("power cut during a write")
        self._put(data)
        return len(data)

    def _put(self, data):
        end = self._pos + len(data)
        if end > len(self._data):
            self._data.extend(bytes(end - len(self._data)))
        self._data[self._pos:end] = data
        self._pos = end

    def seek(self, pos, whence=0):
        self._fs._op()
        if whence == 1:
            pos += self._pos
        elif whence == 2:
            pos += len(self._data)
        self._pos = pos
        return pos

    def tell(self):
        return self._pos

    def flush(self):
        pass

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class FakeFS:
    def __init__(self):
        self.files = {}
        self.dirs = {"/": True}
        self.mount_fails = False
        self.writes = 0
        self._countdown = 0
        self.tripped = False

    # --- fault control ---
    def cut_after(self, n):
        self._countdown = n

    def reboot(self):
        self._countdown = 0
        self.tripped = False

    def flip(self, path, offset, mask=0xFF):
        self.files[path][offset] ^= mask

    def truncate(self, path, size):
        self.files[path] = bytearray(self.files[path][:size])

    def _op(self):
        if self.mount_fails:
            raise OSError(19)
        if self.tripped:
            raise PowerCut("no power")

    def _write_hook(self):
        self._op()
        self.writes += 1
        if self._countdown:
            self._countdown -= 1
            if self._countdown == 0:
                self.tripped = True
                return True
        return False

    # --- the filesystem ---
    def open(self, path, mode="rb"):
        self._op()
        if "w" in mode:
            self.files[path] = bytearray()
            return _File(self, path, self.files[path], True)
        if path not in self.files:
            raise OSError(2)
        f = _File(self, path, self.files[path], "+" in mode or "a" in mode)
        if "a" in mode:
            f._pos = len(self.files[path])
        return f

    def stat(self, path):
        self._op()
        if path in self.files:
            return (0x8000, 0, 0, 0, 0, 0, len(self.files[path]), 0, 0, 0)
        if path in self.dirs:
            return (0x4000, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        raise OSError(2)

    def mkdir(self, path):
        self._op()
        if path in self.dirs:
            raise OSError(17)
        self.dirs[path] = True

    def rename(self, a, b):
        if self._write_hook():
            raise PowerCut("power cut before a rename")
        if a not in self.files:
            raise OSError(2)
        self.files[b] = self.files.pop(a)

    def remove(self, path):
        if self._write_hook():
            raise PowerCut("power cut before a remove")
        if path not in self.files:
            raise OSError(2)
        del self.files[path]
