# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What podim.fleet.export would have written, for the rest of an `ansible-playbook --check` run.

Check mode writes nothing to the store, so without this a later task that
collects with podim.fleet.exported would not see the would-be records (the
new DNS server's address in every resolv.conf, the new backend of the load
balancer), and the plan would stop short of what follows. The export keeps
each would-be record in an overlay of the run, which the lookup lays over the
store's records, in check mode only.

The overlay lives in the run's own local temporary directory
(C.DEFAULT_LOCAL_TMP: made private by ansible-playbook at start, shared by its
forked workers, removed when it ends), one file per record, written
atomically: nothing outlives the run, and no other run sees it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
import typing as t

from ansible_collections.podim.fleet.plugins.plugin_utils.store.base import Record

DIRECTORY = 'podim_fleet_plan'


def _directory() -> str:
    from ansible import constants as C
    return os.path.join(C.DEFAULT_LOCAL_TMP, DIRECTORY)


def _name(namespace: str, host: str, typ: str, key: str) -> str:
    return hashlib.sha256(json.dumps([namespace, host, typ, key]).encode()).hexdigest() + '.json'


def exists() -> bool:
    """Whether an export of this run left a would-be record."""
    return os.path.isdir(_directory())


def remember(namespace: str, host: str, typ: str, key: str, data: t.Any, tags: t.Sequence[str],
             present: bool) -> None:
    """Keep what an export in check mode would have written (present) or removed."""
    directory = _directory()
    os.makedirs(directory, mode=0o700, exist_ok=True)
    entry = {'namespace': namespace, 'host': host, 'type': typ, 'key': key, 'data': data,
             'tags': sorted(set(tags)), 'present': present, 'at': time.time()}
    handle, temporary = tempfile.mkstemp(dir=directory, prefix='.new-')
    try:
        with os.fdopen(handle, 'w', encoding='utf-8') as out:
            json.dump(entry, out)
        os.replace(temporary, os.path.join(directory, _name(namespace, host, typ, key)))
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def overlay(records: t.Sequence[Record], namespace: str, types: t.Collection[str],
            hosts: t.Collection[str] | None = None, tags: t.Sequence[str] | None = None,
            exclude_hosts: t.Collection[str] = ()) -> list[Record]:
    """The store's records with this run's would-be exports laid over them, filtered like the store's query."""
    directory = _directory()
    try:
        names = sorted(name for name in os.listdir(directory) if name.endswith('.json'))
    except FileNotFoundError:
        return list(records)
    found = {(r.host, r.type, r.key): r for r in records}
    wanted_tags = set(tags or ())
    for name in names:
        with open(os.path.join(directory, name), encoding='utf-8') as handle:
            entry = json.load(handle)
        if entry['namespace'] != namespace or entry['type'] not in types:
            continue
        ident = (entry['host'], entry['type'], entry['key'])
        found.pop(ident, None)
        if not entry['present'] or (hosts is not None and entry['host'] not in hosts) \
                or entry['host'] in exclude_hosts or not wanted_tags <= set(entry['tags']):
            continue
        found[ident] = Record(namespace, entry['host'], entry['type'], entry['key'], entry['data'], entry['tags'],
                              {}, entry['at'], entry['at'], '(check mode: not written)')
    return [found[ident] for ident in sorted(found)]
