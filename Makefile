# podim.fleet developer commands. `make test` is the one test command: on a
# fresh Debian 12 machine (as root) it installs what it needs, then runs every
# check (see scripts/test-all.sh for the steps and the SKIP/VENVS settings).
#
# Per-venv targets (units, sanity, integration, docs-check) run for every
# ready venv (.venv/2.19 and, when Python 3.12 is found, .venv/2.21), or for
# VENVS="..." when given: make units VENVS=.venv/2.19
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

TOOLS_VENV ?= .venv/2.19
export VENVS TOOLS_VENV SKIP STEP_TIMEOUT

.PHONY: help demo demo-destroy test setup apt venvs units sanity lint docs-check integration \
	molecule bench pg-start pg-stop clean

help:
	@echo 'make demo         set everything up, run the example site on local test hosts, print its URLs'
	@echo 'make demo-destroy remove the demo hosts'
	@echo 'make test         everything (setup, lint, docs-check, units, sanity,'
	@echo '                  integration, bench, molecule) with a summary at the end'
	@echo 'make setup        Debian packages (root) + venvs + ansible-test offline get-pip'
	@echo 'make units        pytest tests/unit            (per venv, with a PostgreSQL server)'
	@echo 'make sanity       ansible-test sanity          (per venv)'
	@echo 'make integration  tests/integration targets    (per venv, with a PostgreSQL server)'
	@echo 'make docs-check   build + install + ansible-doc every plugin (per venv)'
	@echo 'make lint         ansible-lint --profile production'
	@echo 'make bench        tests/benchmarks'
	@echo 'make molecule     extensions/molecule scenarios on local test hosts'
	@echo 'make pg-start / pg-stop   throw-away PostgreSQL (URL in tests/output/pg.url)'

demo: setup
	scripts/demo-site.sh

demo-destroy:
	scripts/demo-site.sh --destroy

test:
	scripts/test-all.sh

setup: apt venvs

apt:
	scripts/apt-install.sh
	if [ -f tests/testhosts/install-host-packages.sh ]; then bash tests/testhosts/install-host-packages.sh; fi

venvs:
	scripts/bootstrap-venvs.sh
	scripts/install-get-pip-standin.sh
	scripts/collections-link.sh >/dev/null

units: venvs
	scripts/with-pg.sh scripts/each-venv.sh scripts/units.sh

sanity: venvs
	scripts/each-venv.sh scripts/sanity.sh

integration: venvs
	scripts/with-pg.sh scripts/each-venv.sh scripts/integration.sh

docs-check: venvs
	scripts/each-venv.sh scripts/collection-doc-check.sh

lint: venvs
	scripts/lint.sh $(TOOLS_VENV)

bench: venvs
	scripts/with-pg.sh scripts/bench.sh $(TOOLS_VENV)

molecule: venvs
	scripts/molecule.sh $(TOOLS_VENV)

pg-start:
	scripts/pg-test-server.sh start

pg-stop:
	scripts/pg-test-server.sh stop

clean:
	rm -rf build tests/output
