# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""podim.fleet.history through real ansible-playbook runs: exports and purges, then the questions."""

from __future__ import annotations

import json

import pytest

HOSTS = {'ns1': {'ip': '10.0.0.1'}, 'web1': {'ip': '10.0.0.2'}}
GROUPS = {'dns_servers': ['ns1']}

EXPORT = """
- hosts: all
  gather_facts: false
  tasks:
    - name: export
      podim.fleet.export:
        type: dns_server
        data: {address: "{{ ip }}", port: 53}
      when: inventory_hostname in groups['dns_servers']
"""

ASK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: ask
      ansible.builtin.set_fact:
        got: "{{ %s }}"
    - name: show
      ansible.builtin.copy:
        content: "{{ got | to_json }}"
        dest: "{{ playbook_dir }}/answer.json"
        mode: "0644"
"""


@pytest.fixture
def history_of(run_playbook, local_inventory, sqlite_url, tmp_path):
    def ask(expr: str):
        inventory = local_inventory(dict(HOSTS, localhost={}), GROUPS)
        run = run_playbook(ASK % expr, inventory, {'PODIM_FLEET_STORE': sqlite_url})
        if run.rc != 0:
            return run.results['localhost']['ask']['msg']
        return json.loads((tmp_path / 'answer.json').read_text())
    return ask


def test_what_changed_when_and_by_whom(run_playbook, local_inventory, sqlite_url, history_of):
    env = {'PODIM_FLEET_STORE': sqlite_url}
    assert run_playbook(EXPORT, local_inventory(HOSTS, GROUPS), env).rc == 0
    changed = EXPORT.replace('port: 53', 'port: 5353')
    assert run_playbook(changed, local_inventory(HOSTS, GROUPS), env).rc == 0
    entries = history_of("query('podim.fleet.history', host='ns1')")
    assert [(e['kind'], e['type'], e['key']) for e in entries] == [('changed', 'dns_server', 'default'),
                                                                   ('created', 'dns_server', 'default')]
    assert entries[0]['before']['data']['port'] == 53 and entries[0]['after']['data']['port'] == 5353
    assert entries[0]['actor']['playbook'] == 'pb.yml' and entries[0]['actor']['user']
    assert entries[0]['time'].endswith('Z') and entries[0]['at'] >= entries[1]['at']
    assert history_of("query('podim.fleet.history', host='web1')") == []
    assert len(history_of("query('podim.fleet.history', limit=1)")) == 1
    assert history_of("query('podim.fleet.history', since='2999-01-01T00:00:00Z')") == []
    assert len(history_of("query('podim.fleet.history', until='2999-01-01', type='dns_server')")) == 2


@pytest.mark.parametrize('expr, match', [
    ("query('podim.fleet.history', hosts='ns1')", "unknown option 'hosts' (did you mean host?)"),
    ("query('podim.fleet.history', since='last tuesday')", 'neither seconds since the epoch nor an ISO 8601'),
    ("query('podim.fleet.history', limit=-1)", 'option limit: -1 is negative'),
    ("query('podim.fleet.history', 'ns1')", 'takes no terms'),
])
def test_bad_questions_are_errors(run_playbook, local_inventory, sqlite_url, history_of, expr, match):
    assert run_playbook(EXPORT, local_inventory(HOSTS, GROUPS), {'PODIM_FLEET_STORE': sqlite_url}).rc == 0
    assert match in history_of(expr)


def test_no_store_is_an_error_not_an_empty_history(history_of):
    assert 'does not exist' in history_of("query('podim.fleet.history')")
