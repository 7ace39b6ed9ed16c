#!/usr/bin/env bash
# Install the Debian packages the test command needs (as root), only those
# missing. `apt-get update` runs once before the first install (not at all when
# everything is present).
#
# usage: scripts/apt-install.sh [PACKAGE...]   (default: the list below)
set -euo pipefail

DEFAULT_PACKAGES=(
    git make ca-certificates tar
    postgresql postgresql-client   # scripts/pg-test-server.sh
    python3-venv                   # venvs from Debian's own python3, if used
    shellcheck                     # ansible-test sanity lints shell scripts with it
)

if [ "$#" -eq 0 ]; then
    set -- "${DEFAULT_PACKAGES[@]}"
fi

missing=()
for p in "$@"; do
    case "$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)" in
        ii*) ;;
        *) missing+=("$p") ;;
    esac
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "apt-install: all present ($*)"
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    echo "apt-install: missing ${missing[*]}; run as root (or install them)" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt=(apt-get -q -o DPkg::Lock::Timeout=600)
echo "apt-install: installing ${missing[*]}"
"${apt[@]}" update
"${apt[@]}" install -y --no-install-recommends "${missing[@]}"
