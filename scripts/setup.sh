#!/usr/bin/env bash
# Everything the tests need on a Debian 12 machine, installed by the project
# itself: Debian packages (as root), the test hosts' packages, the test venvs.
# Quick when everything is in place.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$repo/scripts/apt-install.sh"
bash "$repo/tests/testhosts/install-host-packages.sh"
"$repo/scripts/bootstrap-venvs.sh"
