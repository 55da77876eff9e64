"""The application: wires the drivers, the pure core, storage, display and console.

The same App runs on a board (firmware/main.py builds the hardware from boards/<board>.py) and
in the host simulator (tools/sim.py builds it from simulated parts).  It only talks to the
hardware through `hw`, an object with these attributes:

  rtc      read_time(fields) -> status (0 or an RTC code); fields = [y, mo, d, h, mi, s];
           osc_stopped() -> bool; set_time(y, mo, d, h, mi, s); clear_osf();
           optional read_store(buf) / write_store(buf): 7 battery-backed bytes (the DS3231's
           alarm registers) that keep the energy counted since the last commit
  relay    request(closed, now_ms); poll(now_ms); redrive(now_ms); failed (bool)
  lcd      write_line(row, text)
  s0       take() -> pulses since the last take
  leds     set(supply, alert)            (optional: None)
  buzzer   chirp(now_ms, ms); poll(now_ms) (optional: None)
  fs       the storage filesystem (meter.storage)
  watchdog_reset   True when the last reset was the watchdog's, or a callable saying so
           (optional)
  rtc.temperature() -> quarter degrees C or None (optional; read every 64 s when the
           cold-home hold is configured)
  ticks_ms() -> int, wrapping like time.ticks_ms
  storage_ok  False when the filesystem could not be mounted (firmware/_boot.py)
  storage_formatted  True when _boot gave a blank flash its first filesystem (optional)
  random_bytes       n -> n random bytes for the set-time challenge (optional; os.urandom)

test_mode (console test commands) comes only from the caller: on a board from the maintenance
jumper (firmware/main.py), in the simulator always; `"test_mode"` in /config.json gives nothing.

Steps are plain methods, so the simulator and the MicroPython test runner (which has no
asyncio.run) can drive them directly; run() only schedules them as asyncio tasks.
"""
import os

from micropython import const

from meter import overlay
from meter.core import calendar, policy, pulsestore
from meter.core.clock import CHALLENGE_LIMIT, EPOCH_2000_UNIX
from meter.core.meter import COMMIT_NONE
from meter.core import keypad as keys
from meter.drivers.ticks import diff as ticks_diff

# the classes of what an App holds, for type checkers only: MicroPython compiles this block
# to nothing (meter.appboot.init makes the objects)
_TYPE_CHECKING = const(False)
if _TYPE_CHECKING:
    from typing import Any
    from meter.core.config import Config
    from meter.core.keypad import Entry
    from meter.core.meter import Meter
    from meter.display import Display
    from meter.eventlog import EventLog
    from meter.opgkeeper import TableKeeper
    from meter.storage import RecordStore
    from meter.tokens import TokenDesk

# codes this module gives (meter.core.codes, docs/codes.md), compiled in as constants:
# a board keeps no name for them (issue 11); host_tests/test_codes.py holds each to
# its number in meter.core.codes
_RTC_NO_ANSWER = const(34)
_RTC_BAD_DATA = const(35)
_KEYPAD_LOCKED = const(44)
_ENTRY_TIMEOUT = const(52)
_RELAY_FAILED = const(60)
_STORAGE_ERROR = const(61)
_RTC_CORRECTED = const(104)
_TOKEN_BUSY = const(152)

FIRMWARE_VERSION = "0.1.0"
_BOOT_CODE = ("meter.appboot",)
_REPORT = ("meter.appreport", "meter.core.codenames", "meter.core.codetext",
           "meter.eventread", "meter.core.isotime")
# Firmware build date (2026-11-28 00:00 UTC), minutes since 2000: an RTC before it is wrong.
# (The simulator replays older dates, such as July 2020, with an earlier build date.)
BUILD_MINUTE = const(14152320)
_RELAY_POLL_MS = const(7)       # <= 20 ms while busy; 7: walks across the 50 Hz phase
_BUTTON_POLL_MS = const(20)
_OPG_SLICE = const(16)          # OpenPAYGO value-table hashes per slice (~70 ms on a Pico)
_OPG_BUSY_MS = const(50)        # between slices while the table catches up
_TEMP_EVERY_S = const(64)        # the DS3231 converts its temperature every 64 s
_HEAP_EVERY_S = const(60)        # how often the control task samples the heap at rest
_HEAP_FIRST_S = const(5)         # ... and how long after boot it first does


class App:
    # What an App holds: made by meter.appboot.init (boot-only code, released on a board;
    # issue 11).  These annotations are for type checkers only (MicroPython compiles them to
    # nothing).
    hw: "Any"
    cfg: "Config"
    serial: "int"
    board: "str"
    test_mode: "bool"
    reboot_pending: "bool"
    meter: "Meter"
    entry: "Entry"
    desk: "TokenDesk"
    opg: "TableKeeper | None"
    identity_error: "Any"
    fault_code: "int"
    display: "Display"
    store: "RecordStore"
    log: "EventLog"
    fields: "list"
    rtc_status: "int"
    rtc_minute: "int"
    rtc_second: "int"
    osf: "bool"
    mono_s: "int"
    _mono_ms: "int"
    _last_ticks: "int"
    storage_code: "int"
    last_result: "Any"
    last_split: "Any"
    commits: "int"
    extra_pulses: "int"
    _relay_failed: "bool"
    _chirped: "int"
    _next_cut_key: "Any"
    _next_cut: "int"
    opg_background: "bool"
    _temp_mono: "int"
    config_error: "Any"
    heap_rest: "Any"
    booted: "bool"
    _bench: "Any"
    wdt: "Any"
    net: "Any"
    _pstore: "Any"
    _ps_age: "int"
    _ps_day: "int"
    _ps_night: "int"
    _max_pps: "int"

    def __init__(self, hw, cfg=None, serial=0, meter_key=b"", board="sim", test_mode=False,
                 build_minute=BUILD_MINUTE, identity_error=None):
        from meter import appboot
        try:
            appboot.init(self, hw, cfg, serial, meter_key, board, test_mode, build_minute,
                         identity_error)
        finally:
            overlay.release(_BOOT_CODE)

    # --- time ----------------------------------------------------------------------------

    def _tick(self):
        """Advances the monotonic seconds counter from the wrapping ms ticks."""
        now = self.hw.ticks_ms()
        d = ticks_diff(now, self._last_ticks)
        self._last_ticks = now
        if d > 0:
            ms = self._mono_ms + d
            self.mono_s += ms // 1000
            self._mono_ms = ms % 1000
        return now

    def read_rtc(self):
        """Reads the RTC into rtc_minute/rtc_second (since 2000); -> status 0 or an RTC code.
        Allocation-free: it runs every second."""
        rtc = self.hw.rtc
        f = self.fields
        try:
            status = rtc.read_time(f)
            osf = rtc.osc_stopped() if status == 0 else False
        except OSError:
            status = _RTC_NO_ANSWER
            osf = False
        if status == 0 and not 2000 <= f[0] <= 2099:
            status = _RTC_BAD_DATA
        self.rtc_status = status
        self.osf = osf
        if status == 0:
            day = calendar.days_from_civil(f[0], f[1], f[2]) - 10957
            self.rtc_minute = day * 1440 + f[3] * 60 + f[4]
            self.rtc_second = f[5]
        return status

    def draw_challenge(self):
        """-> a random number for the set-time challenge: the board's (or simulator's seeded)
        random source when it has one, else os.urandom (the RP2040's ROSC, the ESP32's RNG)."""
        source = getattr(self.hw, "random_bytes", None) or getattr(os, "urandom", None)
        if source is None:
            # (ports without os.urandom, e.g. the test runner's: the random module)
            import random
            return random.getrandbits(24) % CHALLENGE_LIMIT
        b = source(3)
        return ((b[0] << 16) | (b[1] << 8) | b[2]) % CHALLENGE_LIMIT

    def read_temperature(self):
        """The DS3231's thermometer into the cold-home hold (None: no reading, kept as is)."""
        self._temp_mono = self.mono_s
        rtc = self.hw.rtc
        q = None
        if hasattr(rtc, "temperature"):
            try:
                q = rtc.temperature()
            except OSError:
                q = None
        self.meter.temperature(q)

    def provision(self, utc):
        """Factory set-up of a new meter: the RTC set from an authenticated source to the
        second, the clock anchored there (within the second), and a first record (zero balance)
        on flash."""
        from meter import appboot
        try:
            appboot.provision(self, utc)
        finally:
            overlay.release(_BOOT_CODE)

    def config_refused(self, message, not_json=False):
        """main.py could not use /config.json: the defaults run, the LCD and `status` say why,
        and the event log keeps it (value 1: not JSON, 2: a setting refused)."""
        from meter import appboot
        try:
            appboot.config_refused(self, message, not_json)
        finally:
            overlay.release(_BOOT_CODE)

    # --- boot ----------------------------------------------------------------------------

    def boot(self):
        """Loads the record, judges the clock, re-drives the relay to the decided state.
        A reboot never cuts supply unless the core decides so on a trusted clock."""
        from meter import appboot
        try:
            appboot.boot(self)
        finally:
            overlay.release(_BOOT_CODE)

    def _save_unsaved(self, seq=-1):
        """Writes the store when what it would hold changed (every step that counted pulses,
        every 16 s otherwise).  seq >= 0: cleared under that sequence number, before the record
        that will carry the pulses is written.  Allocation-free in the steady state."""
        buf = self._pstore
        if buf is None:
            return
        m = self.meter
        if seq >= 0:
            age = day = night = 0
        else:
            seq = self.store.seq
            age = m.mono_s - m.record_mono      # proven powered time (not the checkpoint's)
            night = m.unsaved_night
            day = m.unsaved_pulses - night
            units = age if age < pulsestore.AGE_MAX else pulsestore.AGE_MAX
            if units == self._ps_age and day == self._ps_day and night == self._ps_night:
                return
            self._ps_age = units
            self._ps_day = day
            self._ps_night = night
        pulsestore.pack_into(buf, seq, age, day, night)
        try:
            self.hw.rtc.write_store(buf)
        except OSError:
            self._ps_age = -1          # try again at the next step

    # --- the 1 Hz control step -----------------------------------------------------------

    def control_step(self, now_ms=None):
        if now_ms is None:
            now_ms = self._tick()
        m = self.meter
        status = self.read_rtc()
        pulses = self.hw.s0.take() + self.extra_pulses
        self.extra_pulses = 0
        if self.cfg.cold_hold and self.mono_s - self._temp_mono >= _TEMP_EVERY_S:
            self.read_temperature()
        was_closed = m.relay_closed()
        m.step(status, self.osf, self.rtc_minute, self.rtc_second, self.mono_s, pulses)
        if m.clock.challenge_due(self.mono_s):
            # a new set-time challenge: at boot, after each use, every 15 min (docs/clock.md)
            m.clock.new_challenge(self.draw_challenge(), self.mono_s)
        if m.clock.rtc_fix:
            # the RTC reads a time outside the proven interval (or its oscillator stopped):
            # it is what is wrong; it gets the estimate, which lies inside the interval
            if self._set_rtc():
                m.event(_RTC_CORRECTED, m.clock.rtc_code)
        self._after_change(now_ms, was_closed)
        self._save_unsaved()
        return m.supply

    def _after_change(self, now_ms, was_closed):
        """Commits what must be committed, then moves the relay, then logs events: a relay
        change or an accepted token is on flash before it shows."""
        m = self.meter
        if m.alerts_cleared:
            m.alerts_cleared = False
            self.storage_code = 0
        if m.commit != COMMIT_NONE:
            self.commit()
            now_ms = self.hw.ticks_ms()     # the flash write took time: time the pulse from now
        closed = m.relay_closed()
        if closed != was_closed:
            self.hw.relay.request(closed, now_ms)
        self._indicators(now_ms, closed)
        self._poll_relay(now_ms)
        self._drain_events()

    def _poll_relay(self, now_ms):
        relay = self.hw.relay
        relay.poll(now_ms)
        if relay.failed != self._relay_failed:
            self._relay_failed = relay.failed
            if relay.failed:
                self.meter.event(_RELAY_FAILED, 1 if relay.state else 0)

    def _indicators(self, now_ms, closed):
        """Supply LED = relay closed; alert LED = low credit, an untrusted clock or a fault;
        a buzzer chirp when a low-credit level is first reached, except at night."""
        m = self.meter
        alert = m.warn_level > 0 or not m.clock.trusted or self.storage_code != 0 or \
            self._relay_failed or m.supply == policy.ARMED
        leds = getattr(self.hw, "leds", None)
        if leds is not None:
            leds.set(closed, alert)
        level = m.warn_level
        if level != self._chirped:
            buzzer = getattr(self.hw, "buzzer", None)
            mod = m.local.mod
            night = mod < 420 or mod >= 1320          # 22:00-07:00 local: let people sleep
            if level > self._chirped and buzzer is not None and not night:
                buzzer.chirp(now_ms, 80, level)
            self._chirped = level

    def commit(self):
        self.meter.settle()                 # the standing charges due go into this record
        if self.storage_code == _STORAGE_ERROR and not getattr(self.hw, "storage_ok", True):
            self.meter.committed()          # nothing to write to; supply stays on
            return False
        # the record's layout is loaded for the commit only (48 a day; issue 11, heap)
        from meter.core import record
        try:
            payload = record.pack(self.meter)
        finally:
            overlay.release(("meter.core.record",))
        self._save_unsaved(self.store.next_seq())
        self._ps_age = -1
        status = self.store.commit(payload)
        if status != 0:
            self.storage_code = _STORAGE_ERROR
            self.meter.event(_STORAGE_ERROR)
            return False
        self.commits += 1
        self.meter.committed()
        return True

    def _drain_events(self):
        m = self.meter
        while True:
            e = m.pop_event()
            if e is None:
                return
            utc = EPOCH_2000_UNIX + m.minute * 60 + m.second
            if not self._dated():
                utc = None               # during an RTC outage: monotonic time and a flag
            self.log.append(utc, m.clock.trusted, self.mono_s, e[0], e[1])

    def _dated(self):
        """May an event carry the meter's date?  Not while the clock is untrusted with no
        bound on its error (an RTC reset to 2000 must not date events 2000-01-01)."""
        clock = self.meter.clock
        return clock.trusted or getattr(clock, "error_s", -1) >= 0

    def pulses(self, n):
        """The console's `pulses <n>`: n S0 pulses now."""
        self.extra_pulses += n
        self.control_step()

    def protect(self, kind, on):
        now_ms = self._tick()
        was_closed = self.meter.relay_closed()
        self.meter.set_protect(kind, on)
        self._after_change(now_ms, was_closed)

    # --- keys ----------------------------------------------------------------------------

    def key(self, k):
        """One key press from the keypad (or the console's `key`)."""
        now_ms = self._tick()
        entry = self.entry
        m = self.meter
        # the stored lockout (it survives reboots) decides; the entry only mirrors it so that
        # digits are refused as they are typed, while # (reconnect) and the pages still work
        left = self.desk.lockout_s(self.mono_s)
        entry.locked_until_ms = (now_ms + left * 1000) & 0x3FFFFFFF if left else -1
        action = entry.press(k, now_ms)
        if action == keys.IGNORED and left and k in "0123456789":
            self.last_result = ("locked", _KEYPAD_LOCKED, left)
            self.display.result(_KEYPAD_LOCKED, left, now_ms)
            return
        if entry.active():
            self.desk.ready()          # the token code loads while the digits are typed
        if action == keys.SUBMIT:
            self.submit(self.entry.digits())
        elif action == keys.HASH:
            if self.entry.page == 1 and self.meter.credit.ec_available():
                was_closed = self.meter.relay_closed()
                self.meter.accept_emergency()
                self._after_change(now_ms, was_closed)
            elif self.meter.supply == policy.ARMED or self.meter.supply == policy.OPEN:
                self.button(now_ms)
        if not entry.active():
            self.desk.done_typing()    # cleared, submitted or never started
        self.display.touch(now_ms)

    def button(self, now_ms=None):
        if now_ms is None:
            now_ms = self._tick()
        was_closed = self.meter.relay_closed()
        self.meter.press()
        self._after_change(now_ms, was_closed)

    def submit(self, digits):
        """A token typed on the keypad: -> (result word, code, value)."""
        now_ms = self._tick()
        m = self.meter
        was_closed = m.relay_closed()
        status = self.read_rtc()
        lag = self.opg.behind() if self.opg is not None and len(digits) == 9 else 0
        if lag:
            # the value table is rebuilding: a decode now could walk thousands of hashes
            # (watchdog).  Nothing changes, no lockout strike: try again later.
            result = ("busy", _TOKEN_BUSY, lag, None)
        else:
            result = self.desk.enter(digits, status, self.osf, self.rtc_minute,
                                     self.rtc_second, self.mono_s)
            if result[1] == _TOKEN_BUSY and self.opg is not None:
                self.opg.load()            # the parked table's file failed it: reloaded
        if result[3] is not None:
            self._set_rtc()
        if m.clock.challenge < 0:
            m.clock.new_challenge(self.draw_challenge(), self.mono_s)   # used: a new one
        self.last_result = result[:3]
        self.last_split = self.desk.split
        self._after_change(now_ms, was_closed)
        self.display.result(result[1], result[2], now_ms, self.desk.split)
        return result[:3]

    def _write_rtc(self, minute, second):
        """Writes a core time (minutes since 2000, second) into the RTC."""
        day = minute // 1440
        y, mo, d = calendar.civil_from_days(day + 10957)
        mod = minute - day * 1440
        self.hw.rtc.set_time(y, mo, d, mod // 60, mod % 60, second)
        # the clock measures the RTC's elapsed time from this write (carried over power-offs)
        self.meter.clock.rtc_written(minute, second, self.mono_s)

    def _set_rtc(self):
        """Writes the clock's best estimate (to the second) into the RTC and clears its
        oscillator-stop flag.  -> True when written."""
        clock = self.meter.clock
        try:
            self._write_rtc(clock.minute, clock.second)
            self.hw.rtc.clear_osf()
        except OSError:
            self.meter.event(_RTC_NO_ANSWER)
            return False
        return True

    # --- status for the console and the display ------------------------------------------

    def next_cut_minute(self):
        """The planned cut; the forward search runs again only when the minute or something
        it depends on changed (the display asks four times a second)."""
        m = self.meter
        c = m.credit
        key = (m.minute, m.clock.lo_minute, m.span_min(), m.supply, m.open_reason,
               m.clock.trusted,
               c.credit_left() < self.cfg.disconnect_threshold, m.reg_start, m.reg_end, m.cancel_until, m.warn_since, m.medical, m.weather,
               m.protected, m.free, m.record_lost, m.cold, m.cold_home, m.ec_offer_since,
               c.ec_available(), m.medical_until, m.weather_until, m.cold_until,
               m.protected_until)
        if key != self._next_cut_key:
            self._next_cut_key = key
            self._next_cut = m.next_cut(m.minute)
        return self._next_cut

    # --- console reports (meter/appreport.py: loaded per request, released on a board) ---

    def clock_status(self):
        """The console's `clock`: trust, the estimate, the proven interval and its width."""
        return self._report("clock_status")

    def status(self):
        return self._report("status")

    def protections(self):
        """{"medical": end (ISO UTC) | true (no end date) | null (off), ...}"""
        return self._report("protections")

    def events(self, n):
        return self._report("events", n)

    def info(self):
        return self._report("info")

    def board_test_command(self, cmd, args):
        """Test-mode commands a real board can carry out (bench rigs): `rtc set` writes the
        DS3231, `reboot` resets the MCU shortly after answering, `advance` and `load` move
        the bench's time and load (meter/benchtime.py).  Others answer ok: false."""
        return self._report("board_test_command", cmd, args)

    def _report(self, name, *args):
        from meter import appreport
        try:
            return getattr(appreport, name)(self, *args)
        finally:
            overlay.release(_REPORT)

    def reset(self):
        """Resets the MCU (the test-mode `reboot`, once its reply is out)."""
        import machine
        machine.reset()

    # --- OpenPAYGO value table (meter/opgkeeper.py: bounded decodes) -----------------------

    def opg_table_step(self, budget=_OPG_SLICE):
        """One background slice of the value table's upkeep -> True while there is work left."""
        return self.opg.step(budget) if self.opg is not None else False

    def entry_step(self, now_ms):
        """The keypad task's timeout check: typed digits left for 30 s are discarded."""
        if self.entry.tick(now_ms) == keys.TIMEOUT:
            self.desk.done_typing()
            self.display.result(_ENTRY_TIMEOUT, 0, now_ms)

    def ui_step(self, now_ms=None):
        """What the keypad and display tasks do besides scanning: entry timeout, then the
        LCD refresh.  The simulator calls it at their deadlines (Display.ms_to_expiry)."""
        if now_ms is None:
            now_ms = self._tick()
        self.entry_step(now_ms)
        self.display.refresh(now_ms)

    # --- the asyncio wiring (boards) -----------------------------------------------------

    async def run(self, keypad=None, wdt=None, console=None, button=None, net=None):
        import asyncio
        from meter import appboot
        try:
            tasks = appboot.start(self, keypad, wdt, console, button, net)
        finally:
            overlay.release(_BOOT_CODE)
        del appboot                  # this frame lives as long as the meter runs
        await asyncio.gather(*tasks)

    async def _control_task(self, wdt):
        import asyncio
        import gc
        sample = getattr(gc, "mem_alloc", None)          # MicroPython only
        # the first sample once every task has run (their buffers made), then once a minute
        sampled = self.mono_s + _HEAP_FIRST_S - _HEAP_EVERY_S
        while True:
            now = self.control_step()
            if wdt is not None:
                wdt.heartbeat(self.hw.ticks_ms())
            if sample is not None and self.mono_s - sampled >= _HEAP_EVERY_S:
                # the heap between jobs (no console line, commit or report under way), for
                # `info`; collecting now and then also keeps released code from fragmenting it
                sampled = self.mono_s
                gc.collect()
                self.heap_rest = sample()
            await asyncio.sleep_ms(1000 - self._mono_ms if self._mono_ms < 1000 else 1000)

    async def _relay_task(self):
        """Ends coil pulses on time and checks the feedback when it has settled: the 1 Hz step
        alone held a 100 ms coil pulse for about a second (issue 11)."""
        import asyncio
        relay = self.hw.relay
        while True:
            if relay.busy:
                self._poll_relay(self.hw.ticks_ms())
            await asyncio.sleep_ms(_RELAY_POLL_MS)

    async def _button_task(self, button):
        """The reconnect push button (meter.drivers.button debounces it)."""
        import asyncio
        while True:
            now = self.hw.ticks_ms()
            if button.poll(now):
                self.button(now)
                self.display.touch(now)      # shows the outcome at once, as a key press does
            await asyncio.sleep_ms(_BUTTON_POLL_MS)

    async def _openpaygo_task(self):
        """Keeps the OpenPAYGO value table at the counter, a few hashes per slice, so that no
        token decode walks more than ~80 hashes (issue 11)."""
        import asyncio
        while True:
            busy = self.opg_table_step()
            await asyncio.sleep_ms(_OPG_BUSY_MS if busy else 1000)

    async def _keypad_task(self, keypad):
        import asyncio
        buzzer = getattr(self.hw, "buzzer", None)
        leds = getattr(self.hw, "leds", None)
        while True:
            now = self.hw.ticks_ms()
            keypad.scan(now)
            k = keypad.get_key()
            while k is not None:
                self.key(k)
                k = keypad.get_key()
            if buzzer is not None:
                buzzer.poll(now)
            if leds is not None:
                leds.poll(now)
            self.entry_step(now)
            await asyncio.sleep_ms(15)          # >= 50 Hz scan

    async def _display_task(self):
        import asyncio
        while True:
            self.display.refresh(self.hw.ticks_ms())
            await asyncio.sleep_ms(250)

    async def _watchdog_task(self, wdt):
        import asyncio
        while True:
            wdt.feed(self.hw.ticks_ms())
            await asyncio.sleep_ms(1000)
