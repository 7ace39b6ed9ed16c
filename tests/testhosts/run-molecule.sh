#!/usr/bin/env bash
# Run one Molecule scenario of extensions/molecule/ over real Debian 12 test
# hosts, from a fresh Debian 12 machine (as root) with only this repository
# and a Python environment that has molecule and the `ansible` package.
#   tests/testhosts/run-molecule.sh SCENARIO [MOLECULE TEST OPTIONS...]
# It installs the host packages and builds the base image when missing,
# makes the work tree visible to Ansible as the collection podim.fleet,
# runs `molecule test -s SCENARIO`, and always removes the scenario's hosts
# (and with the last host its network, firewall rules and apt proxy) and its
# temporary files afterwards, whether the test passed, failed or was
# interrupted. On failure it repeats the failing tasks at the end
# (tests/tools/failed-tasks.sh). Exit status: molecule's.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
prog=$(basename "$0")

die() {
  echo "$prog: error: $*" >&2
  exit 2
}

[ $# -ge 1 ] || die "usage: $prog SCENARIO [molecule test options]"
scenario=$1
shift
moldir=$repo/extensions/molecule
[ -f "$moldir/$scenario/molecule.yml" ] \
  || die "no scenario '$scenario' ($moldir/$scenario/molecule.yml missing)"
[ "$(id -u)" = 0 ] || die "must run as root (rootful podman, iptables)"
command -v molecule >/dev/null 2>&1 \
  || die "molecule not found on PATH: activate the venv with molecule and ansible"
command -v ansible-playbook >/dev/null 2>&1 \
  || die "ansible-playbook not found on PATH"
# the interpreter molecule runs with (it has PyYAML)
py=$(head -n 1 "$(command -v molecule)" | sed -n 's/^#! *//p')
[ -n "$py" ] || py=python3

t_start=$SECONDS
"$here/install-host-packages.sh"
"$here/build-image.sh"

# ---- the scenario's hosts and network settings, for the final clean-up ----
# (from extensions/molecule/config.yml with the scenario's molecule.yml on
# top, the way molecule merges them; ${VAR} interpolation is not supported)
scenario_env=$("$py" - "$moldir/config.yml" "$moldir/$scenario/molecule.yml" <<'PY'
import os, shlex, sys
import yaml
env, platforms = {}, []
for path in sys.argv[1:]:
    if not os.path.exists(path):
        continue
    with open(path) as f:
        data = yaml.safe_load(f) or {}
    for section in ("provisioner", "ansible"):
        env.update({str(k): str(v) for k, v in ((data.get(section) or {}).get("env") or {}).items()})
    if "platforms" in data:
        platforms = data["platforms"] or []
for k, v in env.items():
    if k.startswith("TESTHOSTS_"):
        print(f"export {k}={shlex.quote(v)}")
print("hosts=(" + " ".join(shlex.quote(str(p["name"])) for p in platforms) + ")")
PY
) || die "cannot read the platforms of scenario $scenario"

# ---- the work tree as collection podim.fleet -------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/podim-fleet-molecule.XXXXXX")
mkdir -p "$tmp/collections/ansible_collections/podim"
ln -s "$repo" "$tmp/collections/ansible_collections/podim/fleet"
# Only this path (plus the collections of the Python installation, which
# Ansible always scans): no stale copy in ~/.ansible/collections can shadow
# the work tree.
export ANSIBLE_COLLECTIONS_PATH=$tmp/collections
export ANSIBLE_LOCAL_TEMP=$tmp/ansible-local

mol_pid=""
# shellcheck disable=SC2317  # called through trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  set +e
  if [ -n "$mol_pid" ] && kill -0 "$mol_pid" 2>/dev/null; then
    # interrupted: stop molecule and its ansible-playbook runs (their own
    # process group, by id) before the hosts are removed under them
    kill -TERM -- "-$mol_pid" 2>/dev/null
    for _ in $(seq 100); do
      kill -0 "$mol_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL -- "-$mol_pid" 2>/dev/null
    wait "$mol_pid" 2>/dev/null
  fi
  if [ "$rc" != 0 ] && [ -s "$tmp/molecule.log" ]; then
    "$repo/tests/tools/failed-tasks.sh" "$tmp/molecule.log"
  fi
  echo "$prog: cleaning up scenario $scenario" >&2
  (
    hosts=()
    eval "$scenario_env"
    [ ${#hosts[@]} -eq 0 ] || "$here/destroy-hosts.sh" "${hosts[@]}" >/dev/null
  ) || { echo "$prog: error: clean-up of the test hosts failed" >&2; [ "$rc" != 0 ] || rc=1; }
  rm -f "$tmp/collections/ansible_collections/podim/fleet"
  rm -rf "$tmp"
  echo "$prog: scenario $scenario: exit $rc after $((SECONDS - t_start)) s" >&2
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

cd "$repo"
# --base-config: exactly the collection's shared config, whatever lies in
# ~/.config/molecule or .config/molecule.
# In the background, in a process group of its own, so that a signal to this
# script can stop it and still clean up; `wait` returns at once on a signal.
# Its output is kept, so that a failure ends with the failing tasks again.
# shellcheck disable=SC2016  # expanded by that bash
MOLECULE_LOG=$tmp/molecule.log setsid bash -c \
  'set -o pipefail; molecule "$@" 2>&1 | tee "$MOLECULE_LOG"' molecule \
  --base-config "$moldir/config.yml" test -s "$scenario" --destroy always "$@" </dev/null &
mol_pid=$!
rc=0
wait "$mol_pid" || rc=$?
mol_pid=""
exit "$rc"
