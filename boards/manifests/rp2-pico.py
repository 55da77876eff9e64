# Freezing manifest for rp2-pico (docs/storage.md): the port's modules WITHOUT its _boot.py (which
# reformats a flash that fails to mount), ours instead, and the whole firmware, so the meter
# runs even when the filesystem is gone.  Relative paths are relative to this file.
#   make firmware BOARD=rp2-pico        (writes build/frozen/rp2-pico/board.py)
#   make -C <micropython>/ports/rp2 BOARD=RPI_PICO FROZEN_MANIFEST=<this repo>/boards/manifests/rp2-pico.py
freeze("$(PORT_DIR)/modules", "rp2.py")
include("$(MPY_DIR)/extmod/asyncio")
freeze("../../firmware", "_boot.py")
freeze("../../firmware", "main.py")
package("meter", base_path="../../firmware")
module("board.py", base_path="../../build/frozen/rp2-pico")
