#!/usr/bin/env bash
# Run `ansible-test sanity` with the ansible-core of VENV, offline.
#
# ansible-test needs the collection at .../ansible_collections/podim/fleet and
# resolves symlinks, so the work tree (as git sees it) is exported to
# build/sanity/<venv name>/ first. ansible-test builds its own venvs under
# ~/.ansible/test/venv (--venv); pip is bootstrapped there by the offline
# get-pip stand-in (tests/tools/get_pip_standin.py).
#
# usage: scripts/sanity.sh VENV [extra ansible-test sanity args...]
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${1:?usage: sanity.sh VENV [ansible-test args...]}
shift
venv=$(cd "$venv" && pwd)
py="$venv/bin/python"
pyver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')

"$repo/scripts/install-get-pip-standin.sh" "$venv"

work="$repo/build/sanity/$(basename "$venv")"
coll=$("$repo/scripts/export-tree.sh" "$work")

# The venv's bin first: ansible-test looks up pythonX.Y on PATH.
export PATH="$venv/bin:$PATH"
cd "$coll"
core=$("$py" -c 'from ansible.release import __version__; print(__version__)')
echo "sanity: ansible-test $core, python $pyver, in $coll"
status=0
ansible-test sanity --venv --python "$pyver" --color no "$@" || status=$?
echo "sanity: results in $coll/tests/output"
exit "$status"
