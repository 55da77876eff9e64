"""The boot's loading functions (meter/boardstart.py, which firmware/main.py runs), called
directly with a fake filesystem: importable without a board, never raising at boot, printing a
clear error (issue 8: an identity file of the wrong shape crashed main.py at boot; any key
length was accepted)."""
import importlib
import sys

from fakefs import FakeFS
from meter.core.config import Config

import test_identity as cases         # host_tests/portable/test_identity.py


def load_main():
    assert "board" not in sys.modules
    sys.modules.pop("main", None)
    sys.modules.pop("meter.boardstart", None)
    importlib.import_module("main")               # firmware/main.py, no board, no machine
    main = importlib.import_module("meter.boardstart")
    assert "board" not in sys.modules and "machine" not in sys.modules
    return main


def fs_with(path, data):
    fs = FakeFS()
    fs.dirs["/data"] = True
    if data is not None:
        fs.files[path] = bytearray(data)
    return fs


def test_main_loads_every_malformed_identity_without_raising(capsys):
    main = load_main()
    for data in cases.BAD_IDENTITIES + (None,):
        serial, key, err = main.load_identity(fs_with("/data/identity.json", data))
        assert serial == 0 and key == b"" and err
        out = capsys.readouterr().out
        assert out.startswith("identity: /data/identity.json: ") and "no cut" in out, out
    good = b'{"serial": 42, "meter_key": "%s"}' % cases.KEY_HEX.encode()
    assert main.load_identity(fs_with("/data/identity.json", good)) == \
        (42, bytes.fromhex(cases.KEY_HEX), None)
    assert capsys.readouterr().out == ""


def test_main_loads_every_malformed_config_without_raising(capsys):
    main = load_main()
    for data in cases.BAD_CONFIGS:
        cfg, problem = main.load_config(fs_with("/config.json", data))
        assert problem and cfg.as_dict() == Config().as_dict()
        out = capsys.readouterr().out
        assert out.startswith("config: config.json") and "defaults in force" in out, out
    cfg, problem = main.load_config(fs_with("/config.json", None))
    assert problem is None and capsys.readouterr().out == ""
