# Freezing manifest for rp2-pico-w (docs/storage.md): the port's modules WITHOUT its _boot.py (which
# reformats a flash that fails to mount), ours instead, and the whole firmware, so the meter
# runs even when the filesystem is gone.  Relative paths are relative to this file.
# It needs `make firmware BOARD=rp2-pico-w` first (writes build/frozen/rp2-pico-w/board.py; make uf2 does).
#   make uf2 BOARD=rp2-pico-w MICROPY=<micropython> [PICOTOOL=<picotool install>]   (README)
# (not built here: the Pico W port also needs lib/cyw43-driver, lib/lwip, lib/btstack)
freeze("$(PORT_DIR)/modules", "rp2.py")
include("$(MPY_DIR)/extmod/asyncio")
# opt=3 as `make firmware` compiles the deploy path: the same bytecode,
# without line numbers.
freeze("../../firmware", "_boot.py", opt=3)
freeze("../../firmware", "main.py", opt=3)
package("meter", base_path="../../firmware", opt=3)
module("board.py", base_path="../../build/frozen/rp2-pico-w", opt=3)
