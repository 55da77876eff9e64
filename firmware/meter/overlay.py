"""Code a board loads for one job and then lets go (issue 11: the deploy path's heap).

A module loaded from a .mpy file on the filesystem keeps its bytecode on the heap for as long
as it is imported.  Code that runs rarely (a token entry, the boot) is imported where it is
used and released afterwards: removed from sys.modules and from its package, so that the
collector takes its bytecode back once nothing refers to it.  A released module must leave
nothing behind that a long-lived object keeps (no class instances, no stored functions).

Under CPython nothing is released: the host's heap does not matter, and tests that patch a
module must keep seeing their patch.
"""
import sys

_BOARD = sys.implementation.name == "micropython"


def release(names):
    """Forgets the modules `names` (dotted, as imported) on MicroPython."""
    if not _BOARD:
        return
    mods = sys.modules
    for name in names:
        if name in mods:
            del mods[name]
        dot = name.rfind(".")
        parent = mods.get(name[:dot]) if dot > 0 else None
        if parent is not None:
            try:
                delattr(parent, name[dot + 1:])
            except (AttributeError, KeyError, TypeError):   # MicroPython: KeyError
                pass
