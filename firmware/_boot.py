"""Mounts the flash filesystem at boot and NEVER formats one that fails to mount (METER.md §9).

Frozen into a custom MicroPython build in place of the port's own _boot.py (docs/storage.md):
the rp2 port's reformats a filesystem that fails to mount (the meter's balance, replay memory
and event log would silently vanish), the esp32 port's loops forever printing "filesystem
appears to be corrupted" (no meter at all).  This one:

  - mounts the littlefs on the port's flash block device (rp2.Flash(); the esp32 "vfs" data
    partition) at "/", with the port's own littlefs parameters;
  - if that fails, formats ONLY a flash that holds no filesystem at all: both blocks of the
    littlefs superblock pair (blocks 0 and 1) read back fully erased (0xFF), as on a board
    fresh from `erase_flash`.  Anything else is left as it is for a technician to recover;
  - otherwise mounts nothing, prints one line, and leaves `mounted = False`: the app then
    reports STORAGE ERROR and keeps supply on.  No RAM filesystem is mounted: RAM is short,
    nothing in it survives a reset, and the app needs none (the event log keeps its last
    entries in RAM when it cannot write).

MicroPython runs the frozen _boot.py in __main__'s namespace, not as a module, and an
`import _boot` would run the file a second time; on 1.29 a second vfs.mount(..., "/") does not
fail, it stacks a second VfsLfs2 on the same flash (issue 11).  So this run publishes what it
did as sys.modules["_boot"] (an object with `mounted`, `formatted`, `reason` and
`factory_format`): main.py reads it from there and never imports _boot, and an `import _boot`
at the REPL gets the same object without running anything.  As a second guard, _start() mounts
nothing when "/" is already mounted (vfs.mount() lists the mounts).

A technician can create a fresh filesystem on a flash that does not mount, deliberately:
    >>> import _boot; _boot.factory_format("ERASE")
(the balance and the log on it are lost; provision the meter again afterwards).

Imports of one port's modules carry a pyright ignore for the other port's type check, and
everything port-specific runs only on that port (sys.platform), so the same file passes
mpy-cross and both pyright runs and does nothing on the unix/webassembly ports or CPython.
"""
import sys

from micropython import const

mounted = False          # the flash filesystem is mounted at "/"
formatted = False        # a blank flash got its first filesystem at this boot
reason = ""              # why mounted is False

_BLOCK = const(4096)     # the erase block of both ports' filesystem block devices
_PIECE = const(256)
_EPERM = const(1)
_PLATFORM = sys.platform


def _device():
    """-> (the flash block device, littlefs prog size) of this port, or (None, 0)."""
    if _PLATFORM == "rp2":
        import rp2  # pyright: ignore[reportMissingImports]
        return rp2.Flash(), 256              # the rp2 port's own progsize (256-byte pages)
    if _PLATFORM == "esp32":
        from esp32 import Partition  # pyright: ignore[reportMissingImports]
        found = Partition.find(Partition.TYPE_DATA, label="vfs")
        return (found[0] if found else None), 32     # VfsLfs2 defaults, as the port mounts
    return None, 0


def _root_mounted():
    """A filesystem is mounted at "/" already (a second run of this file)."""
    import vfs
    try:
        mounts = vfs.mount()
    except TypeError:                                 # a port without the mount listing
        return False
    for m in mounts:
        if m[1] == "/":
            return True
    return False


def _mount(bdev, progsize):
    """-> True when the flash filesystem is (now, or already) mounted at "/"."""
    import vfs
    try:
        fs = vfs.VfsLfs2(bdev, progsize=progsize)    # reads the superblock; writes nothing
    except Exception:
        return False
    try:
        vfs.mount(fs, "/")
    except OSError as e:
        return bool(e.args) and e.args[0] == _EPERM   # "/" already mounted (older ports)
    return True


def _blank(bdev):
    """Both superblock blocks erased: this flash has never held a littlefs."""
    erased = b"\xff" * _PIECE
    buf = bytearray(_PIECE)
    for block in (0, 1):
        for offset in range(0, _BLOCK, _PIECE):
            bdev.readblocks(block, buf, offset)
            if buf != erased:
                return False
    return True


def _make_fs(bdev, progsize):
    import vfs
    vfs.VfsLfs2.mkfs(bdev, progsize=progsize)


def _start():
    global mounted, formatted, reason
    if _PLATFORM != "rp2" and _PLATFORM != "esp32":
        mounted = True           # unix/webassembly ports, CPython: the host's filesystem
        return
    try:
        if _root_mounted():
            mounted = True               # never a second filesystem over the first
            return
        bdev, progsize = _device()
        if bdev is None:
            reason = "no flash partition"
        elif _mount(bdev, progsize):
            mounted = True
        elif _blank(bdev):
            _make_fs(bdev, progsize)
            formatted = True
            mounted = _mount(bdev, progsize)
            if not mounted:
                reason = "new filesystem did not mount"
        else:
            reason = "mount failed; flash kept as it is"
    except Exception as e:        # _boot must never stop the boot: main.py still runs
        mounted = False
        reason = "error %r" % (e,)
    if not mounted:
        print("_boot: flash filesystem not mounted (%s): storage error, supply stays on"
              % reason)


def factory_format(confirm=""):
    """Creates an empty filesystem on a flash that does not mount -> True when it is mounted
    afterwards.  Refuses without the word "ERASE", and while a filesystem is mounted."""
    global mounted, formatted, reason
    if confirm != "ERASE":
        raise ValueError('factory_format("ERASE") destroys what is left on the flash')
    if mounted:
        return False
    bdev, progsize = _device()
    if bdev is None:
        return False
    _make_fs(bdev, progsize)
    formatted = True
    mounted = _mount(bdev, progsize)
    reason = "" if mounted else "new filesystem did not mount"
    return mounted


class _Published:
    """What this boot did, for main.py and the REPL (sys.modules["_boot"]): the module's own
    state, read through properties so that factory_format() shows."""

    @property
    def mounted(self):
        return mounted

    @property
    def formatted(self):
        return formatted

    @property
    def reason(self):
        return reason

    def factory_format(self, confirm=""):
        return factory_format(confirm)


_start()
if __name__ == "__main__":
    # run by the port as boot code: publish, so that nothing imports (and re-runs) this file
    sys.modules["_boot"] = _Published()  # pyright: ignore[reportArgumentType]

if _PLATFORM == "esp32":
    import gc
    gc.collect()
