"""Board entry point: MicroPython runs /main.py after boot.  Builds the hardware from /board.py
(boards/<board>.py), the configuration (/config.json if present), the meter key, and runs the
app's asyncio tasks.

Storage: firmware/_boot.py (frozen) has already mounted the flash without ever formatting a
used one, and published what it did as sys.modules["_boot"]; main.py never imports _boot (that
would run it again and, on 1.29, stack a second filesystem on "/").  Without our frozen _boot
(the port's own, deployed as .mpy files) main.py only looks whether "/" is mounted.

Maintenance: the jumper (board.TEST_JUMPER, to GND) is read once, here, before anything else.
Without it (a production meter) Ctrl-C on the USB serial is disabled (micropython.kbd_intr(-1)):
nobody at the console reaches the REPL, where the meter key could be read, and the console's
test-mode commands answer "test mode is off".  With it, Ctrl-C works, test mode is on, and the
watchdog is NOT started, so mpremote, `make deploy`, `make repl` and the storage recovery of
docs/storage.md have all the time they need.  Never leave the jumper in a deployed meter.

Identity and configuration: meter/boardstart.py builds the meter (the jumper, the hardware,
the identity, the configuration); it is loaded for the boot and released before the meter
runs.  A source file is compiled on the board at every boot and its code stays on the heap
while it runs (issue 11), so this one holds no more than the start.
"""
import micropython

micropython.kbd_intr(-1)     # first of all: no Ctrl-C until the jumper is known to be fitted

import asyncio  # noqa: E402


def main():
    import board
    from meter import boardstart, overlay
    try:
        app, console, hw = boardstart.start(board)
    finally:
        overlay.release(("meter.boardstart",))
    # with the maintenance jumper the watchdog is never started (see above)
    wdt = None if hw.test_mode else hw.wdt
    asyncio.run(app.run(keypad=hw.keypad, wdt=wdt, console=console, button=hw.button,
                        net=app.net))


if __name__ == "__main__":
    main()
