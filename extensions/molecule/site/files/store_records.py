# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write or remove records straight in the store, as a writer that skips podim.fleet.export would.

usage: store_records.py put|delete RECORDS_JSON   ([{host, type, key, data}, ...])
The store and namespace come from PODIM_FLEET_STORE / PODIM_FLEET_NAMESPACE,
the collection from ANSIBLE_COLLECTIONS_PATH. Prints what changed, as JSON.
"""

from __future__ import annotations

import json
import os
import sys


def main() -> None:
    action, records = sys.argv[1], json.loads(sys.argv[2])
    sys.path[:0] = [p for p in os.environ.get('ANSIBLE_COLLECTIONS_PATH', '').split(os.pathsep) if p]
    from ansible_collections.podim.fleet.plugins.plugin_utils.store import open_store
    store = open_store(os.environ['PODIM_FLEET_STORE'])
    namespace = os.environ.get('PODIM_FLEET_NAMESPACE') or 'default'
    changed = []
    for record in records:
        if action == 'put':
            changes = store.apply(namespace, record['host'], upserts=[
                {'type': record['type'], 'key': record['key'], 'data': record['data'], 'tags': []}])
        elif action == 'delete':
            changes = store.apply(namespace, record['host'], deletes=[(record['type'], record['key'])])
        else:
            raise SystemExit(f'unknown action {action!r}: put or delete')
        changed += [f"{record['host']}/{c['type']}/{c['key']}" for c in changes]
    print(json.dumps({'changed': changed}))


if __name__ == '__main__':
    main()
