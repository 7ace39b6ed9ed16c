# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""podim.fleet.approve: approve proposed membership changes of a rule (or withdraw the approval)."""

from __future__ import annotations

import time

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.podim.fleet.plugins.plugin_utils import settings
from ansible_collections.podim.fleet.plugins.plugin_utils.approvals import ApprovalError, approve, check_ids
from ansible_collections.podim.fleet.plugins.plugin_utils.exports import exporter_metadata
from ansible_collections.podim.fleet.plugins.plugin_utils.store import StoreError, open_store
from ansible_collections.podim.fleet.plugins.plugin_utils.typenames import validate_args

ARGUMENT_SPEC = {
    'rule': {'type': 'str', 'required': True},
    'ids': {'type': 'list', 'elements': 'str', 'required': True},
    'state': {'type': 'str', 'default': 'present', 'choices': ['present', 'absent']},
    'store_url': {'type': 'str'},
    'namespace': {'type': 'str'},
}


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    BYPASS_HOST_LOOP = True  # one approval per task, not one per host
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        _dummy, args = validate_args(self, ARGUMENT_SPEC)
        rule, present = args['rule'], args['state'] == 'present'
        try:
            ids = check_ids(args['ids'])
            store_url, _origin = settings.resolve('store_url', args['store_url'])
            namespace, _origin = settings.resolve('namespace', args['namespace'])
            actor = exporter_metadata()
            by = f"{actor['user']}@{actor['controller']}"
            store = open_store(store_url, create=False)
            outcome: dict = {}

            def decide(previous):
                new, changed = approve(previous.get(rule), rule, ids, by, time.time(), present)
                outcome.update(before=previous.get(rule, {}).get('approved') or [], after=new.get('approved') or [],
                               changed=changed)
                moves = [{'rule': rule, 'host': '', 'group': (previous.get(rule) or {}).get('group'),
                          'change': 'approved' if present else 'approval_withdrawn',
                          'proposal': ident, 'approved_by': by, 'reason': f'proposal {ident} of rule {rule}'}
                         for ident in changed]
                return ({rule: new} if changed else {}), moves

            store.decide(namespace, decide, remember=not self._task.check_mode, actor=actor, history_days=None)
        except (ApprovalError, StoreError, settings.SettingError) as exc:
            raise AnsibleActionFail(f'podim.fleet.approve (rule {rule!r}): {exc}') from None
        result.update({'changed': bool(outcome['changed']), 'ids': outcome['changed'], 'store_url': store.url,
                       'approved': [item['id'] for item in outcome['after']]})
        if self._task.diff:
            result['diff'] = {'before': ''.join(f"{item['id']} by {item['by']}\n" for item in outcome['before']),
                              'after': ''.join(f"{item['id']} by {item['by']}\n" for item in outcome['after']),
                              'before_header': f'approvals of rule {rule}', 'after_header': f'approvals of rule {rule}'}
        return result
