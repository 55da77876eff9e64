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
