#!/usr/bin/env bash
# Install tests/tools/get_pip_standin.py into ansible-test's cache
# (~/.ansible/test/cache/get_pip_<version>.py) under every name that the
# ansible-test of the given venvs (default: every venv under .venv/) asks for,
# so that `ansible-test sanity` works without ansible-test's download host.
#
# usage: scripts/install-get-pip-standin.sh [VENV...]
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
standin="$repo/tests/tools/get_pip_standin.py"
cache="${HOME}/.ansible/test/cache"

if [ "$#" -eq 0 ]; then
    set -- "$repo"/.venv/*/
fi

versions=()
for venv in "$@"; do
    venv=${venv%/}
    [ -x "$venv/bin/python" ] || continue
    # The pip version(s) ansible-test pins, read from its own source:
    # get_venv_packages() in ansible_test/_internal/python_requirements.py.
    while IFS= read -r v; do
        [ -n "$v" ] && versions+=("$v")
    done < <("$venv/bin/python" - <<'PY'
import pathlib, re
try:
    import ansible_test
except ImportError:
    raise SystemExit(0)
root = pathlib.Path(ansible_test.__file__).parent
found = set()
for name in ('_internal/python_requirements.py', '_util/target/setup/requirements.py'):
    path = root / name
    if path.exists():
        found.update(re.findall(r"""\bpip\s*=\s*['"]([0-9][0-9.]*)['"]""", path.read_text()))
for v in sorted(found):
    print(v)
PY
    )
done

if [ "${#versions[@]}" -eq 0 ]; then
    echo "install-get-pip-standin: no ansible-test found in: $*" >&2
    exit 1
fi

mkdir -p "$cache"
for v in $(printf '%s\n' "${versions[@]}" | sort -u); do
    target="$cache/get_pip_${v//./_}.py"
    if ! cmp -s "$standin" "$target"; then
        install -m 0644 "$standin" "$target"
        echo "install-get-pip-standin: $target"
    fi
done
