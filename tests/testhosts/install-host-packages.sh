#!/usr/bin/env bash
# Install the Debian 12 host packages the test hosts need (run as root).
# Idempotent: returns at once when every package is already installed.
#   install-host-packages.sh            # install what is missing
#   TESTHOSTS_SKIP_APT=1 ...            # only check, never call apt-get
set -euo pipefail

PACKAGES=(podman runc netavark aardvark-dns uidmap slirp4netns fuse-overlayfs
  iptables apt-cacher-ng debootstrap)

die() { echo "install-host-packages: $*" >&2; exit 1; }

missing=""
for p in "${PACKAGES[@]}"; do
  st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
  case "$st" in
    ii*) ;;
    *) missing="$missing $p" ;;
  esac
done

if [ -z "$missing" ]; then
  echo "install-host-packages: all present"
  exit 0
fi

[ "${TESTHOSTS_SKIP_APT:-0}" = 1 ] && die "missing packages:$missing (TESTHOSTS_SKIP_APT=1)"
[ "$(id -u)" = 0 ] || die "must run as root to install:$missing"
command -v apt-get >/dev/null 2>&1 || die "apt-get not found: a Debian 12 host is required"

echo "install-host-packages: installing$missing"
export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -q -o DPkg::Lock::Timeout=600)
"${APT[@]}" update
"${APT[@]}" install -y --no-install-recommends "${PACKAGES[@]}"

echo "install-host-packages: done"
