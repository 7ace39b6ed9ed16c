# podim.fleet developer commands. `make test` runs every step with a summary;
# each `make STEP` runs one step of the same runner, scripts/test-all.sh (its
# header lists the steps and the settings: VENVS, SKIP, TOOLS_VENV,
# STEP_TIMEOUT, DEADLINE). Per-venv steps (docs-check, units, sanity,
# integration) run for every ready venv, or for VENVS="...":
#   make units VENVS=.venv/2.19
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

export VENVS TOOLS_VENV SKIP STEP_TIMEOUT DEADLINE

STEPS := lint docs-check units sanity integration molecule bench
.PHONY: help demo demo-destroy test setup venvs $(STEPS) pg-start pg-stop clean

help:
	@echo 'make demo         set everything up, run the example site on local test hosts, print its URLs'
	@echo 'make demo-destroy remove the demo hosts'
	@echo 'make test         every step below (setup first) with a summary at the end'
	@echo 'make setup        Debian packages (root), test host packages, venvs'
	@echo 'make lint         ansible-lint --profile production'
	@echo 'make docs-check   build + install + ansible-doc every plugin (per venv)'
	@echo 'make units        pytest tests/unit            (per venv, with a PostgreSQL server)'
	@echo 'make sanity       ansible-test sanity          (per venv)'
	@echo 'make integration  tests/integration targets    (per venv, with a PostgreSQL server)'
	@echo 'make molecule     extensions/molecule scenarios on local test hosts'
	@echo 'make bench        tests/benchmarks, full sizes (with a PostgreSQL server)'
	@echo 'make pg-start / pg-stop   throw-away PostgreSQL (URL in tests/output/pg.url)'

demo: setup
	scripts/demo-site.sh

demo-destroy:
	scripts/demo-site.sh --destroy

test:
	scripts/test-all.sh

setup:
	scripts/setup.sh

venvs:
	scripts/bootstrap-venvs.sh

bench: export PODIM_FLEET_BENCH_QUICK ?=
$(STEPS): venvs
	scripts/test-all.sh $@

pg-start:
	scripts/pg-test-server.sh start

pg-stop:
	scripts/pg-test-server.sh stop

clean:
	rm -rf build tests/output .ansible
