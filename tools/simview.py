"""The interactive simulator view (`make sim`): an 80x24 terminal picture of the meter.

Keys: 0-9 * # and A-D (or a-d) are the keypad; space is the reconnect button; + and - change
the load by 500 W, 0 load with z; t cycles time speed 1x / 60x / 3600x; p pauses; f injects
the next RTC fault (osf, nobus, stop, reset2000, none); r reboots; v vends a token at the
simulator's own time (an amount such as 20.00 for credit, or vend.py words such as
`reconnect` or `settime`, then Enter; Esc cancels); q quits.

The LCD in the picture is decoded from the bytes the firmware's LCD driver sent to the
simulated PCF8574/HD44780 (tools/fakelcd.py); the app's display refresh and keypad timeout run
on the virtual clock, so pages, token results and typed digits time out as on the board.
"""
import os
import select
import shlex
import sys
import time

from meter.core import calendar, codes

from meter.core import isotime
from meter.display import money

SPEEDS = (1, 60, 3600)
FAULT_CYCLE = ("osf", "nobus", "stop", "reset2000", "none")
HELP = "spc=button  +/-/z=load  t=speed  p=pause  f=RTC fault  r=reboot  v=vend  q=quit"


def frame(sim, speed, paused, message, prompt=None):
    """The 24 rows of the picture, each at most 80 characters."""
    app = sim.app
    m = app.meter
    st = app.status()
    lcd = sim.hw.lcd.lines               # what the simulated HD44780 shows
    relay = "CLOSED" if st["relay"] == "closed" else "OPEN"
    supply = st["supply"].upper()
    led_supply = "(*)" if sim.hw.leds.supply else "( )"
    led_alert = "(!)" if sim.hw.leds.alert else "( )"
    clock = "TRUSTED" if st["clock"]["trusted"] else "UNTRUSTED: %s" % codes.name(m.clock.code)
    err = st["clock"].get("error_s")
    clock += "  error <= %s" % ("%d s" % err if err is not None else "unbounded")
    nc = st["next_cut"] or "none"
    world = isotime.iso_utc(sim.world_utc())
    rows = [
        "Budget meter simulator",
        "",
        "   +------------------+        Relay  : %-7s  supply %-8s" % (relay, supply),
        "   | %s |        LEDs   : supply %s  alert %s" % (lcd[0], led_supply, led_alert),
        "   | %s |        Load   : %d W" % (lcd[1], sim.load_w),
        "   +------------------+        Reason : %s (%d)" % (st["reason"], st["code"]),
        "",
        "   Local time : %s   UTC %s" % (st["clock"]["local"], st["clock"]["utc"]),
        "   Clock      : %s   (world %s)" % (clock, world[11:19]),
        "   Balance    : %s %s   debt %s   emergency %s%s" % (
            money(st["balance"]), app.cfg.currency, money(st["debt"]),
            money(st["emergency"]["available"]),
            " (active, used %s)" % money(st["emergency"]["used"]) if st["emergency"]["active"]
            else ""),
        "   Energy     : %d Wh" % m.credit.energy_total_wh(),
        "   Next cut   : %s" % nc,
        "   Lockout    : %s" % ("%d s" % st["lockout_s"] if st["lockout_s"] else "none"),
        "   Speed      : %s" % ("paused" if paused else "%dx" % speed),
        "",
        "   1 2 3 A",
        "   4 5 6 B     A balance/debt   B emergency credit (# to take)",
        "   7 8 9 C     C last token/next cut   D clock/errors/event log",
        "   * 0 # D     type a token then #; * deletes; v vends one",
        "",
        "   " + ("vend: %s_   (Enter vends, Esc cancels)" % prompt if prompt is not None
                 else (message or "")),
        "",
        HELP,
    ]
    return [row[:80] for row in rows[:24]]


def render(sim, speed, paused, message, prompt=None):
    out = ["\x1b[H"]
    for row in frame(sim, speed, paused, message, prompt):
        out.append(row.ljust(80) + "\n")
    sys.stdout.write("".join(out).rstrip("\n"))
    sys.stdout.flush()


def vend_words(text):
    """What was typed after v: an amount is credit, anything else vend.py's words."""
    text = text.strip()
    if text[:1].isdigit():
        return ["credit", text]
    return shlex.split(text)


def run(sim):
    if not sys.stdin.isatty():
        raise SystemExit("make sim needs a terminal; use --serve for a pipe")
    import termios
    import tty
    from meter.console import ConsoleError
    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd)
    speed_i = 0
    paused = False
    fault_i = 0
    prompt = None
    message = "Welcome. Press v, type 20.00 and Enter to vend credit at the simulator's time"
    tty.setcbreak(fd)
    sys.stdout.write("\x1b[2J\x1b[?25l")
    try:
        last = time.monotonic()
        carry = 0.0
        while True:
            render(sim, SPEEDS[speed_i], paused, message, prompt)
            r, _, _ = select.select([sys.stdin], [], [], 0.1)
            now = time.monotonic()
            if not paused:
                carry += (now - last) * SPEEDS[speed_i]
                whole = int(carry)
                if whole:
                    carry -= whole
                    sim.advance(whole)
            last = now
            sim.app.ui_step()              # the board's display and keypad timeouts
            if not r:
                continue
            ch = os.read(fd, 1).decode(errors="replace")
            if prompt is not None:
                if ch in "\r\n":
                    try:
                        words = vend_words(prompt)
                        digits, reply = sim.vend(words)
                        message = "vended %s: %s -> %s" % (" ".join(words), digits,
                                                           reply.get("result"))
                    except (ConsoleError, ValueError) as e:
                        message = "vend refused: %s" % e
                    prompt = None
                elif ch == "\x1b":
                    prompt = None
                    message = "vend cancelled"
                elif ch in "\x7f\b":
                    prompt = prompt[:-1]
                elif ch.isprintable() and len(prompt) < 40:
                    prompt += ch
                continue
            if ch == "q":
                break
            if ch == "v":
                prompt = ""
                continue
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
                sim.timeline.mark(sim.world_utc(), "fault", "rtc " + kind)
                message = "RTC fault injected: %s" % kind
            elif ch == "r":
                sim.reboot()
                message = "rebooted"
            sim.app.meter.set_power(sim.load_w if sim.hw.relay.state else 0)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)
        sys.stdout.write("\x1b[?25h\n")
