"""Vends native 20-digit tokens for one meter (format: docs/tokens.md).  Prints ONLY the token's
digits on stdout (hints go to stderr); bad arguments: a message on stderr and exit status 2.

  python tools/vend.py [--key HEX] [--serial N] [--key-rev R] [--base B] [--at UTC] COMMAND
    credit AMOUNT                      e.g. credit 20.00 (minor units: 2 decimals)
    reconnect | cancel-cut | clear
    nocut --start YYYY-MM-DD --days N  no-cut registration (start within 63 days, 1-256 days)
    settime                            the issue minute (--at, default now) becomes the time
    emergency --amount X               emergency credit amount (0 = none)
    keychange [--new-rev R] [--new-base B]
    decode DIGITS                      prints what a token says; exit 0 valid, 1 invalid
    openpaygo --key HEX --count N --value V [--starting-code C] [--mode add|set]

--at is 'YYYY-MM-DDTHH:MM:SSZ' (UTC, default now) and may follow the command too.  Without
--key/--serial the DEVELOPMENT key and serial of firmware/meter/core/devkeys.py are used: tokens
made with them are for the simulator and bench meters only.  --key-rev and --base are the meter's
current key revision and base index (0 and 0 until a key change token has been entered).
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
from meter.core import token as T  # noqa: E402
from meter.core.devkeys import DEV_SERIAL, DEV_UTILITY_KEY_HEX  # noqa: E402


# --- argument types (each raises ArgumentTypeError: argparse prints it and exits 2) -------

def utc_arg(text):
    try:
        return calendar.parse_iso_utc(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a UTC time YYYY-MM-DDTHH:MM:SSZ" % text)


def date_arg(text):
    try:
        y, m, d = calendar.parse_date(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a date YYYY-MM-DD" % text)
    return calendar.days_from_civil(y, m, d) - 10957          # days since 2000


def key_arg(text):
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise argparse.ArgumentTypeError("the key must be hexadecimal")
    if not 16 <= len(key) <= 64:
        raise argparse.ArgumentTypeError("the utility key must be 16 to 64 bytes (32 to 128 hex "
                                         "digits), got %d bytes" % len(key))
    return key


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
    return calendar.iso_utc((day2000 + 10957) * 86400)[:10]


# --- the parser ------------------------------------------------------------------------

def meter_options():
    """The meter's identity; a fresh parser per use, as argparse shares parents' actions."""
    meter = argparse.ArgumentParser(add_help=False)
    meter.add_argument("--key", type=key_arg, metavar="HEX", default=argparse.SUPPRESS,
                       help="utility key in hex (default: the DEVELOPMENT key)")
    meter.add_argument("--serial", type=int_arg(0, 0xFFFFFFFF, "the serial"),
                       default=argparse.SUPPRESS, help="meter serial (default: development)")
    meter.add_argument("--key-rev", type=int_arg(0, T.KEY_REV_MAX, "the key revision"),
                       default=argparse.SUPPRESS, help="the meter's key revision (default 0)")
    meter.add_argument("--base", type=int_arg(0, T.BASE_MAX, "the base index"),
                       default=argparse.SUPPRESS, help="the meter's base index (default 0)")
    return meter


def when_options():
    when = argparse.ArgumentParser(add_help=False)
    when.add_argument("--at", type=utc_arg, metavar="UTC", default=argparse.SUPPRESS,
                      help="issue time YYYY-MM-DDTHH:MM:SSZ (default: now)")
    return when


def command(sub, name, text):
    return sub.add_parser(name, parents=[meter_options(), when_options()], help=text)


def build_parser():
    # Options given before or after the command both count: the command's copies default to
    # SUPPRESS so that they never overwrite a value given before the command.
    p = argparse.ArgumentParser(prog="vend.py", parents=[meter_options(), when_options()],
                                description="Vend native 20-digit meter tokens.")
    p.set_defaults(key=bytes.fromhex(DEV_UTILITY_KEY_HEX), serial=DEV_SERIAL, key_rev=0,
                   base=0, at=None)
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    s = command(sub, "credit", "credit in currency units, e.g. 20.00")
    s.add_argument("amount", type=credit_arg)
    command(sub, "reconnect", "reconnect (arms the relay)")
    s = command(sub, "nocut", "no-cut registration")
    s.add_argument("--start", type=date_arg, required=True, metavar="YYYY-MM-DD")
    s.add_argument("--days", type=int_arg(1, T.NOCUT_MAX_DAYS, "--days"), required=True)
    command(sub, "cancel-cut", "cancel the planned cut")
    command(sub, "settime", "set the meter's clock to --at")
    s = command(sub, "emergency", "emergency credit amount")
    s.add_argument("--amount", type=emergency_arg, required=True)
    command(sub, "clear", "clear alerts")
    s = command(sub, "keychange", "new key revision and base")
    s.add_argument("--new-rev", type=int_arg(1, T.KEY_REV_MAX, "--new-rev"),
                   help="default: the current revision + 1")
    s.add_argument("--new-base", type=int_arg(0, T.BASE_MAX, "--new-base"),
                   help="default: the newest base that has started at the issue time")
    s = command(sub, "protect", "medical, weather or cold protection, or the protected-customer "
                "flag, to an end date (or --off)")
    s.add_argument("which", choices=T.PROTECT_KINDS)
    g = s.add_mutually_exclusive_group(required=True)
    g.add_argument("--days", type=int_arg(1, T.PROTECT_MAX_DAYS, "--days"),
                   help="through the end of the issue date + DAYS (meter's local midnight)")
    g.add_argument("--until", type=date_arg, metavar="YYYY-MM-DD",
                   help="the last protected day")
    g.add_argument("--off", action="store_true", help="end it now")
    s = command(sub, "decode", "what a token says (exit 0 valid, 1 not)")
    s.add_argument("digits")
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


# --- commands ----------------------------------------------------------------------------

def token_id(p, args, at):
    try:
        return T.token_id_from_utc(at, args.base)
    except ValueError:
        start = T.issue_utc(0, args.base)
        if at < start:
            p.error("issue time %s is before base %d's date %s"
                    % (calendar.iso_utc(at), args.base, calendar.iso_utc(start)))
        p.error("issue time %s is past base %d's rollover %s: the meter needs a key change to a "
                "newer base" % (calendar.iso_utc(at), args.base,
                                calendar.iso_utc(T.issue_utc(T.ID_LIMIT - 1, args.base) + 60)))
    return -1


def vend(p, args, key, at):
    tid = token_id(p, args, at)
    cmd = args.command
    if cmd == "credit":
        return T.encode(key, T.CREDIT, args.amount, tid)
    if cmd == "emergency":
        return T.encode(key, T.EMERGENCY, args.amount, tid)
    if cmd == "nocut":
        issue_day = T.issue_minute(tid, args.base) // 1440
        offset = args.start - issue_day
        if not 0 <= offset <= T.NOCUT_MAX_OFFSET:
            p.error("--start must be from the issue date %s to %d days after it"
                    % (iso_day(issue_day), T.NOCUT_MAX_OFFSET))
        return T.encode(key, T.NOCUT, T.nocut_value(offset, args.days), tid)
    if cmd == "protect":
        which = T.PROTECT_KINDS.index(args.which)
        days = 0
        if args.days is not None:
            days = args.days
        elif args.until is not None:
            days = args.until - T.issue_minute(tid, args.base) // 1440
            if not 1 <= days <= T.PROTECT_MAX_DAYS:
                p.error("--until must be 1 to %d days after the issue date %s"
                        % (T.PROTECT_MAX_DAYS, iso_day(T.issue_minute(tid, args.base) // 1440)))
        return T.encode(key, T.PROTECT, T.protect_value(which, days), tid)
    if cmd == "keychange":
        new_rev = args.new_rev if args.new_rev is not None else args.key_rev + 1
        new_base = args.new_base
        if new_base is None:
            new_base = max(args.base, T.newest_base(T.issue_minute(tid, args.base)))
        if new_rev <= args.key_rev or new_rev > T.KEY_REV_MAX:
            p.error("--new-rev must be above the meter's key revision %d (at most %d)"
                    % (args.key_rev, T.KEY_REV_MAX))
        if new_base < args.base:
            p.error("--new-base must not be below the meter's base %d" % args.base)
        if T.base_minute(new_base) > T.issue_minute(tid, args.base):
            p.error("base %d starts %s, after the issue time"
                    % (new_base, calendar.iso_utc(T.issue_utc(0, new_base))))
        value = T.keychange_value(new_rev, new_base)
        sys.stderr.write("after this token: vend with --key-rev %d --base %d\n"
                         % (new_rev, new_base))
        return T.encode(key, T.KEY_CHANGE, value, tid)
    kind = {"reconnect": T.RECONNECT, "cancel-cut": T.CANCEL_CUT, "settime": T.SET_TIME,
            "clear": T.CLEAR}[cmd]
    return T.encode(key, kind, 0, tid)


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


def decode(args, key):
    digits = args.digits.replace(" ", "").replace("-", "")
    kind, value, tid = T.decode(key, digits)
    if kind == T.INVALID:
        print("status: invalid")
        return 1
    print("status: valid")
    print("type: %s" % T.NAMES[kind])
    print("value: %s" % describe(kind, value, tid, args.base))
    print("issued: %s" % calendar.iso_utc(T.issue_utc(tid, args.base)))
    print("token_id: %d" % tid)
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


def vend_native(argv):
    """-> the digits of a native token, for programs (tools/bench.py): argv as on the command
    line, e.g. ["credit", "20.00", "--at", "2026-11-28T12:00:00Z"]; bad arguments raise
    SystemExit like the command line does."""
    p = build_parser()
    args = p.parse_args(argv)
    if args.command in ("openpaygo", "decode"):
        p.error("vend_native makes native tokens only")
    key = T.derive_meter_key(args.key, args.serial, args.key_rev)
    at = args.at if args.at is not None else int(time.time())
    return vend(p, args, key, at)


def main(argv=None):
    p = build_parser()
    args = p.parse_args(argv)
    if args.command == "openpaygo":
        return openpaygo(p, args)
    key = T.derive_meter_key(args.key, args.serial, args.key_rev)
    if args.command == "decode":
        return decode(args, key)
    at = args.at if args.at is not None else int(time.time())
    print(vend(p, args, key, at))
    return 0


if __name__ == "__main__":
    sys.exit(main())
