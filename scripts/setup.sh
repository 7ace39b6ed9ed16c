#!/usr/bin/env bash
# Everything the tests need on a Debian 12 machine, installed by the project
# itself: Debian packages (as root), the test venvs, the offline get-pip
# stand-in for ansible-test. Quick when everything is in place.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$repo/scripts/apt-install.sh"
if [ -f "$repo/tests/testhosts/install-host-packages.sh" ]; then
    bash "$repo/tests/testhosts/install-host-packages.sh"
fi
"$repo/scripts/bootstrap-venvs.sh"
"$repo/scripts/install-get-pip-standin.sh"
"$repo/scripts/collections-link.sh" >/dev/null
