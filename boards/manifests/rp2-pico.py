# Freezing manifest for rp2-pico: a MicroPython build whose flash can never be reformatted by the
# port's boot code, with the whole firmware frozen in (docs/storage.md).  From a MicroPython
# source tree:
#   make -C ports/rp2 BOARD=<port board> FROZEN_MANIFEST=<this repository>/boards/manifests/rp2-pico.py
# Relative paths are relative to this file.  Our firmware/_boot.py replaces the port's one.
include("$(PORT_DIR)/boards/manifest.py")
freeze("../../firmware")
