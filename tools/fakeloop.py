"""A fake asyncio for running the app's own tasks (App.run) on a FakeClock, under CPython and
MicroPython alike.  Portable.

    loop = FakeLoop(clock)
    loop.install()                  # sys.modules["asyncio"] = this loop, until loop.remove()
    loop.spawn(app.run(keypad=..., wdt=..., console=...))
    loop.run_for(5000)              # runs every task due, moving the clock to each wake-up

Only what the firmware uses: create_task, gather, sleep_ms, sleep.  Time moves only between
task steps, to the earliest wake-up, so a task that computes for a while (in fake time: a test
may advance the clock inside a step) delays the others exactly as on a board.  `late_ms` is the
largest lateness of a wake-up seen (ms): how long a busy task held the loop.
"""
import sys


class _Sleep:
    def __init__(self, ms):
        self.ms = ms

    def __iter__(self):
        yield self

    def __await__(self):
        return self.__iter__()


class _Gather:
    """gather(): the awaiting task waits for ever (the app's tasks never end)."""

    def __iter__(self):
        while True:
            yield _Sleep(1 << 28)

    def __await__(self):
        return self.__iter__()


class FakeLoop:
    def __init__(self, clock):
        self.clock = clock
        self._tasks = []          # [wake ms, sequence, coroutine]
        self._seq = 0
        self._saved = None
        self.late_ms = 0          # the largest lateness of a wake-up seen
        self.steps = 0

    # --- the asyncio module's API -------------------------------------------------------
    def create_task(self, coro):
        self._add(self.clock.ms, coro)
        return coro

    def gather(self, *tasks):
        return _Gather()

    def sleep_ms(self, ms):
        return _Sleep(ms)

    def sleep(self, s):
        return _Sleep(int(s * 1000))

    # --- the test's side ----------------------------------------------------------------
    def install(self):
        self._saved = sys.modules.get("asyncio")
        sys.modules["asyncio"] = self
        return self

    def remove(self):
        if self._saved is None:
            sys.modules.pop("asyncio", None)
        else:
            sys.modules["asyncio"] = self._saved

    def spawn(self, coro):
        self._add(self.clock.ms, coro)

    def _add(self, wake, coro):
        self._seq += 1
        self._tasks.append([wake, self._seq, coro])

    def run_for(self, ms):
        """Runs tasks until the clock reaches now + ms."""
        end = self.clock.ms + ms
        while True:
            if not self._tasks:
                self.clock.ms = end
                return
            best = self._tasks[0]
            for t in self._tasks:
                if t[0] < best[0] or (t[0] == best[0] and t[1] < best[1]):
                    best = t
            if best[0] > end:
                self.clock.ms = end
                return
            if best[0] > self.clock.ms:
                self.clock.ms = best[0]
            late = self.clock.ms - best[0]
            if late > self.late_ms:
                self.late_ms = late
            self._tasks.remove(best)
            try:
                got = best[2].send(None)
            except StopIteration:
                continue
            self.steps += 1
            ms = got.ms if isinstance(got, _Sleep) else 0
            self._seq += 1
            best[0] = self.clock.ms + ms
            best[1] = self._seq
            self._tasks.append(best)
