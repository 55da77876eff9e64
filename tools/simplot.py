"""Pictures of a run: a timeline of balance, supply, clock trust and its error bound, the
calendar's allowed cut windows, tokens, faults and cuts (matplotlib, Agg backend; PNG or SVG by
the file's extension).  Used by the simulator (`tools/sim.py --plot FILE`, console `plot FILE`)
and the bench runner (`tools/bench.py --plot FILE`).

The allowed cut windows are computed here by an independent oracle — zoneinfo
(Europe/Brussels) and the `holidays` package (BE) — never by the firmware: working days that
are not a public holiday nor (no_cut_before_holiday) the working day before one, from
cut_start to cut_end - topup_margin local time, the hours in which a cut may start.  They do
not know the household's protections (registration, winter, medical, weather): where the
picture shows a cut outside a shaded window, the meter broke the calendar rules.
"""
import datetime as _dt

_MAX_POINTS = 200000


class Timeline:
    """Samples (t, balance, supply, relay_closed, trusted, error_s) and marks (t, kind, text);
    t is the TRUE time of the world, Unix seconds (the meter's belief may differ)."""

    def __init__(self):
        self.points = []
        self.marks = []
        self._last_relay = None

    def add(self, t, balance, supply, relay_closed, trusted, error_s=None):
        if len(self.points) >= _MAX_POINTS:
            self.points = self.points[::2]           # long interactive runs: thin out
        self.points.append((t, balance, supply, relay_closed, trusted, error_s))
        if self._last_relay is not None and relay_closed != self._last_relay:
            self.marks.append((t, "cut" if not relay_closed else "restore",
                               "cut (%s)" % supply if not relay_closed else "restored"))
        self._last_relay = relay_closed

    def sample(self, t, app):
        """From the app itself (the simulator; cheap: no status dict)."""
        from meter.core import policy
        m = app.meter
        clock = m.clock
        err = getattr(clock, "error_s", None)
        self.add(t, m.credit.balance, policy.SUPPLY_NAMES[m.supply], m.relay_closed(),
                 bool(clock.trusted), err if isinstance(err, int) and err >= 0 else None)

    def add_status(self, t, status):
        """From a console status reply (the bench runner)."""
        if not isinstance(status, dict) or "balance" not in status or "clock" not in status:
            return
        clock = status["clock"] or {}
        err = clock.get("error_s")
        self.add(t, status["balance"], status.get("supply"), status.get("relay") == "closed",
                 bool(clock.get("trusted")), err if isinstance(err, int) else None)

    def mark(self, t, kind, text):
        """kind: token, fault (cuts and restores are found from the relay samples)."""
        self.marks.append((t, kind, text))


def allowed_cut_windows(t0, t1, cfg):
    """[(start, end)] Unix seconds of the calendar's cut windows between t0 and t1."""
    from zoneinfo import ZoneInfo
    import holidays
    tz = ZoneInfo("Europe/Brussels")
    start = _dt.datetime.fromtimestamp(t0, tz).date() - _dt.timedelta(days=1)
    end = _dt.datetime.fromtimestamp(t1, tz).date() + _dt.timedelta(days=1)
    years = range(start.year, end.year + 2)
    hol = holidays.country_holidays("BE", years=years)

    def next_weekday(d):
        d += _dt.timedelta(days=1)
        while d.weekday() >= 5:
            d += _dt.timedelta(days=1)
        return d

    lo_min = cfg.cut_start
    hi_min = cfg.cut_end - cfg.topup_margin
    out = []
    d = start
    while d <= end:
        ok = d.weekday() < 5 and d not in hol
        if ok and cfg.no_cut_before_holiday and next_weekday(d) in hol:
            ok = False
        if ok and hi_min > lo_min:
            midnight = _dt.datetime(d.year, d.month, d.day, tzinfo=tz)
            a = (midnight + _dt.timedelta(minutes=lo_min)).timestamp()
            b = (midnight + _dt.timedelta(minutes=hi_min)).timestamp()
            if b > t0 and a < t1:
                out.append((max(a, t0), min(b, t1)))
        d += _dt.timedelta(days=1)
    return out


_SUPPLY_LEVEL = {"off": 0, "armed": 1, "limited": 2, "on": 3}


def draw(timeline, path, cfg, title="run"):
    """Writes the picture to path (.png or .svg); -> the number of artists drawn."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.dates as mdates

    if not path.lower().endswith((".png", ".svg")):
        raise ValueError("the picture must be FILE.png or FILE.svg")
    pts = timeline.points
    if not pts:
        raise ValueError("nothing to draw: no samples")
    t0 = pts[0][0]
    t1 = max(pts[-1][0], t0 + 60)
    tail = t1 + (t1 - t0) // 12          # the calendar a little past the end: what came next

    def when(t):
        return _dt.datetime.fromtimestamp(t, _dt.timezone.utc)

    ts = [when(p[0]) for p in pts]
    fig, (ax_bal, ax_sup, ax_clk) = plt.subplots(
        3, 1, sharex=True, figsize=(10, 6.2), gridspec_kw={"height_ratios": [3, 1.2, 1.2]})
    artists = 0
    for a, b in allowed_cut_windows(t0, tail, cfg):
        for ax in (ax_bal, ax_sup, ax_clk):
            ax.axvspan(when(a), when(b), color="#f4c7c3", alpha=0.6, lw=0,
                       label="calendar cut window (zoneinfo + holidays)" if
                       (ax is ax_bal and artists == 0) else None)
            artists += 1
    cur = getattr(cfg, "currency", "")
    line, = ax_bal.step(ts, [p[1] / 100 for p in pts], where="post", color="#1f4e9c", lw=1.4,
                        label="balance")
    line.set_gid("balance")
    ax_bal.axhline(0, color="#888", lw=0.6)
    ax_bal.set_ylabel("balance %s" % cur)
    artists += 2
    line, = ax_sup.step(ts, [_SUPPLY_LEVEL.get(p[2], 0) for p in pts], where="post",
                        color="#2a7d2e", lw=1.4, label="supply")
    line.set_gid("supply")
    ax_sup.fill_between(ts, 0, 1, where=[bool(p[3]) for p in pts], step="post",
                        color="#9fd39f", alpha=0.35, lw=0,
                        transform=ax_sup.get_xaxis_transform(), label="relay closed")
    ax_sup.legend(loc="lower left", fontsize=7, framealpha=0.8)
    ax_sup.set_yticks([0, 1, 2, 3])
    ax_sup.set_yticklabels(["off", "armed", "limited", "on"], fontsize=7)
    ax_sup.set_ylim(-0.3, 3.4)
    artists += 2
    errs = [p[5] for p in pts]
    ax_clk.fill_between(ts, 0, 1, where=[not p[4] for p in pts], step="post",
                        color="#e8a33d", alpha=0.45, lw=0,
                        transform=ax_clk.get_xaxis_transform(), label="clock untrusted")
    if any(e is not None for e in errs):
        # the clock's proven error bound (status clock.error_s); unbounded shows as a gap
        line, = ax_clk.step(ts, [(e if e is not None else float("nan")) for e in errs],
                            where="post", color="#7a3d9c", lw=1.2, label="clock error bound")
        ax_clk.set_ylabel("error bound s")
    else:
        line, = ax_clk.step(ts, [1 if p[4] else 0 for p in pts], where="post",
                            color="#c0701a", lw=1.2, label="clock trusted")
        ax_clk.set_ylabel("clock")
        ax_clk.set_yticks([0, 1])
        ax_clk.set_yticklabels(["untrusted", "trusted"], fontsize=7)
        ax_clk.set_ylim(-0.3, 1.3)
    line.set_gid("clock")
    ax_clk.legend(loc="lower left", fontsize=7, framealpha=0.8)
    artists += 2
    styles = {"token": ("#1f4e9c", "v"), "fault": ("#c0392b", "x"), "cut": ("#000", "|"),
              "restore": ("#2a7d2e", "|")}
    seen = set()
    for t, kind, text in timeline.marks:
        color, marker = styles.get(kind, ("#555", "o"))
        label = None if kind in seen else kind
        seen.add(kind)
        if kind in ("cut", "restore"):
            for ax in (ax_bal, ax_sup, ax_clk):
                ax.axvline(when(t), color=color, lw=1.0, ls="--" if kind == "cut" else ":",
                           label=label if ax is ax_bal else None)
                artists += 1
        else:
            ax_bal.plot([when(t)], [1.0], marker=marker, color=color, ms=7, ls="none",
                        transform=ax_bal.get_xaxis_transform(), clip_on=False, label=label)
            artists += 1
        if kind in ("token", "fault", "cut"):
            ax_bal.annotate(str(text)[:28], (when(t), 0.98), xycoords=("data", "axes fraction"),
                            fontsize=6, rotation=90, va="top", ha="right", color=color)
            artists += 1
    ax_bal.legend(loc="lower left", fontsize=7, ncol=3, framealpha=0.8)
    ax_bal.set_title("%s: %s to %s (UTC)" % (title, when(t0).strftime("%Y-%m-%d %H:%M"),
                                             when(t1).strftime("%Y-%m-%d %H:%M")), fontsize=9)
    ax_clk.set_xlim(when(t0 - (t1 - t0) // 40), when(tail))
    loc = mdates.AutoDateLocator()
    ax_clk.xaxis.set_major_locator(loc)
    ax_clk.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))
    for ax in (ax_bal, ax_sup, ax_clk):
        ax.grid(True, lw=0.3, alpha=0.5)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return artists
