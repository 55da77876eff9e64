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

.PHONY: soak test sim bench fleet setup pytest mptest mpunixtest mpycheck pyright scenarios firmware deploy repl clean

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
	$(MAKE) --no-print-directory pytest mptest mpunixtest mpycheck pyright scenarios

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
	$(VPY) tools/bench_remote.py
	$(VPY) tools/bench_fleet.py

# 1,000 simulated meters on a loopback broker (docs/remote.md): FLEET="--meters 200" to vary
fleet: setup
	$(VPY) tools/bench_fleet.py $(FLEET)

sim: setup
	$(VPY) tools/sim.py $(if $(MQTT),--serve --mqtt $(MQTT))

# the world model (host_tests/test_world_model.py) for SOAK_STEPS checked steps; prints the
# steps checked and the violations (`make test` runs 20,000)
soak: setup
	WORLD_STEPS=$(SOAK_STEPS) $(VPY) -m pytest -q -s host_tests/test_world_model.py

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
