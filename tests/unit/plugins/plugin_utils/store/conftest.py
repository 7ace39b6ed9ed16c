# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `fleet` fixture of the access-control tests: an admin and team roles on the real PostgreSQL server."""

from __future__ import annotations

import urllib.parse
import uuid

import pytest

from ansible_collections.podim.fleet.plugins.plugin_utils.store.grants import GrantAdmin
from ansible_collections.podim.fleet.plugins.plugin_utils.store.postgresql import PostgreSQLStore

psycopg = pytest.importorskip('psycopg')
from psycopg import sql  # noqa: E402 (after the skip)


def role_url(admin_url: str, role: str, password: str) -> str:
    parts = urllib.parse.urlsplit(admin_url)
    host = parts.netloc.rsplit('@', 1)[-1]
    return urllib.parse.urlunsplit(parts._replace(netloc=f'{role}:{password}@{host}'))


class Fleet:
    """The admin (owner of the tables) and team roles made for one test, dropped afterwards."""

    def __init__(self, admin_url: str, namespace: str) -> None:
        self.admin_url = admin_url
        self.admin = PostgreSQLStore(admin_url)
        self.tag = uuid.uuid4().hex[:8]
        self.staging_ns = f'{namespace}-staging'
        self.production_ns = f'{namespace}-production'
        self.roles: dict[str, str] = {}
        self.password = uuid.uuid4().hex

    def role(self, name: str) -> str:
        """A new login role for this test."""
        role = f'pft_{self.tag}_{name}'
        GrantAdmin(self.admin).run(role, [self.staging_ns], ['read'], None, None, 'present', True,
                                   password=self.password)
        # created through store_grant's path; start without any grant
        GrantAdmin(self.admin).run(role, [self.staging_ns], None, None, None, 'absent', False)
        self.roles[name] = role
        return role

    def grant(self, name: str, namespaces, privileges, types=None, placement_group=None, state='present'):
        return GrantAdmin(self.admin).run(self.roles[name], namespaces, privileges, types, placement_group, state,
                                          False)

    def url(self, name: str) -> str:
        return role_url(self.admin_url, self.roles[name], self.password)

    def store(self, name: str) -> PostgreSQLStore:
        return PostgreSQLStore(self.url(name))

    def sql(self, name: str):
        """A plain psycopg connection as that role: no podim.fleet code in the way."""
        return psycopg.connect(self.url(name), autocommit=True)

    def records(self, namespace: str) -> list[tuple]:
        """Everything in the namespace, as the admin sees it."""
        with self.admin._read() as cur:
            cur.execute('SELECT host, type, key, data, writer FROM podim_records WHERE namespace = %s '
                        'ORDER BY host, type, key', (namespace,))
            return cur.fetchall()

    def close(self) -> None:
        with self.admin._transaction() as cur:
            for role in self.roles.values():
                cur.execute('DELETE FROM podim_grants WHERE role = %s', (role,))
                ident = sql.Identifier(role)
                cur.execute(sql.SQL('REVOKE ALL ON podim_schema, podim_pg_schema, podim_records, '
                                    'podim_decisions, podim_history FROM {}').format(ident))
                cur.execute(sql.SQL('DROP ROLE {}').format(ident))
        self.admin.close()


@pytest.fixture
def fleet(pg_url, namespace):
    """staging may read/write/decide its namespace; production likewise its own."""
    fleet = Fleet(pg_url, namespace)
    try:
        fleet.role('staging')
        fleet.role('production')
        fleet.grant('staging', [fleet.staging_ns], ['read', 'write', 'decide'])
        fleet.grant('production', [fleet.production_ns], ['read', 'write', 'decide'])
        yield fleet
    finally:
        fleet.close()
