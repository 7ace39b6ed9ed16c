#!/usr/bin/env bash
# Access control of the shared PostgreSQL store, with real ansible-playbook
# runs, in a database of its own on the server of PODIM_FLEET_TEST_PG_URL
# (whose role owns it and has CREATEROLE: the admin):
#  1. the admin creates the controllers' roles and grants with
#     podim.fleet.store_grant; a second run changes nothing; check mode of a
#     new grant changes nothing (dump compared);
#  2. staging's and production's controllers (their own roles) run the rules
#     inventory plugin, export and collect in their namespaces; every record
#     carries the writer the database set;
#  3. exports the database must refuse fail with an error naming the role,
#     the namespace, the type and the host, and leave the store unchanged
#     (dump compared): staging into production, a non-member exporting the
#     placement-tied type; staging cannot read production;
#  4. failover: after the rule replaces a DNS server, the replacement may
#     export dns_server and the old member may not.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
py=${PYTHON:-$(command -v python3)}
[ -n "${PODIM_FLEET_TEST_PG_URL:-}" ] || { echo "FAIL: PODIM_FLEET_TEST_PG_URL is not set (make test sets it)" >&2; exit 1; }

work=$(mktemp -d)
run=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
staging_role="it_${run}_staging" production_role="it_${run}_production" ci_role="it_${run}_ci"
password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
admin_url=$("$py" "$here/store_tool.py" create "$PODIM_FLEET_TEST_PG_URL")
cleanup() {
    "$py" "$here/store_tool.py" drop "$admin_url" "$staging_role" "$production_role" "$ci_role" || true
    rm -rf "$work"
}
trap cleanup EXIT

export ANSIBLE_CONFIG="$work/ansible.cfg" ANSIBLE_NOCOLOR=1 ANSIBLE_LOCAL_TEMP="$work/tmp"
export ANSIBLE_PYTHON_INTERPRETER="$py" ANSIBLE_STDOUT_CALLBACK=ansible.builtin.default ANSIBLE_FORKS=5
unset PODIM_FLEET_EXPORT_POLICY PODIM_FLEET_RULES_REMEMBER  # the database is the boundary under test
cat > "$work/ansible.cfg" <<'CFG'
[inventory]
enable_plugins = ansible.builtin.host_list, ansible.builtin.yaml, podim.fleet.rules
any_unparsed_is_failed = true
CFG
cp "$here"/*.yml "$work/"
cd "$work"

fail() { echo "FAIL: $*" >&2; exit 1; }
recap_total() {  # recap_total FILE FIELD -> sum of FIELD= over all hosts
    grep -oE "$2=[0-9]+" "$1" | cut -d= -f2 | awk '{s+=$1} END {print s+0}'
}
dump() { "$py" "$here/store_tool.py" dump "$admin_url" "$staging_role" "$production_role" "$ci_role" > "$1"; }
as_admin() { PODIM_FLEET_STORE=$admin_url "$@"; }
staging_url=$("$py" "$here/store_tool.py" url "$admin_url" "$staging_role" "$password")
production_url=$("$py" "$here/store_tool.py" url "$admin_url" "$production_role" "$password")
admin_vars=(-e "staging_role=$staging_role" -e "production_role=$production_role" -e "role_password=$password")

# 1. the admin's grants: idempotent, check mode writes nothing
as_admin ansible-playbook -i localhost, -c local admin.yml "${admin_vars[@]}" > admin-1.log 2>&1 \
    || { cat admin-1.log; fail "admin: first run"; }
[ "$(recap_total admin-1.log changed)" = 3 ] || { cat admin-1.log; fail "admin: first run should change 3 tasks"; }
grep -q "$password" admin-1.log && fail "admin: the role password is in the output"
as_admin ansible-playbook -i localhost, -c local admin.yml "${admin_vars[@]}" > admin-2.log 2>&1 \
    || { cat admin-2.log; fail "admin: second run"; }
[ "$(recap_total admin-2.log changed)" = 0 ] || { cat admin-2.log; fail "admin: second run is not idempotent"; }
dump before-check.json
as_admin ansible-playbook -i localhost, -c local admin.yml "${admin_vars[@]}" -e "ci_role=$ci_role" --check --diff \
    > admin-check.log 2>&1 || { cat admin-check.log; fail "admin: check mode"; }
[ "$(recap_total admin-check.log changed)" = 1 ] || { cat admin-check.log; fail "admin: check mode should report 1 change"; }
grep -q "+role: $ci_role (exists)" admin-check.log || { cat admin-check.log; fail "admin: no diff in check mode"; }
dump after-check.json
cmp -s before-check.json after-check.json || { diff before-check.json after-check.json; fail "check mode changed the store"; }
echo "ok: admin: roles and grants created (changed=3), second run changed=0, check mode changed nothing"

# 2. each team exports and collects in its own namespace, as its own role
PODIM_FLEET_STORE=$staging_url PODIM_FLEET_NAMESPACE=staging \
    ansible-playbook -i hosts.yml -i site.rules.yml team.yml -e "expected_writer=$staging_role" > staging.log 2>&1 \
    || { cat staging.log; fail "staging: export and collect"; }
PODIM_FLEET_STORE=$production_url PODIM_FLEET_NAMESPACE=production \
    ansible-playbook -i hosts.yml -i site.rules.yml team.yml -e "expected_writer=$production_role" > production.log 2>&1 \
    || { cat production.log; fail "production: export and collect"; }
dns=$(PODIM_FLEET_STORE=$production_url PODIM_FLEET_NAMESPACE=production ansible-inventory -i hosts.yml -i site.rules.yml --graph dns_servers \
    | grep -oE 'ns[0-9]' | tr '\n' ' ')
echo "ok: staging and production exported and collected as their roles (writer checked); dns_servers: $dns"

# 3. what the database refuses, with the store unchanged
refused() {  # refused LABEL STORE_URL NAMESPACE PLAYBOOK ARGS... ; then grep patterns on stdin lines
    local label=$1 url=$2 ns=$3
    shift 3
    dump "before-$label.json"
    if PODIM_FLEET_STORE=$url PODIM_FLEET_NAMESPACE=$ns ansible-playbook -i hosts.yml "$@" > "$label.log" 2>&1; then
        cat "$label.log"; fail "$label: was not refused"
    fi
    dump "after-$label.json"
    cmp -s "before-$label.json" "after-$label.json" || { diff "before-$label.json" "after-$label.json"; fail "$label: the store changed"; }
}
expect() {  # expect LABEL TEXT: the run's output holds TEXT
    tr -s ' \n' ' ' < "$1.log" | grep -qF -- "$2" || { cat "$1.log"; fail "$1: no \"$2\" in the output"; }
}
refused staging-into-production "$staging_url" production export_one.yml -l web1 -e record_type=host_record
expect staging-into-production "role '$staging_role' may not write records of type 'host_record' in namespace 'production' (host 'web1')"
echo "ok: staging cannot export into production: $(grep -oE "role '[^']*' may not write[^;]*" staging-into-production.log | head -1)"

refused non-member "$production_url" production export_one.yml -l web1 -e record_type=dns_server
expect non-member "role '$production_role' may export type 'dns_server' in namespace 'production' only for hosts that are current members of group 'dns_servers'"
expect non-member "host 'web1' is not"
echo "ok: a host outside dns_servers cannot export dns_server, the database says why"

refused staging-reads-production "$staging_url" production collect.yml
expect staging-reads-production "role '$staging_role' may not read namespace 'production'"
echo "ok: staging cannot read production"

# 4. failover: the rule replaces a DNS server; the grant follows the decision
old=${dns%% *}
printf 'all:\n  hosts:\n    %s:\n      podim_available: false\n' "$old" > down.yml
PODIM_FLEET_STORE=$production_url PODIM_FLEET_NAMESPACE=production \
    ansible-playbook -i hosts.yml -i down.yml -i site.rules.yml team.yml -l "all:!$old" -e "expected_writer=$production_role" \
    > failover.log 2>&1 || { cat failover.log; fail "failover: the replacement could not export"; }
new=$(PODIM_FLEET_STORE=$production_url PODIM_FLEET_NAMESPACE=production ansible-inventory -i hosts.yml -i down.yml -i site.rules.yml \
    --graph dns_servers | grep -oE 'ns[0-9]' | tr '\n' ' ')
case " $new" in *" $old "*) fail "failover: $old is still in dns_servers ($new)" ;; esac
refused old-member "$production_url" production export_one.yml -l "$old" -e record_type=dns_server -e site_ip=10.77.0.99
expect old-member "host '$old' is not"
echo "ok: failover: dns_servers is now $new; the replacement exported dns_server, $old may not any more"
echo "store_access: all checks passed"
