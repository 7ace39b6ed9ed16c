# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""podim.fleet.exported checks records of known types as it reads them, whoever wrote them.

The crafted records are written straight into the store, past podim.fleet.export
(as an older controller or a direct database write would), then collected by a
real ansible-playbook run.
"""

from __future__ import annotations

import json
from pathlib import Path

import ansible_collections.podim.fleet as collection
from ansible_collections.podim.fleet.plugins.plugin_utils.store import open_store

HOSTS = {'ns1': {}, 'ns2': {}, 'web1': {}, 'web2': {}}
GROUPS = {'dns_servers': ['ns1', 'ns2'], 'web': ['web1', 'web2']}


def seed(url):
    store = open_store(url)
    for i, host in enumerate(['ns1', 'ns2', 'web1', 'web2']):
        store.apply('default', host, [
            {'type': 'host_record', 'data': {'name': host, 'address': f'10.0.0.{i + 1}'}},
            {'type': 'web_backend', 'data': {'app': 'rails', 'address': f'10.0.0.{i + 1}', 'port': 80,
                                             'health_path': '/health'}}])
    for i, host in enumerate(['ns1', 'ns2']):
        store.apply('default', host, [{'type': 'dns_server',
                                       'data': {'address': f'10.0.0.{i + 1}', 'port': 53, 'zone': 'site.test'}}])
    return store


def collect(expr):
    return f"""
- hosts: web1
  gather_facts: false
  tasks:
    - name: collect
      ansible.builtin.set_fact:
        got: "{{{{ {expr} }}}}"
"""


def run_collect(run_playbook, local_inventory, url, expr):
    return run_playbook(collect(expr), local_inventory(HOSTS, GROUPS), {'PODIM_FLEET_STORE': url})


def test_valid_records_come_back(run_playbook, local_inventory, sqlite_url):
    seed(sqlite_url)
    run = run_collect(run_playbook, local_inventory, sqlite_url,
                      "query('podim.fleet.exported', 'dns_server', 'host_record', 'web_backend')")
    assert run.rc == 0, run.out
    assert len(run.results['web1']['collect']['ansible_facts']['got']) == 10


CRAFTED = [
    # (host, type, data, words of the message)
    ('ns2', 'dns_server', {'address': '10.0.0.2', 'port': 53, 'zone': 'site.test\nnameserver 10.9.9.9'}, 'data.zone'),
    ('web2', 'host_record', {'name': 'web2\n', 'address': '10.0.0.4'}, 'data.name'),
    ('web2', 'web_backend', {'app': 'rails', 'address': '10.0.0.4', 'port': 80,
                             'health_path': '/health\n    server evil 10.9.9.9:80'}, 'data.health_path'),
    ('web2', 'database_request', {'engine': 'postgresql', 'name': 'demo', 'user': 'postgres',
                                  'client_address': '10.0.0.4'}, "data.user 'postgres' is a reserved name"),
    ('web2', 'database_request', {'engine': 'mariadb', 'name': '../../etc', 'user': 'x seed=1',
                                  'client_address': '10.0.0.4'}, 'data.name'),
    ('web2', 'database', {'engine': 'mariadb', 'address': '10.0.0.4', 'port': '3306', 'name': 'wordpress'},
     'data.port must be a port number'),
]


def test_crafted_records_fail_the_lookup_naming_host_type_and_field(run_playbook, local_inventory, sqlite_url):
    for host, typ, data, words in CRAFTED:
        store = seed(sqlite_url)
        store.apply('default', host, [{'type': typ, 'key': 'crafted', 'data': data}])
        run = run_collect(run_playbook, local_inventory, sqlite_url, f"query('podim.fleet.exported', '{typ}')")
        assert run.rc != 0, (typ, run.out)
        message = run.results['web1']['collect']['msg']
        assert f"record of host '{host}', type '{typ}', key 'crafted' refused by its schema: " in message, message
        assert words in message, message
        store.apply('default', host, deletes=[(typ, 'crafted')])


def test_skip_leaves_out_bad_records_with_a_warning(run_playbook, local_inventory, sqlite_url):
    store = seed(sqlite_url)
    store.apply('default', 'ns2', [{'type': 'dns_server', 'data': {'address': '10.0.0.2', 'port': 53,
                                                                   'zone': 'site.test\nnameserver 10.9.9.9'}}])
    run = run_collect(run_playbook, local_inventory, sqlite_url,
                      "query('podim.fleet.exported', 'dns_server', hosts='dns_servers', invalid='skip', "
                      "query='[].data.address')")
    assert run.rc == 0, run.out
    assert run.results['web1']['collect']['ansible_facts']['got'] == ['10.0.0.1']
    assert "left out record of host 'ns2', type 'dns_server', key 'default' refused by its schema: data.zone" \
        in ' '.join(run.out.split()), run.out


def test_skip_counts_only_valid_records_for_min_results(run_playbook, local_inventory, sqlite_url):
    """Never an empty result: with every record bad, min_results still fails."""
    store = seed(sqlite_url)
    for host in ('ns1', 'ns2'):
        store.apply('default', host, [{'type': 'dns_server', 'data': {'address': '10.0.0.1', 'zone': 'a b'}}])
    run = run_collect(run_playbook, local_inventory, sqlite_url,
                      "query('podim.fleet.exported', 'dns_server', invalid='skip', min_results=1)")
    assert run.rc != 0
    assert 'found 0 record(s) of type dns_server' in run.results['web1']['collect']['msg']


def test_unknown_types_and_bad_option(run_playbook, local_inventory, sqlite_url):
    store = seed(sqlite_url)
    store.apply('default', 'web1', [{'type': 'my_type', 'data': {'free': 'text\nwith lines'}}])
    run = run_collect(run_playbook, local_inventory, sqlite_url, "query('podim.fleet.exported', 'my_type')")
    assert run.rc == 0, run.out
    assert run.results['web1']['collect']['ansible_facts']['got'][0]['data'] == {'free': 'text\nwith lines'}
    run = run_collect(run_playbook, local_inventory, sqlite_url,
                      "query('podim.fleet.exported', 'dns_server', invalid='ignore')")
    assert run.rc != 0 and 'invalid' in run.results['web1']['collect']['msg']


def test_dns_server_zone_data_skips_a_bad_record(run_playbook, local_inventory, sqlite_url):
    """The role's zone data (roles/dns_server/tasks/zone_data.yml) on a local host: one bad record is left out."""
    store = seed(sqlite_url)
    # crafted past the export: a newline in a name, and a name that is only invalid for the zone (underscore)
    store.apply('default', 'web2', [{'type': 'host_record', 'data': {'name': 'web2\n', 'address': '10.0.0.4'}}])
    store.apply('default', 'web1', [{'type': 'host_record', 'data': {'name': 'web_1', 'address': '10.0.0.3'}}])
    role_tasks = Path(list(collection.__path__)[0]) / 'roles' / 'dns_server' / 'tasks' / 'zone_data.yml'
    playbook = f"""
- hosts: ns1
  gather_facts: false
  vars:
    dns_server_zone: site.test
    dns_server_record_hosts: all
    dns_server_ns_hosts: dns_servers
    dns_server_reverse_prefix: 24
    dns_server_reverse6_prefix: 64
    dns_server_recursion_networks: [10.0.0.0/24]
  tasks:
    - name: zone data
      ansible.builtin.include_tasks: {role_tasks}
    - name: show
      ansible.builtin.debug:
        msg: "{{{{ __dns_server_entries | to_json }}}}"
"""
    run = run_playbook(playbook, local_inventory(HOSTS, GROUPS), {'PODIM_FLEET_STORE': sqlite_url})
    assert run.rc == 0, run.out
    entries = json.loads(run.results['ns1']['show']['msg'])
    assert [e[0] for e in entries] == ['ns1.site.test', 'ns2.site.test']
    flat = ' '.join(run.out.split())
    assert "left out record of host 'web2', type 'host_record', key 'default'" in flat, run.out
