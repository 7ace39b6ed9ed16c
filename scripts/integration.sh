#!/usr/bin/env bash
# Integration tests with the ansible-core of VENV: every target
# tests/integration/targets/NAME/runme.sh (or the NAMEs given) runs the way
# ansible-test runs it (cwd = the target), with the venv first on PATH,
# PYTHON = the venv's python and the work tree as the collection
# (use_work_tree). PODIM_FLEET_TEST_PG_URL is passed through. A target that
# fails prints its failing tasks (tests/tools/failed-tasks.sh).
#
# usage: scripts/integration.sh VENV [TARGET...]
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
use_venv "${1:?usage: integration.sh VENV [TARGET...]}"
shift
use_work_tree
export PYTHON="$py" ANSIBLE_NOCOLOR=1

targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
    for d in "$repo"/tests/integration/targets/*/; do
        [ -f "$d/runme.sh" ] || continue
        grep -qE '^(disabled|unsupported)$' "$d/aliases" 2>/dev/null && continue
        targets+=("$(basename "$d")")
    done
fi

failed=()
for t in "${targets[@]}"; do
    echo "integration: === $t ($(basename "$venv"))"
    start=$SECONDS
    if (cd "$repo/tests/integration/targets/$t" && bash ./runme.sh); then
        echo "integration: ok   $t ($((SECONDS - start)) s)"
    else
        failed+=("$t")
        echo "integration: FAIL $t ($((SECONDS - start)) s)"
    fi
done
echo "integration: $((${#targets[@]} - ${#failed[@]})) passed, ${#failed[@]} failed${failed[*]:+ (${failed[*]})}"
[ "${#failed[@]}" -eq 0 ]
