# Freezing manifest for esp32-devkitc (docs/storage.md): the port's modules WITHOUT its _boot.py,
# ours instead, and the whole firmware.  The list of the port's modules is MicroPython 1.27's
# ports/esp32/modules minus _boot.py: check it against your checkout.
#   make firmware BOARD=esp32-devkitc        (writes build/frozen/esp32-devkitc/board.py)
#   make -C <micropython>/ports/esp32 BOARD=ESP32_GENERIC FROZEN_MANIFEST=<this repo>/boards/manifests/esp32-devkitc.py
freeze("$(PORT_DIR)/modules", ("apa106.py", "espnow.py", "flashbdev.py", "inisetup.py",
                               "machine.py"))
include("$(MPY_DIR)/extmod/asyncio")
freeze("../../firmware", "_boot.py")
freeze("../../firmware", "main.py")
package("meter", base_path="../../firmware")
module("board.py", base_path="../../build/frozen/esp32-devkitc")
