"""Keeps the OpenPAYGO value table (meter.core.openpaygo) at the counter, on flash: the
background task advances it a slice at a time, saves it, and parks it (out of RAM, decodes read
their one entry from the file) once saved at the counter, so that no token decode walks more
than a bounded number of hashes (issue 11).

meter.app makes a TableKeeper only for a meter with OpenPAYGO configured: a meter without it
never loads this module (issue 11: about 1 KB of a board's heap on the deploy path).
"""
from micropython import const

# codes this module gives (meter.core.codes, docs/codes.md), compiled in as constants:
# a board keeps no name for them (issue 11); host_tests/test_codes.py holds each to
# its number in meter.core.codes
_TOKEN_BUSY = const(152)

_OPG_MAX_LAG = const(24)        # counts the table may lag a decode by: <= 104 hashes in all
_OPG_SAVE_EVERY = const(16)     # counts between saves while the table catches up
_OPG_TABLE = "/data/opgtable.bin"
_OPG_TABLE_NEW = "/data/opgtable.new"


class TableKeeper:
    def __init__(self, app):
        self.app = app
        self.dec = app.desk._opg_decoder
        self.saved = -1              # the value-table count the file on flash holds
        self.tried = -1              # ... and the count last written (or tried)

    def target(self):
        """The count the value table is kept at: the lowest an Add token can be accepted at."""
        opg = self.app.desk.opg
        n = opg.last_count - 15 if opg is not None else 0
        return n if n > 0 else 0

    def load(self):
        """The value table from flash into RAM (boot, or to be advanced); a missing, damaged
        or foreign file, or one ahead of the record, gives a table at count 0 instead."""
        dec = self.dec
        hw = self.app.hw
        data = None
        if getattr(hw, "storage_ok", True):
            try:
                with hw.fs.open(_OPG_TABLE, "rb") as f:
                    data = f.read()
            except OSError:
                data = None
        # a table ahead of the record (saved after a commit that a power cut then lost) would
        # skip counts that can still be accepted: start again from count 0
        ok = dec.table_load(data) and dec.table_count() <= self.target()
        data = None
        if not ok:
            dec.table_reset()
        self.saved = self.tried = dec.table_count() if ok else -1
        self.hold()

    def read(self, base):
        """A parked value table's header and the entry of one token value, read from flash
        for a decode (meter.core.openpaygo.OpenPaygoDecoder.table_park), or None."""
        dec = self.dec
        try:
            with self.app.hw.fs.open(_OPG_TABLE, "rb") as f:
                head = f.read(dec.table_offset(0))
                f.seek(dec.table_offset(base))
                return head + f.read(4)
        except OSError:
            return None

    def behind(self):
        """-> how many counts the value table is behind when that is too many for a bounded
        decode (OpenPAYGO tokens answer busy meanwhile), else 0."""
        dec = self.dec
        if not self.app.opg_background or dec.table_count() < 0:
            return 0                     # without the background task a decode walks, as before
        lag = self.target() - dec.table_count()
        return lag if lag > _OPG_MAX_LAG else 0

    def hold(self):
        """While OpenPAYGO tokens answer busy (the table rebuilding after its file was lost:
        hours on a Pico at a high count), the household cannot top up with one: no cut for
        lack of credit meanwhile (the LCD and `status` give TOKEN_BUSY as the reason)."""
        m = self.app.meter
        if self.behind():
            if not m.fault_hold:
                m.fault_hold = _TOKEN_BUSY
        elif m.fault_hold == _TOKEN_BUSY:
            m.fault_hold = 0

    def step(self, budget):
        """One background slice: advances the value table towards the counter by at most
        `budget` hashes, or saves it once it has arrived -> True while there is work left.
        Saved and at the counter, the table leaves RAM (parked: decodes read their entry from
        the file) until the counter moves on."""
        dec = self.dec
        if dec.table_count() < 0:
            return False
        self.hold()                      # at most a slice (1 s) late either way
        target = self.target()
        count = dec.table_count()
        if dec.table_parked():
            if count >= target:
                return False
            self.load()                  # back into RAM to be advanced
            return True
        hw = self.app.hw
        storage_ok = getattr(hw, "storage_ok", True)
        due = count >= target or count - self.tried >= _OPG_SAVE_EVERY
        if due and count != self.tried and storage_ok:
            data = dec.table_bytes()
            if data is not None:
                # arrived, or a long rebuild under way: saved, so a reset does not restart it
                self.tried = count           # a failing flash must not stop the advance
                fs = hw.fs
                try:
                    with fs.open(_OPG_TABLE_NEW, "wb") as f:
                        f.write(data)
                    fs.rename(_OPG_TABLE_NEW, _OPG_TABLE)
                    self.saved = count
                except OSError:
                    pass                     # the RAM copy works; not parked on a bad file
                if count < target:
                    return True
        if count < target:
            dec.table_advance(target, budget, True)
            return True
        if count == self.saved and storage_ok:
            dec.table_park()             # at the counter and on flash: out of RAM
        return False
