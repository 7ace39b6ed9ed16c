# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""podim.fleet.export: write exported records of the current host, one or many (controller side only)."""

from __future__ import annotations

import json

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.podim.fleet.plugins.plugin_utils import plan, settings
from ansible_collections.podim.fleet.plugins.plugin_utils.exports import (
    RECORD_OPTIONS, ExportError, check_policy, check_records, check_type_schema, exporter_metadata, normalize_data,
)
from ansible_collections.podim.fleet.plugins.plugin_utils.identity import IdentityError, inventory_identity
from ansible_collections.podim.fleet.plugins.plugin_utils.preload import preload
from ansible_collections.podim.fleet.plugins.plugin_utils.store import StoreError, open_store, redact, store_missing
from ansible_collections.podim.fleet.plugins.plugin_utils.typenames import validate_args

# type, key, data, tags and schema: one record; records: many, each with the same options (exports.RECORD_OPTIONS)
ARGUMENT_SPEC = {
    'type': {'type': 'str'},
    **{name: spec for name, spec in RECORD_OPTIONS.items() if name != 'type'},
    'records': {'type': 'list', 'elements': 'dict', 'options': RECORD_OPTIONS},
    'state': {'type': 'str', 'default': 'present', 'choices': ['present', 'absent']},
    'export_policy': {'type': 'dict'},
    'store_url': {'type': 'str'},
    'namespace': {'type': 'str'},
}
# What the task's options are validated with: the items of records are checked one by one (exports.check_records),
# so that an error names the record (its index, type and key) as the validation of a sub-spec would not.
TASK_SPEC = dict(ARGUMENT_SPEC, records={'type': 'list', 'elements': 'raw'})
MUTUALLY_EXCLUSIVE = [['records', name] for name in RECORD_OPTIONS]
REQUIRED_ONE_OF = [['type', 'records']]


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
        _dummy, args = validate_args(self, TASK_SPEC, mutually_exclusive=MUTUALLY_EXCLUSIVE,
                                     required_one_of=REQUIRED_ONE_OF)
        if args['type'] is None and args['records'] is None:  # `type: null` or `records: null`
            raise AnsibleActionFail('one of the following is required: type, records')
        host = task_vars.get('inventory_hostname')
        try:
            # identity and groups from the inventory: variables can be set by any play
            host, group_names = inventory_identity(task_vars)
            result.update(self._export(args, host, group_names))
        except (ExportError, IdentityError, StoreError, settings.SettingError) as exc:
            raise AnsibleActionFail(f'podim.fleet.export ({host}): {exc}') from None
        return result

    @staticmethod
    def _policies(args: dict) -> list:
        """(policy, origin) pairs, each of which an exported type must satisfy."""
        # the operator's policy always applies; a task-level policy can only narrow it
        configured, origin = settings.resolve('export_policy')
        return [(settings.parse_export_policy(configured, origin), origin),
                (settings.parse_export_policy(args['export_policy'], 'task option export_policy'),
                 'task option export_policy')]

    def _export(self, args: dict, host: str, group_names: list) -> dict:
        store_url, _origin = settings.resolve('store_url', args['store_url'])
        namespace, _origin = settings.resolve('namespace', args['namespace'])
        present = args['state'] == 'present'
        many = args['records'] is not None
        if many:
            # every record checked before any is written: one refused record refuses the task
            checked = check_records(args['records'], present, namespace, host, group_names,
                                    self._policies(args) if present else ())
        elif present:
            typ = args['type']
            for policy, origin in self._policies(args):
                check_policy(policy, typ, host, group_names, origin)
            # a known type (host_record, database_request, ...) must satisfy its schema
            data = check_type_schema(typ, normalize_data(args['data'], args['schema']))
            checked = [{'type': typ, 'key': args['key'], 'data': data, 'tags': args['tags']}]
        else:
            checked = [{'type': args['type'], 'key': args['key']}]
        upserts = checked if present else []
        deletes = [] if present else [(item['type'], item['key']) for item in checked]
        check_mode = self._task.check_mode
        if check_mode and store_missing(store_url):
            # a preview creates nothing: against a store that does not exist yet, every record is new
            store_shown = redact(store_url)
            changes = [{'type': item['type'], 'key': item['key'], 'before': None,
                        'after': {'data': item['data'], 'tags': sorted(set(item['tags']))}} for item in upserts]
        else:
            store = open_store(store_url)
            store_shown = store.url
            # all the records of the task in one transaction
            changes = store.apply(namespace, host, upserts=upserts, deletes=deletes, exporter=exporter_metadata(),
                                  check_mode=check_mode)
        if check_mode:
            # what follows in this --check run (the lookup) sees what this export would have written
            for item in checked:
                plan.remember(namespace, host, item['type'], item['key'], item['data'] if present else None,
                              item['tags'] if present else [], present)
        records = [{'namespace': namespace, 'host': host, 'type': item['type'], 'key': item['key'],
                    'data': item['data'], 'tags': sorted(set(item['tags']))} for item in upserts]
        out = {'changed': bool(changes), 'record': None if many or not present else records[0],
               'store_url': store_shown}
        if many:
            out['records'] = records
        if self._task.diff and changes:
            diffs = [{'before': _diff_text(change['before']), 'after': _diff_text(change['after']),
                      'before_header': f"{namespace}/{host}/{change['type']}/{change['key']}",
                      'after_header': f"{namespace}/{host}/{change['type']}/{change['key']}"} for change in changes]
            out['diff'] = diffs if many else diffs[0]
        return out


# ansible-core's strategies import this module in ansible-playbook's main process
# (action_loader.get(..., class_only=True)) before they queue the task: load what
# the workers need there once, so they inherit it instead of each loading it again
# (nothing is done in a worker or in other commands; see plugin_utils/preload.py).
preload()
