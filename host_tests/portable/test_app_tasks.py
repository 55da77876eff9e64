"""The app's own asyncio tasks (App.run) on a fake event loop and the fake clock: what only the
task wiring decides -- how often the relay, the button and the watchdog are served.  Portable."""
import apprig
import fakehw
from fakeloop import FakeLoop


def _running(board, app, **kw):
    loop = FakeLoop(board.clock).install()
    loop.spawn(app.run(wdt=board.wdt, **kw))
    return loop


def test_relay_coil_pulse_lasts_relay_pulse_ms_not_a_control_step():
    # issue 11: the coil stayed energised ~1 s because only the 1 Hz step polled the relay
    board, app = apprig.provisioned()
    board.set_pin.value(0)
    board.set_pin.history[:] = []
    board.reset_pin.history[:] = []
    board.power_on()                 # a reboot: app.run() boots, and boot re-drives the coil
    app = apprig.make_app(board)
    loop = _running(board, app)
    try:
        loop.run_for(3000)
    finally:
        loop.remove()
    pulses = fakehw.active_intervals(board.set_pin)
    assert pulses, "boot re-drives the latching relay"
    for start, end in pulses:
        assert end is not None
        assert 100 <= end - start <= 120, (start, end)
    assert not fakehw.active_intervals(board.reset_pin)


def test_openpaygo_value_table_is_kept_by_its_own_task_in_small_slices():
    cfg = {"openpaygo_key": "7d3c0e51a2b94f68c1e0aa3b5f29d487",
           "openpaygo_starting_code": 384017265}
    board, app = apprig.provisioned(overrides=cfg)
    board.power_on()
    app = apprig.make_app(board, cfg)
    loop = _running(board, app)
    try:
        loop.run_for(100)
        app.desk.opg.last_count = 20         # as after tokens up to count 20
        loop.run_for(20000)
    finally:
        loop.remove()
    assert app.opg_background
    assert app.desk._opg_decoder.table_count() == 5
    assert "/data/opgtable.bin" in board.fs.files
