#!/usr/bin/env bash
# Remove test hosts of one network (TESTHOSTS_NET, see common.sh).
#   destroy-hosts.sh NAME [NAME ...]   remove these hosts
#   destroy-hosts.sh --all             remove every host of the network
# Once no host of the network is left, the network, its iptables FORWARD
# rules and its apt proxy go too. Only what carries our label is touched;
# the proxy is stopped by its pid file. Safe to run when nothing exists.
# Prints one "removed WHAT" line per thing removed (nothing when nothing
# existed); exits non-zero if something could not be removed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=common.sh
. "$here/common.sh"

[ $# -gt 0 ] || die "usage: $(basename "$0") NAME [NAME ...] | --all"
require_root
require_cmds podman iptables ip6tables flock

mkdir -p "$TESTHOSTS_RUN_DIR"
# One create/destroy at a time per network. Every long-lived child (conmon,
# apt-cacher-ng) is started with fd 8 closed: it would hold the lock forever.
exec 8>"$TESTHOSTS_RUN_DIR/hosts.lock"
flock -w 600 8 || die "another create/destroy on $TESTHOSTS_NET holds $TESTHOSTS_RUN_DIR/hosts.lock"

rc=0
ours() {
  pm ps -a --filter "label=$TESTHOSTS_LABEL=$TESTHOSTS_NET" --format '{{.Names}}'
}

if [ "$1" = --all ]; then
  mapfile -t hosts < <(ours)
else
  hosts=("$@")
fi

for n in "${hosts[@]}"; do
  pm container exists "$n" || continue
  owner=$(pm container inspect "$n" --format '{{index .Config.Labels "'"$TESTHOSTS_LABEL"'"}}')
  if [ "$owner" != "$TESTHOSTS_NET" ]; then
    log "warning: $n is not a test host of $TESTHOSTS_NET: not touching it"
    continue
  fi
  if pm rm -f -t 0 "$n" >/dev/null; then
    echo "removed host $n"
  else
    log "error: cannot remove $n"
    rc=1
  fi
done

left=$(ours)
if [ -n "$left" ]; then
  log "hosts left on $TESTHOSTS_NET, keeping network and proxy: $(echo "$left" | tr '\n' ' ')"
  exit $rc
fi

# ---- apt proxy (by pid file, only if that pid is apt-cacher-ng) ------------
pidfile=$TESTHOSTS_RUN_DIR/acng.pid
if [ -s "$pidfile" ]; then
  pid=$(cat "$pidfile")
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
  if [ -n "$exe" ] && [ "$(basename "$exe")" = apt-cacher-ng ]; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
      [ -d "/proc/$pid" ] || break
      sleep 0.1
    done
    if [ -d "/proc/$pid" ]; then
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.2
    fi
    if [ -d "/proc/$pid" ]; then
      log "error: apt-cacher-ng $pid did not stop"
      rc=1
    else
      echo "removed apt proxy $pid"
    fi
  fi
  [ -d "/proc/$pid" ] || rm -f "$pidfile"
fi
rm -f "$TESTHOSTS_RUN_DIR/acng.socket"

# ---- iptables rules, found by their comment --------------------------------
fw_comment="podim-fleet-testhosts $TESTHOSTS_NET"
for ipt in iptables ip6tables; do
  while read -r line; do
    [ -n "$line" ] || continue
    # "-A FORWARD ..." as printed by iptables -S, turned into a delete
    spec=()
    eval "spec=(${line#-A })"
    if $ipt -w 30 -D "${spec[@]}"; then
      echo "removed $ipt rule ${line#-A }"
    else
      log "error: cannot delete $ipt rule: $line"
      rc=1
    fi
  done < <($ipt -w 30 -S FORWARD | grep -F -- "--comment \"$fw_comment\"" || true)
done

# ---- network ----------------------------------------------------------------
if pm network exists "$TESTHOSTS_NET"; then
  owner=$(pm network inspect "$TESTHOSTS_NET" --format '{{index .Labels "'"$TESTHOSTS_LABEL"'"}}')
  if [ "$owner" = "$TESTHOSTS_NET" ]; then
    if pm network rm "$TESTHOSTS_NET" >/dev/null; then
      echo "removed network $TESTHOSTS_NET"
    else
      log "error: cannot remove network $TESTHOSTS_NET"
      rc=1
    fi
  else
    log "warning: network $TESTHOSTS_NET is not ours: not touching it"
  fi
fi
rm -f "$TESTHOSTS_RUN_DIR/bridge"

# ---- IPv4 forwarding, as it was before the first test host ----------------
fwd_orig=$TESTHOSTS_BASE/run/ip_forward.orig
if [ -e "$fwd_orig" ] \
    && [ -z "$(pm ps -a --filter "label=$TESTHOSTS_LABEL" -q)" ]; then
  # only when no test host of any network is left, and no other container
  # runs that might rely on forwarding
  if [ "$(cat "$fwd_orig")" = 0 ] && [ -z "$(pm ps -q)" ]; then
    echo 0 >/proc/sys/net/ipv4/ip_forward || log "warning: cannot reset ip_forward"
  fi
  rm -f "$fwd_orig"
fi
fwd6_orig=$TESTHOSTS_BASE/run/ip6_forward.orig
if [ -e "$fwd6_orig" ] \
    && [ -z "$(pm ps -a --filter "label=$TESTHOSTS_LABEL" -q)" ]; then
  if [ "$(cat "$fwd6_orig")" = 0 ] && [ -z "$(pm ps -q)" ]; then
    echo 0 >/proc/sys/net/ipv6/conf/all/forwarding || log "warning: cannot reset IPv6 forwarding"
  fi
  rm -f "$fwd6_orig"
fi
exit $rc
