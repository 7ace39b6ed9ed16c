#!/usr/bin/env bash
# Make build/collections/ansible_collections/<namespace>/<name> a symlink to the
# work tree, so that `ansible_collections.<namespace>.<name>` is importable
# (PYTHONPATH) and visible to Ansible (ANSIBLE_COLLECTIONS_PATH) while you edit.
# Prints the build/collections path.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ns=$(sed -n 's/^namespace:[[:space:]]*//p' "$repo/galaxy.yml" | tr -d "\"' ")
name=$(sed -n 's/^name:[[:space:]]*//p' "$repo/galaxy.yml" | tr -d "\"' ")
link="$repo/build/collections/ansible_collections/$ns/$name"

if [ "$(readlink "$link" 2>/dev/null)" != "../../../.." ]; then
    mkdir -p "$(dirname "$link")"
    ln -sfn ../../../.. "$link"
fi
echo "$repo/build/collections"
