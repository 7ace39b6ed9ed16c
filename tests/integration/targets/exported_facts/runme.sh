#!/usr/bin/env bash
# Exported facts end to end, with real ansible-playbook runs over 50 local hosts
# and forks=20: on SQLite, then on PostgreSQL (PODIM_FLEET_TEST_PG_URL); every
# host exports and collects, nothing is lost, every host renders the same file,
# a second run changes nothing, and two concurrent runs lose no write.  First,
# three runs at once into a SQLite store that does not exist yet, several
# times: every host's first export succeeds.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ANSIBLE_FORKS=20 ANSIBLE_NOCOLOR=1 ANSIBLE_HOST_KEY_CHECKING=false
export ANSIBLE_LOCAL_TEMP="$work/tmp" ANSIBLE_STDOUT_CALLBACK=ansible.builtin.default ANSIBLE_CALLBACK_RESULT_FORMAT=yaml
py=${PYTHON:-python3}
hosts=50

"$py" "$here/make_inventory.py" h "$hosts" "$work/hosts.json"
"$py" "$here/make_inventory.py" a "$hosts" "$work/a.json"
"$py" "$here/make_inventory.py" b "$hosts" "$work/b.json"

fail() { echo "FAIL: $*" >&2; exit 1; }
failed_tasks() { "$here/../../../tools/failed-tasks.sh" "$@"; }  # what failed, message included

recap_total() {  # recap_total FILE FIELD -> sum of FIELD= over all hosts
    grep -oE "$2=[0-9]+" "$1" | cut -d= -f2 | awk '{s+=$1} END {print s+0}'
}

exchange() {  # exchange LABEL: two runs of the 50-host exchange, checked
    local label=$1 out="$work/out-$1"
    mkdir -p "$out"
    ansible-playbook -i "$work/hosts.json" "$here/exchange.yml" -e out_dir="$out" > "$work/$label-1.log" \
        || { failed_tasks "$work/$label-1.log"; fail "$label: first run failed"; }
    [ "$(find "$out" -name '*.hosts' | wc -l)" = "$hosts" ] || fail "$label: expected $hosts rendered files"
    [ "$(cat "$out"/*.hosts | sort | uniq -c | awk '{print $1}' | sort -u)" = "$hosts" ] \
        || fail "$label: hosts rendered different files"
    [ "$(grep -c . "$out/h000.hosts")" = $((hosts + 3)) ] || fail "$label: records missing from the rendered file"
    [ "$(recap_total "$work/$label-1.log" changed)" -gt 0 ] || fail "$label: first run changed nothing"
    ansible-playbook -i "$work/hosts.json" "$here/exchange.yml" -e out_dir="$out" > "$work/$label-2.log" \
        || { failed_tasks "$work/$label-2.log"; fail "$label: second run failed"; }
    [ "$(recap_total "$work/$label-2.log" changed)" = 0 ] || { grep -E '^changed' "$work/$label-2.log" | head; fail "$label: second run is not idempotent"; }
    echo "ok: $label exchange (50 hosts, forks 20): every host collected all, second run changed=0"
}

concurrent() {  # concurrent LABEL: two playbooks exporting at once into one store
    local label=$1
    ansible-playbook -i "$work/a.json" "$here/export_only.yml" > "$work/$label-a.log" 2>&1 &
    local pa pb
    pa=$!
    ansible-playbook -i "$work/b.json" "$here/export_only.yml" > "$work/$label-b.log" 2>&1 &
    pb=$!
    wait "$pa" || { failed_tasks "$work/$label-a.log"; fail "$label: concurrent run a failed"; }
    wait "$pb" || { failed_tasks "$work/$label-b.log"; fail "$label: concurrent run b failed"; }
    local count
    count=$("$py" - <<PY
from ansible_collections.podim.fleet.plugins.plugin_utils.store import open_store
import os
print(len(open_store(os.environ['PODIM_FLEET_STORE'], create=False).query(os.environ['PODIM_FLEET_NAMESPACE'], ['host_record'])))
PY
)
    [ "$count" = $((hosts * 2)) ] || fail "$label: $count records after two concurrent runs, expected $((hosts * 2))"
    echo "ok: $label concurrent exporters: $count of $((hosts * 2)) records, none lost"
}

first_use() {  # first_use ROUNDS: three playbooks at once into a store that does not exist yet
    local round run count
    for run in x y z; do
        "$py" "$here/make_inventory.py" "$run" 15 "$work/first-$run.json"
    done
    for round in $(seq 1 "$1"); do
        local dir="$work/first-$round" pids=()
        for run in x y z; do
            PODIM_FLEET_STORE="sqlite:///$dir/fleet.sqlite" PODIM_FLEET_NAMESPACE=default \
                ansible-playbook -i "$work/first-$run.json" "$here/export_only.yml" > "$work/first-$round-$run.log" 2>&1 &
            pids+=($!)
        done
        for run in 0 1 2; do
            wait "${pids[$run]}" || { failed_tasks "$work/first-$round-"*.log; fail "first use, round $round: a run failed"; }
        done
        # no temporary file left behind
        for left in "$dir"/* "$dir"/.[!.]*; do
            case "${left##*/}" in
                fleet.sqlite | fleet.sqlite-wal | fleet.sqlite-shm | '*' | '.[!.]*') ;;
                *) fail "first use, round $round: left behind: $left" ;;
            esac
        done
        # every record is in the file itself: a copy of it alone is a complete backup
        mkdir "$dir.copy" && cp "$dir/fleet.sqlite" "$dir.copy/"
        count=$(PODIM_FLEET_STORE="sqlite:///$dir.copy/fleet.sqlite" "$py" - <<PY
from ansible_collections.podim.fleet.plugins.plugin_utils.store import open_store
import os
print(len(open_store(os.environ['PODIM_FLEET_STORE'], create=False).query('default', ['host_record'])))
PY
)
        [ "$count" = 45 ] || fail "first use, round $round: $count records, expected 45"
    done
    echo "ok: first use: $1 rounds of three runs at once (45 hosts, forks 20) into a new store, none failed"
}

first_use 5

export PODIM_FLEET_STORE="sqlite:///$work/fleet.sqlite"
export PODIM_FLEET_NAMESPACE=default
exchange sqlite
export PODIM_FLEET_NAMESPACE=concurrent
concurrent sqlite

if [ -n "${PODIM_FLEET_TEST_PG_URL:-}" ]; then
    export PODIM_FLEET_STORE="$PODIM_FLEET_TEST_PG_URL"
    run_id="$$-$(date +%s)"
    export PODIM_FLEET_NAMESPACE="it-$run_id"
    exchange postgresql
    export PODIM_FLEET_NAMESPACE="it-concurrent-$run_id"
    concurrent postgresql
else
    fail "PODIM_FLEET_TEST_PG_URL is not set: start scripts/pg-test-server.sh (make test does)"
fi
