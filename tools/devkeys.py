"""DEVELOPMENT ONLY: the utility key and meter serial shared by tools/vend.py and the simulator.

These values are public (they are in this repository), so any token made with them can be made
by anyone.  A real meter is provisioned with its own per-meter key, derived by the utility from a
secret utility key (meter.core.token.derive_meter_key; tools/provision.py); never ship these.
This file lives in tools/, not firmware/, so that no build, freezing manifest or deploy can
carry it (host_tests/test_build.py checks the build output for the key).

DEV_UTILITY_KEY_HEX is sha256(b"budget-meter DEVELOPMENT utility key - never use in production").
"""

DEV_UTILITY_KEY_HEX = "de28161b801db791ec05faa76730bf6ff5e6947a0e15ffcaa82f863d6561c7a8"
DEV_SERIAL = 10000001
