# Budget meter controller: host-side set-up, tests, firmware builds and deploy.
# `make test` and `make sim` do all the set-up they need on a fresh clone.

PY      ?= python3
VENV    := .venv
VPY     := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
BOARD   ?= rp2-pico
PORT    ?= auto
BOARDS  := $(basename $(notdir $(wildcard boards/*.py)))

SOAK_STEPS ?= 1000000
SOAK_JOBS ?= 2

.PHONY: soak test emutest emupty emubench uf2 sim bench fleet setup pytest mptest mpunixtest mpycheck pyright scenarios firmware deploy repl clean

setup: $(STAMP) $(NODE_STAMP)

$(STAMP): requirements-dev.txt requirements-stubs.txt
	$(PY) -m venv $(VENV)
	$(VPY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	rm -rf $(VENV)/stubs
	for port in rp2 esp32; do \
	  $(VPY) -m pip install -q --disable-pip-version-check --no-deps --target $(VENV)/stubs/$$port \
	    $$(grep -E "^micropython-($$port|stdlib)-stubs==" requirements-stubs.txt) || exit 1; \
	done
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

test: setup
	$(MAKE) --no-print-directory pytest mptest mpunixtest mpycheck pyright scenarios emutest

# The emulated-chip tier (tools/emu/, docs/bench.md): the deployed firmware on the stock
# MicroPython UF2 in rp2040js.  Needs ../shared/rp2040/ (or RP2040_UF2 and RP2040_BOOTROM);
# without them it prints a loud SKIPPED line instead of passing silently.
EMU_SCENARIOS := replay_lockout reconnect friendly_weekend powercut_topup openpaygo
emutest: setup
	@if $(VPY) tools/emu/board.py --check; then \
	  $(VPY) -m pytest -q emu_tests && \
	  $(VPY) tools/bench.py --emu $(EMU_SCENARIOS:%=tools/scenarios/%.txt); \
	else \
	  echo "=================================================================="; \
	  echo "=== EMULATED RP2040 TIER SKIPPED (see the line above)          ==="; \
	  echo "=================================================================="; \
	fi

# only the pty tier (also part of emutest): mpremote, `make deploy` and tools/provision.py
# against the emulated board behind a pty (about a minute)
emupty: setup
	$(VPY) -m pytest -q emu_tests/test_pty_tools.py

# every scenario on the emulated board (slow: several minutes)
emubench: setup
	$(VPY) tools/bench.py --emu

pytest:
	$(VPY) -m pytest -q host_tests

mptest:
	node tools/mp_test.mjs

# the portable tests under the MicroPython unix port (skips loudly where it cannot run)
mpunixtest:
	$(VPY) tools/mp_unix_test.py

mpycheck:
	$(VPY) tools/mpy_check.py

pyright:
	node_modules/.bin/pyright -p pyright-rp2.json
	node_modules/.bin/pyright -p pyright-esp32.json

bench: setup
	$(VPY) tools/bench_perf.py
	$(VPY) tools/emu/chipbench.py
	@if [ -n "$(RP2040_FROZEN_UF2)" ]; then \
	  RP2040_UF2="$(RP2040_FROZEN_UF2)" FROZEN=1 $(VPY) tools/emu/chipbench.py; \
	else \
	  echo "On-chip figures of the frozen image: not measured (make uf2, then RP2040_FROZEN_UF2=build/rp2-pico.uf2)"; \
	fi
	$(VPY) tools/bench_remote.py
	$(VPY) tools/bench_fleet.py

# 1,000 simulated meters on a loopback broker (docs/remote.md): FLEET="--meters 200" to vary
fleet: setup
	$(VPY) tools/bench_fleet.py $(FLEET)

sim: setup
	$(VPY) tools/sim.py $(if $(MQTT),--serve --mqtt $(MQTT))

# the world model (host_tests/test_world_model.py) for SOAK_STEPS checked steps, in SOAK_JOBS
# seeded shards in parallel; prints the steps checked and the violations (`make test` runs 20,000)
soak: setup
	$(VPY) tools/soak.py --steps $(SOAK_STEPS) --jobs $(SOAK_JOBS)

clean:
	rm -rf build .pytest_cache .hypothesis

firmware: setup
	$(VPY) tools/build_firmware.py $(BOARD)

deploy: firmware
	@test "$(PORT)" != "auto" || (echo "make deploy BOARD=... PORT=/dev/ttyACM0"; exit 2)
	$(VPY) tools/deploy.py $(BOARD) $(PORT)

repl: setup
	$(VENV)/bin/mpremote connect $(PORT) repl

scenarios: setup
	$(VPY) tools/bench.py --sim

# The production image for a Pico: MicroPython with boards/manifests/$(BOARD).py frozen in
# (our _boot.py, the firmware, the board file).  MICROPY = a MicroPython checkout with its
# submodules (README, "A frozen image"); PICOTOOL = an installed picotool 2.x (optional).
# The port's Makefile runs cmake only when its build directory is new, so a build directory
# shared by two checkouts would keep freezing the first one's manifest: it lives in this
# checkout's build/, and is started afresh when its cache names another manifest.  The frozen
# .mpy files are rebuilt every time (makemanifest only compares file times, so a changed opt=
# or an older file checked out would otherwise keep stale bytecode).
MICROPY ?=
PICOTOOL ?=
UF2_PORT = $(if $(findstring esp32,$(BOARD)),esp32,rp2)
UF2_MPBOARD = $(if $(findstring pico-w,$(BOARD)),RPI_PICO_W,RPI_PICO)
UF2_BUILD = $(abspath build/uf2-$(BOARD))
UF2_MANIFEST = $(abspath boards/manifests/$(BOARD).py)
uf2: firmware
	@test -n "$(MICROPY)" || (echo "make uf2 BOARD=rp2-pico MICROPY=/path/to/micropython"; exit 2)
	@test "$(UF2_PORT)" = rp2 || (echo "make uf2 builds rp2 boards only"; exit 2)
	$(MAKE) -C $(MICROPY)/mpy-cross
	@grep -qsx "MICROPY_FROZEN_MANIFEST:[A-Z]*=$(UF2_MANIFEST)" $(UF2_BUILD)/CMakeCache.txt \
	  || rm -rf $(UF2_BUILD)
	rm -rf $(UF2_BUILD)/frozen_mpy
	$(if $(PICOTOOL),PICOTOOL_FETCH_FROM_GIT_PATH=$(PICOTOOL)) $(MAKE) -C $(MICROPY)/ports/rp2 \
	  BOARD=$(UF2_MPBOARD) BUILD=$(UF2_BUILD) -j2 \
	  CMAKE_ARGS="-DMICROPY_FROZEN_MANIFEST=$(UF2_MANIFEST)$(if $(PICOTOOL), -Dpicotool_DIR=$(PICOTOOL)/picotool)"
	cp $(UF2_BUILD)/firmware.uf2 build/$(BOARD).uf2
	@echo "built build/$(BOARD).uf2"
