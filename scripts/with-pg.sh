#!/usr/bin/env bash
# Run a command with PODIM_FLEET_TEST_PG_URL set: the given server, else a
# throw-away one started for the command and stopped afterwards (pg_up).
#
# usage: scripts/with-pg.sh COMMAND [ARGS...]
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[ "$#" -gt 0 ] || { echo "usage: with-pg.sh COMMAND [ARGS...]" >&2; exit 2; }
pg_up
status=0
"$@" || status=$?
exit "$status"
