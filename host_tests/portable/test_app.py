"""The app on fake hardware: boot, relay re-drive, storage faults, power cuts, watchdog
(METER.md §9, §11)."""
from apprig import FakeBoard, make_app, provisioned, reboot, run, KEY
from fakefs import PowerCut
from meter.core import codes, policy
from meter.core import token as T


def cut_household(board, app):
    """Credit gone, warned a day ago: in the Monday 10:00 window the relay opens."""
    m = app.meter
    m.credit.balance = -500
    m.warn_since = m.minute - 2000
    m.ec_offer_since = m.minute - 2000     # emergency credit offered a day ago, not taken
    app.commit()
    run(board, app, 2)
    assert m.supply == policy.OPEN
    run(board, app, 1)


def pulses_after(pin, t):
    return [h for h in pin.history if h[0] >= t and h[1] == 1]


def test_boot_re_drives_the_latching_relay_to_the_stored_cut():
    board, app = provisioned()
    cut_household(board, app)
    t = board.clock.ms
    app = reboot(board)
    run(board, app, 1)
    assert app.meter.supply == policy.OPEN
    assert len(pulses_after(board.reset_pin, t)) == 1      # the open coil, again
    assert pulses_after(board.set_pin, t) == []            # never the close coil


def test_reboot_on_an_untrusted_clock_keeps_supply_on():
    board, app = provisioned()
    cut_household(board, app)
    board.chip.fault("osf")
    t = board.clock.ms
    app = reboot(board)
    run(board, app, 1)
    assert app.meter.relay_closed() and app.meter.supply == policy.CLOSED or \
        app.meter.supply == policy.ARMED
    assert not app.meter.clock.trusted and app.meter.clock.code == codes.OSC_STOPPED


def test_reboot_on_a_good_clock_never_cuts_a_supplied_household():
    board, app = provisioned()
    app.meter.credit.balance = 5000
    app.commit()
    t = board.clock.ms
    app = reboot(board)
    run(board, app, 5)
    assert app.meter.supply == policy.CLOSED
    assert pulses_after(board.reset_pin, t) == []


def test_corrupt_record_gives_a_safe_default_with_supply_on():
    board, app = provisioned()
    cut_household(board, app)
    board.fs.flip("/data/rec_a.bin", 20)
    board.fs.flip("/data/rec_b.bin", 20)
    app = reboot(board)
    run(board, app, 3)
    m = app.meter
    assert app.storage_code == codes.RECORD_CORRUPT and m.record_lost
    assert m.relay_closed() or m.supply == policy.ARMED
    assert m.reason != codes.NO_CREDIT
    assert "MEMORY RESET" in app.display.lines()[1]


def test_mount_failure_keeps_supply_on_and_reports():
    board, app = provisioned()
    board.fs.mount_fails = True
    board.fs.reboot()
    board.power_on()
    board.storage_ok = False
    app = make_app(board)
    app.boot()
    run(board, app, 3)
    assert app.storage_code == codes.STORAGE_ERROR
    assert app.meter.relay_closed()


def test_power_cut_at_every_write_of_a_top_up_commit():
    for n in (1, 2, 3):
        board, app = provisioned()
        minute = app.meter.minute
        digits = T.encode(KEY, T.CREDIT, 2000, T.token_id_at(minute, 0))
        board.fs.cut_after(n)
        try:
            app.submit(digits)
            raise AssertionError("the cut did not strike")
        except PowerCut:
            pass
        app = reboot(board)
        bal = app.meter.credit.balance
        assert bal in (0, 2000), (n, bal)
        result = app.submit(digits)
        if bal == 0:
            assert result[0] == "accepted"
        else:
            assert result[0] == "used"
        assert app.meter.credit.balance == 2000


def test_consumption_lost_is_at_most_one_checkpoint():
    board, app = provisioned()
    app.meter.credit.balance = 100000
    app.commit()
    run(board, app, 1900, pulses_per_s=1)       # 1 Wh a second, 31+ minutes
    assert app.commits >= 2
    energy = app.meter.credit.energy_total_wh()
    run(board, app, 100, pulses_per_s=1)
    app = reboot(board)
    lost = energy + 100 - app.meter.credit.energy_total_wh()
    assert 0 <= lost <= 1800                       # never more than 30 min of pulses
    assert app.meter.credit.balance >= 100000 - (energy + 100) * 33 // 100


def test_hung_control_step_stops_the_watchdog_and_state_survives():
    board, app = provisioned()
    wdt = board.wdt
    for _ in range(10):
        board.clock.advance(1000)
        app.control_step()
        wdt.heartbeat(board.clock.ticks_ms())
        assert wdt.feed(board.clock.ticks_ms())
    balance = app.meter.credit.balance
    app.commit()
    fed = 0
    for _ in range(12):                            # the control step hangs: no heartbeat
        board.clock.advance(1000)
        if wdt.feed(board.clock.ticks_ms()):
            fed += 1
    assert fed <= 3
    assert board.wdt_factory.made[0].fired()
    app = reboot(board)                            # the watchdog reset
    assert app.meter.credit.balance == balance


def test_locked_keypad_refuses_digits_as_they_are_typed():
    board, app = provisioned()
    for i in range(3):
        app.submit("1234567890123456789%d" % i)
    assert app.desk.lockout_s(app.mono_s) > 0
    app.key("5")
    assert app.entry.count == 0
    assert app.last_result[0] == "locked"
    assert app.display.lines()[0].strip() == "KEYPAD LOCKED"
    assert app.display.lines()[1].startswith("WAIT ")
    board.clock.advance(61000)
    app.control_step()
    app.key("5")
    assert app.entry.count == 1


def test_a_token_entry_leaves_no_decoder_loaded_on_a_board():
    # issue 11: on MicroPython the decoder is loaded for one entry and released after it
    # (meter/overlay.py), so that its bytecode leaves the heap; CPython keeps it (no release)
    import sys
    board, app = provisioned()
    digits = T.encode(KEY, T.CREDIT, 500, T.token_id_at(app.meter.minute, 0))
    assert app.submit(digits)[0] == "accepted"
    if sys.implementation.name == "micropython":
        import meter
        for name in ("meter.tokenentry", "meter.core.token", "meter.core.hmac_sha256",
                     "meter.core.record"):
            assert name not in sys.modules, name
        assert not hasattr(meter, "tokenentry")
    assert app.submit(digits)[0] == "used"      # loaded again for the next entry
    assert app.submit("1" * 20)[0] == "invalid"
    assert app.meter.credit.balance == 500


def test_a_meter_without_network_does_not_load_the_remote_channel():
    # issue 11: the record keeps the remote channel's fields (meter.core.remotestate) without
    # loading the command format and its HMAC (meter.core.remote, about 13 KB of heap)
    import sys
    saved = sys.modules.pop("meter.core.remote", None)
    try:
        board, app = provisioned()
        run(board, app, 5)
        app.commit()
        app = reboot(board)
        assert "meter.core.remote" not in sys.modules
    finally:
        if saved is not None:
            sys.modules["meter.core.remote"] = saved


def test_console_reports_leave_nothing_loaded_on_a_board():
    # issue 11: status, events and info come from meter/appreport.py, released after each
    import sys
    board, app = provisioned()
    assert app.status()["ok"] and app.info()["ok"] and isinstance(app.events(3), list)
    assert app.status()["balance"] == app.meter.credit.balance
    if sys.implementation.name == "micropython":
        assert "meter.appreport" not in sys.modules
        assert "meter.core.codenames" not in sys.modules
        assert app.info()["heap_used"] > 0


def test_the_console_protocol_is_loaded_for_a_line_and_released_after_it():
    # issue 11: meter.console (about 3 KB on a board) is not kept between lines
    import json
    import sys
    from meter.usbserial import SerialConsole
    board, app = provisioned()
    console = SerialConsole(app)
    for line in (b"status", b"info", b"nonsense", b"\xff\xfe"):
        reply = json.loads(console.handle(line))
        assert reply["ok"] == (line in (b"status", b"info")), (line, reply)
        if sys.implementation.name == "micropython":
            assert "meter.console" not in sys.modules


def test_the_display_pages_load_with_a_page_key_and_leave_with_the_page():
    # issue 11: meter/displaypages.py is on the heap only while a page or a result is shown
    import sys
    board, app = provisioned()
    on_board = sys.implementation.name == "micropython"
    app.ui_step()
    idle = app.display.shown()
    assert not app.display._pages_in
    app.key("D")
    assert app.display.shown()[0].startswith("CLOCK OK")
    assert app.display._pages_in
    for _ in range(31):                          # the page times out after 30 s
        board.clock.advance(1000)
        app.control_step()
        app.ui_step()
    assert app.display.shown() == idle and not app.display._pages_in
    if on_board:
        assert "meter.displaypages" not in sys.modules
    # a token result shows its second line from the same module, and lets it go after 5 s
    digits = T.encode(KEY, T.CREDIT, 700, T.token_id_at(app.meter.minute, 0))
    assert app.submit(digits)[0] == "accepted"
    assert app.display.shown()[1].strip() == "+7.00EUR"
    for _ in range(6):
        board.clock.advance(1000)
        app.control_step()
        app.ui_step()
    assert not app.display._pages_in
    if on_board:
        assert "meter.displaypages" not in sys.modules


def test_the_planning_code_is_loaded_for_a_plan_and_released_after_it():
    # issue 11: meter/core/plan.py (the next-cut search, the simulator's time to the next
    # change) is not kept on a board's heap; the plan it gives is the same
    import sys
    board, app = provisioned(overrides={"disconnect_threshold": 100})
    m = app.meter
    assert m.credit.balance == 0 and m.clock.trusted
    first = m.next_cut(m.minute)
    assert first >= m.minute                 # credit below the threshold: a cut is planned
    assert m.seconds_to_change(2000) > 0
    if sys.implementation.name == "micropython":
        assert "meter.core.plan" not in sys.modules
    assert m.next_cut(m.minute) == first


def test_the_boot_code_leaves_with_the_boot():
    # issue 11: meter/appboot.py (boot, provisioning, a refused configuration) is released
    import sys
    board, app = provisioned()
    app.config_refused("bad json", True)
    app = reboot(board)
    assert app.booted
    if sys.implementation.name == "micropython":
        assert "meter.appboot" not in sys.modules


def test_released_code_gives_its_heap_back():
    # issue 11: ten token entries, commits and reports cost no more heap than one (the
    # overlays' bytecode is freed).  Not on the WebAssembly port: its collector keeps released
    # modules (tools/mp_heap.mjs says so); the unix port and the chip free them.
    import sys
    if sys.implementation.name != "micropython" or sys.platform == "webassembly":
        return
    import gc
    board, app = provisioned()
    minute = app.meter.minute

    from meter.usbserial import SerialConsole
    console = SerialConsole(app)

    def one(i):
        app.submit(T.encode(KEY, T.CREDIT, 100, T.token_id_at(minute + i, 0)))
        app.status()
        console.handle(b"clock")
        app.key("A")
        app.display.refresh(board.clock.ms + 60000)     # the page is gone: released
        app.commit()

    one(0)
    gc.collect()
    first = gc.mem_alloc()
    for i in range(1, 11):
        one(i)
    gc.collect()
    grew = gc.mem_alloc() - first
    assert grew < 2048, grew


def test_the_token_code_loads_at_the_first_digit_and_leaves_with_the_entry():
    # issue 11: loaded while the household types (the import takes ~90 ms on the chip), so
    # that the check at # is fast; released when the entry is cleared or submitted
    import sys
    board, app = provisioned()
    on_board = sys.implementation.name == "micropython"
    app.key("1")
    assert app.desk._typing
    app.key("*")                                   # deleted: the entry is empty again
    assert not app.desk._typing
    if on_board:
        assert "meter.tokenentry" not in sys.modules
    digits = T.encode(KEY, T.CREDIT, 300, T.token_id_at(app.meter.minute, 0))
    for d in digits:
        app.key(d)
    assert app.desk._typing
    app.key("#")
    assert not app.desk._typing and app.meter.credit.balance == 300
    if on_board:
        assert "meter.tokenentry" not in sys.modules
