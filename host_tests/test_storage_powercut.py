"""Power cut at every low-level write of the storage layer (METER.md §11), CPython only.

The payload is modelled as a small meter state (balance, energy, last token id) padded to the
size of the real record.  Whatever write the cut tears, and however many of its bytes land,
boot finds the last record that was fully committed or the one being written, never garbage
and never an older one: so credit never rises without a token, and consumption lost is at most
the checkpoint that was being written.

Also here: DirFS (the simulator's real files) and firmware/_boot.py run on fake rp2 and esp32
ports (a flash block device, `vfs`), which never formats a filesystem that fails to mount.
"""
import importlib.util
import os
import struct
import sys
import types

import pytest
from hypothesis import given, settings, strategies as st

from fakefs import FakeFS, PowerCut
from meter.core import codes
from meter.eventlog import ENTRY_SIZE, EventLog
from meter.eventread import count, newest
from dirfs import DirFS
from meter.storage import RecordStore

STATE = struct.Struct("<iII")          # balance (minor units), energy Wh, last token id
PAD = 232                              # about the size of the real record


def state(balance, energy=0, token=0):
    return STATE.pack(balance, energy, token) + bytes(PAD)


def balance(payload):
    return STATE.unpack_from(payload)[0]


def writes_per_commit():
    fs = FakeFS()
    st_ = RecordStore(fs)
    st_.commit(state(1))
    before = fs.writes
    st_.commit(state(2))
    return fs.writes - before


def reboot_and_load(fs):
    fs.reboot()
    return RecordStore(fs).load()


def test_cut_at_every_write_and_every_tear_length_of_every_commit():
    per_commit = writes_per_commit()
    assert per_commit >= 1
    image = 16 + len(state(0))
    balances = [5000, 4200, 4199, 10]              # consumption: credit only goes down
    for done in range(len(balances)):              # commits fully done before the cut
        for n in range(1, per_commit + 1):
            for keep in range(0, image + 1):
                fs = FakeFS()
                store = RecordStore(fs)
                for b in balances[:done]:
                    assert store.commit(state(b)) == 0
                fs.cut_after(n, keep)
                try:
                    store.commit(state(balances[done]))
                    raise AssertionError("the cut did not strike")
                except PowerCut:
                    pass
                data, status = reboot_and_load(fs)
                inflight = state(balances[done])
                if done == 0:
                    assert (data, status) in ((None, codes.RECORD_CORRUPT), (inflight, 0)), keep
                else:
                    last = state(balances[done - 1])
                    assert status == 0 and data in (last, inflight), (done, n, keep)
                    assert balance(data) <= balances[done - 1]       # credit never rises
                # the meter carries on from what it loaded
                after = RecordStore(fs)
                after.load()
                assert after.commit(state(1)) == 0
                assert RecordStore(fs).load() == (state(1), 0)


# --- random lives of a meter: consumption, top-ups, cuts, reboots, bit rot ----------------

_ops = st.lists(
    st.one_of(
        st.tuples(st.just("use"), st.integers(1, 500)),
        st.tuples(st.just("topup"), st.integers(1, 5000)),
        st.tuples(st.just("cut"), st.integers(1, 3), st.integers(0, 300)),
        st.tuples(st.just("rot_older"), st.integers(0, 270)),
        st.tuples(st.just("reboot")),
    ),
    min_size=1, max_size=40)


@settings(max_examples=300, deadline=None)
@given(_ops)
def test_credit_never_rises_without_a_token(ops):
    fs = FakeFS()
    store = RecordStore(fs)
    bal, energy, token = 1000, 0, 0
    assert store.commit(state(bal, energy, token)) == 0
    durable = state(bal, energy, token)           # last commit that returned 0
    armed = False
    for op in ops:
        if op[0] in ("use", "topup"):
            if op[0] == "use":
                bal, energy = bal - op[1], energy + op[1]
            else:
                bal, token = bal + op[1], token + 1
            inflight = state(bal, energy, token)
            try:
                assert store.commit(inflight) == 0
                durable = inflight
                continue
            except PowerCut:
                armed = False
            data, status = reboot_and_load(fs)
            assert status == 0 and data in (durable, inflight)
            if op[0] == "use":
                assert balance(data) <= balance(durable)     # credit never rises
            durable = data
            bal, energy, token = STATE.unpack_from(data)
            store = RecordStore(fs)
            store.load()
        elif op[0] == "cut" and not armed:
            fs.cut_after(op[1], op[2])
            armed = True
        elif op[0] == "rot_older":
            # damage in the slot that does not hold the newest record changes nothing
            older = store.paths[1 - store.slot] if store.slot >= 0 else None
            if older in fs.files and op[1] < len(fs.files[older]):
                fs.flip(older, op[1])
        elif op[0] == "reboot":
            fs.reboot()
            armed = False
            store = RecordStore(fs)
            assert store.load() == (durable, 0)
    fs.reboot()
    assert RecordStore(fs).load() == (durable, 0)


# --- the event log under the same cuts ---------------------------------------------------

def test_event_log_cut_at_every_append_and_tear_length():
    ring = 8
    total = 13                                     # wraps the ring once and a half
    for k in range(total):                         # the append the cut strikes
        for keep in range(ENTRY_SIZE + 1):
            fs = FakeFS()
            log = EventLog(fs, "/data/events.bin", ring)
            log.load()
            for i in range(k):
                assert log.append(1795867200 + i, True, i, 90, i)
            fs.cut_after(1, keep)
            try:
                log.append(1795867200 + k, True, k, 91, k)
                raise AssertionError("the cut did not strike")
            except PowerCut:
                pass
            fs.reboot()
            again = EventLog(fs, "/data/events.bin", ring)
            again.load()
            got = [e[2] for e in newest(again, 100)]
            kept = list(range(k, -1, -1))[:ring]   # newest first, if the torn entry landed
            if keep == ENTRY_SIZE:
                assert got == kept, (k, keep)
            elif keep == 0:                        # nothing landed: the old entry is intact
                assert got == list(range(k - 1, -1, -1))[:ring], (k, keep)
            else:                                  # lost: the torn one and the one it replaced
                assert got == kept[1:], (k, keep)
            assert count(again) == len(got)


# --- real files (the simulator's DirFS) -------------------------------------------------

def test_dirfs_maps_board_paths_under_its_root(tmp_path):
    fs = DirFS(str(tmp_path) + "/")
    store = RecordStore(fs)
    assert store.load() == (None, codes.RECORD_CORRUPT)
    for b in (300, 200, 100):
        assert store.commit(state(b)) == 0
    assert sorted(os.listdir(tmp_path / "data")) == ["rec_a.bin", "rec_b.bin"]
    assert RecordStore(DirFS(str(tmp_path))).load() == (state(100), 0)
    assert fs.stat("/data/rec_a.bin")[6] == 16 + len(state(0))
    assert sorted(fs.listdir("/data")) == ["rec_a.bin", "rec_b.bin"]
    with fs.open("data/x.tmp", "wb") as f:         # relative to the root as well
        f.write(b"x")
    fs.rename("/data/x.tmp", "/data/y.tmp")
    fs.remove("/data/y.tmp")
    assert not (tmp_path / "data" / "y.tmp").exists()


def test_dirfs_event_log_round_trip(tmp_path):
    fs = DirFS(str(tmp_path))
    log = EventLog(fs, "/data/events.bin")
    log.load()
    for i in range(300):
        assert log.append(1795867200 + i, i % 3 == 0, i, 40, -i)
    assert os.path.getsize(tmp_path / "data" / "events.bin") == 256 * ENTRY_SIZE
    again = EventLog(DirFS(str(tmp_path)), "/data/events.bin")
    again.load()
    assert count(again) == 256
    assert newest(again, 2) == [(1795867200 + 299, 0, 299, 40, -299),
                               (1795867200 + 298, 0, 298, 40, -298)]


def test_dirfs_missing_root_is_a_storage_error(tmp_path):
    fs = DirFS(str(tmp_path / "no" / "such"))
    store = RecordStore(fs)
    assert store.load() == (None, codes.RECORD_CORRUPT)      # nothing there yet
    assert store.commit(state(1)) == codes.STORAGE_ERROR      # cannot create /data


# --- firmware/_boot.py on fake rp2 and esp32 ports ----------------------------------------

BOOT_PY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                       "firmware", "_boot.py")


class FakeFlash:
    """A flash block device: 4 KiB blocks, erased to 0xFF; `fs` says what littlefs finds."""

    def __init__(self, fs="lfs", blocks=16):
        self.data = bytearray(b"\xff" * 4096 * blocks)
        self.fs = fs
        if fs is not None:
            self.data[0:16] = b"littlefs-superbk"
        self.mkfs_calls = []

    def readblocks(self, block, buf, offset=0):
        start = block * 4096 + offset
        buf[:] = self.data[start:start + len(buf)]


class FakePort:
    """The `vfs` module and a port module (`rp2` or `esp32`) around one FakeFlash."""

    def __init__(self, platform, flash, broken_device=False, eperm=False):
        self.platform = platform
        self.flash = flash
        self.eperm = eperm
        self.stacked = {}                      # path -> every filesystem mounted there
        self.mounts = {}
        self.opened = []
        port = self

        class VfsLfs2:
            def __init__(self, bdev, progsize=32):
                port.opened.append(progsize)
                if bdev.fs is None:
                    raise OSError(84)          # littlefs: corrupt
                self.bdev = bdev

            @staticmethod
            def mkfs(bdev, progsize=32):
                bdev.mkfs_calls.append(progsize)
                bdev.fs = "lfs"
                bdev.data[0:16] = b"littlefs-superbk"

        def mount(*args):
            if not args:                       # the listing, as vfs.mount() gives it
                return [(f, p) for p, fss in port.stacked.items() for f in fss]
            fs, path = args
            if path in port.mounts and port.eperm:
                raise OSError(1)               # EPERM: mount point in use (older ports)
            # MicroPython 1.29 stacks a second filesystem on "/" without complaint
            port.stacked.setdefault(path, []).append(fs)
            port.mounts[path] = fs

        self.vfs = types.ModuleType("vfs")
        self.vfs.VfsLfs2 = VfsLfs2
        self.vfs.mount = mount
        self.rp2 = types.ModuleType("rp2")

        def make_flash():
            if broken_device:
                raise RuntimeError("flash did not answer")
            return flash
        self.rp2.Flash = make_flash
        self.esp32 = types.ModuleType("esp32")

        class Partition:
            TYPE_DATA = 1

            @staticmethod
            def find(type_, label=None):
                return [flash] if flash is not None and label == "vfs" else []
        self.esp32.Partition = Partition


@pytest.fixture
def boot(monkeypatch):
    """boot(port) runs firmware/_boot.py as a fresh module on that port -> the module."""
    def run(port):
        monkeypatch.setattr(sys, "platform", port.platform)
        for name in ("vfs", "rp2", "esp32"):
            monkeypatch.setitem(sys.modules, name, getattr(port, name))
        spec = importlib.util.spec_from_file_location("_boot_under_test", BOOT_PY)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    return run


def test_boot_mounts_a_healthy_flash(boot):
    for platform, progsize in (("rp2", 256), ("esp32", 32)):
        port = FakePort(platform, FakeFlash())
        mod = boot(port)
        assert mod.mounted and not mod.formatted and mod.reason == ""
        assert "/" in port.mounts and port.opened == [progsize]
        # a second run (an `import _boot`) must agree and mount nothing more (1.29 stacks)
        again = boot(port)
        assert again.mounted and len(port.mounts) == 1
        assert len(port.stacked["/"]) == 1, port.stacked


def test_boot_run_by_the_port_publishes_itself_and_never_mounts_twice(monkeypatch):
    import runpy
    for eperm in (False, True):
        port = FakePort("rp2", FakeFlash(fs=None), eperm=eperm)   # blank: formatted here
        monkeypatch.setattr(sys, "platform", "rp2")
        for name in ("vfs", "rp2", "esp32"):
            monkeypatch.setitem(sys.modules, name, getattr(port, name))
        monkeypatch.delitem(sys.modules, "_boot", raising=False)
        runpy.run_path(BOOT_PY, run_name="__main__")    # as the port runs frozen _boot.py
        import _boot                                     # main.py or the REPL: no second run
        assert _boot.mounted and _boot.formatted and _boot.reason == ""
        assert len(port.stacked["/"]) == 1 and port.flash.mkfs_calls == [256]
        assert _boot.factory_format("ERASE") is False    # never while mounted
        monkeypatch.delitem(sys.modules, "_boot")


def test_boot_never_formats_a_filesystem_that_fails_to_mount(boot, capsys):
    for platform in ("rp2", "esp32"):
        flash = FakeFlash(fs=None)
        flash.data[5000] = 0x42                  # something is on it: keep it for recovery
        before = bytes(flash.data)
        port = FakePort(platform, flash)
        mod = boot(port)
        assert not mod.mounted and not mod.formatted and "mount failed" in mod.reason
        assert flash.mkfs_calls == [] and bytes(flash.data) == before and port.mounts == {}
        assert "storage error, supply stays on" in capsys.readouterr().out
        assert not boot(port).mounted            # the second run agrees
        assert flash.mkfs_calls == []


def test_boot_gives_a_blank_flash_its_first_filesystem(boot):
    for platform, progsize in (("rp2", 256), ("esp32", 32)):
        flash = FakeFlash(fs=None)               # erased everywhere, as after erase_flash
        port = FakePort(platform, flash)
        mod = boot(port)
        assert mod.mounted and mod.formatted and flash.mkfs_calls == [progsize]
        assert boot(port).mounted and flash.mkfs_calls == [progsize]


def test_boot_without_a_device_or_with_a_broken_one_carries_on(boot, capsys):
    mod = boot(FakePort("esp32", None))
    assert not mod.mounted and mod.reason == "no flash partition"
    mod = boot(FakePort("rp2", FakeFlash(), broken_device=True))
    assert not mod.mounted and "flash did not answer" in mod.reason
    assert capsys.readouterr().out.count("supply stays on") == 2


def test_boot_on_a_host_port_touches_nothing(boot):
    port = FakePort("webassembly", FakeFlash(fs=None))
    mod = boot(port)
    assert mod.mounted and port.opened == [] and port.mounts == {}


def test_factory_format_is_deliberate(boot, capsys):
    flash = FakeFlash(fs=None)
    flash.data[5000] = 0x42
    port = FakePort("rp2", flash)
    mod = boot(port)
    assert not mod.mounted
    with pytest.raises(ValueError):
        mod.factory_format()
    with pytest.raises(ValueError):
        mod.factory_format("yes")
    assert flash.mkfs_calls == []
    assert mod.factory_format("ERASE") is True
    assert mod.mounted and flash.mkfs_calls == [256] and "/" in port.mounts
    assert mod.factory_format("ERASE") is False   # never while a filesystem is mounted
    assert flash.mkfs_calls == [256]
