"""Puts firmware/ (the code that goes on the board) and the portable tests on sys.path."""
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.dirname(_HERE)
# cpython_shim provides the `micropython` module (const) that firmware imports.
for _p in (os.path.join(_ROOT, "firmware"), os.path.join(_HERE, "portable"),
           os.path.join(_ROOT, "tools"), os.path.join(_ROOT, "tools", "cpython_shim")):
    if _p not in sys.path:
        sys.path.insert(0, _p)
