"""Timeline pictures (tools/simplot.py): the simulator, its console `plot`, `sim.py --plot`
and `bench.py --plot` write a real PNG/SVG with the expected series; the cut windows come from
zoneinfo + holidays."""
import calendar as pycal
import json
import os
import subprocess
import sys

import sim as simmod
import simplot
from meter.core import calendar
from meter.core import isotime
from meter.core.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
START = "2026-11-30T06:00:00Z"          # Monday 07:00 local


def utc(text):
    return isotime.parse_iso_utc(text)


def run_sim(tmp_path):
    s = simmod.Simulator(utc(START), {"notice": 60}, str(tmp_path / "state"))
    for line in ("load 1500", "vend credit 3.00", "advance 20000", "rtc fault osf",
                 "advance 3600", "vend settime", "advance 90000"):
        assert json.loads(s.handle(line))["ok"], line
    return s


def test_simulator_console_plot_writes_png_and_svg(tmp_path):
    s = run_sim(tmp_path)
    try:
        png = tmp_path / "run.png"
        out = json.loads(s.handle("plot %s" % png))
        assert out["ok"] and out["points"] >= 10
        data = png.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 15000
        svg = tmp_path / "run.svg"
        assert json.loads(s.handle("plot %s" % svg))["ok"]
        text = svg.read_text()
        assert text.startswith("<?xml") and "<svg" in text
        for series in ('id="balance"', 'id="supply"', 'id="clock"'):
            assert series in text, series
        assert len(s.timeline.points) > 20
        kinds = {m[1] for m in s.timeline.marks}
        assert {"token", "fault", "cut"} <= kinds
        assert json.loads(s.handle("plot run.gif"))["ok"] is False
        assert json.loads(s.handle("plot"))["ok"] is False
    finally:
        s.close()


def test_sim_serve_plot_at_exit(tmp_path):
    path = tmp_path / "serve.svg"
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "sim.py"), "--serve",
                           "--start", START, "--plot", str(path)],
                          input="load 800\nvend credit 2.00\nadvance 7200\n",
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    text = path.read_text()
    assert text.startswith("<?xml") and 'id="balance"' in text and len(text) > 20000


def test_bench_plot(tmp_path):
    path = tmp_path / "bench.png"
    scen = os.path.join(ROOT, "tools", "scenarios", "clock_osf.txt")
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "bench.py"), "--sim",
                           scen, "--plot", str(path)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 15000
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "bench.py"), "--sim",
                           scen, "--plot", str(tmp_path / "x.jpg")], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2


def test_error_bound_is_drawn_when_the_status_has_one(tmp_path):
    tl = simplot.Timeline()
    t = utc("2026-12-01T00:00:00Z")
    for i in range(50):
        tl.add_status(t + i * 600, {"balance": 1000 - i, "supply": "on", "relay": "closed",
                                    "clock": {"trusted": i < 30, "error_s": i * 2 if i < 40
                                              else None}})
    path = tmp_path / "err.svg"
    n = simplot.draw(tl, str(path), Config(), "error bound")
    assert n > 5
    text = path.read_text()
    assert 'id="clock"' in text and "error bound" in text


def test_cut_windows_come_from_zoneinfo_and_holidays():
    cfg = Config()
    t0, t1 = utc("2026-12-21T00:00:00Z"), utc("2026-12-29T00:00:00Z")
    wins = simplot.allowed_cut_windows(t0, t1, cfg)
    days = [isotime.iso_utc(int(a))[:10] for a, _ in wins]
    # Mon 21 - Wed 23; not Thu 24 (the working day before Christmas) nor Fri 25; Mon 28
    assert days == ["2026-12-21", "2026-12-22", "2026-12-23", "2026-12-28"]
    a, b = wins[0]
    assert isotime.iso_utc(int(a)) == "2026-12-21T07:00:00Z"       # 08:00 CET
    assert isotime.iso_utc(int(b)) == "2026-12-21T13:00:00Z"       # 16:00 - 2 h margin
    summer = simplot.allowed_cut_windows(utc("2020-07-06T00:00:00Z"),
                                         utc("2020-07-07T00:00:00Z"), cfg)
    assert [isotime.iso_utc(int(x)) for x in summer[0]] == ["2020-07-06T06:00:00Z",
                                                              "2020-07-06T12:00:00Z"]
    assert pycal.weekday(2020, 7, 6) == 0


def test_the_readme_picture_is_committed_and_small():
    path = os.path.join(ROOT, "docs", "july2020.png")
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and 15000 < len(data) < 200 * 1024
    readme = open(os.path.join(ROOT, "README.md")).read()
    assert "docs/july2020.png" in readme


def test_bench_plots_against_the_true_time_not_the_meters_clock():
    import bench

    class Target:
        """The meter's clock jumps a day ahead after the first advance."""
        def __init__(self):
            self.n = 0

        def send(self, line):
            self.n += 1
            clock = "2020-07-05T00:00:00Z" if self.n > 1 else "2020-07-01T10:00:00Z"
            return json.dumps({"ok": True, "balance": -self.n, "supply": "on",
                               "relay": "closed", "clock": {"trusted": self.n == 1,
                                                            "utc": clock}})

    p = bench.Plotter(None, "2020-07-01T10:00:00Z")
    t = Target()
    p.send(t, "status")
    p.send(t, "advance 3600")                      # sent as 4 slices of 900 s
    times = [pt[0] for pt in p.timeline.points]
    start = utc("2020-07-01T10:00:00Z")
    assert times == [start, start + 900, start + 1800, start + 2700, start + 3600]
