#!/usr/bin/env bash
# Run SCRIPT VENV [ARGS...] for every test venv: those named in $VENVS
# (space separated), else every ready one (scripts/bootstrap-venvs.sh --list).
# Goes on after a failure; fails when any run failed.
#
# usage: scripts/each-venv.sh SCRIPT [ARGS...]
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
script=${1:?usage: each-venv.sh SCRIPT [ARGS...]}
shift

read -r -a venvs <<<"${VENVS:-$("$repo/scripts/bootstrap-venvs.sh" --list | tr '\n' ' ')}"
if [ "${#venvs[@]}" -eq 0 ]; then
    echo "each-venv: no test venv: run scripts/bootstrap-venvs.sh (make setup)" >&2
    exit 1
fi
failed=()
for v in "${venvs[@]}"; do
    "$script" "$v" "$@" || failed+=("$(basename "$v")")
done
if [ "${#failed[@]}" -gt 0 ]; then
    echo "each-venv: $(basename "$script") failed for: ${failed[*]}" >&2
    exit 1
fi
