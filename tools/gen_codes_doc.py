"""Writes docs/codes.md from firmware/meter/core/codes.py (the table is the single source).

host_tests/test_codes.py fails when docs/codes.md is out of date: run
`.venv/bin/python tools/gen_codes_doc.py` after adding a code.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "firmware"))
sys.path.insert(0, os.path.join(ROOT, "tools", "cpython_shim"))

from meter.core import codes  # noqa: E402

RANGES = ((0, 29, "Supply decisions (the reason shown beside every relay decision)"),
          (30, 39, "Clock trust"), (40, 59, "Tokens and keypad"),
          (60, 69, "Hardware and storage"), (70, 79, "Money"), (80, 89, "Console"),
          (90, 99, "Events"), (100, 109, "Clock interval (docs/clock.md)"),
          (110, 119, "Identity and the pulse store"),
          (120, 139, "Protections, cold-home hold and the event log's story"),
          (140, 149, "Remote channel (docs/remote.md)"),
          (150, 159, "Board and chip"))


def render():
    lines = ["# Codes", "",
             "Every reason, error and event has a stable number, a console word (`reason`, "
             "`events[].name`) and a 16-character LCD text. Numbers never change meaning; new "
             "codes take new numbers. The LCD shows the text; the number appears only on a detail "
             "page (D: error code, event log). Generated from `firmware/meter/core/codes.py` by "
             "`tools/gen_codes_doc.py`.", ""]
    for lo, hi, title in RANGES:
        lines += ["## %d-%d %s" % (lo, hi, title), "", "| code | name | LCD text |",
                  "|---:|---|---|"]
        for code, name, text in sorted(codes.all_codes()):
            if lo <= code <= hi:
                lines.append("| %d | `%s` | `%s` |" % (code, name, text))
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    with open(os.path.join(ROOT, "docs", "codes.md"), "w") as f:
        f.write(render())
