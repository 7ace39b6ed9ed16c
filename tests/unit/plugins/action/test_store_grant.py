# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""podim.fleet.store_grant through real ansible-playbook runs against a real PostgreSQL server."""

from __future__ import annotations

import json
import urllib.parse
import uuid

import pytest

from ansible_collections.podim.fleet.plugins.plugin_utils.store.grants import AccessDenied
from ansible_collections.podim.fleet.plugins.plugin_utils.store.postgresql import PostgreSQLStore

psycopg = pytest.importorskip('psycopg')
from psycopg import sql  # noqa: E402 (after the skip)

GRANTS = """
- hosts: ctl
  gather_facts: false
  tasks:
    - name: staging
      podim.fleet.store_grant:
        role: "{{ staging_role }}"
        create_role: true
        role_password: "{{ role_password }}"
        namespaces: ["{{ staging_ns }}"]
        privileges: [read, write, decide]
    - name: production
      podim.fleet.store_grant:
        role: "{{ production_role }}"
        create_role: true
        role_password: "{{ role_password }}"
        namespace: "{{ production_ns }}"
        privileges: [read, export]
        types: [dns_server]
        placement_group: dns_servers
"""


def role_url(admin_url: str, role: str, password: str) -> str:
    parts = urllib.parse.urlsplit(admin_url)
    return urllib.parse.urlunsplit(parts._replace(netloc=f'{role}:{password}@{parts.netloc.rsplit("@", 1)[-1]}'))


@pytest.fixture
def setup(pg_url, namespace, local_inventory):
    tag = uuid.uuid4().hex[:8]
    names = {'staging_role': f'pft_{tag}_staging', 'production_role': f'pft_{tag}_production',
             'staging_ns': f'{namespace}-staging', 'production_ns': f'{namespace}-production',
             'role_password': uuid.uuid4().hex}
    inventory = local_inventory({'ctl': names})
    yield names, inventory, {'PODIM_FLEET_STORE': pg_url}
    admin = PostgreSQLStore(pg_url)
    with admin._transaction() as cur:
        for role in (names['staging_role'], names['production_role']):
            cur.execute('DELETE FROM podim_grants WHERE role = %s', (role,))
            cur.execute('SELECT 1 FROM pg_roles WHERE rolname = %s', (role,))
            if cur.fetchone():
                ident = sql.Identifier(role)
                cur.execute(sql.SQL('REVOKE ALL ON podim_schema, podim_pg_schema, podim_records, '
                                    'podim_decisions, podim_history FROM {}').format(ident))
                cur.execute(sql.SQL('DROP ROLE {}').format(ident))
    admin.close()


def roles_exist(pg_url, *roles):
    with psycopg.connect(pg_url) as conn:
        return [conn.execute('SELECT count(*) FROM pg_roles WHERE rolname = %s', (role,)).fetchone()[0] == 1
                for role in roles]


def test_roles_and_grants_then_idempotent(setup, run_playbook, pg_url):
    names, inventory, env = setup
    first = run_playbook(GRANTS, inventory, env)
    assert first.rc == 0, first.out
    staging = first.results['ctl']['staging']
    assert staging['changed'] and staging['role_created']
    assert {(g['namespace'], g['privilege'], g['types']) for g in staging['grants']} == {
        (names['staging_ns'], 'read', 'all'), (names['staging_ns'], 'write', 'all'),
        (names['staging_ns'], 'decide', 'all')}
    assert staging['table_privileges']['podim_records'] == ['DELETE', 'INSERT', 'SELECT', 'UPDATE']
    production = first.results['ctl']['production']
    assert {(g['privilege'], g['types'], g['placement_group']) for g in production['grants']} == {
        ('read', 'all', None), ('write', 'dns_server', 'dns_servers')}
    assert names['role_password'] not in first.out and pg_url.split('@')[0].rsplit(':', 1)[1] not in first.out

    second = run_playbook(GRANTS, inventory, env)
    assert second.rc == 0, second.out
    assert not second.results['ctl']['staging']['changed'] and not second.results['ctl']['production']['changed']

    # what was granted is what the database enforces
    store = PostgreSQLStore(role_url(pg_url, names['staging_role'], names['role_password']))
    assert store.apply(names['staging_ns'], 'web1', [{'type': 'web_backend', 'data': {}}])
    with pytest.raises(AccessDenied):
        store.apply(names['production_ns'], 'web1', [{'type': 'web_backend', 'data': {}}])
    store.close()


def test_check_mode_and_diff_change_nothing(setup, run_playbook, pg_url):
    names, inventory, env = setup
    run = run_playbook(GRANTS, inventory, env, args=['--check', '--diff'])
    assert run.rc == 0, run.out
    result = run.results['ctl']['production']
    assert result['changed'] and result['role_created']
    assert 'does not exist' in result['diff']['before']
    assert f'grant: namespace={names["production_ns"]} privilege=write type=dns_server placement_group=dns_servers' \
        in result['diff']['after']
    assert roles_exist(pg_url, names['staging_role'], names['production_role']) == [False, False]


def test_absent_revokes_grants_and_table_privileges(setup, run_playbook, pg_url):
    names, inventory, env = setup
    assert run_playbook(GRANTS, inventory, env).rc == 0
    revoke = """
- hosts: ctl
  gather_facts: false
  tasks:
    - name: revoke write
      podim.fleet.store_grant:
        role: "{{ staging_role }}"
        namespaces: ["{{ staging_ns }}"]
        privileges: [write]
        state: absent
    - name: revoke all
      podim.fleet.store_grant:
        role: "{{ staging_role }}"
        namespaces: ["{{ staging_ns }}"]
        state: absent
"""
    run = run_playbook(revoke, inventory, env, args=['--diff'])
    assert run.rc == 0, run.out
    partial = run.results['ctl']['revoke write']
    assert partial['changed'] and {g['privilege'] for g in partial['grants']} == {'read', 'decide'}
    assert partial['table_privileges']['podim_records'] == ['SELECT']
    assert 'privilege=write' in partial['diff']['before'] and 'privilege=write' not in partial['diff']['after']
    gone = run.results['ctl']['revoke all']
    assert gone['grants'] == [] and gone['table_privileges'] == {}
    with pytest.raises(AccessDenied, match='has no access'):
        PostgreSQLStore(role_url(pg_url, names['staging_role'], names['role_password']))
    assert not run_playbook(revoke, inventory, env).results['ctl']['revoke all']['changed']


def test_bad_requests_fail_clearly(setup, run_playbook, sqlite_url):
    names, inventory, env = setup
    playbook = """
- hosts: ctl
  gather_facts: false
  tasks:
    - name: on sqlite
      podim.fleet.store_grant:
        role: someone
        namespaces: [x]
        privileges: [read]
        store_url: "{{ sqlite_url }}"
      ignore_errors: true
    - name: no privileges
      podim.fleet.store_grant:
        role: "{{ staging_role }}"
        namespaces: [x]
      ignore_errors: true
    - name: missing role
      podim.fleet.store_grant:
        role: "{{ staging_role }}"
        namespaces: [x]
        privileges: [read]
      ignore_errors: true
    - name: all and a type
      podim.fleet.store_grant:
        role: "{{ staging_role }}"
        namespaces: [x]
        privileges: [write]
        types: [all, dns_server]
      ignore_errors: true
"""
    run = run_playbook(playbook.replace('{{ sqlite_url }}', sqlite_url), inventory, env)
    results = run.results['ctl']
    assert 'PostgreSQL' in results['on sqlite']['msg']
    assert 'privileges is required' in results['no privileges']['msg']
    assert 'does not exist' in results['missing role']['msg'] and names['staging_role'] in results['missing role']['msg']
    assert 'stands alone' in results['all and a type']['msg']
    assert all(result.get('failed') for result in results.values()), json.dumps(results, indent=1)
    assert roles_exist(env['PODIM_FLEET_STORE'], names['staging_role']) == [False]
