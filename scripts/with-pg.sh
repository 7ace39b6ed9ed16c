#!/usr/bin/env bash
# Run a command with PODIM_FLEET_TEST_PG_URL set. Without it set, start the
# throw-away server (scripts/pg-test-server.sh) first and stop it afterwards,
# whatever happens (trap).
#
# usage: scripts/with-pg.sh COMMAND [ARGS...]
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ "$#" -gt 0 ] || { echo "usage: with-pg.sh COMMAND [ARGS...]" >&2; exit 2; }

if [ -n "${PODIM_FLEET_TEST_PG_URL:-}" ]; then
    exec "$@"
fi

# a server of this run's own (parallel runs must not stop each other's)
PODIM_FLEET_PG_STATE_DIR="$repo/tests/output/pg-run-$$"
export PODIM_FLEET_PG_STATE_DIR
trap '"$repo/scripts/pg-test-server.sh" stop || true' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
PODIM_FLEET_TEST_PG_URL=$("$repo/scripts/pg-test-server.sh" start)
export PODIM_FLEET_TEST_PG_URL
status=0
"$@" || status=$?
exit "$status"
