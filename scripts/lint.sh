#!/usr/bin/env bash
# ansible-lint (production profile, config in .ansible-lint) with VENV's tools,
# on the work tree itself (use_work_tree) and offline: no copy of the
# collection in .ansible/, no download. Plain `ansible-lint` from the repository
# root works too (it installs a copy of the collection in .ansible/ first).
#
# usage: scripts/lint.sh VENV [ansible-lint args...]
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
use_venv "${1:?usage: lint.sh VENV [ansible-lint args...]}"
shift
use_work_tree
cd "$repo"
exec ansible-lint --nocolor --offline --profile production "$@"
