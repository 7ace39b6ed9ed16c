#!/usr/bin/env bash
# Benchmarks: every tests/benchmarks/bench_*.py, run as a script with VENV's
# python, the work tree as the collection (use_work_tree). Extra arguments go
# to every benchmark (e.g. --runs 3); PODIM_FLEET_BENCH_QUICK=1: tiny sizes.
#
# usage: scripts/bench.sh VENV [args...]
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
use_venv "${1:?usage: bench.sh VENV [args...]}"
shift
use_work_tree
export PYTHONUNBUFFERED=1
cd "$repo"

failed=0
for b in tests/benchmarks/bench_*.py; do
    echo "bench: === $b"
    start=$SECONDS
    if "$py" "$b" "$@"; then
        echo "bench: ok   $b ($((SECONDS - start)) s)"
    else
        failed=$((failed + 1))
        echo "bench: FAIL $b ($((SECONDS - start)) s)"
    fi
done
[ "$failed" -eq 0 ]
