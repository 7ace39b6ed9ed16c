#!/usr/bin/env bash
# Creation rules end to end with real ansible-inventory and ansible-playbook runs:
# --graph / --list / --host, a playbook over the synthesized groups, stability
# across runs, failover through `available` and through a TCP probe, a preview
# that records nothing, an unmet rule that fails the run
# (any_unparsed_is_failed = true), and a rules file whose `when` tries to run
# code, refused by the sandbox.
#
# Run by ansible-test (`ansible-test integration inventory_rules`) or directly:
#   ANSIBLE_COLLECTIONS_PATH=/path/holding/ansible_collections tests/integration/targets/inventory_rules/runme.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
listener=
cleanup() {
    if [ -n "$listener" ]; then kill "$listener" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

if [ -z "${ANSIBLE_COLLECTIONS_PATH:-}" ]; then
    # run directly from a checkout at .../ansible_collections/podim/fleet
    case "$here" in
        */ansible_collections/*) export ANSIBLE_COLLECTIONS_PATH="${here%%/ansible_collections/*}" ;;
        *) echo "set ANSIBLE_COLLECTIONS_PATH to the folder holding ansible_collections/podim/fleet" >&2; exit 2 ;;
    esac
fi
py=${PYTHON:-$(command -v python3)}
export ANSIBLE_CONFIG="$work/ansible.cfg" ANSIBLE_NOCOLOR=1 ANSIBLE_LOCAL_TEMP="$work/tmp"
export ANSIBLE_PYTHON_INTERPRETER="$py" ANSIBLE_STDOUT_CALLBACK=ansible.builtin.default
export PODIM_FLEET_STORE="sqlite:///$work/fleet.sqlite" PODIM_FLEET_NAMESPACE=inventory-rules
unset PODIM_FLEET_RULES_REMEMBER
cat > "$work/ansible.cfg" <<'EOF'
[inventory]
enable_plugins = ansible.builtin.yaml, podim.fleet.rules
any_unparsed_is_failed = true
EOF
cp "$here"/hosts.yml "$here"/*.rules.yml "$here"/site.yml "$work/"
cd "$work"

fail() { echo "FAIL: $*" >&2; exit 1; }
json() {  # json FILE EXPRESSION: evaluate a Python expression over the --list output `d`
    "$py" -c '
import json, sys
def plain(v):
    if isinstance(v, dict):
        return v["__ansible_unsafe"] if set(v) == {"__ansible_unsafe"} else {k: plain(x) for k, x in v.items()}
    return [plain(x) for x in v] if isinstance(v, list) else v
d = plain(json.load(open(sys.argv[1])))
print(eval(sys.argv[2]))' "$@"
}

# 1. --graph: the groups exist; the first decision is announced
ansible-inventory -i hosts.yml -i site.rules.yml --graph > graph.txt 2> graph.err || { cat graph.err; fail "--graph"; }
grep -q '@dns_servers:' graph.txt || fail "no dns_servers group in --graph"
grep -q 'podim.fleet.rules: dns_servers: chose .* (first decision)' graph.err || { cat graph.err; fail "no change line"; }
echo "ok: --graph, first decision: $(grep 'dns_servers: chose' graph.err)"

# 2. --list: counts, spread, per, the rest
ansible-inventory -i hosts.yml -i site.rules.yml --list > list.json 2> list.err || { cat list.err; fail "--list"; }
[ -s list.err ] && grep -q 'podim.fleet.rules:' list.err && fail "a second evaluation changed something: $(cat list.err)"
dns=$(json list.json '" ".join(d["dns_servers"]["hosts"])')
[ "$(json list.json 'len(d["dns_servers"]["hosts"])')" = 2 ] || fail "dns_servers: $dns"
[ "$(json list.json 'len({d["_meta"]["hostvars"][h]["rack"] for h in d["dns_servers"]["hosts"]})')" = 2 ] \
    || fail "dns servers share a rack: $dns"
[ "$(json list.json 'sorted(d["_meta"]["hostvars"][h]["zone"] for h in d["memcached"]["hosts"])')" = "['a', 'b']" ] \
    || fail "memcached is not one per zone"
[ "$(json list.json '"db01" in d["dns_servers"]["hosts"] + d["memcached"]["hosts"] + d["wordpress"]["hosts"]')" = False ] \
    || fail "db01 was chosen"
echo "ok: --list: dns_servers=$dns, memcached one per zone, wordpress $(json list.json 'len(d["wordpress"]["hosts"])') hosts"

# 3. --host: the explanation
first=${dns%% *}
ansible-inventory -i hosts.yml -i site.rules.yml --host "$first" > host.json
[ "$(json host.json 'd["podim_fleet_rules"]["dns_servers"]["decision"]')" = kept ] || fail "--host $first: $(cat host.json)"
echo "ok: --host $first: $(json host.json 'd["podim_fleet_rules"]["dns_servers"]["why"]')"

# 4. a playbook over the synthesized groups
ansible-playbook -i hosts.yml -i site.rules.yml site.yml > play.log 2>&1 || { cat play.log; fail "site.yml"; }
grep -q 'failed=0' play.log || fail "site.yml had failures"
echo "ok: playbook over dns_servers, memcached, wordpress"

# 5. failover through `available`: only the unavailable member's slot moves
printf 'all:\n  hosts:\n    %s:\n      podim_available: false\n' "$first" > down.yml
ansible-inventory -i hosts.yml -i down.yml -i site.rules.yml --list > failover.json 2> failover.err \
    || { cat failover.err; fail "failover"; }
grep -q "dns_servers: +[a-z0-9]* replaces $first (unavailable: available is false)" failover.err \
    || { cat failover.err; fail "no replacement line"; }
second=${dns#* }
[ "$(json failover.json 'd["dns_servers"]["hosts"][0]')" = "$second" ] || fail "the other dns server moved"
echo "ok: failover: $(grep 'replaces' failover.err | head -1)"

# 6. a preview records nothing
printf 'all:\n  hosts:\n    %s:\n      podim_available: false\n' "$second" > down2.yml
for attempt in 1 2; do
    PODIM_FLEET_RULES_REMEMBER=false ansible-inventory -i hosts.yml -i down2.yml -i site.rules.yml --graph \
        > /dev/null 2> preview.err || { cat preview.err; fail "preview"; }
    grep -q "(preview, not remembered): dns_servers: +[a-z0-9]* replaces $second" preview.err \
        || { cat preview.err; fail "preview $attempt: no change line (was the first preview remembered?)"; }
done
echo "ok: preview (remember: false) shows the change and records nothing"

# 7. failover through the TCP probe: hosts answer on a local port unless told otherwise
"$py" -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 0)); s.listen(64)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
while True:
    conn, _ = s.accept(); conn.close()' "$work/port" &
listener=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")
closed=$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -e "s/^available: .*/probe: {timeout: 1.0}/" -e 's/name: dns$/name: dns_probed/' site.rules.yml > probe.rules.yml
printf 'all:\n  vars:\n    ansible_host: 127.0.0.1\n    ansible_port: %s\n' "$port" > up.yml
ansible-inventory -i hosts.yml -i up.yml -i probe.rules.yml --list > probe1.json 2> probe1.err || { cat probe1.err; fail "probe"; }
victim=$(json probe1.json 'd["dns_servers"]["hosts"][0]')
printf 'all:\n  hosts:\n    %s:\n      ansible_port: %s\n' "$victim" "$closed" > dead.yml
ansible-inventory -i hosts.yml -i up.yml -i dead.yml -i probe.rules.yml --list > probe2.json 2> probe2.err \
    || { cat probe2.err; fail "probe failover"; }
grep -q "dns_servers: +[a-z0-9]* replaces $victim (unavailable: no answer on port $closed)" probe2.err \
    || { cat probe2.err; fail "dead host not replaced"; }
echo "ok: probe failover: $(grep 'replaces' probe2.err | head -1)"

# 8. an unmet rule fails inventory and playbook (any_unparsed_is_failed)
if ansible-inventory -i hosts.yml -i unmet.rules.yml --graph > unmet.txt 2> unmet.err; then fail "unmet rule did not fail"; fi
grep -q "rule 'dns' (group dns_servers) asks for exactly 20 hosts, found 8" unmet.err || { cat unmet.err; fail "unmet message"; }
grep -q "2 excluded by when (memory_mb | int >= 1024)" unmet.err || { cat unmet.err; fail "unmet exclusions"; }
if ansible-playbook -i hosts.yml -i unmet.rules.yml site.yml > unmet-play.log 2>&1; then fail "the playbook ran"; fi
grep -q 'asks for exactly 20 hosts' unmet-play.log || { cat unmet-play.log; fail "playbook failure message"; }
echo "ok: unmet rule stops ansible-inventory and ansible-playbook"

# 9. a rules file runs no code: the reported attack is refused by the sandbox when the file is read
marker="$work/pwned"
sed -e "s#when: \"memory_mb | int >= 1024\"#when: \"cycler.__init__.__globals__.os.system('touch $marker') == 0\"#" \
    -e 's/name: dns$/name: dns_attack/' site.rules.yml > attack.rules.yml
grep -q "touch $marker" attack.rules.yml || fail "the attack was not written into attack.rules.yml"
if ansible-inventory -i hosts.yml -i attack.rules.yml --graph > attack.txt 2> attack.err; then fail "the attack was accepted"; fi
[ ! -e "$marker" ] || fail "the when expression ran code: $marker exists"
tr -s ' \n' ' ' < attack.err | grep -q "$work/attack.rules.yml: rule 'dns_attack': field 'when': attribute '__globals__' is unsafe" \
    || { cat attack.err; fail "the refusal does not name file, rule and field"; }
if ansible-playbook -i hosts.yml -i attack.rules.yml site.yml > attack-play.log 2>&1; then fail "the playbook ran"; fi
[ ! -e "$marker" ] || fail "ansible-playbook ran the attack: $marker exists"
echo "ok: code in a when expression is refused (file, rule and field named), nothing ran"
echo "inventory_rules: all checks passed"
