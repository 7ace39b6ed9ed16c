#!/usr/bin/env bash
# Unit tests: pytest with the Python and ansible-core of VENV, the work tree
# as the collection (use_work_tree). Tests of the PostgreSQL store use
# PODIM_FLEET_TEST_PG_URL when set (scripts/with-pg.sh sets it), else skip.
#
# usage: scripts/units.sh VENV [pytest args...]   (default args: tests/unit)
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
use_venv "${1:?usage: units.sh VENV [pytest args...]}"
shift
[ "$#" -gt 0 ] || set -- tests/unit
use_work_tree
cd "$repo"
pg="no (PODIM_FLEET_TEST_PG_URL unset: those tests skip)"
[ -z "${PODIM_FLEET_TEST_PG_URL:-}" ] || pg="postgresql://***@${PODIM_FLEET_TEST_PG_URL#*@}"
echo "units: $("$py" -V), ansible-core $("$py" -c 'from ansible.release import __version__; print(__version__)'), PostgreSQL: $pg"
# `python -m pytest` (not `pytest`): the repo root goes on sys.path, which
# processes spawned by tests need to import test modules (importlib mode).
status=0
"$py" -m pytest -p no:cacheprovider "$@" || status=$?
[ "$status" -ne 5 ] || { echo "units: no tests collected"; status=0; }
exit "$status"
