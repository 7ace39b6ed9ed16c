#!/usr/bin/env bash
# Benchmarks: every tests/benchmarks/bench_*.py, run as a script with VENV's
# python, the work tree importable (build/collections). Extra arguments go to
# every benchmark (e.g. --runs 3).
#
# usage: scripts/bench.sh VENV [args...]
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${1:?usage: bench.sh VENV [args...]}
shift
venv=$(cd "$venv" && pwd)

collections=$("$repo/scripts/collections-link.sh")
export PATH="$venv/bin:$PATH"
export PYTHONPATH="$collections${PYTHONPATH:+:$PYTHONPATH}"
export ANSIBLE_COLLECTIONS_PATH="$collections"
export PYTHONUNBUFFERED=1
cd "$repo"

found=0 failed=0
for b in tests/benchmarks/bench_*.py; do
    [ -f "$b" ] || continue
    found=$((found + 1))
    echo "bench: === $b"
    start=$SECONDS
    if "$venv/bin/python" "$b" "$@"; then
        echo "bench: ok   $b ($((SECONDS - start)) s)"
    else
        failed=$((failed + 1))
        echo "bench: FAIL $b ($((SECONDS - start)) s)"
    fi
done
[ "$found" -gt 0 ] || echo "bench: no tests/benchmarks/bench_*.py"
[ "$failed" -eq 0 ]
