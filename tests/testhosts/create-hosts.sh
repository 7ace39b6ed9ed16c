#!/usr/bin/env bash
# Start Debian 12 test hosts: podman containers with systemd as PID 1 on an
# isolated internal bridge network, apt through an apt-cacher-ng proxy on the
# bridge gateway, a default route to the gateway (nothing is forwarded past
# it).
#   create-hosts.sh NAME=IP [NAME=IP ...]     e.g. web1=10.77.0.11
# Dual stack: each host also gets an address of TESTHOSTS_SUBNET6 (see
# common.sh). Ansible reaches the hosts over SSH as root:
#   TESTHOSTS_SSH_KEY=FILE.pub     authorized on every host (root)
#   TESTHOSTS_KNOWN_HOSTS=FILE     each host's own key, read through podman
#                                  (not from the network), written there
#                                  for its name and both addresses
# Prints one line per host: NAME IP SYSTEMD-STATE.
# Settings (network, subnet, ...) come from the environment: see common.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=common.sh
. "$here/common.sh"

[ $# -gt 0 ] || die "usage: $(basename "$0") NAME=IP [NAME=IP ...]"
require_root
require_cmds podman iptables ip6tables flock apt-cacher-ng
if [ -n "${TESTHOSTS_SSH_KEY:-}" ]; then
  [ -f "$TESTHOSTS_SSH_KEY" ] || die "TESTHOSTS_SSH_KEY: no file $TESTHOSTS_SSH_KEY"
  if ! grep -Eq '^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp[0-9]+) [A-Za-z0-9+/=]+( [^[:cntrl:]]*)?$' "$TESTHOSTS_SSH_KEY" \
      || [ "$(wc -l <"$TESTHOSTS_SSH_KEY")" -gt 1 ]; then
    die "TESTHOSTS_SSH_KEY: $TESTHOSTS_SSH_KEY is not one SSH public key"
  fi
fi
ACNG=$(command -v apt-cacher-ng)

# ---- arguments ------------------------------------------------------------
names=()
ips=()
for arg in "$@"; do
  [[ $arg == *=* ]] || die "argument '$arg' is not NAME=IP"
  n=${arg%%=*}
  a=${arg#*=}
  [[ $n =~ ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$ ]] \
    || die "host name '$n' is not a valid lower-case hostname label"
  valid_ipv4 "$a" || die "host $n: '$a' is not an IPv4 address"
  ip_in_subnet "$a" \
    || die "host $n: $a is not a host address of $TESTHOSTS_SUBNET (gateway $TESTHOSTS_GATEWAY)"
  for i in "${!names[@]}"; do
    [ "${names[$i]}" != "$n" ] || die "host name $n given twice"
    [ "${ips[$i]}" != "$a" ] || die "address $a given twice"
    [ "$(ip6_of "${ips[$i]}")" != "$(ip6_of "$a")" ] \
      || die "hosts ${names[$i]} and $n would share the IPv6 address $(ip6_of "$a") (same last octet)"
  done
  names+=("$n")
  ips+=("$a")
done

mkdir -p "$TESTHOSTS_RUN_DIR"
# One create/destroy at a time per network. Every long-lived child (conmon,
# apt-cacher-ng) is started with fd 8 closed: it would hold the lock forever.
exec 8>"$TESTHOSTS_RUN_DIR/hosts.lock"
flock -w 600 8 || die "another create/destroy on $TESTHOSTS_NET holds $TESTHOSTS_RUN_DIR/hosts.lock"

# ---- image ----------------------------------------------------------------
pm image exists "$TESTHOSTS_IMAGE" || "$here/build-image.sh" 8>&-

# ---- network --------------------------------------------------------------
if pm network exists "$TESTHOSTS_NET"; then
  have=$(pm network inspect "$TESTHOSTS_NET" \
    --format '{{range .Subnets}}{{.Subnet}} {{end}}{{index .Labels "'"$TESTHOSTS_LABEL"'"}}')
  [ "$have" = "$TESTHOSTS_SUBNET $TESTHOSTS_SUBNET6 $TESTHOSTS_NET" ] \
    || die "podman network $TESTHOSTS_NET exists but is not ours with subnets $TESTHOSTS_SUBNET $TESTHOSTS_SUBNET6 ($have)"
else
  pm network create --internal --disable-dns --ipv6 \
    --subnet "$TESTHOSTS_SUBNET" --gateway "$TESTHOSTS_GATEWAY" \
    --subnet "$TESTHOSTS_SUBNET6" --gateway "$TESTHOSTS_GATEWAY6" \
    --label "$TESTHOSTS_LABEL=$TESTHOSTS_NET" "$TESTHOSTS_NET" >/dev/null \
    || die "cannot create podman network $TESTHOSTS_NET ($TESTHOSTS_SUBNET, $TESTHOSTS_SUBNET6): another network may use them; set TESTHOSTS_NET/TESTHOSTS_SUBNET"
fi
br=$(pm network inspect "$TESTHOSTS_NET" --format '{{.NetworkInterface}}')
[ -n "$br" ] || die "network $TESTHOSTS_NET has no bridge interface"
echo "$br" >"$TESTHOSTS_RUN_DIR/bridge"

# Nothing from the test network is routed beyond the bridge, nor into it:
# the hosts reach each other and the gateway (this machine), nothing else.
fw_comment="podim-fleet-testhosts $TESTHOSTS_NET"
for dir in in out; do
  if [ $dir = in ]; then io=(-i "$br" ! -o "$br"); else io=(-o "$br" ! -i "$br"); fi
  rule=(FORWARD "${io[@]}" -m comment --comment "$fw_comment" -j REJECT)
  for ipt in iptables ip6tables; do
    $ipt -w 30 -C "${rule[@]}" 2>/dev/null || $ipt -w 30 -I "${rule[@]}" \
      || die "cannot add $ipt rule ${rule[*]}"
  done
done

# netavark turns on IPv4 and IPv6 forwarding for its bridges; remember how
# this machine had them, so destroy-hosts.sh can put them back after the
# last host.
fwd_orig=$TESTHOSTS_BASE/run/ip_forward.orig
[ -e "$fwd_orig" ] || cat /proc/sys/net/ipv4/ip_forward >"$fwd_orig"
fwd6_orig=$TESTHOSTS_BASE/run/ip6_forward.orig
[ -e "$fwd6_orig" ] || cat /proc/sys/net/ipv6/conf/all/forwarding >"$fwd6_orig"

# ---- containers -----------------------------------------------------------
run_opts=(--runtime "$TESTHOSTS_RUNTIME" --systemd=always --dns none --no-hosts
  --label "$TESTHOSTS_LABEL=$TESTHOSTS_NET" --network "$TESTHOSTS_NET")
# podman's default nofile/nproc limits (1048576) need CAP_SYS_RESOURCE, which
# some sandboxes lack; ask for TESTHOSTS_NOFILE/NPROC (default 20000), never
# more than this process's own hard limit.
cap_limit() { if [ "$2" = unlimited ] || [ "$1" -le "$2" ]; then echo "$1"; else echo "$2"; fi; }
nofile=$(cap_limit "${TESTHOSTS_NOFILE:-20000}" "$(ulimit -Hn)")
nproc=$(cap_limit "${TESTHOSTS_NPROC:-20000}" "$(ulimit -Hu)")
run_opts+=(--ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc")
if [ -n "${TESTHOSTS_PODMAN_RUN_OPTS:-}" ]; then
  # shellcheck disable=SC2206  # extra options, split on blanks on purpose
  run_opts+=($TESTHOSTS_PODMAN_RUN_OPTS)
fi

for i in "${!names[@]}"; do
  n=${names[$i]}
  if pm container exists "$n"; then
    owner=$(pm container inspect "$n" --format '{{index .Config.Labels "'"$TESTHOSTS_LABEL"'"}}')
    [ "$owner" = "$TESTHOSTS_NET" ] \
      || die "a container named $n exists and is not a test host of $TESTHOSTS_NET: not touching it"
    pm rm -f -t 0 "$n" >/dev/null
  fi
  pm run -d --name "$n" --hostname "$n" --ip "${ips[$i]}" --ip6 "$(ip6_of "${ips[$i]}")" "${run_opts[@]}" \
    "$TESTHOSTS_IMAGE" /sbin/init >/dev/null 8>&- \
    || die "podman run failed for $n (${ips[$i]})"
done

# ---- apt proxy --------------------------------------------------------------
# Started once the first host is attached: only then does the bridge carry
# the gateway address that the proxy binds to.
pidfile=$TESTHOSTS_RUN_DIR/acng.pid
proxy_running() {
  local pid
  [ -s "$pidfile" ] || return 1
  pid=$(cat "$pidfile")
  [ -d "/proc/$pid" ] && [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$(readlink -f "$ACNG")" ]
}
proxy_listening() {
  (exec 3<>"/dev/tcp/$TESTHOSTS_GATEWAY/$TESTHOSTS_PROXY_PORT") 2>/dev/null
}
if ! proxy_running; then
  rm -f "$pidfile"
  conf=$TESTHOSTS_RUN_DIR/acng-conf
  mkdir -p "$conf" "$TESTHOSTS_RUN_DIR/acng-log" "$TESTHOSTS_ACNG_CACHE"
  # Our own configuration, independent of /etc/apt-cacher-ng: its mirror
  # lists would send requests to other hosts (and hang with HTTP 503).
  cat >"$conf/acng.conf" <<EOC
CacheDir: $TESTHOSTS_ACNG_CACHE
LogDir: $TESTHOSTS_RUN_DIR/acng-log
SupportDir: /usr/lib/apt-cacher-ng
PidFile: $pidfile
SocketPath: $TESTHOSTS_RUN_DIR/acng.socket
BindAddress: $TESTHOSTS_GATEWAY
Port: $TESTHOSTS_PROXY_PORT
ForeGround: 0
ExThreshold: 4
Remap-debrep: deb.debian.org/debian ; $TESTHOSTS_MIRROR/debian/
Remap-secdeb: deb.debian.org/debian-security security.debian.org/debian-security ; $TESTHOSTS_MIRROR/debian-security/
EOC
  "$ACNG" -c "$conf" >"$TESTHOSTS_RUN_DIR/acng-log/start.log" 2>&1 8>&- \
    || { cat "$TESTHOSTS_RUN_DIR/acng-log/start.log" >&2; die "apt-cacher-ng did not start"; }
  for _ in $(seq 50); do
    proxy_running && proxy_listening && break
    sleep 0.1
  done
  { proxy_running && proxy_listening; } \
    || die "apt-cacher-ng not listening on $TESTHOSTS_GATEWAY:$TESTHOSTS_PROXY_PORT (port taken? set TESTHOSTS_PROXY_PORT); see $TESTHOSTS_RUN_DIR/acng-log"
fi

# ---- per-host set-up --------------------------------------------------------
rc=0
for i in "${!names[@]}"; do
  n=${names[$i]}
  a=${ips[$i]}
  st=""
  deadline=$((SECONDS + TESTHOSTS_BOOT_TIMEOUT))
  while [ $SECONDS -lt $deadline ]; do
    st=$(pm exec "$n" systemctl is-system-running 2>/dev/null || true)
    case "$st" in running | degraded) break ;; esac
    sleep 0.2
  done
  case "$st" in
    running) ;;
    degraded)
      log "warning: $n: systemd degraded; failed units:"
      pm exec "$n" systemctl --failed --no-legend >&2 || true
      ;;
    *)
      log "error: $n: systemd not up after ${TESTHOSTS_BOOT_TIMEOUT}s (state '$st')"
      pm logs --tail 30 "$n" >&2 || true
      rc=1
      continue
      ;;
  esac
  # The default route makes ansible_default_ipv4 point at the test network;
  # the FORWARD rules stop anything from leaving through it.
  a6=$(ip6_of "$a")
  pm exec --privileged "$n" sh -ec "
    ip route replace default via $TESTHOSTS_GATEWAY
    ip -6 route replace default via $TESTHOSTS_GATEWAY6
    printf '%s %s\\n' '$a' '$n' '$a6' '$n' >>/etc/hosts
    echo 'Acquire::http::Proxy \"http://$TESTHOSTS_GATEWAY:$TESTHOSTS_PROXY_PORT\";' \
      >/etc/apt/apt.conf.d/01podim-testhost-proxy
  " || { log "error: $n: network/apt set-up failed"; rc=1; continue; }
  if [ -n "${TESTHOSTS_SSH_KEY:-}" ]; then
    pm exec -i "$n" sh -ec 'umask 077; mkdir -p /root/.ssh; cat >/root/.ssh/authorized_keys' <"$TESTHOSTS_SSH_KEY" \
      || { log "error: $n: cannot authorize the SSH key"; rc=1; continue; }
  fi
  if [ -n "${TESTHOSTS_KNOWN_HOSTS:-}" ]; then
    # the key sshd really uses, once its first-boot unit has made it
    key=""
    for _ in $(seq 100); do
      key=$(pm exec "$n" cat /etc/ssh/ssh_host_ed25519_key.pub 2>/dev/null || true)
      [ -z "$key" ] || break
      sleep 0.1
    done
    [[ $key =~ ^ssh-ed25519\ [A-Za-z0-9+/=]+ ]] \
      || { log "error: $n: no SSH host key"; rc=1; continue; }
    touch "$TESTHOSTS_KNOWN_HOSTS"
    # a host made again gets a new key: drop its old lines first
    grep -v -E "^$n,|^[^ ]*,$a,|^[^ ]*,$a6 " "$TESTHOSTS_KNOWN_HOSTS" >"$TESTHOSTS_KNOWN_HOSTS.new" || true
    echo "$n,$a,$a6 ${BASH_REMATCH[0]}" >>"$TESTHOSTS_KNOWN_HOSTS.new"
    mv "$TESTHOSTS_KNOWN_HOSTS.new" "$TESTHOSTS_KNOWN_HOSTS"
  fi
  if [ -n "${TESTHOSTS_SSH_KEY:-}" ]; then
    up=""
    for _ in $(seq 100); do
      (exec 3<>"/dev/tcp/$a/22") 2>/dev/null && { up=1; break; }
      sleep 0.1
    done
    [ -n "$up" ] || { log "error: $n: sshd not listening on $a:22"; rc=1; continue; }
  fi
  echo "$n $a $st"
done
exit $rc
