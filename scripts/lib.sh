# shellcheck shell=bash
# What the scripts of this directory share; sourced, not run:
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# use_venv VENV: $venv (absolute) and $py, with VENV's tools first on PATH.
use_venv() {
    venv=$(cd "${1:?no venv given}" && pwd)
    py="$venv/bin/python"
    export PATH="$venv/bin:$PATH"
}

# galaxy KEY: a top-level value of galaxy.yml (namespace, name, version ...).
galaxy() {
    "${py:-$repo/.venv/2.19/bin/python}" -c \
        'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))[sys.argv[2]])' "$repo/galaxy.yml" "$1"
}

# use_work_tree: the work tree as the collection, while you edit it: importable
# as ansible_collections.NS.NAME (PYTHONPATH) and visible to Ansible
# (ANSIBLE_COLLECTIONS_PATH) through the symlink
# build/collections/ansible_collections/NS/NAME -> the work tree.
use_work_tree() {
    local link
    link="$repo/build/collections/ansible_collections/$(galaxy namespace)/$(galaxy name)"
    if [ "$(readlink "$link" 2>/dev/null)" != ../../../.. ]; then
        mkdir -p "$(dirname "$link")"
        ln -sfn ../../../.. "$link"
    fi
    export PYTHONPATH="$repo/build/collections${PYTHONPATH:+:$PYTHONPATH}"
    export ANSIBLE_COLLECTIONS_PATH="$repo/build/collections"
}

# export_tree DEST: copy the work tree as git sees it (tracked files plus
# untracked ones that are not ignored: no .git, .venv, build, tests/output) to
# DEST/ansible_collections/NS/NAME, a git repository of its own, the layout
# ansible-test and ansible-galaxy want (they resolve symlinks). DEST is emptied
# first. Prints the collection's path.
export_tree() {
    local dest=${1:?no destination given} coll
    coll="$dest/ansible_collections/$(galaxy namespace)/$(galaxy name)"
    rm -rf "$dest"
    mkdir -p "$coll"
    # files deleted from the work tree but still in the index are skipped
    (cd "$repo" && git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' f; do
            if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
        done | tar --null --no-recursion -T - -cf -) | tar -C "$coll" -xf -
    git -C "$coll" init -q
    git -C "$coll" add -A
    echo "$coll"
}

# pg_up: unless PODIM_FLEET_TEST_PG_URL is set already, start a throw-away
# PostgreSQL server of this shell's own (scripts/pg-test-server.sh; parallel
# runs do not stop each other's) and export its URL there; the server is
# stopped when this shell exits, whatever happens.
pg_up() {
    [ -z "${PODIM_FLEET_TEST_PG_URL:-}" ] || return 0
    export PODIM_FLEET_PG_STATE_DIR="$repo/tests/output/pg-run-$$"
    trap '"$repo/scripts/pg-test-server.sh" stop >/dev/null || true' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    PODIM_FLEET_TEST_PG_URL=$("$repo/scripts/pg-test-server.sh" start) || return 1
    export PODIM_FLEET_TEST_PG_URL
}
