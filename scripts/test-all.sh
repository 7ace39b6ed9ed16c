#!/usr/bin/env bash
# The one test runner: `make test` (and so .ci/run) runs every step, and each
# `make STEP` runs one (scripts/test-all.sh STEP...). Steps, in order:
#
#   setup        Debian packages, venvs, test host packages   (scripts/setup.sh)
#   lint         ansible-lint, production profile     once     (scripts/lint.sh)
#   docs-check   build, install, ansible-doc          per venv (scripts/collection-doc-check.sh)
#   units        pytest tests/unit                    per venv (scripts/units.sh)
#   sanity       ansible-test sanity                  per venv (scripts/sanity.sh)
#   integration  tests/integration targets            per venv (scripts/integration.sh)
#   molecule/S   extensions/molecule scenario S       once     (scripts/molecule.sh)
#   bench        tests/benchmarks, quick sizes        once     (scripts/bench.sh)
#
# Per-venv steps run for every ready venv (scripts/bootstrap-venvs.sh --list)
# or those in VENVS=".venv/2.19 ...". Steps that need PostgreSQL (units,
# integration, bench) share one throw-away server for the run (pg_up in
# scripts/lib.sh). A failed step does not stop the others (a failed setup
# does); the run ends with a summary. Logs: tests/output/make-test/STEP.log.
#
# env: SKIP="bench molecule" skips steps (a word matches a step or the part
# before its /); TOOLS_VENV (default .venv/2.19) runs the once-only steps;
# STEP_TIMEOUT (seconds) bounds each step, DEADLINE (seconds) the whole run (a
# step that would pass it is cut short or not started, so that the summary is
# still printed): by default 2400 and 5100 (CI allows 5400) for the whole run,
# none when steps are named; PODIM_FLEET_BENCH_QUICK (default 1: tiny sizes).
#
# usage: scripts/test-all.sh [STEP...]
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$repo"

all_steps="setup lint docs-check units sanity integration molecule bench"
steps=${*:-$all_steps}
if [ "$#" -eq 0 ]; then
    step_timeout=${STEP_TIMEOUT:-2400} deadline=${DEADLINE:-5100}
else
    step_timeout=${STEP_TIMEOUT:-0} deadline=${DEADLINE:-0}
fi
for s in $steps; do
    case " $all_steps " in *" $s "*) ;; *) echo "test-all: unknown step '$s' (steps: $all_steps)" >&2; exit 2 ;; esac
done
tools_venv=${TOOLS_VENV:-.venv/2.19}
logs="$repo/tests/output/make-test"
mkdir -p "$logs"
[ "$steps" != "$all_steps" ] || rm -f "$logs"/*.log
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

# step NAME COMMAND...: run it (bounded by STEP_TIMEOUT and DEADLINE), log it, record it.
step() {
    local name=$1 start status=0 limit=$step_timeout
    shift
    if skipped "$name"; then
        record "$name" skip 0
        return 0
    fi
    echo
    echo "==================== $name ===================="
    if [ "$deadline" -gt 0 ]; then
        local left=$((deadline - (SECONDS - t0) - 90))
        [ "$limit" -gt 0 ] && [ "$limit" -le "$left" ] || limit=$left
        if [ "$limit" -lt 30 ]; then
            echo "test-all: $name not started: the run is at its deadline (DEADLINE=$deadline s)"
            record "$name" FAIL 0
            return 0
        fi
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

wanted() { case " $steps " in *" $1 "*) return 0 ;; esac; return 1; }

if wanted setup; then
    step setup scripts/setup.sh
    if [ "${statuses[0]}" = FAIL ]; then
        summary || true
        echo "test-all: setup failed: nothing else can run" >&2
        exit 1
    fi
fi

read -r -a venvs <<<"${VENVS:-$(scripts/bootstrap-venvs.sh --list | tr '\n' ' ')}"
[ "${#venvs[@]}" -gt 0 ] || { echo "test-all: no test venv: run make setup (scripts/bootstrap-venvs.sh)" >&2; exit 1; }
echo "test-all: steps: $steps; venvs: ${venvs[*]}"

if wanted units || wanted integration || wanted bench; then
    if ! pg_up; then
        record postgresql FAIL 0
        summary || true
        exit 1
    fi
fi

for s in $steps; do
    case $s in
        setup) ;;
        lint) step lint scripts/lint.sh "$tools_venv" ;;
        docs-check) for v in "${venvs[@]}"; do step "docs-check/$(basename "$v")" scripts/collection-doc-check.sh "$v"; done ;;
        units | sanity | integration) for v in "${venvs[@]}"; do step "$s/$(basename "$v")" "scripts/$s.sh" "$v"; done ;;
        molecule)
            scenarios=$(scripts/molecule.sh --list | tr '\n' ' ')
            [ -n "$scenarios" ] || step molecule scripts/molecule.sh "$tools_venv"
            for m in $scenarios; do step "molecule/$m" scripts/molecule.sh "$tools_venv" "$m"; done ;;
        bench) step bench env PODIM_FLEET_BENCH_QUICK="${PODIM_FLEET_BENCH_QUICK-1}" scripts/bench.sh "$tools_venv" ;;
    esac
done

summary
