"""The interactive simulator view (`make sim`): an 80x24 terminal picture of the meter.

Keys: 0-9 * # and A-D (or a-d) are the keypad; space is the reconnect button; + and - change
the load by 500 W, 0 load with z; t cycles time speed 1x / 60x / 3600x; p pauses; f injects
the next RTC fault (osf, nobus, stop, reset2000, none); r reboots; q quits.
"""
import os
import select
import sys
import time

from meter.core import codes
from meter.display import error_text, money

SPEEDS = (1, 60, 3600)
FAULT_CYCLE = ("osf", "nobus", "stop", "reset2000", "none")
HELP = "keys 0-9*#A-D  space=button  +/-/z=load  t=speed  p=pause  f=RTC fault  r=reboot  q=quit"


def render(sim, speed, paused, message):
    app = sim.app
    m = app.meter
    st = app.status()
    lcd = st["lcd"]
    relay = "CLOSED" if st["relay"] == "closed" else "OPEN"
    supply = st["supply"].upper()
    led_supply = "(*)" if m.relay_closed() else "( )"
    led_alert = "(!)" if (m.warn_level or not m.clock.trusted or app.storage_code) else "( )"
    err = "+-" + error_text(m.clock.error_s)
    clock = ("TRUSTED " + err) if st["clock"]["trusted"] else \
        "UNTRUSTED %s: %s" % (err, codes.name(m.clock.code))
    nc = st["next_cut"] or "none"
    rows = [
        "Budget meter simulator".ljust(80),
        "",
        "   +------------------+        Relay  : %-7s  supply %-8s" % (relay, supply),
        "   | %s |        LEDs   : supply %s  alert %s" % (lcd[0], led_supply, led_alert),
        "   | %s |        Load   : %d W" % (lcd[1], sim.load_w),
        "   +------------------+        Reason : %s (%d)" % (st["reason"], st["code"]),
        "",
        "   Local time : %s   UTC %s" % (st["clock"]["local"], st["clock"]["utc"]),
        "   Clock      : %s" % clock,
        "   Balance    : %s %s   debt %s   emergency %s%s" % (
            money(st["balance"]), app.cfg.currency, money(st["debt"]),
            money(st["emergency"]["available"]),
            " (active, used %s)" % money(st["emergency"]["used"]) if st["emergency"]["active"]
            else ""),
        "   Energy     : %d Wh" % m.credit.energy_wh,
        "   Next cut   : %s" % nc,
        "   Lockout    : %s" % ("%d s" % st["lockout_s"] if st["lockout_s"] else "none"),
        "   Speed      : %s" % ("paused" if paused else "%dx" % speed),
        "",
        "   1 2 3 A",
        "   4 5 6 B     A balance/debt   B emergency credit (# to take)",
        "   7 8 9 C     C last token/next cut   D clock/errors/event log",
        "   * 0 # D     type a token then #; * deletes",
        "",
        "   " + (message or ""),
        "",
        HELP,
    ]
    out = ["\x1b[H"]
    for row in rows[:24]:
        out.append(row[:80].ljust(80) + "\n")
    sys.stdout.write("".join(out))
    sys.stdout.flush()


def run(sim):
    if not sys.stdin.isatty():
        raise SystemExit("make sim needs a terminal; use --serve for a pipe")
    import termios
    import tty
    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd)
    speed_i = 0
    paused = False
    fault_i = 0
    message = "Welcome. Vend a token with: python tools/vend.py credit 20.00"
    tty.setcbreak(fd)
    sys.stdout.write("\x1b[2J\x1b[?25l")
    try:
        last = time.monotonic()
        carry = 0.0
        while True:
            render(sim, SPEEDS[speed_i], paused, message)
            r, _, _ = select.select([sys.stdin], [], [], 0.1)
            now = time.monotonic()
            if not paused:
                carry += (now - last) * SPEEDS[speed_i]
                whole = int(carry)
                if whole:
                    carry -= whole
                    sim.advance(whole)
            last = now
            if not r:
                continue
            ch = os.read(fd, 1).decode(errors="replace")
            if ch == "q":
                break
            if ch.upper() in "0123456789*#ABCD":
                sim.app.key(ch.upper())
                if sim.app.last_result is not None and ch == "#":
                    res = sim.app.last_result
                    message = "token: %s (%s)" % (res[0], codes.name(res[1]))
            elif ch == " ":
                sim.app.button()
                message = "button pressed"
            elif ch in "+=":
                sim.load_w = min(20000, sim.load_w + 500)
            elif ch == "-":
                sim.load_w = max(0, sim.load_w - 500)
            elif ch == "z":
                sim.load_w = 0
            elif ch == "t":
                speed_i = (speed_i + 1) % len(SPEEDS)
            elif ch == "p":
                paused = not paused
            elif ch == "f":
                kind = FAULT_CYCLE[fault_i]
                fault_i = (fault_i + 1) % len(FAULT_CYCLE)
                sim.rtc.fault(kind)
                sim.app.control_step()
                message = "RTC fault injected: %s" % kind
            elif ch == "r":
                sim.reboot()
                message = "rebooted"
            sim.app.meter.set_power(sim.load_w)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)
        sys.stdout.write("\x1b[?25h\n")
