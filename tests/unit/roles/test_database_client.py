# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""podim.fleet.database_client on local hosts with a SQLite store: the application roles' `request`
entry points export the same records as before, a server collects them (server_requests), and the client
and the server name the same password file (SECRETS/database/ENGINE/NAME/USER)."""

from __future__ import annotations

import json

from ansible_collections.podim.fleet.plugins.plugin_utils.store import open_store

HOSTS = {'wp1': {}, 'app1': {}, 'db1': {}, 'pg1': {}}
GROUPS = {'wordpress': ['wp1'], 'rails': ['app1'], 'mariadb_servers': ['db1'], 'postgresql_servers': ['pg1']}
ADDRESSES = {'wp1': '10.0.0.11', 'app1': '10.0.0.12', 'db1': '10.0.0.21', 'pg1': '10.0.0.22'}

# The site's address of each host, as gathered facts would give it (request.yml reads
# ansible_facts['default_ipv4']).
FACTS = """
- name: Facts
  hosts: all
  gather_facts: false
  tasks:
    - name: address
      ansible.builtin.set_fact:
        cacheable: true
        default_ipv4:
          address: "{{ addresses[inventory_hostname] }}"
"""

REQUESTS = """
- name: Requests
  hosts: wordpress:rails
  gather_facts: false
  tasks:
    - name: wordpress request
      ansible.builtin.include_role:
        name: podim.fleet.wordpress
        tasks_from: request
      when: inventory_hostname in groups['wordpress']
    - name: rails request
      ansible.builtin.include_role:
        name: podim.fleet.rails
        tasks_from: request
      when: inventory_hostname in groups['rails']
"""

SERVERS = """
- name: Servers
  hosts: mariadb_servers:postgresql_servers
  gather_facts: false
  vars:
    engine: "{{ 'mariadb' if inventory_hostname in groups['mariadb_servers'] else 'postgresql' }}"
  tasks:
    - name: server requests
      ansible.builtin.include_role:
        name: podim.fleet.database_client
        tasks_from: server_requests
      vars:
        database_client_engine: "{{ engine }}"
        database_client_request_hosts: wordpress:rails
        database_client_secrets_dir: "{{ secrets }}"
    - name: show server
      ansible.builtin.debug:
        msg: >-
          {{ {'requests': database_client_requests,
              'file': database_client_password_path
                | format(engine=engine, name=database_client_requests[0].name, user=database_client_requests[0].user)}
             | to_json }}
    - name: export
      podim.fleet.export:
        type: database
        key: "{{ item.name }}"
        data:
          engine: "{{ engine }}"
          address: "{{ ansible_facts['default_ipv4']['address'] }}"
          port: "{{ 3306 if engine == 'mariadb' else 5432 }}"
          name: "{{ item.name }}"
      loop: "{{ database_client_requests }}"
"""

CLIENTS = """
- name: Clients
  hosts: wordpress:rails
  gather_facts: false
  tasks:
    - name: collect
      ansible.builtin.include_role:
        name: podim.fleet.database_client
        tasks_from: collect
      vars:
        database_client_engine: "{{ 'mariadb' if inventory_hostname in groups['wordpress'] else 'postgresql' }}"
        database_client_name: "{{ 'wordpress' if inventory_hostname in groups['wordpress'] else 'demo' }}"
        database_client_user: "{{ 'wordpress' if inventory_hostname in groups['wordpress'] else 'demo' }}"
        database_client_hosts: "{{ db_hosts | default('mariadb_servers:postgresql_servers') }}"
        database_client_secrets_dir: "{{ secrets }}"
    - name: show client
      ansible.builtin.debug:
        msg: "{{ {'database': database_client_database, 'file': database_client_password_file} | to_json }}"
"""


def run_site(run_playbook, local_inventory, sqlite_url, tmp_path, playbook, extra=()):
    args = ['-e', json.dumps({'addresses': ADDRESSES, 'secrets': f'{tmp_path}/secrets%dir'}), *extra]
    return run_playbook(FACTS + playbook, local_inventory(HOSTS, GROUPS), {'PODIM_FLEET_STORE': sqlite_url}, args)


def test_requests_servers_and_clients_agree(run_playbook, local_inventory, sqlite_url, tmp_path):
    run = run_site(run_playbook, local_inventory, sqlite_url, tmp_path, REQUESTS + SERVERS + CLIENTS)
    assert run.rc == 0, run.out

    # the records the application roles exported, as request.yml of each role exported them before
    records = {(r.host, r.type, r.key): r.data for r in open_store(sqlite_url).query('default', ['database_request'])}
    assert records == {
        ('wp1', 'database_request', 'mariadb-wordpress'):
            {'engine': 'mariadb', 'name': 'wordpress', 'user': 'wordpress', 'client_address': '10.0.0.11'},
        ('app1', 'database_request', 'postgresql-demo'):
            {'engine': 'postgresql', 'name': 'demo', 'user': 'demo', 'client_address': '10.0.0.12'},
    }

    secrets = f'{tmp_path}/secrets%dir'
    server = {host: json.loads(run.results[host]['show server']['msg']) for host in ('db1', 'pg1')}
    assert server['db1']['requests'] == [records[('wp1', 'database_request', 'mariadb-wordpress')]]
    assert server['pg1']['requests'] == [records[('app1', 'database_request', 'postgresql-demo')]]
    assert server['db1']['file'] == f'{secrets}/database/mariadb/wordpress/wordpress'
    assert server['pg1']['file'] == f'{secrets}/database/postgresql/demo/demo'

    client = {host: json.loads(run.results[host]['show client']['msg']) for host in ('wp1', 'app1')}
    assert client['wp1'] == {'database': {'engine': 'mariadb', 'address': '10.0.0.21', 'port': 3306, 'name': 'wordpress'},
                             'file': server['db1']['file']}
    assert client['app1'] == {'database': {'engine': 'postgresql', 'address': '10.0.0.22', 'port': 5432, 'name': 'demo'},
                              'file': server['pg1']['file']}


def test_no_server_fails_the_client(run_playbook, local_inventory, sqlite_url, tmp_path):
    run = run_site(run_playbook, local_inventory, sqlite_url, tmp_path, REQUESTS + CLIENTS, ['-e', 'db_hosts=db1'])
    assert run.rc != 0
    flat = ' '.join(run.out.split())
    assert ("No mariadb server exported database 'wordpress' (hosts 'db1'): run the database servers' play after "
            "this host's request (playbooks/site.yml does).") in flat, run.out


def test_a_refused_request_fails_the_server(run_playbook, local_inventory, sqlite_url, tmp_path):
    """With the lookup's message, naming the host, not a bare type error."""
    # crafted past podim.fleet.export, as an older controller or a direct write could have stored it
    open_store(sqlite_url).apply('default', 'wp1', [{'type': 'database_request', 'key': 'mariadb-x', 'data': {
        'engine': 'mariadb', 'name': 'x', 'user': 'root', 'client_address': '10.0.0.11'}}])
    run = run_site(run_playbook, local_inventory, sqlite_url, tmp_path, SERVERS)
    assert run.rc != 0
    flat = ' '.join(run.out.split())
    assert "host 'wp1'" in flat and 'database_request' in flat and 'reserved' in flat, run.out
    assert 'can only concatenate' not in flat, run.out
