#!/usr/bin/env bash
# The whole test suite; what `make test` (and so .ci/run) runs.
#
#   setup        Debian packages, venvs .venv/2.19 (+ .venv/2.21 when Python 3.12
#                is there), get-pip stand-in         (scripts/setup.sh)
#   PostgreSQL   throw-away server for the whole run  (scripts/pg-test-server.sh)
#   lint         ansible-lint, production profile     once (.venv/2.19)
#   docs-check   build, install, ansible-doc          per venv
#   units        pytest tests/unit                    per venv
#   sanity       ansible-test sanity                  per venv
#   integration  tests/integration targets            per venv
#   molecule     extensions/molecule scenarios        once, a step each
#   bench        tests/benchmarks, quick sizes        once
#
# A failed step does not stop the others (a failed setup does). Per-step logs
# go to tests/output/make-test/. env: SKIP="bench molecule" skips steps by
# name (a word matches a step or the part before its /), VENVS=".venv/2.19"
# restricts the venvs, STEP_TIMEOUT (seconds, default 2400) bounds each step,
# DEADLINE (seconds, default 5100: CI allows 5400) bounds the whole run: a
# step that would pass it is cut short (or not started) so that the summary
# is still printed.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
logs="$repo/tests/output/make-test"
mkdir -p "$logs"
rm -f "$logs"/*.log
tools_venv=${TOOLS_VENV:-$repo/.venv/2.19}
step_timeout=${STEP_TIMEOUT:-2400}
deadline=${DEADLINE:-5100}
t0=$SECONDS

names=() statuses=() times=()
record() { names+=("$1"); statuses+=("$2"); times+=("$3"); }

skipped() {
    local w
    for w in ${SKIP:-}; do
        [ "$w" = "$1" ] || [ "$w" = "${1%%/*}" ] && return 0
    done
    return 1
}

# step NAME COMMAND...: run it (bounded by STEP_TIMEOUT), log it, record it.
step() {
    local name=$1 start status=0 limit
    shift
    if skipped "$name"; then
        record "$name" skip 0
        return 0
    fi
    echo
    echo "==================== $name ===================="
    limit=$((deadline - (SECONDS - t0) - 90))
    [ "$limit" -le "$step_timeout" ] || limit=$step_timeout
    if [ "$limit" -lt 30 ]; then
        echo "test-all: $name not started: the run is at its deadline (DEADLINE=$deadline s)"
        record "$name" FAIL 0
        return 0
    fi
    start=$SECONDS
    timeout -k 30 "$limit" "$@" </dev/null 2>&1 | tee "$logs/${name//\//-}.log" || status=$?
    if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
        echo "test-all: $name stopped after $limit s (STEP_TIMEOUT=$step_timeout, DEADLINE=$deadline)"
    fi
    record "$name" "$([ "$status" -eq 0 ] && echo pass || echo FAIL)" $((SECONDS - start))
}

summary() {
    local i passed=0 failed=0
    echo
    echo "==================== summary ===================="
    for i in "${!names[@]}"; do
        printf '  %-24s %-5s %5d s\n' "${names[$i]}" "${statuses[$i]}" "${times[$i]}"
        case "${statuses[$i]}" in
            pass) passed=$((passed + 1)) ;;
            FAIL) failed=$((failed + 1)) ;;
        esac
    done
    echo "  total $((SECONDS - t0)) s; logs in tests/output/make-test/"
    echo "steps: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

step setup scripts/setup.sh
if [ "${statuses[0]}" = FAIL ]; then
    summary || true
    echo "test-all: setup failed: nothing else can run" >&2
    exit 1
fi

read -r -a venvs <<<"${VENVS:-$(scripts/bootstrap-venvs.sh --list | tr '\n' ' ')}"
echo "test-all: venvs: ${venvs[*]}"

# One PostgreSQL server for the whole run, stopped whatever happens.
if [ -z "${PODIM_FLEET_TEST_PG_URL:-}" ]; then
    PODIM_FLEET_PG_STATE_DIR="$repo/tests/output/pg-run-$$"
    export PODIM_FLEET_PG_STATE_DIR
    trap 'scripts/pg-test-server.sh stop >/dev/null 2>&1 || true' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    if ! PODIM_FLEET_TEST_PG_URL=$(scripts/pg-test-server.sh start); then
        record postgresql FAIL 0
        summary || true
        exit 1
    fi
fi
export PODIM_FLEET_TEST_PG_URL

step lint scripts/lint.sh "$tools_venv"
for v in "${venvs[@]}"; do step "docs-check/$(basename "$v")" scripts/collection-doc-check.sh "$v"; done
for v in "${venvs[@]}"; do step "units/$(basename "$v")" scripts/units.sh "$v"; done
for v in "${venvs[@]}"; do step "sanity/$(basename "$v")" scripts/sanity.sh "$v"; done
for v in "${venvs[@]}"; do step "integration/$(basename "$v")" scripts/integration.sh "$v"; done
scenarios=$(scripts/molecule.sh --list | tr '\n' ' ')
if [ -z "$scenarios" ]; then
    step molecule scripts/molecule.sh "$tools_venv"
fi
for s in $scenarios; do step "molecule/$s" scripts/molecule.sh "$tools_venv" "$s"; done
# the benchmarks at tiny sizes: proof that they run; `make bench` measures for real
step bench env PODIM_FLEET_BENCH_QUICK=1 scripts/bench.sh "$tools_venv"

summary
