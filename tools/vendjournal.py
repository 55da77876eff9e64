"""The vending journal of tools/vend.py: an SQLite file of meters and of every token issued.

A meter row holds what the vending side must know to make a token the meter accepts — its key
revision and base index — and which utility key it belongs to, as a fingerprint (never the key
itself).  A token row holds what was issued: when (the issue minute is the token id), the type,
value, id and digits.  The last issue minute per meter lets two tokens vended in one minute take
consecutive ids.

Default path: $XDG_DATA_HOME/budget-meter/vend.sqlite, else ~/.local/share/budget-meter/.
"""
import os
import sqlite3
import time

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meters (
    serial     INTEGER PRIMARY KEY,
    key_id     TEXT NOT NULL,            -- fingerprint of the utility key, never the key
    key_rev    INTEGER NOT NULL,
    base       INTEGER NOT NULL,
    created    INTEGER NOT NULL,         -- Unix seconds (host clock)
    updated    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    serial     INTEGER NOT NULL REFERENCES meters(serial),
    issued_utc INTEGER NOT NULL,         -- the token's issue time (its id), Unix seconds
    vended_at  INTEGER NOT NULL,         -- when vend.py made it (host clock)
    type       TEXT NOT NULL,
    value      INTEGER NOT NULL,
    value_text TEXT NOT NULL,
    token_id   INTEGER NOT NULL,
    key_rev    INTEGER NOT NULL,
    base       INTEGER NOT NULL,
    digits     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tokens_by_meter ON tokens(serial, issued_utc);
"""


class JournalError(Exception):
    pass


def default_path(environ=None):
    env = os.environ if environ is None else environ
    base = env.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "budget-meter", "vend.sqlite")


class Journal:
    def __init__(self, path):
        self.path = path
        try:
            d = os.path.dirname(os.path.abspath(path))
            os.makedirs(d, mode=0o700, exist_ok=True)
            self.db = sqlite3.connect(path)
            self.db.row_factory = sqlite3.Row
            v = self.db.execute("PRAGMA user_version").fetchone()[0]
            if v not in (0, SCHEMA_VERSION):
                raise JournalError("the journal %s has schema version %d; this vend.py knows %d"
                                   % (path, v, SCHEMA_VERSION))
            self.db.executescript(_SCHEMA)
            self.db.execute("PRAGMA user_version = %d" % SCHEMA_VERSION)
            self.db.commit()
        except (OSError, sqlite3.Error) as e:
            raise JournalError("the journal %s: %s" % (path, e))

    def close(self):
        self.db.close()

    def meter(self, serial):
        row = self.db.execute("SELECT * FROM meters WHERE serial = ?", (serial,)).fetchone()
        return dict(row) if row is not None else None

    def meters(self):
        rows = self.db.execute(
            "SELECT m.*, COUNT(t.id) AS tokens, MAX(t.issued_utc) / 60 AS last_minute "
            "FROM meters m LEFT JOIN tokens t ON t.serial = m.serial "
            "GROUP BY m.serial ORDER BY m.serial").fetchall()
        return [dict(r) for r in rows]

    def last_minute(self, serial):
        """The issue minute (Unix minutes) of the newest token for the meter, or None."""
        row = self.db.execute("SELECT MAX(issued_utc) FROM tokens WHERE serial = ?",
                              (serial,)).fetchone()
        return None if row[0] is None else row[0] // 60

    def tokens(self, serial):
        rows = self.db.execute("SELECT * FROM tokens WHERE serial = ? ORDER BY issued_utc, id",
                               (serial,)).fetchall()
        return [dict(r) for r in rows]

    def record(self, serial, key_id, key_rev, base, issued_utc, kind, value, value_text,
               token_id, digits):
        """One token issued (and the meter, the first time it is seen), in one transaction."""
        now = int(time.time())
        with self.db:
            self.db.execute(
                "INSERT INTO meters (serial, key_id, key_rev, base, created, updated) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(serial) DO UPDATE SET "
                "key_rev = excluded.key_rev, base = excluded.base, updated = excluded.updated",
                (serial, key_id, key_rev, base, now, now))
            self.db.execute(
                "INSERT INTO tokens (serial, issued_utc, vended_at, type, value, value_text, "
                "token_id, key_rev, base, digits) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (serial, issued_utc, now, kind, value, value_text, token_id, key_rev, base,
                 digits))

    def set_key(self, serial, key_rev, base):
        """After a key change token: the meter's revision and base from then on."""
        with self.db:
            self.db.execute("UPDATE meters SET key_rev = ?, base = ?, updated = ? "
                            "WHERE serial = ?", (key_rev, base, int(time.time()), serial))
