"""make firmware / make deploy helpers: what goes on a board."""
import os

import build_firmware
import deploy


def test_build_every_board(tmp_path):
    for board in ("rp2-pico", "rp2-pico-w", "esp32-devkitc"):
        out = build_firmware.build(board, str(tmp_path))
        names = set()
        for dirpath, _, files in os.walk(out):
            for f in files:
                names.add(os.path.relpath(os.path.join(dirpath, f), out).replace(os.sep, "/"))
        assert "main.py" in names and "board.mpy" in names
        assert "meter/app.mpy" in names and "meter/core/policy.mpy" in names
        assert "_boot.py" not in names and "_boot.mpy" not in names   # frozen, not copied
        assert not any(n.endswith(".py") and n != "main.py" for n in names)
        with open(os.path.join(out, "meter", "core", "policy.mpy"), "rb") as f:
            head = f.read(2)
        assert head == b"M\x06"        # .mpy version 6


def test_unknown_board_refused(tmp_path):
    try:
        build_firmware.build("arduino-uno", str(tmp_path))
    except SystemExit as e:
        assert "unknown BOARD" in str(e)
        return
    raise AssertionError("accepted an unknown board")


def test_deploy_copies_only_what_changed():
    local = {"main.py": "a", "meter/app.mpy": "b", "board.mpy": "c"}
    assert deploy.plan(local, {}) == ["board.mpy", "main.py", "meter/app.mpy"]
    assert deploy.plan(local, dict(local)) == []
    assert deploy.plan(local, {"main.py": "a", "meter/app.mpy": "old"}) == ["board.mpy",
                                                                           "meter/app.mpy"]
