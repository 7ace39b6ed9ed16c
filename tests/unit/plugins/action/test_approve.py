# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""podim.fleet.approve through real ansible-playbook runs."""

from __future__ import annotations

import pytest

from ansible_collections.podim.fleet.plugins.plugin_utils.store import open_store

APPROVE = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: approve
      podim.fleet.approve:
        rule: %s
        ids: %s
        state: %s
"""


@pytest.fixture
def decided(sqlite_url):
    store = open_store(sqlite_url)
    store.decide('default', lambda previous: {'dns': {'v': 1, 'group': 'dns_servers', 'members': [{'host': 'ns1'}]}})
    return store


def approve(run_playbook, local_inventory, url, rule='dns', ids='[3f9a0c2b1d]', state='present', args=()):
    run = run_playbook(APPROVE % (rule, ids, state), local_inventory({'localhost': {}}), {'PODIM_FLEET_STORE': url},
                       args=args)
    return run.results['localhost']['approve']


def test_approve_is_recorded_idempotent_and_withdrawable(run_playbook, local_inventory, sqlite_url, decided):
    result = approve(run_playbook, local_inventory, sqlite_url, args=['--check', '--diff'])
    assert result['changed'] and '3f9a0c2b1d' in result['diff']['after']
    assert 'approved' not in decided.load_decisions('default')['dns']  # a preview writes nothing
    result = approve(run_playbook, local_inventory, sqlite_url)
    assert result['changed'] and result['ids'] == ['3f9a0c2b1d'] and result['approved'] == ['3f9a0c2b1d']
    state = decided.load_decisions('default')['dns']
    assert [a['id'] for a in state['approved']] == ['3f9a0c2b1d'] and '@' in state['approved'][0]['by']
    assert state['members'] == [{'host': 'ns1'}]  # an approval changes no membership
    assert not approve(run_playbook, local_inventory, sqlite_url)['changed']
    entry = decided.history('default', group='dns_servers', limit=1)[0]
    assert entry['kind'] == 'approved' and entry['proposal'] == '3f9a0c2b1d' and entry['rule'] == 'dns'
    result = approve(run_playbook, local_inventory, sqlite_url, state='absent')
    assert result['changed'] and result['approved'] == []
    assert 'approved' not in decided.load_decisions('default')['dns']


@pytest.mark.parametrize('rule, ids, match', [
    ('nosuchrule', '[3f9a0c2b1d]', "rule 'nosuchrule' has no remembered decision"),
    ('dns', '["3f9a; DROP TABLE"]', 'is not a proposal id'),
    ('dns', '[]', 'name at least one proposal id'),
])
def test_bad_approvals_write_nothing(run_playbook, local_inventory, sqlite_url, decided, rule, ids, match):
    before = decided.load_decisions('default')
    result = approve(run_playbook, local_inventory, sqlite_url, rule=rule, ids=ids)
    assert result.get('failed') and match in result['msg']
    assert decided.load_decisions('default') == before
    assert decided.history('default', group='dns_servers')[0]['kind'] == 'joined'
