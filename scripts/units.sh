#!/usr/bin/env bash
# Unit tests (pytest tests/unit) with the Python and ansible-core of VENV.
# The work tree is importable as ansible_collections.podim.fleet through
# build/collections (PYTHONPATH), and visible to Ansible there as well
# (ANSIBLE_COLLECTIONS_PATH). Tests of the PostgreSQL store use
# PODIM_FLEET_TEST_PG_URL when set (scripts/with-pg.sh sets it).
#
# usage: scripts/units.sh VENV [pytest args...]   (default args: tests/unit)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${1:?usage: units.sh VENV [pytest args...]}
shift
venv=$(cd "$venv" && pwd)
[ "$#" -gt 0 ] || set -- tests/unit

collections=$("$repo/scripts/collections-link.sh")
export PATH="$venv/bin:$PATH"
export PYTHONPATH="$collections${PYTHONPATH:+:$PYTHONPATH}"
export ANSIBLE_COLLECTIONS_PATH="$collections"
cd "$repo"
pg="no (PODIM_FLEET_TEST_PG_URL unset: those tests skip)"
[ -z "${PODIM_FLEET_TEST_PG_URL:-}" ] || pg="postgresql://***@${PODIM_FLEET_TEST_PG_URL#*@}"
echo "units: $("$venv/bin/python" -V), ansible-core $("$venv/bin/python" -c 'from ansible.release import __version__; print(__version__)'), PostgreSQL: $pg"
# `python -m pytest` (not `pytest`): the repo root goes on sys.path, which
# processes spawned by tests need to import test modules (importlib mode).
status=0
"$venv/bin/python" -m pytest -p no:cacheprovider "$@" || status=$?
if [ "$status" -eq 5 ]; then
    echo "units: no tests collected"
    exit 0
fi
exit "$status"
