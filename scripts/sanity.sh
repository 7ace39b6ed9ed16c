#!/usr/bin/env bash
# `ansible-test sanity` with the ansible-core of VENV, offline, on a copy of
# the work tree (export_tree to build/sanity/<venv name>/: ansible-test wants
# .../ansible_collections/NS/NAME and resolves symlinks). ansible-test builds
# its own venvs under ~/.ansible/test/venv (--venv) and bootstraps pip there
# with a get-pip.py from its download host, which may be unreachable: the
# offline stand-in tests/tools/get_pip_standin.py is put in its cache first,
# under the name(s) this ansible-test asks for.
#
# usage: scripts/sanity.sh VENV [extra ansible-test sanity args...]
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
use_venv "${1:?usage: sanity.sh VENV [ansible-test args...]}"
shift

# the pip version(s) ansible-test pins: get_venv_packages() in its
# _internal/python_requirements.py (_util/target/setup/requirements.py before)
pips=$("$py" - <<'PY'
import pathlib, re
import ansible_test
root = pathlib.Path(ansible_test.__file__).parent
found = set()
for name in ('_internal/python_requirements.py', '_util/target/setup/requirements.py'):
    if (root / name).exists():
        found.update(re.findall(r"""\bpip\s*=\s*['"]([0-9][0-9.]*)['"]""", (root / name).read_text()))
print(' '.join(sorted(found)))
PY
)
[ -n "$pips" ] || { echo "sanity: cannot tell which pip ansible-test pins" >&2; exit 1; }
for v in $pips; do
    cached="$HOME/.ansible/test/cache/get_pip_${v//./_}.py"
    cmp -s "$repo/tests/tools/get_pip_standin.py" "$cached" ||
        install -D -m 0644 "$repo/tests/tools/get_pip_standin.py" "$cached"
done

coll=$(export_tree "$repo/build/sanity/$(basename "$venv")")
cd "$coll"
pyver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
echo "sanity: ansible-test $("$py" -c 'from ansible.release import __version__; print(__version__)'), python $pyver, in $coll"
status=0
ansible-test sanity --venv --python "$pyver" --color no "$@" || status=$?
echo "sanity: results in $coll/tests/output"
exit "$status"
