# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""podim.fleet.export through real ansible-playbook runs on local hosts."""

from __future__ import annotations

import json

from ansible_collections.podim.fleet.plugins.plugin_utils.store import open_store

HOSTS = {'ns1': {'ip': '10.0.0.1'}, 'ns2': {'ip': '10.0.0.2'}, 'web1': {'ip': '10.0.0.3'}}
GROUPS = {'dns_servers': ['ns1', 'ns2'], 'web': ['web1']}

EXPORT_DNS = """
- hosts: all
  gather_facts: false
  tasks:
    - name: export
      podim.fleet.export:
        type: dns_server
        data: {address: "{{ ip }}", port: 53}
        tags: [prod]
"""


def test_export_then_idempotent(run_playbook, local_inventory, sqlite_url):
    env = {'PODIM_FLEET_STORE': sqlite_url}
    first = run_playbook(EXPORT_DNS, local_inventory(HOSTS, GROUPS), env)
    assert first.rc == 0, first.out
    assert all(first.results[h]['export']['changed'] for h in HOSTS)
    assert first.results['ns1']['export']['record'] == {
        'namespace': 'default', 'host': 'ns1', 'type': 'dns_server', 'key': 'default',
        'data': {'address': '10.0.0.1', 'port': 53}, 'tags': ['prod']}
    second = run_playbook(EXPORT_DNS, local_inventory(HOSTS, GROUPS), env)
    assert second.rc == 0 and not any(second.results[h]['export']['changed'] for h in HOSTS)
    records = open_store(sqlite_url).query('default', ['dns_server'])
    assert [(r.host, r.data['address']) for r in records] == [('ns1', '10.0.0.1'), ('ns2', '10.0.0.2'),
                                                              ('web1', '10.0.0.3')]
    assert records[0].exporter['controller']


def test_check_mode_and_diff(run_playbook, local_inventory, sqlite_url):
    env = {'PODIM_FLEET_STORE': sqlite_url}
    run = run_playbook(EXPORT_DNS, local_inventory(HOSTS, GROUPS), env, args=['--check', '--diff'])
    assert run.rc == 0, run.out
    result = run.results['ns1']['export']
    assert result['changed']
    assert json.loads(result['diff']['after'])['data']['address'] == '10.0.0.1'
    assert result['diff']['before'] == ''
    assert open_store(sqlite_url).query('default', ['dns_server']) == []


def test_state_absent(run_playbook, local_inventory, sqlite_url):
    env = {'PODIM_FLEET_STORE': sqlite_url}
    run_playbook(EXPORT_DNS, local_inventory(HOSTS, GROUPS), env)
    absent = EXPORT_DNS.replace('data: {address: "{{ ip }}", port: 53}', 'state: absent')
    run = run_playbook(absent, local_inventory(HOSTS, GROUPS), env, args=['--limit', 'ns2'])
    assert run.rc == 0 and run.results['ns2']['export']['changed']
    assert [r.host for r in open_store(sqlite_url).query('default', ['dns_server'])] == ['ns1', 'web1']


def test_policy_from_ansible_cfg_refuses_outsiders_and_writes_nothing(run_playbook, local_inventory, sqlite_url):
    run = run_playbook(EXPORT_DNS, local_inventory(HOSTS, GROUPS), {'PODIM_FLEET_STORE': sqlite_url},
                       cfg='[podim_fleet]\nexport_policy = {"dns_server": ["dns_servers"]}\n')
    assert run.rc != 0
    assert not run.results['ns1']['export'].get('failed')
    message = run.results['web1']['export']['msg']
    assert 'web1' in message and 'dns_servers' in message and 'ansible.cfg' in message
    assert [r.host for r in open_store(sqlite_url).query('default', ['dns_server'])] == ['ns1', 'ns2']


def test_task_policy_narrows_but_cannot_widen(run_playbook, local_inventory, sqlite_url):
    playbook = EXPORT_DNS.replace('tags: [prod]', 'export_policy: {dns_server: [web]}')
    run = run_playbook(playbook, local_inventory(HOSTS, GROUPS), {
        'PODIM_FLEET_STORE': sqlite_url, 'PODIM_FLEET_EXPORT_POLICY': '{"dns_server": ["dns_servers"]}'})
    # ns1/ns2 pass the configured policy but not the task's; web1 the reverse
    assert all(run.results[h]['export'].get('failed') for h in HOSTS)
    assert 'PODIM_FLEET_EXPORT_POLICY' in run.results['web1']['export']['msg']
    assert 'task option export_policy' in run.results['ns1']['export']['msg']


def test_bad_input_fails_clearly(run_playbook, local_inventory, sqlite_url):
    env = {'PODIM_FLEET_STORE': sqlite_url}
    cases = {
        'bad address': ('type: dns_server\n        data: {address: "not-an-ip"}', 'data.address is not a valid IP'),
        'bad type': ('type: DNS-Server\n        data: {}', "type 'DNS-Server' is invalid"),
        'too big': ('type: blob\n        data: {x: "{{ \'y\' * 70000 }}"}', 'over the limit of 65536 bytes'),
        'missing type': ('data: {}', 'one of the following is required: type, records'),
        'unknown option': ('type: x\n        colour: red', 'colour'),
    }
    for name, (args, expected) in cases.items():
        playbook = f'- hosts: ns1\n  gather_facts: false\n  tasks:\n    - name: export\n      podim.fleet.export:\n        {args}\n'
        run = run_playbook(playbook, local_inventory(HOSTS, GROUPS), env)
        assert run.rc != 0, name
        assert expected in run.results['ns1']['export']['msg'], (name, run.results['ns1']['export']['msg'])
    assert open_store(sqlite_url).hosts('default') == []


def test_bad_store_url_is_named(run_playbook, local_inventory):
    run = run_playbook(EXPORT_DNS, local_inventory(HOSTS, GROUPS), {'PODIM_FLEET_STORE': 'mysql://x/y'})
    assert run.rc != 0 and "store_url 'mysql://x/y' is not supported" in run.results['ns1']['export']['msg']


def test_purge_removes_hosts_that_left(run_playbook, local_inventory, sqlite_url):
    env = {'PODIM_FLEET_STORE': sqlite_url}
    run_playbook(EXPORT_DNS, local_inventory(HOSTS, GROUPS), env)
    purge = '- hosts: all\n  gather_facts: false\n  tasks:\n    - name: purge\n      podim.fleet.purge:\n'
    smaller = {h: v for h, v in HOSTS.items() if h != 'ns2'}
    run = run_playbook(purge, local_inventory(smaller, {'dns_servers': ['ns1'], 'web': ['web1']}), env)
    assert run.rc == 0, run.out
    result = run.results['ns1']['purge']
    assert result['changed'] and result['removed'] == [{'host': 'ns2', 'type': 'dns_server', 'key': 'default'}]
    assert open_store(sqlite_url).hosts('default') == ['ns1', 'web1']
    again = run_playbook(purge, local_inventory(smaller, {'dns_servers': ['ns1'], 'web': ['web1']}), env)
    assert not again.results['ns1']['purge']['changed']


def test_scoped_purge_spares_hosts_of_other_inventories(run_playbook, local_inventory, sqlite_url):
    env = {'PODIM_FLEET_STORE': sqlite_url}
    run_playbook(EXPORT_DNS, local_inventory(HOSTS, GROUPS), env)
    other = {'lab1': {'ip': '10.0.9.1'}}  # another inventory, same namespace
    run_playbook(EXPORT_DNS, local_inventory(other, {'dns_servers': ['lab1']}), env)
    purge = '- hosts: all\n  gather_facts: false\n  tasks:\n    - name: purge\n      podim.fleet.purge: {scope: site}\n'
    first = run_playbook(purge, local_inventory(HOSTS, GROUPS), env)
    assert first.rc == 0, first.out
    assert first.results['ns1']['purge']['removed'] == [] and first.results['ns1']['purge']['departed'] == []
    smaller = {h: v for h, v in HOSTS.items() if h != 'ns2'}
    run = run_playbook(purge, local_inventory(smaller, {'dns_servers': ['ns1'], 'web': ['web1']}), env)
    assert run.rc == 0, run.out
    result = run.results['ns1']['purge']
    assert result['changed'] and result['departed'] == ['ns2']
    assert result['removed'] == [{'host': 'ns2', 'type': 'dns_server', 'key': 'default'}]
    assert open_store(sqlite_url).hosts('default') == ['lab1', 'ns1', 'web1']


SCOPED_PURGE = ('- hosts: all\n  gather_facts: false\n  tasks:\n    - name: purge\n'
                '      podim.fleet.purge: {scope: "{{ podim_fleet_purge_scope }}", rebind_scope: "{{ rebind | default(false) }}"}\n')


def test_a_play_cannot_purge_with_another_inventorys_scope(run_playbook, local_inventory, sqlite_url):
    """The attack: a play over another inventory names this inventory's scope (a variable any play can set)."""
    env = {'PODIM_FLEET_STORE': sqlite_url}
    run_playbook(EXPORT_DNS, local_inventory(HOSTS, GROUPS), env)
    site = run_playbook(SCOPED_PURGE, local_inventory(HOSTS, GROUPS), env, args=['-e', 'podim_fleet_purge_scope=site'])
    assert site.rc == 0, site.out
    remembered = open_store(sqlite_url).load_decisions('default')
    lab = {'lab1': {'ip': '10.0.9.1'}}
    run_playbook(EXPORT_DNS, local_inventory(lab, {'dns_servers': ['lab1']}), env, inventory_file='lab.yml')
    attack = run_playbook(SCOPED_PURGE, local_inventory(lab, {'dns_servers': ['lab1']}), env,
                          args=['-e', 'podim_fleet_purge_scope=site'], inventory_file='lab.yml')
    assert attack.rc != 0
    assert "purge scope 'site' in namespace 'default' belongs to another inventory" in \
        attack.results['lab1']['purge']['msg'], attack.out
    # nothing purged, nothing remembered: the site's next purge still sees its own hosts
    assert open_store(sqlite_url).hosts('default') == ['lab1', 'ns1', 'ns2', 'web1']
    assert open_store(sqlite_url).load_decisions('default') == remembered
    again = run_playbook(SCOPED_PURGE, local_inventory(HOSTS, GROUPS), env, args=['-e', 'podim_fleet_purge_scope=site'])
    assert again.rc == 0 and again.results['ns1']['purge']['departed'] == [], again.out


def test_a_moved_inventory_rebinds_its_scope_without_purging(run_playbook, local_inventory, sqlite_url):
    env = {'PODIM_FLEET_STORE': sqlite_url}
    run_playbook(EXPORT_DNS, local_inventory(HOSTS, GROUPS), env)
    run_playbook(SCOPED_PURGE, local_inventory(HOSTS, GROUPS), env, args=['-e', 'podim_fleet_purge_scope=site'])
    smaller = {h: v for h, v in HOSTS.items() if h != 'ns2'}
    moved = run_playbook(SCOPED_PURGE, local_inventory(smaller, {'dns_servers': ['ns1']}), env,
                         args=['-e', 'podim_fleet_purge_scope=site', '-e', 'rebind=true'], inventory_file='moved.yml')
    assert moved.rc == 0, moved.out
    assert moved.results['ns1']['purge']['removed'] == [] and moved.results['ns1']['purge']['departed'] == []
    assert open_store(sqlite_url).hosts('default') == ['ns1', 'ns2', 'web1']
    # from now on the scope is the moved inventory's: ns2, gone before the move, stays (nothing is guessed)
    after = run_playbook(SCOPED_PURGE, local_inventory({'ns1': HOSTS['ns1']}, {}), env,
                         args=['-e', 'podim_fleet_purge_scope=site'], inventory_file='moved.yml')
    assert after.rc == 0 and after.results['ns1']['purge']['departed'] == ['web1'], after.out
    assert open_store(sqlite_url).hosts('default') == ['ns1', 'ns2']


def test_scoped_purge_refuses_a_bad_scope(run_playbook, local_inventory, sqlite_url):
    env = {'PODIM_FLEET_STORE': sqlite_url}
    run_playbook(EXPORT_DNS, local_inventory(HOSTS, GROUPS), env)
    purge = ('- hosts: all\n  gather_facts: false\n  tasks:\n    - name: purge\n'
             '      podim.fleet.purge: {scope: "../site"}\n')
    run = run_playbook(purge, local_inventory(HOSTS, GROUPS), env)
    assert run.rc != 0 and "purge scope '../site' is invalid" in run.results['ns1']['purge']['msg'], run.out
    assert open_store(sqlite_url).hosts('default') == ['ns1', 'ns2', 'web1']
    assert open_store(sqlite_url).load_decisions('default') == {}


# -- impersonation: identity and groups come from the inventory, never from variables ----------------------------

POLICY_CFG = '[podim_fleet]\nexport_policy = {"dns_server": ["dns_servers"]}\n'


def _attack(play_extra: str = '', task_extra: str = '', pre_tasks: str = '') -> str:
    return f"""
- hosts: web1
  gather_facts: false
{play_extra}
  tasks:
{pre_tasks}
    - name: export
      podim.fleet.export:
        type: dns_server
        data: {{address: 203.0.113.66}}
{task_extra}
"""


IMPERSONATIONS = {
    'task vars name ns1': _attack(task_extra='      vars: {inventory_hostname: ns1, group_names: [dns_servers]}'),
    'play vars name ns1': _attack(play_extra='  vars: {inventory_hostname: ns1}'),
    'set_fact name ns1': _attack(pre_tasks='    - name: pose\n      ansible.builtin.set_fact:\n'
                                           '        inventory_hostname: ns1\n'),
}

POLICY_BYPASSES = {
    'task vars group_names': _attack(task_extra='      vars: {group_names: [dns_servers]}'),
    'play vars group_names': _attack(play_extra='  vars: {group_names: [dns_servers]}'),
    'set_fact group_names': _attack(pre_tasks='    - name: pose\n      ansible.builtin.set_fact:\n'
                                              '        group_names: [dns_servers]\n'),
    'task vars groups': _attack(task_extra='      vars: {groups: {dns_servers: [web1], all: [web1]}}'),
    'play vars groups': _attack(play_extra='  vars: {groups: {dns_servers: [web1]}}'),
}


def _dns_records(url):
    return [(r.host, r.data['address']) for r in open_store(url).query('default', ['dns_server'])]


def test_impersonation_by_variables_is_refused_and_writes_nothing(run_playbook, local_inventory, sqlite_url):
    env = {'PODIM_FLEET_STORE': sqlite_url}
    assert run_playbook(EXPORT_DNS, local_inventory(HOSTS, GROUPS), env).rc == 0
    before = _dns_records(sqlite_url)
    for name, playbook in IMPERSONATIONS.items():
        run = run_playbook(playbook, local_inventory(HOSTS, GROUPS), env)
        assert run.rc != 0, (name, run.out)
        message = run.results['web1']['export']['msg']
        assert "inventory host 'web1'" in message and 'Nothing was written' in message, (name, message)
        assert _dns_records(sqlite_url) == before, name
    for extra in (['-e', 'inventory_hostname=ns1'], ['-e', '{"group_names": ["dns_servers"]}']):
        run = run_playbook(_attack(), local_inventory(HOSTS, GROUPS), env, args=extra, cfg=POLICY_CFG)
        assert run.rc != 0, (extra, run.out)
        assert _dns_records(sqlite_url) == before, extra


def test_policy_bypass_by_group_variables_is_refused(run_playbook, local_inventory, sqlite_url):
    env = {'PODIM_FLEET_STORE': sqlite_url}
    for name, playbook in POLICY_BYPASSES.items():
        run = run_playbook(playbook, local_inventory(HOSTS, GROUPS), env, cfg=POLICY_CFG)
        assert run.rc != 0, (name, run.out)
        message = run.results['web1']['export']['msg']
        assert 'does not allow host web1' in message and 'web1 is in web' in message, (name, message)
    assert _dns_records(sqlite_url) == []


def test_real_member_exports_despite_misleading_variables(run_playbook, local_inventory, sqlite_url):
    # the check reads the inventory in both directions: a variable cannot take a right away either
    playbook = _attack(task_extra='      vars: {group_names: [web]}').replace('hosts: web1', 'hosts: ns1')
    run = run_playbook(playbook, local_inventory(HOSTS, GROUPS), {'PODIM_FLEET_STORE': sqlite_url}, cfg=POLICY_CFG)
    assert run.rc == 0, run.out
    assert _dns_records(sqlite_url) == [('ns1', '203.0.113.66')]


def test_purge_keep_list_cannot_be_shrunk_by_variables(run_playbook, local_inventory, sqlite_url):
    env = {'PODIM_FLEET_STORE': sqlite_url}
    run_playbook(EXPORT_DNS, local_inventory(HOSTS, GROUPS), env)
    purge = ('- hosts: all\n  gather_facts: false\n  vars: {groups: {all: [ns1]}}\n  tasks:\n    - name: purge\n'
             '      podim.fleet.purge:\n')
    run = run_playbook(purge, local_inventory(HOSTS, GROUPS), env, args=['-e', '{"groups": {"all": ["ns1"]}}'])
    assert run.rc == 0, run.out
    assert run.results['ns1']['purge']['removed'] == []
    assert open_store(sqlite_url).hosts('default') == ['ns1', 'ns2', 'web1']
