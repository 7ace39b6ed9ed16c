#!/usr/bin/env bash
# ansible-lint (production profile, config in .ansible-lint) with VENV's tools.
# usage: scripts/lint.sh VENV [ansible-lint args...]
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${1:?usage: lint.sh VENV [ansible-lint args...]}
shift
venv=$(cd "$venv" && pwd)

collections=$("$repo/scripts/collections-link.sh")
export PATH="$venv/bin:$PATH"
# podim.fleet.* must resolve (syntax-check) to the work tree itself
export ANSIBLE_COLLECTIONS_PATH="$collections"
cd "$repo"
exec "$venv/bin/ansible-lint" --nocolor --profile production "$@"
