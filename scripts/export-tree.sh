#!/usr/bin/env bash
# Copy the working tree of the collection, as git sees it (tracked files plus
# untracked files that are not ignored; no .git, .venv, build, tests/output),
# to DEST/ansible_collections/podim/fleet, the layout ansible-test and
# ansible-galaxy want. DEST is emptied first. Prints the collection path.
#
# usage: scripts/export-tree.sh DEST
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dest=${1:?usage: export-tree.sh DEST}
ns=$(sed -n 's/^namespace:[[:space:]]*//p' "$repo/galaxy.yml" | tr -d "\"' ")
name=$(sed -n 's/^name:[[:space:]]*//p' "$repo/galaxy.yml" | tr -d "\"' ")
coll="$dest/ansible_collections/$ns/$name"

rm -rf "$dest"
mkdir -p "$coll"
# Files deleted from the work tree but still in the index are skipped.
(cd "$repo" && git ls-files -z --cached --others --exclude-standard) |
    (cd "$repo" && while IFS= read -r -d '' f; do
        if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
    done) |
    tar -C "$repo" --null --no-recursion -T - -cf - |
    tar -C "$coll" -xf -
# Plain git repository so ansible-test lists files as it would in a clone.
git -C "$coll" init -q
git -C "$coll" add -A
echo "$coll"
