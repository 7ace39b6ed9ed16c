# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""podim.fleet.export refuses data of a known type that fails its schema (real ansible-playbook runs)."""

from __future__ import annotations

import json

from ansible_collections.podim.fleet.plugins.plugin_utils.store import open_store

HOSTS = {'web1': {}}

GOOD = {
    'database_request': {'engine': 'postgresql', 'name': 'demo', 'user': 'demo', 'client_address': '10.0.0.3'},
    'web_backend': {'app': 'rails', 'address': '10.0.0.3', 'port': 80, 'health_path': '/health'},
    'host_record': {'name': 'web1', 'address': '10.0.0.3'},
    'dns_server': {'address': '10.0.0.3', 'port': 53, 'zone': 'site.test'},
    'database': {'engine': 'mariadb', 'address': '10.0.0.3', 'port': 3306, 'name': 'wordpress'},
}

ATTACKS = [
    # (type, field, value, words of the message)
    ('database_request', 'user', 'postgres', "data.user 'postgres' is a reserved name"),
    ('database_request', 'name', 'mysql', "data.name 'mysql' is a reserved name"),
    ('database_request', 'name', '../../etc', 'data.name'),
    ('database_request', 'user', 'demo seed=1', 'data.user'),
    ('database', 'name', '*', 'data.name'),
    ('web_backend', 'health_path', '/health\n    server evil 10.9.9.9:80', 'data.health_path'),
    ('host_record', 'name', 'web1\n', 'data.name'),
    ('dns_server', 'zone', 'site.test\nnameserver 10.9.9.9', 'data.zone'),
    ('web_backend', 'port', 'eighty', 'data.port must be a port number'),
]


def _playbook(typ: str, data: dict) -> str:
    # data as JSON (valid YAML): the attack strings reach the action as they are
    return f"""
- hosts: all
  gather_facts: false
  tasks:
    - name: export
      podim.fleet.export:
        type: {typ}
        data: {json.dumps(data)}
"""


def test_good_records_of_every_type_are_written(run_playbook, local_inventory, sqlite_url):
    for typ, data in GOOD.items():
        run = run_playbook(_playbook(typ, data), local_inventory(HOSTS), {'PODIM_FLEET_STORE': sqlite_url})
        assert run.rc == 0, run.out
    assert {r.type: r.data for r in open_store(sqlite_url).query('default', list(GOOD))} == GOOD


def test_port_as_digits_is_normalized(run_playbook, local_inventory, sqlite_url):
    data = dict(GOOD['web_backend'], port='8080')
    run = run_playbook(_playbook('web_backend', data), local_inventory(HOSTS), {'PODIM_FLEET_STORE': sqlite_url})
    assert run.rc == 0, run.out
    assert run.results['web1']['export']['record']['data']['port'] == 8080


def test_attacks_are_refused_naming_type_and_field_and_nothing_is_written(run_playbook, local_inventory,
                                                                          sqlite_url):
    env = {'PODIM_FLEET_STORE': sqlite_url}
    for typ, field, value, words in ATTACKS:
        run = run_playbook(_playbook(typ, dict(GOOD[typ], **{field: value})), local_inventory(HOSTS), env)
        assert run.rc != 0, (typ, field)
        message = run.results['web1']['export']['msg']
        assert message.startswith(f"podim.fleet.export (web1): record of type '{typ}' refused by its schema: "), message
        assert words in message and message.endswith('Nothing was written.'), message
    assert open_store(sqlite_url).hosts('default') == []


def test_unknown_field_and_missing_field(run_playbook, local_inventory, sqlite_url):
    env = {'PODIM_FLEET_STORE': sqlite_url}
    run = run_playbook(_playbook('database', dict(GOOD['database'], owner='postgres')), local_inventory(HOSTS), env)
    assert run.rc != 0 and "data.owner is not a field of type 'database'" in run.results['web1']['export']['msg']
    data = {k: v for k, v in GOOD['database_request'].items() if k != 'user'}
    run = run_playbook(_playbook('database_request', data), local_inventory(HOSTS), env)
    assert run.rc != 0 and 'data.user is required' in run.results['web1']['export']['msg']
    assert open_store(sqlite_url).hosts('default') == []


def test_state_absent_needs_no_data(run_playbook, local_inventory, sqlite_url):
    """Withdrawing a record (dns_server withdraw) must not be blocked by the schema."""
    env = {'PODIM_FLEET_STORE': sqlite_url}
    assert run_playbook(_playbook('dns_server', GOOD['dns_server']), local_inventory(HOSTS), env).rc == 0
    absent = '- hosts: all\n  gather_facts: false\n  tasks:\n    - name: export\n      podim.fleet.export:\n' \
             '        type: dns_server\n        state: absent\n'
    run = run_playbook(absent, local_inventory(HOSTS), env)
    assert run.rc == 0 and run.results['web1']['export']['changed'], run.out
