#!/usr/bin/env bash
# Build the Debian 12 base image of the test hosts, offline from any image
# registry: debootstrap a minimal tree once (cached under TESTHOSTS_BASE),
# then import it into podman. Both steps are skipped when their result
# exists already.
#   build-image.sh            # build what is missing
#   REBUILD=1 build-image.sh  # debootstrap and import again
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

require_root
require_cmds podman debootstrap flock tar

# Packages on top of debootstrap's minbase: systemd as PID 1, sshd (Ansible
# reaches the hosts over SSH, as it reaches real ones), what Ansible needs on
# a target (python3, python3-apt for the apt module) and the tools a person
# debugging a host expects. Everything else comes from the roles.
INCLUDE=systemd,systemd-sysv,dbus,libpam-systemd,openssh-server,python3,python3-apt,sudo,iproute2,iputils-ping,netbase,ca-certificates,locales,procps,curl,less

mkdir -p "$TESTHOSTS_BASE"
# one build at a time on this machine, whatever runs us
exec 9>"$TESTHOSTS_BASE/build.lock"
flock 9

rootfs_ok() { [ -f "$TESTHOSTS_ROOTFS/.podim-testhost-complete" ]; }

if [ "${REBUILD:-0}" = 1 ] || ! rootfs_ok; then
  tmp="$TESTHOSTS_ROOTFS.tmp"
  rm -rf "$tmp"
  log "debootstrap $TESTHOSTS_SUITE into $tmp (a minute or two)"
  t0=$SECONDS
  if ! debootstrap --variant=minbase --include="$INCLUDE" \
      "$TESTHOSTS_SUITE" "$tmp" "$TESTHOSTS_MIRROR/debian" >"$TESTHOSTS_BASE/debootstrap.log" 2>&1; then
    tail -n 20 "$TESTHOSTS_BASE/debootstrap.log" >&2
    die "debootstrap failed (full log: $TESTHOSTS_BASE/debootstrap.log)"
  fi
  R=$tmp
  # Sources as a Debian 12 machine has them; the hosts reach them through
  # the apt proxy on their gateway (create-hosts.sh writes that setting,
  # since the gateway address depends on the network).
  cat >"$R/etc/apt/sources.list" <<EOS
deb http://deb.debian.org/debian $TESTHOSTS_SUITE main
deb http://deb.debian.org/debian $TESTHOSTS_SUITE-updates main
deb http://deb.debian.org/debian-security $TESTHOSTS_SUITE-security main
EOS
  # no resolver of the build machine leaks in; roles may write this file
  : >"$R/etc/resolv.conf"
  # every host gets its own machine id at first boot
  : >"$R/etc/machine-id"
  rm -f "$R/var/lib/dbus/machine-id"
  # No shared SSH host keys: every host makes its own at first boot, before
  # sshd starts (create-hosts.sh reads them into the run's known_hosts).
  rm -f "$R"/etc/ssh/ssh_host_*
  cat >"$R/etc/systemd/system/podim-ssh-host-keys.service" <<EOU
[Unit]
Description=SSH host keys of this test host
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=ssh.service
EOU
  mkdir -p "$R/etc/systemd/system/ssh.service.wants"
  ln -sfn ../podim-ssh-host-keys.service "$R/etc/systemd/system/ssh.service.wants/podim-ssh-host-keys.service"
  # keys only, and no reverse lookups of clients (the hosts have no resolver yet)
  printf 'PasswordAuthentication no\nKbdInteractiveAuthentication no\nUseDNS no\n' \
    >"$R/etc/ssh/sshd_config.d/podim-testhost.conf"
  echo debian >"$R/etc/hostname"
  printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' >"$R/etc/hosts"
  echo 'LANG=C.UTF-8' >"$R/etc/default/locale"
  # No unattended apt runs: they would take the dpkg lock in the middle of
  # a test. Nothing in a container needs these either.
  for unit in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer \
      fstrim.timer systemd-timesyncd.service getty@tty1.service \
      console-getty.service; do
    ln -sfn /dev/null "$R/etc/systemd/system/$unit"
  done
  chroot "$R" apt-get clean
  rm -rf "$R"/var/lib/apt/lists/*
  mkdir -p "$R/var/lib/apt/lists/partial"
  # Old mtime: the apt module's cache_valid_time must not take the empty
  # package lists for fresh ones ("No package matching ...").
  touch -d 2000-01-01 "$R/var/lib/apt/lists" "$R/var/lib/apt/lists/partial"
  rm -f "$R/var/lib/apt/periodic/update-success-stamp"
  touch "$R/.podim-testhost-complete"
  rm -rf "$TESTHOSTS_ROOTFS"
  mv "$tmp" "$TESTHOSTS_ROOTFS"
  log "rootfs ready in $((SECONDS - t0)) s: $TESTHOSTS_ROOTFS"
  # trees of older image revisions are of no further use
  for old in "$TESTHOSTS_BASE"/rootfs-*; do
    [ "$old" = "$TESTHOSTS_ROOTFS" ] || rm -rf "$old"
  done
  REBUILD=1
fi

if [ "${REBUILD:-0}" = 1 ] || ! pm image exists "$TESTHOSTS_IMAGE"; then
  log "importing $TESTHOSTS_IMAGE"
  t0=$SECONDS
  old_id=$(pm image inspect --format '{{.Id}}' "$TESTHOSTS_IMAGE" 2>/dev/null || true)
  tar --exclude=./.podim-testhost-complete -C "$TESTHOSTS_ROOTFS" -c . \
    | pm import \
        --change 'CMD ["/sbin/init"]' \
        --change 'STOPSIGNAL=SIGRTMIN+3' \
        --change "LABEL $TESTHOSTS_LABEL.image=$TESTHOSTS_SUITE-r$TESTHOSTS_IMAGE_REV" \
        --quiet - "$TESTHOSTS_IMAGE" >/dev/null
  log "image ready in $((SECONDS - t0)) s: $TESTHOSTS_IMAGE"
  # The old image goes once no container uses it; never forced (-f would
  # remove the hosts that still run on it).
  if [ -n "$old_id" ]; then
    pm rmi "$old_id" >/dev/null 2>&1 || log "old image $old_id still in use: kept"
  fi
else
  log "image present: $TESTHOSTS_IMAGE"
fi
