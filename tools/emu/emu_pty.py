"""The emulated board behind a pty, so that the real tools (mpremote, `make deploy`, `make repl`,
tools/provision.py) talk to it as to /dev/ttyACM0.

While a pty is served the chip runs continuously in slices of emulated time (the host tools
wait in real time); bytes written to the pty go to the board's USB CDC, and what the board
sends comes out of it.  A watchdog reset or `machine.reset()` restarts the chip behind the
same pty (a real board's port would disappear and come back; mpremote copes with either).
"""
import os
import select
import threading
import time
import tty

SLICE_MS = 10


class PtyBoard:
    def __init__(self, board):
        self.board = board
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        os.set_blocking(self.master, False)
        self.path = os.ttyname(self.slave)
        self._stop = threading.Event()
        self._thread = None
        self.error = None

    def start(self):
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        b = self.board
        try:
            t0, ms0 = time.monotonic(), b.ms
            while not self._stop.is_set():
                # emulated time never runs ahead of the wall clock: an idle chip (WFI at the
                # REPL) would otherwise race hours ahead while the host tool waits, and the
                # RTC, the tick and mpremote's timeouts would disagree about "now"
                ahead = (b.ms - ms0) / 1000.0 - (time.monotonic() - t0)
                r, _, _ = select.select([self.master], [], [], max(0.0, ahead))
                if r:
                    try:
                        data = os.read(self.master, 4096)
                    except OSError:
                        data = b""
                    if data:
                        b.send(data)
                b.run(SLICE_MS)
                if b.rx:
                    out = bytes(b.rx)
                    b.rx = bytearray()
                    try:
                        os.write(self.master, out)
                    except OSError:
                        pass                 # nobody reading: the bytes are lost, as on USB
        except Exception as e:              # reported by stop() and by the serving loop
            self.error = e

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.board.close()
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.error is not None:
            raise self.error


def serve_pty(board):
    """`python tools/emu/board.py --pty`: prints the device path, serves until Ctrl-C."""
    import time
    server = PtyBoard(board)
    server.start()
    print(server.path, flush=True)
    try:
        while server._thread.is_alive():
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    server.stop()
    return 0
