#!/usr/bin/env bash
# Create or update the test venvs:
#   .venv/2.19  Python 3.11, ansible-core 2.19  (always)
#   .venv/2.21  Python 3.12, ansible-core 2.21  (when a Python 3.12 is found)
# each with requirements-test.txt plus the full `ansible` package, as pinned in
# scripts/requirements/venv-<name>.txt. A stamp (hash of the requirements files
# and the interpreter) makes a second run a no-op.
#
# usage: scripts/bootstrap-venvs.sh [NAME...]   create/update (default: all possible)
#        scripts/bootstrap-venvs.sh --list      print the ready venv directories
# env:   PODIM_FLEET_VENVS="2.19 2.21"   names to consider (default: both)
#        PODIM_FLEET_PYTHON_2_19=/path/python3.11, PODIM_FLEET_PYTHON_2_21=...
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv_root="$repo/.venv"
read -r -a all_names <<<"${PODIM_FLEET_VENVS:-2.19 2.21}"

log() { echo "bootstrap-venvs: $*" >&2; }

python_version_for() {
    case "$1" in
        2.19) echo 3.11 ;;
        2.21) echo 3.12 ;;
        *) return 1 ;;
    esac
}

# A working interpreter of Python X.Y that can create venvs, or nothing.
find_python() {
    local name=$1 want=$2 override c
    override="PODIM_FLEET_PYTHON_${name//./_}"
    local candidates=()
    [ -n "${!override:-}" ] && candidates+=("${!override}")
    candidates+=("python$want")
    [ "$want" = 3.11 ] && candidates+=(python3)
    # pyenv installs that the shims do not expose (pyenv global is another version)
    local pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
    while IFS= read -r c; do
        candidates+=("$c")
    done < <(find "$pyenv_root/versions" -mindepth 3 -maxdepth 3 -path "*/versions/$want.*/bin/python$want" 2>/dev/null | sort -V -r)
    candidates+=("/usr/bin/python$want" "/usr/local/bin/python$want")
    for c in "${candidates[@]}"; do
        if "$c" -c "import sys, venv, ensurepip; sys.exit(sys.version_info[:2] != tuple(map(int, '$want'.split('.'))))" \
            >/dev/null 2>&1; then
            # resolve pyenv shims to the real interpreter
            "$c" -c 'import sys; print(sys.executable)'
            return 0
        fi
    done
    return 1
}

stamp_of() {
    local name=$1 python=$2
    {
        echo "$python"
        "$python" -c 'import sys; print(sys.version)'
        cat "$repo/scripts/requirements/venv-$name.txt" "$repo/requirements-test.txt" "$repo/requirements.txt"
    } | sha256sum | cut -d' ' -f1
}

venv_ready() {
    local venv="$venv_root/$1"
    [ -f "$venv/.bootstrap-stamp" ] && [ -x "$venv/bin/ansible-test" ] &&
        "$venv/bin/python" -c '' >/dev/null 2>&1
}

bootstrap() {
    local name=$1 want python venv stamp
    want=$(python_version_for "$name") || { log "unknown venv name: $name"; return 1; }
    venv="$venv_root/$name"
    if ! python=$(find_python "$name" "$want"); then
        if [ "$name" = 2.19 ]; then
            log "no working Python $want found: it is required for .venv/$name"
            return 1
        fi
        log "no working Python $want found: skipping .venv/$name"
        return 0
    fi
    stamp=$(stamp_of "$name" "$python")
    if venv_ready "$name" && [ "$(cat "$venv/.bootstrap-stamp")" = "$stamp" ]; then
        log ".venv/$name up to date ($python)"
        return 0
    fi
    if [ -d "$venv" ] && ! "$venv/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != tuple(map(int, sys.argv[1].split("."))))' "$want" >/dev/null 2>&1; then
        log ".venv/$name is broken or has another Python: recreating"
        rm -rf "$venv"
    fi
    if [ ! -x "$venv/bin/python" ]; then
        log "creating .venv/$name with $python"
        "$python" -m venv "$venv"
    fi
    log "installing requirements into .venv/$name"
    local start=$SECONDS
    # Quieter log: pip prints a "Location ... is ignored" warning per package
    # on some machines, and one line per satisfied requirement.
    if ! "$venv/bin/python" -m pip install --disable-pip-version-check --progress-bar off \
        -r "$repo/scripts/requirements/venv-$name.txt" 2>&1 |
        { grep -vE "^WARNING: Location '.*' is ignored|^Requirement already satisfied" || true; } >&2; then
        log "pip install failed for .venv/$name"
        return 1
    fi
    "$venv/bin/python" -m pip check >&2 || log "warning: pip check reports conflicts in .venv/$name"
    echo "$stamp" >"$venv/.bootstrap-stamp"
    log ".venv/$name ready in $((SECONDS - start)) s: ansible-core $("$venv/bin/python" -c 'from ansible.release import __version__; print(__version__)')"
}

if [ "${1:-}" = --list ]; then
    for name in "${all_names[@]}"; do
        if venv_ready "$name"; then echo "$venv_root/$name"; fi
    done
    exit 0
fi

names=("$@")
[ "${#names[@]}" -gt 0 ] || names=("${all_names[@]}")
mkdir -p "$venv_root"
exec 9>"$venv_root/.bootstrap.lock"
flock 9
for name in "${names[@]}"; do
    bootstrap "$name"
done
