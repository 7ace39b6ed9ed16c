#!/usr/bin/env bash
# Molecule scenarios: every extensions/molecule/NAME/molecule.yml (or the NAMEs
# given), each through tests/testhosts/run-molecule.sh NAME with VENV's tools
# first on PATH (molecule needs ansible-config there).
#
# usage: scripts/molecule.sh VENV [SCENARIO...]
#        scripts/molecule.sh --list      print the scenario names
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

scenarios=()
for f in "$repo"/extensions/molecule/*/molecule.yml; do
    [ -f "$f" ] && scenarios+=("$(basename "$(dirname "$f")")")
done
if [ "${1:-}" = --list ]; then
    [ "${#scenarios[@]}" -eq 0 ] || printf '%s\n' "${scenarios[@]}"
    exit 0
fi
use_venv "${1:?usage: molecule.sh VENV [SCENARIO...]}"
shift
[ "$#" -eq 0 ] || scenarios=("$@")

failed=()
for s in "${scenarios[@]}"; do
    echo "molecule: === $s"
    start=$SECONDS
    if bash "$repo/tests/testhosts/run-molecule.sh" "$s"; then
        echo "molecule: ok   $s ($((SECONDS - start)) s)"
    else
        failed+=("$s")
        echo "molecule: FAIL $s ($((SECONDS - start)) s)"
    fi
done
echo "molecule: $((${#scenarios[@]} - ${#failed[@]})) passed, ${#failed[@]} failed${failed[*]:+ (${failed[*]})}"
[ "${#failed[@]}" -eq 0 ]
