#!/usr/bin/env bash
# Integration tests with the ansible-core of VENV.
# tests/integration/run.sh, when present, owns the run (called with VENV).
# Otherwise every target tests/integration/targets/NAME/runme.sh (or the given
# NAMEs) runs the way ansible-test runs it (cwd = the target), with the venv
# first on PATH, PYTHON = the venv's python, and the work tree importable and
# visible to Ansible through build/collections (PYTHONPATH and
# ANSIBLE_COLLECTIONS_PATH). PODIM_FLEET_TEST_PG_URL is passed through.
#
# usage: scripts/integration.sh VENV [TARGET...]
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${1:?usage: integration.sh VENV [TARGET...]}
shift
venv=$(cd "$venv" && pwd)

if [ -x "$repo/tests/integration/run.sh" ]; then
    exec "$repo/tests/integration/run.sh" "$venv" "$@"
fi

collections=$("$repo/scripts/collections-link.sh")
export PATH="$venv/bin:$PATH"
export PYTHON="$venv/bin/python"
export PYTHONPATH="$collections${PYTHONPATH:+:$PYTHONPATH}"
export ANSIBLE_COLLECTIONS_PATH="$collections"
export ANSIBLE_NOCOLOR=1

targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
    for d in "$repo"/tests/integration/targets/*/; do
        [ -f "$d/runme.sh" ] || continue
        grep -qE '^(disabled|unsupported)$' "$d/aliases" 2>/dev/null && continue
        targets+=("$(basename "$d")")
    done
fi
if [ "${#targets[@]}" -eq 0 ]; then
    echo "integration: no target with a runme.sh"
    exit 0
fi

passed=0 failed=0 failed_names=()
for t in "${targets[@]}"; do
    dir="$repo/tests/integration/targets/$t"
    echo "integration: === $t ($(basename "$venv"))"
    start=$SECONDS
    if (cd "$dir" && bash ./runme.sh); then
        passed=$((passed + 1))
        echo "integration: ok   $t ($((SECONDS - start)) s)"
    else
        failed=$((failed + 1))
        failed_names+=("$t")
        echo "integration: FAIL $t ($((SECONDS - start)) s)"
    fi
done
echo "integration: $passed passed, $failed failed${failed_names[*]:+ (${failed_names[*]})}"
[ "$failed" -eq 0 ]
