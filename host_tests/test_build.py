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


def _tree_bytes(root):
    for dirpath, dirnames, files in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for f in files:
            path = os.path.join(dirpath, f)
            with open(path, "rb") as fh:
                yield os.path.relpath(path, root), fh.read()


def test_production_images_carry_no_development_key(tmp_path):
    # issue 11: meter/core/devkeys.py was frozen and deployed
    from devkeys import DEV_UTILITY_KEY_HEX
    key_hex = DEV_UTILITY_KEY_HEX.encode()
    key_raw = bytes.fromhex(DEV_UTILITY_KEY_HEX)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    trees = [os.path.join(root, "firmware")]        # what the freezing manifests take
    for board in build_firmware.boards():
        trees.append(build_firmware.build(board, str(tmp_path)))
    for tree in trees:
        for rel, data in _tree_bytes(tree):
            assert "devkeys" not in rel, (tree, rel)
            assert key_hex not in data and key_raw not in data, (tree, rel)
            assert b"DEV_UTILITY_KEY" not in data, (tree, rel)
    for name in os.listdir(os.path.join(root, "boards", "manifests")):
        with open(os.path.join(root, "boards", "manifests", name)) as f:
            text = f.read()
        assert "tools" not in text and "devkeys" not in text, name


def test_deploy_removes_what_an_older_deploy_left():
    # an old firmware's development keys must not stay on a board (issue 11)
    local = {"main.py": "a", "meter/app.mpy": "b"}
    remote = {"main.py": "a", "meter/app.mpy": "old", "meter/core/devkeys.mpy": "k"}
    assert deploy.plan(local, remote) == ["meter/app.mpy"]
    assert deploy.stale(local, remote) == ["meter/core/devkeys.mpy"]
    assert deploy.stale(local, dict(local)) == []
