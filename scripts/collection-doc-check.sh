#!/usr/bin/env bash
# Build the collection, install the tarball into a temporary collections path,
# and check that ansible-doc renders every plugin, module and role of it.
# Plugins are discovered from the files under plugins/ and roles/:
#   plugins/<type>/NAME.py        -> ansible-doc -t <type> podim.fleet.NAME
#   plugins/action/NAME.py        -> needs module docs: -t module podim.fleet.NAME
#   plugins/{filter,test}/NAME.yml, and the names ansible-doc --list reports
#   roles/NAME/meta/argument_specs.yml -> -t role podim.fleet.NAME
# plus `ansible-doc --list` per type and `ansible-doc --metadata-dump`.
#
# usage: scripts/collection-doc-check.sh VENV
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
use_venv "${1:?usage: collection-doc-check.sh VENV}"

ns=$(galaxy namespace)
name=$(galaxy name)
fqcn="$ns.$name"

work="$repo/build/doc-check/$(basename "$venv")"
rm -rf "$work"
mkdir -p "$work/dist" "$work/collections" "$work/out"
src=$(export_tree "$work/src")
rm -rf "$src/.git"

failures=()
fail() { failures+=("$1"); echo "doc-check: FAIL $1" >&2; }

core=$("$py" -c 'from ansible.release import __version__; print(__version__)')
echo "doc-check: ansible-galaxy collection build (ansible-core $core)"
ansible-galaxy collection build "$src" --output-path "$work/dist" >"$work/out/build.log" 2>&1 ||
    { cat "$work/out/build.log" >&2; echo "doc-check: build failed" >&2; exit 1; }
tarball=$(ls "$work"/dist/*.tar.gz)
tar -tzf "$tarball" >"$work/out/tarball-files.txt"
echo "doc-check: built $(basename "$tarball") ($(du -h "$tarball" | cut -f1), $(wc -l <"$work/out/tarball-files.txt") entries)"
if grep -qE '^(\./)?(\.venv|\.ansible|build|tests/output|\.git)/' "$work/out/tarball-files.txt"; then
    fail "tarball contains files that must not ship (.venv, .ansible, build, tests/output, .git)"
fi

ansible-galaxy collection install --no-deps -p "$work/collections" "$tarball" >"$work/out/install.log" 2>&1 ||
    { cat "$work/out/install.log" >&2; echo "doc-check: install failed" >&2; exit 1; }
installed="$work/collections/ansible_collections/$ns/$name"
[ -f "$installed/MANIFEST.json" ] || { echo "doc-check: not installed at $installed" >&2; exit 1; }

# Only the installed tarball (and what the venv ships), never the work tree.
export ANSIBLE_COLLECTIONS_PATH="$work/collections"
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=true
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_DEPRECATION_WARNINGS=1
cd "$work"

# type -> names, from the files of the installed collection
declare -A want=()
add() { want["$1"]="${want[$1]:-} $2"; }
for dir in "$installed"/plugins/*/; do
    type=$(basename "$dir")
    case "$type" in
        doc_fragments|module_utils|plugin_utils) continue ;;
        modules) doc_type=module ;;
        action) doc_type=module ;;   # an action plugin's docs live in modules/NAME.py
        *) doc_type=$type ;;
    esac
    for f in "$dir"*.py "$dir"*.yml "$dir"*.yaml; do
        [ -f "$f" ] || continue
        base=$(basename "$f")
        n=${base%.*}
        [ "$n" = __init__ ] && continue
        case "$type:$base" in
            # a filter/test .py may hold several plugins: their names come from
            # their .yml docs and from the --list below
            filter:*.py|test:*.py) continue ;;
            *:*.yml|*:*.yaml) case "$type" in filter|test|modules) ;; *) continue ;; esac ;;
        esac
        add "$doc_type" "$n"
    done
done
for dir in "$installed"/roles/*/; do
    [ -d "$dir" ] || continue
    r=$(basename "$dir")
    if [ -f "$dir/meta/argument_specs.yml" ] || [ -f "$dir/meta/argument_specs.yaml" ]; then
        add role "$r"
    else
        fail "role $r has no meta/argument_specs.yml"
    fi
done

checked=0
for type in "${!want[@]}"; do
    # what ansible-doc itself lists for the collection
    if ! ansible-doc -t "$type" --list "$fqcn" --json >"$work/out/list-$type.json" 2>"$work/out/list-$type.err"; then
        cat "$work/out/list-$type.err" >&2
        fail "ansible-doc -t $type --list $fqcn"
        continue
    fi
    listed=$("$py" -c 'import json,sys; print(" ".join(sorted(k.split(".")[-1] for k in json.load(open(sys.argv[1])))))' \
        "$work/out/list-$type.json")
    names=${want[$type]}
    case "$type" in filter|test) names="$names $listed" ;; esac
    for n in $(echo "$names" | tr ' ' '\n' | sort -u); do
        checked=$((checked + 1))
        out="$work/out/$type-$n.txt"
        if ! ansible-doc -t "$type" "$fqcn.$n" >"$out" 2>"$out.err" || [ ! -s "$out" ] ||
            grep -qE '^(ERROR|\[ERROR\])|not found|could not be loaded|\[WARNING\]: .*(doc|DOCUMENTATION)' "$out.err"; then
            sed 's/^/    /' "$out.err" >&2
            fail "ansible-doc -t $type $fqcn.$n"
            continue
        fi
        case " $listed " in
            *" $n "*) ;;
            *) fail "$fqcn.$n ($type) renders but is missing from ansible-doc -t $type --list" ;;
        esac
        echo "doc-check: ok   $type $fqcn.$n"
    done
done

# every documented plugin at once, failing on any documentation error
if ! ansible-doc --metadata-dump "$fqcn" >"$work/out/metadata-dump.json" 2>"$work/out/metadata-dump.err"; then
    sed 's/^/    /' "$work/out/metadata-dump.err" >&2
    fail "ansible-doc --metadata-dump $fqcn"
fi
ansible-doc --list "$fqcn" >"$work/out/list.txt" 2>&1 || fail "ansible-doc --list $fqcn"

if [ "$checked" -eq 0 ]; then
    fail "no plugin or role found to check"
fi
if [ "${#failures[@]}" -gt 0 ]; then
    echo "doc-check: ${#failures[@]} failure(s), $checked docs checked (outputs in $work/out):" >&2
    printf '  %s\n' "${failures[@]}" >&2
    exit 1
fi
echo "doc-check: all $checked docs render ($fqcn from $(basename "$tarball"))"
