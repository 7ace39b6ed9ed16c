# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan of a --check run: what the exports would write is what later collections see; the store is untouched."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ansible_collections.podim.fleet.plugins.plugin_utils.store import close_all, open_store

HOSTS = {'ns1': {'ip': '10.0.0.1'}, 'ns2': {'ip': '10.0.0.2'}, 'web1': {'ip': '10.0.0.3'}}
GROUPS = {'dns_servers': ['ns1', 'ns2'], 'web': ['web1']}

# ns2 becomes a DNS server and ns1 stops being one; web1 renders its resolv.conf from what it collects
PLAYBOOK = """
- hosts: dns_servers
  gather_facts: false
  tasks:
    - name: export
      podim.fleet.export:
        type: dns_server
        data: {address: "{{ ip }}"}
        state: "{{ 'present' if inventory_hostname == 'ns2' else 'absent' }}"

- hosts: web
  gather_facts: false
  tasks:
    - name: collect
      ansible.builtin.set_fact:
        servers: "{{ query('podim.fleet.exported', 'dns_server', query='[].data.address', min_results=1) }}"
    - name: show
      ansible.builtin.debug:
        var: servers
"""


def _bytes(url: str) -> dict:
    path = Path(url[len('sqlite:///'):])
    return {p.name: p.read_bytes() for p in path.parent.glob(path.name + '*')}


def test_check_mode_shows_what_follows_and_writes_nothing(run_playbook, local_inventory, sqlite_url):
    open_store(sqlite_url).apply('default', 'ns1', [{'type': 'dns_server', 'data': {'address': '10.0.0.1'}}])
    close_all()  # this process's connection closed: the file alone is the store
    before = _bytes(sqlite_url)
    env = {'PODIM_FLEET_STORE': sqlite_url}
    run = run_playbook(PLAYBOOK, local_inventory(HOSTS, GROUPS), env, args=['--check', '--diff'])
    assert run.rc == 0, run.out
    assert run.results['web1']['collect']['ansible_facts']['servers'] == ['10.0.0.2']
    assert run.results['ns2']['export']['changed'] and run.results['ns1']['export']['changed']
    assert _bytes(sqlite_url) == before  # the store, byte for byte (and its -wal, if any)
    # the same run for real gives the same answer
    run = run_playbook(PLAYBOOK, local_inventory(HOSTS, GROUPS), env)
    assert run.results['web1']['collect']['ansible_facts']['servers'] == ['10.0.0.2']


def test_the_plan_of_a_first_run_creates_no_store(run_playbook, local_inventory, sqlite_url):
    run = run_playbook(PLAYBOOK, local_inventory(HOSTS, GROUPS), {'PODIM_FLEET_STORE': sqlite_url}, args=['--check'])
    assert run.rc == 0, run.out
    assert run.results['web1']['collect']['ansible_facts']['servers'] == ['10.0.0.2']
    assert not os.path.exists(sqlite_url[len('sqlite:///'):])


def test_without_check_mode_a_missing_store_is_still_an_error(run_playbook, local_inventory, sqlite_url):
    collect_only = PLAYBOOK.split('- hosts: web', 1)[1]
    run = run_playbook('- hosts: web' + collect_only, local_inventory(HOSTS, GROUPS),
                       {'PODIM_FLEET_STORE': sqlite_url}, args=['--check'])
    assert run.rc != 0 and 'does not exist' in json.dumps(run.results['web1']['collect'])
