"""Vends native 20-digit tokens for one meter (format: docs/tokens.md) and keeps a journal of
them.  Prints ONLY the token's digits on stdout (hints go to stderr); bad arguments: a message
on stderr and exit status 2.

  python tools/vend.py [--key-file F | --dev] [--serial N] [--at UTC] [--db FILE] COMMAND
    credit AMOUNT                      e.g. credit 20.00 (minor units: 2 decimals)
    reconnect | cancel-cut | clear
    nocut --start YYYY-MM-DD --days N  no-cut registration (start within 63 days, 1-256 days)
    settime [--challenge N]            a strong lower bound at the issue minute (--at, default
                                       now); with the meter's TIME CODE N also an upper bound
    emergency --amount X               emergency credit amount (0 = none)
    keychange [--new-rev R] [--new-base B]
    protect medical|weather|cold|protected --days N | --until YYYY-MM-DD | --off
    decode DIGITS                      prints what a token says; exit 0 valid, 1 invalid
    history SERIAL                     the tokens the journal holds for a meter
    meters                             the meters the journal knows
    openpaygo --key HEX --count N --value V [--starting-code C] [--mode add|set]

The utility key is read from --key-file (hex text) or the environment variable
METER_UTILITY_KEY (hex), never from the command line, where shell history and `ps` would show
it.  --dev takes the DEVELOPMENT key and serial of tools/devkeys.py: tokens made
with them are for the simulator and bench meters only.

The journal (SQLite, tools/vendjournal.py; --db, default $XDG_DATA_HOME/budget-meter/
vend.sqlite) knows each meter's key revision and base and which utility key it belongs to (by
fingerprint, never the key), and every token issued.  A meter vended for the first time starts
at key revision 0, base 0 (--key-rev / --base say otherwise and are remembered); a key change
token moves the journal's meter on.  Two tokens for one meter in one minute get consecutive
minutes (the token id is the issue minute): the next token uses max(now, last + 1 minute).
--no-db vends without the journal (then --key-rev and --base are the meter's, default 0).

--at is 'YYYY-MM-DDTHH:MM:SSZ' (UTC, default now) and may follow the command too.
"""
import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _p in (os.path.join(ROOT, "firmware"), os.path.join(ROOT, "tools", "cpython_shim")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from meter.core import calendar  # noqa: E402

from meter.core import isotime  # noqa: E402
from meter.core import token as T  # noqa: E402
from devkeys import DEV_SERIAL, DEV_UTILITY_KEY_HEX  # noqa: E402

KEY_ENV = "METER_UTILITY_KEY"


class VendError(Exception):
    """A refused request, for programs that vend (tools/sim.py): the command line's message."""


class Parser(argparse.ArgumentParser):
    """argparse that exits 2 with the message (the command line)."""


class RaisingParser(Parser):
    """The same parser for programs: errors raise VendError instead of exiting."""

    def error(self, message):
        raise VendError(message)


# --- argument types (each raises ArgumentTypeError: argparse prints it and exits 2) -------

def utc_arg(text):
    try:
        return isotime.parse_iso_utc(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a UTC time YYYY-MM-DDTHH:MM:SSZ" % text)


def date_arg(text):
    try:
        y, m, d = isotime.parse_date(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a date YYYY-MM-DD" % text)
    return calendar.days_from_civil(y, m, d) - 10957          # days since 2000


def parse_key(text, where):
    """Hex text (spaces and newlines ignored) -> the utility key; ValueError says why not."""
    text = "".join(text.split())
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise ValueError("%s: the key must be hexadecimal" % where)
    if not 16 <= len(key) <= 64:
        raise ValueError("%s: the utility key must be 16 to 64 bytes (32 to 128 hex digits), "
                         "got %d bytes" % (where, len(key)))
    return key


def refuse_key_on_command_line(text):
    raise argparse.ArgumentTypeError(
        "the utility key is no longer taken on the command line (shell history and `ps` "
        "show it): put it in a file for --key-file, or in the environment as %s; --dev for "
        "the development key" % KEY_ENV)


def int_arg(lo, hi, what):
    def parse(text):
        try:
            n = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError("%s must be a whole number, got %r" % (what, text))
        if not lo <= n <= hi:
            raise argparse.ArgumentTypeError("%s must be %d to %d, got %d" % (what, lo, hi, n))
        return n
    return parse


def minor_units(text):
    """'20.00' -> 2000; refuses signs, more than 2 decimals, exponents and junk."""
    text = text.strip()
    if text.startswith("-"):
        raise argparse.ArgumentTypeError("the amount must not be negative: %r" % text)
    whole, dot, frac = text.partition(".")
    if not whole.isdigit() or not whole.isascii() or (dot and not frac):
        raise argparse.ArgumentTypeError("%r is not an amount like 20.00" % text)
    if frac and (not frac.isdigit() or not frac.isascii()):
        raise argparse.ArgumentTypeError("%r is not an amount like 20.00" % text)
    if len(frac) > 2:
        raise argparse.ArgumentTypeError("at most 2 decimals: %r" % text)
    if len(whole) > 12:
        raise argparse.ArgumentTypeError("amount too large: %r" % text)
    return int(whole) * 100 + int((frac + "00")[:2])


def credit_arg(text):
    amount = minor_units(text)
    if amount == 0:
        raise argparse.ArgumentTypeError("a credit must be more than 0")
    if amount > T.CREDIT_MAX:
        raise argparse.ArgumentTypeError("amount too large: at most %s" % money(T.CREDIT_MAX))
    if amount > T.CREDIT_EXACT_MAX and amount % 100:
        raise argparse.ArgumentTypeError(
            "above %s one token carries whole amounts only (e.g. %s); vend the cents apart"
            % (money(T.CREDIT_EXACT_MAX), money(amount - amount % 100)))
    return amount


def emergency_arg(text):
    amount = minor_units(text)
    if amount > T.EMERGENCY_MAX:
        raise argparse.ArgumentTypeError("emergency credit at most %s" % money(T.EMERGENCY_MAX))
    return amount


def money(minor):
    return "%d.%02d" % (minor // 100, minor % 100)


def iso_day(day2000):
    return isotime.iso_utc((day2000 + 10957) * 86400)[:10]


# --- the parser ------------------------------------------------------------------------
#
# One table of token commands: a new token type is one more entry here and in `encode_for`
# (and `describe` for decode/history).  Each entry: name, help, a function adding the
# command's own arguments (or None).

def _credit_args(s):
    s.add_argument("amount", type=credit_arg)


def _nocut_args(s):
    s.add_argument("--start", type=date_arg, required=True, metavar="YYYY-MM-DD")
    s.add_argument("--days", type=int_arg(1, T.NOCUT_MAX_DAYS, "--days"), required=True)


def _emergency_args(s):
    s.add_argument("--amount", type=emergency_arg, required=True)


def _protect_args(s):
    s.add_argument("which", choices=T.PROTECT_KINDS)
    g = s.add_mutually_exclusive_group(required=True)
    g.add_argument("--days", type=int_arg(1, T.PROTECT_MAX_DAYS, "--days"),
                   help="through the end of the issue date + DAYS (meter's local midnight)")
    g.add_argument("--until", type=date_arg, metavar="YYYY-MM-DD",
                   help="the last protected day")
    g.add_argument("--off", action="store_true", help="end it now")


def _settime_args(s):
    s.add_argument("--challenge", type=int_arg(0, 99999, "--challenge"), metavar="N",
                   help="the TIME CODE the meter shows (status clock.challenge): the token then "
                   "also proves an upper bound on the time and restores trust (docs/clock.md)")


def _keychange_args(s):
    s.add_argument("--new-rev", type=int_arg(1, T.KEY_REV_MAX, "--new-rev"),
                   help="default: the current revision + 1")
    s.add_argument("--new-base", type=int_arg(0, T.BASE_MAX, "--new-base"),
                   help="default: the newest base that has started at the issue time")


TOKEN_COMMANDS = [
    ("credit", "credit in currency units, e.g. 20.00", _credit_args),
    ("reconnect", "reconnect (arms the relay)", None),
    ("nocut", "no-cut registration", _nocut_args),
    ("cancel-cut", "cancel the planned cut", None),
    ("settime", "set the meter's clock to --at", _settime_args),
    ("emergency", "emergency credit amount", _emergency_args),
    ("clear", "clear alerts", None),
    ("keychange", "new key revision and base", _keychange_args),
    ("protect", "medical, weather or cold protection, or the protected-customer flag, to an "
     "end date (or --off)", _protect_args),
]


def meter_options():
    """The meter's identity; a fresh parser per use, as argparse shares parents' actions."""
    meter = argparse.ArgumentParser(add_help=False)
    meter.add_argument("--key", type=refuse_key_on_command_line, metavar="HEX",
                       default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    meter.add_argument("--key-file", metavar="FILE", default=argparse.SUPPRESS,
                       help="file holding the utility key in hex (or set %s)" % KEY_ENV)
    meter.add_argument("--dev", action="store_true", default=argparse.SUPPRESS,
                       help="the DEVELOPMENT key and serial (simulator and bench meters)")
    meter.add_argument("--serial", type=int_arg(0, 0xFFFFFFFF, "the serial"),
                       default=argparse.SUPPRESS, help="meter serial")
    meter.add_argument("--key-rev", type=int_arg(0, T.KEY_REV_MAX, "the key revision"),
                       default=argparse.SUPPRESS,
                       help="the meter's key revision (default: the journal's, else 0)")
    meter.add_argument("--base", type=int_arg(0, T.BASE_MAX, "the base index"),
                       default=argparse.SUPPRESS,
                       help="the meter's base index (default: the journal's, else 0)")
    meter.add_argument("--db", metavar="FILE", default=argparse.SUPPRESS,
                       help="the vending journal (default %s)" % journal_default_hint())
    meter.add_argument("--no-db", action="store_true", default=argparse.SUPPRESS,
                       help="vend without the journal")
    return meter


def journal_default_hint():
    return "$XDG_DATA_HOME/budget-meter/vend.sqlite"


def when_options():
    when = argparse.ArgumentParser(add_help=False)
    when.add_argument("--at", type=utc_arg, metavar="UTC", default=argparse.SUPPRESS,
                      help="issue time YYYY-MM-DDTHH:MM:SSZ (default: now)")
    return when


def command(sub, name, text):
    return sub.add_parser(name, parents=[meter_options(), when_options()], help=text)


def build_parser(cls=Parser):
    # Options given before or after the command both count: the command's copies default to
    # SUPPRESS so that they never overwrite a value given before the command.
    p = cls(prog="vend.py", parents=[meter_options(), when_options()],
            description="Vend native 20-digit meter tokens and keep a journal of them.")
    p.set_defaults(key_file=None, dev=False, serial=None, key_rev=None, base=None, at=None,
                   db=None, no_db=False)
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, text, add in TOKEN_COMMANDS:
        s = command(sub, name, text)
        if add is not None:
            add(s)
    s = command(sub, "decode", "what a token says (exit 0 valid, 1 not)")
    s.add_argument("digits")
    s = command(sub, "history", "the tokens issued to a meter (from the journal)")
    s.add_argument("history_serial", type=int_arg(0, 0xFFFFFFFF, "the serial"),
                   metavar="SERIAL")
    command(sub, "meters", "the meters the journal knows")
    s = sub.add_parser("openpaygo", parents=[when_options()], help="an OpenPAYGO Token (9 digits)")
    s.add_argument("--key", dest="opg_key", required=True, metavar="HEX",
                   help="the device's OpenPAYGO key, 32 hex digits")
    s.add_argument("--count", type=int_arg(0, 2 ** 31, "--count"), required=True,
                   help="the last count used for this device")
    s.add_argument("--value", type=int_arg(0, 995, "--value"), required=True)
    s.add_argument("--starting-code", type=int_arg(0, 999999999, "--starting-code"),
                   default=None)
    s.add_argument("--mode", choices=("add", "set"), default="add")
    return p


# --- the utility key, the meter, the journal ----------------------------------------------

def utility_key(p, args, environ=None):
    """-> (key, label): --key-file, else $METER_UTILITY_KEY, else --dev's development key."""
    environ = os.environ if environ is None else environ
    try:
        if args.key_file is not None:
            if args.dev:
                p.error("--dev and --key-file: choose one")
            try:
                with open(args.key_file) as f:
                    return parse_key(f.read(), "--key-file %s" % args.key_file), "file"
            except OSError as e:
                p.error("--key-file: %s" % (e.strerror or e))
        if args.dev:
            return bytes.fromhex(DEV_UTILITY_KEY_HEX), "dev"
        if environ.get(KEY_ENV):
            return parse_key(environ[KEY_ENV], KEY_ENV), "env"
    except ValueError as e:
        p.error(str(e))
    p.error("no utility key: give --key-file FILE or set %s (hex); --dev for the DEVELOPMENT "
            "key of the simulator and bench meters" % KEY_ENV)
    return b"", ""


def meter_serial(p, args):
    if args.serial is not None:
        return args.serial
    if args.dev:
        return DEV_SERIAL
    p.error("--serial N: which meter (--dev: the development meter)")
    return -1


def open_journal(p, args):
    if args.no_db:
        return None
    import vendjournal
    path = args.db or vendjournal.default_path()
    try:
        return vendjournal.Journal(path)
    except vendjournal.JournalError as e:
        p.error(str(e))
    return None


# --- commands ----------------------------------------------------------------------------

def token_id(p, base, at):
    try:
        return T.token_id_from_utc(at, base)
    except ValueError:
        start = T.issue_utc(0, base)
        if at < start:
            p.error("issue time %s is before base %d's date %s"
                    % (isotime.iso_utc(at), base, isotime.iso_utc(start)))
        p.error("issue time %s is past base %d's rollover %s: the meter needs a key change to a "
                "newer base" % (isotime.iso_utc(at), base,
                                isotime.iso_utc(T.issue_utc(T.ID_LIMIT - 1, base) + 60)))
    return -1


def encode_for(p, args, key, tid, key_rev, base):
    """-> (kind, value) of the token the command asks for, checked against the meter."""
    cmd = args.command
    if cmd == "credit":
        return T.CREDIT, args.amount
    if cmd == "emergency":
        return T.EMERGENCY, args.amount
    if cmd == "nocut":
        issue_day = T.issue_minute(tid, base) // 1440
        offset = args.start - issue_day
        if not 0 <= offset <= T.NOCUT_MAX_OFFSET:
            p.error("--start must be from the issue date %s to %d days after it"
                    % (iso_day(issue_day), T.NOCUT_MAX_OFFSET))
        return T.NOCUT, T.nocut_value(offset, args.days)
    if cmd == "protect":
        which = T.PROTECT_KINDS.index(args.which)
        days = 0
        if args.days is not None:
            days = args.days
        elif args.until is not None:
            days = args.until - T.issue_minute(tid, base) // 1440
            if not 1 <= days <= T.PROTECT_MAX_DAYS:
                p.error("--until must be 1 to %d days after the issue date %s"
                        % (T.PROTECT_MAX_DAYS, iso_day(T.issue_minute(tid, base) // 1440)))
        return T.PROTECT, T.protect_value(which, days)
    if cmd == "keychange":
        new_rev = args.new_rev if args.new_rev is not None else key_rev + 1
        new_base = args.new_base
        if new_base is None:
            new_base = max(base, T.newest_base(T.issue_minute(tid, base)))
        if new_rev <= key_rev or new_rev > T.KEY_REV_MAX:
            p.error("--new-rev must be above the meter's key revision %d (at most %d)"
                    % (key_rev, T.KEY_REV_MAX))
        if new_base < base:
            p.error("--new-base must not be below the meter's base %d" % base)
        if T.base_minute(new_base) > T.issue_minute(tid, base):
            p.error("base %d starts %s, after the issue time"
                    % (new_base, isotime.iso_utc(T.issue_utc(0, new_base))))
        return T.KEY_CHANGE, T.keychange_value(new_rev, new_base)
    kind = {"reconnect": T.RECONNECT, "cancel-cut": T.CANCEL_CUT, "settime": T.SET_TIME,
            "clear": T.CLEAR}[cmd]
    return kind, 0


def vend(p, args, key, at, key_rev=None, base=None):
    """-> the digits for args' command; key is the METER key (derive_meter_key)."""
    key_rev = (args.key_rev or 0) if key_rev is None else key_rev
    base = (args.base or 0) if base is None else base
    tid = token_id(p, base, at)
    kind, value = encode_for(p, args, key, tid, key_rev, base)
    if kind == T.KEY_CHANGE:
        rev, new_base = T.keychange_split(value)
        sys.stderr.write("after this token: the meter is at key revision %d, base %d\n"
                         % (rev, new_base))
    challenge = getattr(args, "challenge", None)
    return T.encode(key, kind, value, tid, -1 if challenge is None else challenge)


def describe(kind, value, tid, base):
    if kind == T.CREDIT or kind == T.EMERGENCY:
        return money(value)
    if kind == T.NOCUT:
        _, days = T.nocut_split(value)
        return "start %s, %d days" % (iso_day(T.nocut_start_day(tid, base, value)), days)
    if kind == T.PROTECT:
        which, days = T.protect_split(value)
        if days == 0:
            return "%s off" % T.PROTECT_KINDS[which]
        return "%s through %s" % (T.PROTECT_KINDS[which],
                                  iso_day(T.protect_end_day(tid, base, value) - 1))
    if kind == T.KEY_CHANGE:
        rev, new_base = T.keychange_split(value)
        return "key revision %d, base %d (%s)" % (rev, new_base,
                                                    iso_day(T.base_minute(new_base) // 1440))
    return "-"


def decode(args, key, base):
    digits = args.digits.replace(" ", "").replace("-", "")
    kind, value, tid = T.decode(key, digits)
    if kind == T.INVALID:
        print("status: invalid")
        return 1
    print("status: valid")
    print("type: %s" % T.NAMES[kind])
    print("value: %s" % describe(kind, value, tid, base))
    print("issued: %s" % isotime.iso_utc(T.issue_utc(tid, base)))
    print("token_id: %d" % tid)
    return 0


def history(p, args):
    journal = open_journal(p, args)
    if journal is None:
        p.error("history needs the journal (not --no-db)")
    m = journal.meter(args.history_serial)
    if m is None:
        p.error("the journal %s knows no meter %d" % (journal.path, args.history_serial))
    print("meter %d: key revision %d, base %d, utility key %s" % (
        m["serial"], m["key_rev"], m["base"], m["key_id"]))
    print("%-20s  %-10s  %-28s  %8s  %s" % ("issued (UTC)", "type", "value", "token_id",
                                            "digits"))
    for t in journal.tokens(args.history_serial):
        print("%-20s  %-10s  %-28s  %8d  %s" % (
            isotime.iso_utc(t["issued_utc"]), t["type"],
            t["value_text"], t["token_id"], t["digits"]))
    return 0


def meters(p, args):
    journal = open_journal(p, args)
    if journal is None:
        p.error("meters needs the journal (not --no-db)")
    print("%10s  %7s  %4s  %-16s  %6s  %s" % ("serial", "key_rev", "base", "utility key",
                                             "tokens", "last issued (UTC)"))
    for m in journal.meters():
        last = m["last_minute"]
        print("%10d  %7d  %4d  %-16s  %6d  %s" % (
            m["serial"], m["key_rev"], m["base"], m["key_id"], m["tokens"],
            isotime.iso_utc(last * 60) if last is not None else "-"))
    return 0


def openpaygo(p, args):
    try:
        from openpaygo import TokenType, generate_token
    except ImportError as e:
        p.error("the openpaygo package is not installed (%s)" % e)
        return 2
    try:
        key = bytes.fromhex(args.opg_key)
    except ValueError:
        key = b""
    if len(key) != 16:
        p.error("the OpenPAYGO key must be 32 hex digits")
    mode = TokenType.ADD_TIME if args.mode == "add" else TokenType.SET_TIME
    count, digits = generate_token(secret_key=args.opg_key, count=args.count, value=args.value,
                                   token_type=mode, starting_code=args.starting_code)
    sys.stderr.write("new count: %d\n" % count)
    print(digits)
    return 0


def vend_openpaygo(argv):
    """-> the 9 digits of an OpenPAYGO token, for programs (tools/bench.py); argv as after
    `vend.py openpaygo` on the command line."""
    import contextlib
    import io
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        main(["openpaygo"] + list(argv))
    return out.getvalue().strip()


_PARSERS = {}


def vend_native(argv, quiet=False):
    """-> the digits of a native token, for programs (tools/bench.py, tools/sim.py): argv as
    on the command line, e.g. ["credit", "20.00", "--at", "2026-11-28T12:00:00Z"].  Programs
    vend for the DEVELOPMENT meter unless --key-file/--serial say otherwise, and without the
    journal unless --db names one.  Bad arguments raise SystemExit like the command line, or
    VendError (message only, nothing printed) with quiet=True."""
    import contextlib
    import io
    cls = RaisingParser if quiet else Parser
    p = _PARSERS.get(cls)
    if p is None:
        p = _PARSERS[cls] = build_parser(cls)      # building it costs 40 ms; parsing does not
    args = p.parse_args(argv)
    if args.command not in [c[0] for c in TOKEN_COMMANDS]:
        p.error("vend_native makes native tokens only")
    if args.key_file is None:
        args.dev = True
    if args.db is None:
        args.no_db = True
    if quiet:
        with contextlib.redirect_stderr(io.StringIO()):
            return issue(p, args)
    return issue(p, args)


def issue(p, args, environ=None):
    """Vends args' token command: the key, the meter's state and the minute from the journal
    (unless --no-db), the token recorded there.  -> the digits."""
    import hashlib
    utility, label = utility_key(p, args, environ)
    serial = meter_serial(p, args)
    key_id = hashlib.sha256(b"budget-meter utility key id\0" + utility).hexdigest()[:16]
    if label == "dev":
        key_id = "dev:" + key_id[:12]
    now = args.at if args.at is not None else int(time.time())
    journal = open_journal(p, args)
    key_rev = args.key_rev
    base = args.base
    minute = now // 60
    if journal is not None:
        m = journal.meter(serial)
        if m is not None:
            if m["key_id"] != key_id:
                p.error("meter %d belongs to utility key %s in the journal %s, not to this key "
                        "(%s)" % (serial, m["key_id"], journal.path, key_id))
            key_rev = m["key_rev"] if key_rev is None else key_rev
            base = m["base"] if base is None else base
            last = journal.last_minute(serial)
            if last is not None and last >= minute:
                sys.stderr.write("token ids are minutes: %s is taken for meter %d, issued at "
                                 "%s\n" % (isotime.iso_utc(minute * 60), serial,
                                           isotime.iso_utc((last + 1) * 60)))
                minute = last + 1
            if minute * 60 - now > 120:
                sys.stderr.write("warning: issued %d minutes ahead; a meter takes tokens up to "
                                 "2 minutes ahead of its clock\n" % ((minute * 60 - now) // 60))
    key_rev = 0 if key_rev is None else key_rev
    base = 0 if base is None else base
    at = minute * 60 if minute * 60 > now else now
    meter_key = T.derive_meter_key(utility, serial, key_rev)
    digits = vend(p, args, meter_key, at, key_rev, base)
    if journal is not None:
        kind, value, tid = T.decode(meter_key, digits)
        journal.record(serial, key_id, key_rev, base, T.issue_utc(tid, base), T.NAMES[kind],
                       value, describe(kind, value, tid, base), tid, digits)
        if kind == T.KEY_CHANGE:
            rev, new_base = T.keychange_split(value)
            journal.set_key(serial, rev, new_base)
        journal.close()
    return digits


def main(argv=None, environ=None):
    p = build_parser()
    args = p.parse_args(argv)
    if args.command == "openpaygo":
        return openpaygo(p, args)
    if args.command == "history":
        return history(p, args)
    if args.command == "meters":
        return meters(p, args)
    if args.command == "decode":
        utility, _ = utility_key(p, args, environ)
        serial = meter_serial(p, args)
        key_rev, base = args.key_rev, args.base
        journal = None if args.no_db else open_journal(p, args)
        if journal is not None:
            m = journal.meter(serial)
            if m is not None:
                key_rev = m["key_rev"] if key_rev is None else key_rev
                base = m["base"] if base is None else base
            journal.close()
        key = T.derive_meter_key(utility, serial, key_rev or 0)
        return decode(args, key, base or 0)
    print(issue(p, args, environ))
    return 0


if __name__ == "__main__":
    sys.exit(main())
