#!/usr/bin/env bash
# Every Molecule scenario under extensions/molecule/ (except resources/), or the
# given ones, through tests/testhosts/run-molecule.sh SCENARIO, with VENV's
# tools first on PATH (molecule needs ansible-config there).
#
# usage: scripts/molecule.sh VENV [SCENARIO...]
#        scripts/molecule.sh --list      print the scenario names
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runner="$repo/tests/testhosts/run-molecule.sh"

all_scenarios() {
    local d s
    for d in "$repo"/extensions/molecule/*/; do
        [ -d "$d" ] || continue
        s=$(basename "$d")
        [ "$s" = resources ] && continue
        [ -f "$d/molecule.yml" ] || continue
        echo "$s"
    done
}

if [ "${1:-}" = --list ]; then
    all_scenarios
    exit 0
fi

venv=${1:?usage: molecule.sh VENV [SCENARIO...]}
shift
venv=$(cd "$venv" && pwd)

scenarios=("$@")
if [ "${#scenarios[@]}" -eq 0 ]; then
    while IFS= read -r s; do scenarios+=("$s"); done < <(all_scenarios)
fi
if [ "${#scenarios[@]}" -eq 0 ]; then
    echo "molecule: no scenario under extensions/molecule/"
    exit 0
fi
[ -f "$runner" ] || { echo "molecule: $runner is missing" >&2; exit 1; }

collections=$("$repo/scripts/collections-link.sh")
export PATH="$venv/bin:$PATH"
export PODIM_FLEET_COLLECTIONS_PATH="$collections"

passed=0 failed=0 failed_names=()
for s in "${scenarios[@]}"; do
    echo "molecule: === $s"
    start=$SECONDS
    if bash "$runner" "$s"; then
        passed=$((passed + 1))
        echo "molecule: ok   $s ($((SECONDS - start)) s)"
    else
        failed=$((failed + 1))
        failed_names+=("$s")
        echo "molecule: FAIL $s ($((SECONDS - start)) s)"
    fi
done
echo "molecule: $passed passed, $failed failed${failed_names[*]:+ (${failed_names[*]})}"
[ "$failed" -eq 0 ]
