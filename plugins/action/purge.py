# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""podim.fleet.purge: drop the exported records of hosts that left the inventory."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.podim.fleet.plugins.plugin_utils import settings
from ansible_collections.podim.fleet.plugins.plugin_utils.exports import exporter_metadata
from ansible_collections.podim.fleet.plugins.plugin_utils.identity import inventory_fingerprint
from ansible_collections.podim.fleet.plugins.plugin_utils.store import StoreError, open_store
from ansible_collections.podim.fleet.plugins.plugin_utils.typenames import validate_args

ARGUMENT_SPEC = {
    'keep_hosts': {'type': 'list', 'elements': 'str'},
    'types': {'type': 'list', 'elements': 'str'},
    'scope': {'type': 'str'},
    'rebind_scope': {'type': 'bool', 'default': False},
    'store_url': {'type': 'str'},
    'namespace': {'type': 'str'},
}


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    BYPASS_HOST_LOOP = True  # one purge per task, not one per host
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp
        _dummy, args = validate_args(self, ARGUMENT_SPEC)
        keep = args['keep_hosts']
        if keep is None:
            keep = task_vars.get('groups', {}).get('all', [])
        if not keep:
            # an empty inventory would purge the whole fleet: almost surely a mistake
            raise AnsibleActionFail('podim.fleet.purge: the list of hosts to keep is empty; refusing to purge every '
                                    'record (pass keep_hosts explicitly to name the hosts that stay)')
        try:
            store_url, _origin = settings.resolve('store_url', args['store_url'])
            namespace, _origin = settings.resolve('namespace', args['namespace'])
            history_days, _origin = settings.resolve('history_days')
            store = open_store(store_url, create=False)
            departed = None
            if args['scope'] is None:
                removed = store.purge(namespace, keep, types=args['types'], check_mode=self._task.check_mode,
                                      actor=exporter_metadata(), history_days=history_days)
            else:
                removed, departed = store.purge_departed(namespace, args['scope'], keep, types=args['types'],
                                                         check_mode=self._task.check_mode,
                                                         actor=exporter_metadata(), history_days=history_days,
                                                         owner=inventory_fingerprint(),
                                                         rebind=args['rebind_scope'])
        except (StoreError, settings.SettingError) as exc:
            raise AnsibleActionFail(f'podim.fleet.purge: {exc}') from None
        result.update({'changed': bool(removed), 'removed': removed, 'store_url': store.url})
        if departed is not None:
            result['departed'] = departed
        return result
