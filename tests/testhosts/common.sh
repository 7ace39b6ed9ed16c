# shellcheck shell=bash
# Settings and helpers shared by the test-host scripts (sourced, not run).
# Every setting can be overridden from the environment; two sets of hosts
# that must not collide (e.g. two Molecule scenarios run at once) need their
# own TESTHOSTS_NET, TESTHOSTS_SUBNET and host names.

# Where state lives that outlives one run: the debootstrap tree and the apt
# cache. Keep it outside the work tree and out of /tmp so it survives.
TESTHOSTS_BASE=${TESTHOSTS_BASE:-/var/tmp/podim-fleet-testhosts}
TESTHOSTS_SUITE=${TESTHOSTS_SUITE:-bookworm}
TESTHOSTS_MIRROR=${TESTHOSTS_MIRROR:-http://deb.debian.org}
# Bumped whenever build-image.sh changes what goes into the image: a new
# revision gets a new rootfs and image, built on first use.
TESTHOSTS_IMAGE_REV=2
TESTHOSTS_ROOTFS=${TESTHOSTS_ROOTFS:-$TESTHOSTS_BASE/rootfs-$TESTHOSTS_SUITE-r$TESTHOSTS_IMAGE_REV}
TESTHOSTS_IMAGE=${TESTHOSTS_IMAGE:-localhost/podim-fleet-testhost:$TESTHOSTS_SUITE-r$TESTHOSTS_IMAGE_REV}

# The isolated network: an internal podman bridge, the host is its gateway.
TESTHOSTS_NET=${TESTHOSTS_NET:-podim-fleet-th}
TESTHOSTS_SUBNET=${TESTHOSTS_SUBNET:-10.77.0.0/24}
# Label put on every container; its value is the network name, so each
# network's hosts can be found (and removed) without touching any other.
TESTHOSTS_LABEL=${TESTHOSTS_LABEL:-podim.fleet.testhost}
# Not 3142: a system-wide apt-cacher-ng (its package starts one on systemd
# hosts) listens there on all addresses and would block our bind.
TESTHOSTS_PROXY_PORT=${TESTHOSTS_PROXY_PORT:-3143}
# crun 1.8 (Debian 12's default) refuses hosts with hybrid cgroups.
TESTHOSTS_RUNTIME=${TESTHOSTS_RUNTIME:-runc}
# Seconds to wait for systemd in a new host to settle.
TESTHOSTS_BOOT_TIMEOUT=${TESTHOSTS_BOOT_TIMEOUT:-60}
TESTHOSTS_PODMAN=${TESTHOSTS_PODMAN:-podman --log-level=error}

# shellcheck disable=SC2034  # used by the scripts that source this file
th_prog=$(basename "$0")

die() {
  echo "$th_prog: error: $*" >&2
  exit 1
}

log() {
  echo "$th_prog: $*" >&2
}

pm() {
  # shellcheck disable=SC2086  # TESTHOSTS_PODMAN may carry options
  $TESTHOSTS_PODMAN "$@"
}

require_root() {
  [ "$(id -u)" = 0 ] || die "must run as root (rootful podman, iptables, debootstrap)"
}

require_cmds() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 \
      || die "command '$c' not found: run tests/testhosts/install-host-packages.sh"
  done
}

# a.b.c.d/p -> validated; sets th_net_addr (a.b.c.d) and th_prefix (p)
parse_subnet() {
  case "$1" in
    *[!0-9./]* | */*/* | "") die "bad subnet '$1' (want a.b.c.d/prefix)" ;;
    */*) ;;
    *) die "bad subnet '$1' (want a.b.c.d/prefix)" ;;
  esac
  th_net_addr=${1%/*}
  th_prefix=${1#*/}
  valid_ipv4 "$th_net_addr" || die "bad subnet '$1'"
  if [ "$th_prefix" -lt 8 ] || [ "$th_prefix" -gt 30 ]; then
    die "subnet '$1': prefix must be 8..30"
  fi
}

valid_ipv4() {
  [[ $1 =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]] || return 1
  local o
  for o in "${BASH_REMATCH[@]:1}"; do
    (( 10#$o <= 255 )) || return 1
  done
}

ip2int() {
  local a b c d
  IFS=. read -r a b c d <<<"$1"
  echo $(( (10#$a << 24) + (10#$b << 16) + (10#$c << 8) + 10#$d ))
}

int2ip() {
  echo "$(( ($1 >> 24) & 255 )).$(( ($1 >> 16) & 255 )).$(( ($1 >> 8) & 255 )).$(( $1 & 255 ))"
}

# true when IP $1 lies in the host range of $TESTHOSTS_SUBNET, not the gateway
ip_in_subnet() {
  local i lo hi
  i=$(ip2int "$1")
  lo=$(ip2int "$th_net_addr")
  hi=$(( lo + (1 << (32 - th_prefix)) - 1 ))
  [ "$i" -gt "$lo" ] && [ "$i" -lt "$hi" ] && [ "$1" != "$TESTHOSTS_GATEWAY" ]
}

parse_subnet "$TESTHOSTS_SUBNET"
if [ $(( $(ip2int "$th_net_addr") & ((1 << (32 - th_prefix)) - 1) )) != 0 ]; then
  die "subnet '$TESTHOSTS_SUBNET' is not aligned to its prefix"
fi
# The host's address on the bridge: the first address of the subnet.
TESTHOSTS_GATEWAY=${TESTHOSTS_GATEWAY:-$(int2ip $(( $(ip2int "$th_net_addr") + 1 )))}

# The network's IPv6 ULA prefix beside the IPv4 subnet (dual stack): by
# default fdAA:BB:CC::/64 from a.b.c.0/24's first three octets; a host's
# address ends in its IPv4 address's last octet (10.77.4.11 -> fd10:77:4::11).
TESTHOSTS_SUBNET6=${TESTHOSTS_SUBNET6:-$(IFS=. read -r a b c _ <<<"$th_net_addr"; echo "fd$a:$b:$c::/64")}
case "$TESTHOSTS_SUBNET6" in
  *[!0-9a-fA-F:]*/64) die "bad IPv6 subnet '$TESTHOSTS_SUBNET6' (want a ULA prefix fdXX:...::/64)" ;;
  fd*::/64 | FD*::/64) ;;
  *) die "bad IPv6 subnet '$TESTHOSTS_SUBNET6' (want a ULA prefix fdXX:...::/64)" ;;
esac
# shellcheck disable=SC2034  # used by the scripts that source this file
TESTHOSTS_GATEWAY6=${TESTHOSTS_SUBNET6%/64}1

# host address in the IPv6 subnet for IPv4 address $1
ip6_of() {
  echo "${TESTHOSTS_SUBNET6%/64}${1##*.}"
}

# Per-network runtime state: the apt proxy's pid file, socket and log.
TESTHOSTS_RUN_DIR=${TESTHOSTS_RUN_DIR:-$TESTHOSTS_BASE/run/$TESTHOSTS_NET}
# apt cache of the proxy, one per network (two proxies never share one).
TESTHOSTS_ACNG_CACHE=${TESTHOSTS_ACNG_CACHE:-$TESTHOSTS_BASE/acng-cache/$TESTHOSTS_NET}

case "$TESTHOSTS_NET" in
  *[!A-Za-z0-9_.-]* | "") die "bad network name '$TESTHOSTS_NET'" ;;
esac
