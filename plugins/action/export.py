# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""podim.fleet.export: write one exported record of the current host (controller side only)."""

from __future__ import annotations

import json

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.podim.fleet.plugins.plugin_utils import plan, settings
from ansible_collections.podim.fleet.plugins.plugin_utils.exports import (
    ExportError, check_policy, check_type_schema, exporter_metadata, normalize_data,
)
from ansible_collections.podim.fleet.plugins.plugin_utils.identity import IdentityError, inventory_identity
from ansible_collections.podim.fleet.plugins.plugin_utils.preload import preload
from ansible_collections.podim.fleet.plugins.plugin_utils.store import StoreError, open_store, redact, store_missing
from ansible_collections.podim.fleet.plugins.plugin_utils.typenames import validate_args

ARGUMENT_SPEC = {
    'type': {'type': 'str', 'required': True},
    'key': {'type': 'str', 'default': 'default'},
    'data': {'type': 'dict', 'default': {}},
    'tags': {'type': 'list', 'elements': 'str', 'default': []},
    'state': {'type': 'str', 'default': 'present', 'choices': ['present', 'absent']},
    'schema': {'type': 'dict', 'default': {}},
    'export_policy': {'type': 'dict'},
    'store_url': {'type': 'str'},
    'namespace': {'type': 'str'},
}


def _diff_text(record: dict | None) -> str:
    return '' if record is None else json.dumps(record, indent=2, sort_keys=True) + '\n'


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp
        _dummy, args = validate_args(self, ARGUMENT_SPEC)
        host = task_vars.get('inventory_hostname')
        try:
            # identity and groups from the inventory: variables can be set by any play
            host, group_names = inventory_identity(task_vars)
            result.update(self._export(args, host, group_names))
        except (ExportError, IdentityError, StoreError, settings.SettingError) as exc:
            raise AnsibleActionFail(f'podim.fleet.export ({host}): {exc}') from None
        return result

    def _export(self, args: dict, host: str, group_names: list) -> dict:
        store_url, _origin = settings.resolve('store_url', args['store_url'])
        namespace, _origin = settings.resolve('namespace', args['namespace'])
        typ, key = args['type'], args['key']
        present = args['state'] == 'present'
        if present:
            # the operator's policy always applies; a task-level policy can only narrow it
            configured, origin = settings.resolve('export_policy')
            check_policy(settings.parse_export_policy(configured, origin), typ, host, group_names, origin)
            check_policy(settings.parse_export_policy(args['export_policy'], 'task option export_policy'),
                         typ, host, group_names, 'task option export_policy')
            # a known type (host_record, database_request, ...) must satisfy its schema
            data = check_type_schema(typ, normalize_data(args['data'], args['schema']))
            upserts = [{'type': typ, 'key': key, 'data': data, 'tags': args['tags']}]
            deletes = []
        else:
            upserts, deletes = [], [(typ, key)]
        check_mode = self._task.check_mode
        if check_mode and store_missing(store_url):
            # a preview creates nothing: against a store that does not exist yet, every record is new
            store_shown = redact(store_url)
            changes = [{'type': typ, 'key': key, 'before': None,
                        'after': {'data': item['data'], 'tags': sorted(set(item['tags']))}} for item in upserts]
        else:
            store = open_store(store_url)
            store_shown = store.url
            changes = store.apply(namespace, host, upserts=upserts, deletes=deletes, exporter=exporter_metadata(),
                                  check_mode=check_mode)
        if check_mode:
            # what follows in this --check run (the lookup) sees what this export would have written
            plan.remember(namespace, host, typ, key, upserts[0]['data'] if present else None,
                          args['tags'] if present else [], present)
        record = None
        if present:
            record = {'namespace': namespace, 'host': host, 'type': typ, 'key': key,
                      'data': upserts[0]['data'], 'tags': sorted(set(args['tags']))}
        out = {'changed': bool(changes), 'record': record, 'store_url': store_shown}
        if self._task.diff and changes:
            before, after = changes[0]['before'], changes[0]['after']
            out['diff'] = {'before': _diff_text(before), 'after': _diff_text(after),
                           'before_header': f'{namespace}/{host}/{typ}/{key}',
                           'after_header': f'{namespace}/{host}/{typ}/{key}'}
        return out


# ansible-core's strategies import this module in ansible-playbook's main process
# (action_loader.get(..., class_only=True)) before they queue the task: load what
# the workers need there once, so they inherit it instead of each loading it again
# (nothing is done in a worker or in other commands; see plugin_utils/preload.py).
preload()
