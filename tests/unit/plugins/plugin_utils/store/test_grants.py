# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Access control of the PostgreSQL store, against a real server: two team roles and the admin.

Every refusal is also checked with plain SQL as the refused role, bypassing
the collection's client code: the database itself must refuse.
"""

from __future__ import annotations

import pytest

from ansible_collections.podim.fleet.plugins.plugin_utils.store import StoreError, open_store
from ansible_collections.podim.fleet.plugins.plugin_utils.store.base import unix_user
from ansible_collections.podim.fleet.plugins.plugin_utils.store.grants import AccessDenied, GrantAdmin

psycopg = pytest.importorskip('psycopg')

DNS_STATE = {'v': 1, 'group': 'dns_servers', 'members': [{'host': 'ns1'}, {'host': 'ns2'}]}


def rec(typ='web_backend', data=None, key='default'):
    return {'type': typ, 'key': key, 'data': {'address': '10.0.0.1'} if data is None else data, 'tags': []}


def test_allowed_writes_land_refused_ones_write_nothing(fleet):
    staging, production = fleet.store('staging'), fleet.store('production')
    assert staging.apply(fleet.staging_ns, 'web1', [rec()])
    assert production.apply(fleet.production_ns, 'web9', [rec()])
    # the admin (owner) needs no grant at all
    assert fleet.admin.apply(fleet.staging_ns, 'adm', [rec()])
    assert fleet.admin.apply(fleet.production_ns, 'adm', [rec()])

    before = fleet.records(fleet.production_ns)
    with pytest.raises(AccessDenied) as info:
        staging.apply(fleet.production_ns, 'web1', [rec(data={'address': '10.6.6.6'})])
    message = str(info.value)
    for part in (fleet.roles['staging'], fleet.production_ns, 'web_backend', 'web1', 'nothing was changed'):
        assert part in message
    assert fleet.password not in message
    with pytest.raises(AccessDenied, match=fleet.roles['production']):
        production.apply(fleet.staging_ns, 'web1', [rec()])
    # ... and a record of production the staging role tries to remove stays
    with pytest.raises(AccessDenied, match='may not read'):
        staging.apply(fleet.production_ns, 'web9', deletes=[('web_backend', 'default')])
    assert fleet.records(fleet.production_ns) == before
    assert [r[0] for r in fleet.records(fleet.staging_ns)] == ['adm', 'web1']


def test_the_database_refuses_without_the_client(fleet):
    fleet.store('production').apply(fleet.production_ns, 'web9', [rec()])
    before = fleet.records(fleet.production_ns)
    with fleet.sql('staging') as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match='violates row-level security policy'):
            conn.execute("INSERT INTO podim_records (namespace, host, type, key, data, tags, exporter, updated, seen, "
                         "writer) VALUES (%s, 'evil', 't', 'k', '{}', '[]', '{}', 0, 0, 'x')", (fleet.production_ns,))
        # production's rows are invisible: nothing to read, change or delete
        assert conn.execute('SELECT count(*) FROM podim_records WHERE namespace = %s',
                            (fleet.production_ns,)).fetchone()[0] == 0
        assert conn.execute("UPDATE podim_records SET data = '{\"x\": 1}' WHERE namespace = %s",
                            (fleet.production_ns,)).rowcount == 0
        assert conn.execute('DELETE FROM podim_records WHERE namespace = %s', (fleet.production_ns,)).rowcount == 0
        # nor can it move its own rows into production
        conn.execute("INSERT INTO podim_records (namespace, host, type, key, data, tags, exporter, updated, seen, "
                     "writer) VALUES (%s, 'mine', 't', 'k', '{}', '[]', '{}', 0, 0, '')", (fleet.staging_ns,))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute('UPDATE podim_records SET namespace = %s WHERE namespace = %s',
                         (fleet.production_ns, fleet.staging_ns))
        # the grants, the placement index, the switches and the tables' definitions are out of reach
        for statement in ('SELECT * FROM podim_grants',
                          "INSERT INTO podim_placement VALUES ('x', 'dns_servers', 'evil', 'dns')",
                          "INSERT INTO podim_grants (role, namespace, privilege, type, updated) "
                          "VALUES (session_user, 'x', 'read', '*', 0)",
                          'ALTER TABLE podim_records DISABLE TRIGGER podim_records_guard',
                          'ALTER TABLE podim_records DISABLE ROW LEVEL SECURITY',
                          'TRUNCATE podim_records'):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
        with pytest.raises(psycopg.Error, match='row-level security'):
            conn.execute('SET row_security = off')
            conn.execute('SELECT count(*) FROM podim_records')
    assert fleet.records(fleet.production_ns) == before


def test_changing_a_readable_row_without_write_is_an_error_not_a_silent_no_op(fleet):
    reader = fleet.role('reader')
    fleet.grant('reader', [fleet.production_ns], ['read'])
    fleet.store('production').apply(fleet.production_ns, 'web9', [rec()])
    before = fleet.records(fleet.production_ns)
    with fleet.sql('reader') as conn:
        assert conn.execute('SELECT count(*) FROM podim_records WHERE namespace = %s',
                            (fleet.production_ns,)).fetchone()[0] == 1
        for statement in ("UPDATE podim_records SET seen = 1 WHERE namespace = %s",
                          'DELETE FROM podim_records WHERE namespace = %s'):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement, (fleet.production_ns,))
    # through the store: an unchanged re-export only moves `seen`, and is refused all the same
    with pytest.raises(AccessDenied) as info:
        fleet.store('reader').apply(fleet.production_ns, 'web9', [rec()])
    assert reader in str(info.value) and fleet.production_ns in str(info.value) and 'web9' in str(info.value)
    assert fleet.records(fleet.production_ns) == before


def test_writer_is_the_role_whatever_the_client_sends(fleet):
    with fleet.sql('staging') as conn:
        conn.execute("INSERT INTO podim_records (namespace, host, type, key, data, tags, exporter, updated, seen, "
                     "writer) VALUES (%s, 'h1', 't', 'k', '{}', '[]', '{}', 0, 0, %s)",
                     (fleet.staging_ns, fleet.roles['production']))
        conn.execute("UPDATE podim_records SET writer = 'postgres' WHERE namespace = %s", (fleet.staging_ns,))
        conn.execute("INSERT INTO podim_decisions (namespace, rule, state, updated, writer) "
                     "VALUES (%s, 'r', '{}', 0, 'postgres')", (fleet.staging_ns,))
    assert [r[4] for r in fleet.records(fleet.staging_ns)] == [fleet.roles['staging']]
    with fleet.admin._read() as cur:
        cur.execute('SELECT writer FROM podim_decisions WHERE namespace = %s', (fleet.staging_ns,))
        assert cur.fetchone()[0] == fleet.roles['staging']
    # what the lookup returns: the store's writer, per record
    fleet.store('staging').apply(fleet.staging_ns, 'h2', [rec()])
    fleet.admin.apply(fleet.staging_ns, 'h3', [rec()])
    found = {r.host: r.public()['writer'] for r in fleet.store('staging').query(fleet.staging_ns, ['web_backend'])}
    assert found == {'h2': fleet.roles['staging'], 'h3': fleet.admin.role}
    # a refresh of unchanged data by another role moves `seen`, not the writer
    fleet.store('staging').apply(fleet.staging_ns, 'h3', [rec()])
    assert dict((r[0], r[4]) for r in fleet.records(fleet.staging_ns))['h3'] == fleet.admin.role


def test_writer_on_sqlite_is_the_unix_user(sqlite_url, namespace):
    store = open_store(sqlite_url)
    store.apply(namespace, 'h1', [rec()])
    [record] = store.query(namespace, ['web_backend'])
    assert record.writer == unix_user() and record.public()['writer'] == unix_user()


def test_a_revoked_grant_takes_effect_at_the_next_write(fleet):
    staging = fleet.store('staging')  # one connection, kept open throughout
    staging.apply(fleet.staging_ns, 'web1', [rec()])
    plan = fleet.grant('staging', [fleet.staging_ns], ['write'], state='absent')
    assert plan.remove
    with pytest.raises(AccessDenied, match=f"role '{fleet.roles['staging']}' may not write"):
        staging.apply(fleet.staging_ns, 'web1', [rec(data={'address': '10.0.0.2'})])
    assert [r.data for r in staging.query(fleet.staging_ns, ['web_backend'])] == [{'address': '10.0.0.1'}]
    fleet.grant('staging', [fleet.staging_ns], None, state='absent')
    with pytest.raises(AccessDenied, match='may not read'):
        staging.query(fleet.staging_ns, ['web_backend'])
    fleet.grant('staging', [fleet.staging_ns], ['read', 'write'])
    assert staging.apply(fleet.staging_ns, 'web1', [rec(data={'address': '10.0.0.2'})])


def test_the_placement_tied_grant_follows_a_failover(fleet):
    # every type for any host, but dns_server only for current members of dns_servers
    fleet.grant('production', [fleet.production_ns], ['write'], ['dns_server'], 'dns_servers')
    production = fleet.store('production')
    ns = fleet.production_ns
    production.decide(ns, lambda previous: {'dns': DNS_STATE})
    assert production.apply(ns, 'ns1', [rec('dns_server')])
    assert production.apply(ns, 'web1', [rec('web_backend')])
    with pytest.raises(AccessDenied) as info:
        production.apply(ns, 'ns3', [rec('dns_server')])
    for part in (fleet.roles['production'], ns, 'dns_server', 'ns3', 'dns_servers'):
        assert part in str(info.value)
    with fleet.sql('production') as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("INSERT INTO podim_records (namespace, host, type, key, data, tags, exporter, updated, seen, "
                     "writer) VALUES (%s, 'ns3', 'dns_server', 'k', '{}', '[]', '{}', 0, 0, '')", (ns,))

    # failover: ns1 is gone, ns3 replaces it
    production.decide(ns, lambda previous: {'dns': {**DNS_STATE, 'members': [{'host': 'ns2'}, {'host': 'ns3'}]}})
    assert production.apply(ns, 'ns3', [rec('dns_server')])
    with pytest.raises(AccessDenied, match="host 'ns1' is not"):
        production.apply(ns, 'ns1', [rec('dns_server')])  # unchanged: only `seen` would move
    with pytest.raises(AccessDenied, match="host 'ns1' is not"):
        production.apply(ns, 'ns1', [rec('dns_server', {'address': '10.0.0.9'})])
    # the stale record can still be cleaned up by the team
    assert production.apply(ns, 'ns1', deletes=[('dns_server', 'default')])
    assert [r.host for r in production.query(ns, ['dns_server'])] == ['ns3']
    # a rule that is gone leaves no members behind
    production.decide(ns, lambda previous: {'dns': None})
    with pytest.raises(AccessDenied, match="host 'ns3' is not"):
        production.apply(ns, 'ns3', [rec('dns_server', {'address': '10.0.0.3'})])


def test_several_records_of_one_host_are_all_or_nothing(fleet):
    fleet.grant('production', [fleet.production_ns], ['write'], ['dns_server'], 'dns_servers')
    production = fleet.store('production')
    with pytest.raises(AccessDenied, match='dns_server'):
        production.apply(fleet.production_ns, 'web1', [rec('web_backend'), rec('dns_server')])
    assert fleet.records(fleet.production_ns) == []


def test_decide_needs_the_decide_grant(fleet):
    staging = fleet.store('staging')
    with pytest.raises(AccessDenied) as info:
        staging.decide(fleet.production_ns, lambda previous: {'dns': DNS_STATE})
    assert fleet.roles['staging'] in str(info.value) and fleet.production_ns in str(info.value)
    fleet.grant('staging', [fleet.staging_ns], ['decide'], state='absent')
    with pytest.raises(AccessDenied, match='rule decisions'):
        staging.decide(fleet.staging_ns, lambda previous: {'dns': DNS_STATE})
    with fleet.sql('staging') as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("INSERT INTO podim_decisions (namespace, rule, state, updated, writer) "
                     "VALUES (%s, 'dns', '{}', 0, '')", (fleet.staging_ns,))
    # a decision that does not change writes nothing, so a reader may evaluate rules
    fleet.admin.decide(fleet.staging_ns, lambda previous: {'dns': DNS_STATE})
    assert staging.decide(fleet.staging_ns, lambda previous: previous) == {'dns': DNS_STATE}


def test_staging_cannot_read_production(fleet):
    fleet.store('production').apply(fleet.production_ns, 'web9', [rec()])
    fleet.admin.decide(fleet.production_ns, lambda previous: {'dns': DNS_STATE})
    staging = fleet.store('staging')
    staging.apply(fleet.staging_ns, 'web1', [rec()])
    with pytest.raises(AccessDenied) as info:
        staging.query(fleet.production_ns, ['web_backend'])
    assert fleet.roles['staging'] in str(info.value) and fleet.production_ns in str(info.value)
    with pytest.raises(AccessDenied):
        staging.load_decisions(fleet.production_ns)
    assert [r.host for r in staging.query(fleet.staging_ns, ['web_backend'])] == ['web1']
    with fleet.sql('staging') as conn:
        assert conn.execute('SELECT DISTINCT namespace FROM podim_records').fetchall() == [(fleet.staging_ns,)]
        assert conn.execute('SELECT count(*) FROM podim_decisions WHERE namespace = %s',
                            (fleet.production_ns,)).fetchone()[0] == 0
        # the policy functions answer for the session's own role only
        assert conn.execute('SELECT podim_fleet_write_refusal(%s, %s, %s, true)',
                            (fleet.production_ns, 'web_backend', 'web9')).fetchone()[0] is not None


def test_a_role_without_grants_cannot_even_open_the_store(fleet):
    fleet.role('nobody')
    with pytest.raises(AccessDenied, match=f"role '{fleet.roles['nobody']}' has no access"):
        fleet.store('nobody')
    with fleet.sql('nobody') as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute('SELECT count(*) FROM podim_records')


def test_read_only_role_holds_select_only(fleet):
    fleet.role('reader')
    plan = fleet.grant('reader', [fleet.production_ns], ['read'])
    assert plan.privileges_after['podim_records'] == ['SELECT']
    assert plan.privileges_after['podim_decisions'] == ['SELECT']
    with fleet.sql('reader') as conn, pytest.raises(psycopg.errors.InsufficientPrivilege,
                                                    match='permission denied for table podim_records'):
        conn.execute("INSERT INTO podim_records (namespace, host, type, key, data, tags, exporter, updated, seen, "
                     "writer) VALUES (%s, 'x', 't', 'k', '{}', '[]', '{}', 0, 0, '')", (fleet.production_ns,))
    with pytest.raises(AccessDenied) as info:
        fleet.store('reader').apply(fleet.production_ns, 'web1', [rec()])
    for part in (fleet.roles['reader'], fleet.production_ns, 'web_backend', 'web1'):
        assert part in str(info.value)


def test_grants_are_idempotent_and_exact(fleet):
    fleet.role('ci')
    first = fleet.grant('ci', [fleet.production_ns, fleet.staging_ns], ['read', 'write'], ['dns_server', 'db'],
                        'dns_servers')
    assert first.changed and len(first.add) == 6
    again = fleet.grant('ci', [fleet.staging_ns, fleet.production_ns], ['write', 'read'], ['db', 'dns_server'],
                        'dns_servers')
    assert not again.changed
    # a new placement group is a change of the same grants
    moved = fleet.grant('ci', [fleet.production_ns], ['write'], ['dns_server'], 'dns_primary')
    assert [g.placement_group for g in moved.add] == ['dns_primary'] and not moved.remove
    # check mode (plan only) changes nothing
    admin = GrantAdmin(fleet.admin)
    preview = admin.run(fleet.roles['ci'], [fleet.production_ns], None, None, None, 'absent', False, check_mode=True)
    assert preview.changed and len(preview.remove) == 3
    assert admin.run(fleet.roles['ci'], [fleet.production_ns], None, None, None, 'absent', False,
                     check_mode=True).before == preview.before
    gone = fleet.grant('ci', [fleet.production_ns, fleet.staging_ns], None, state='absent')
    assert gone.after == [] and gone.privileges_after == {}
    with fleet.admin._read() as cur:
        assert admin.table_privileges(cur, fleet.roles['ci']) == {}


def test_invalid_requests_are_refused_before_anything_is_written(fleet):
    admin = GrantAdmin(fleet.admin)
    for args, message in [
        (('pg_monitor', ['x'], ['read'], None, None, 'present', False), 'is invalid'),
        (('ci\n', ['x'], ['read'], None, None, 'present', True), 'is invalid'),
        ((f'pft_{fleet.tag}_missing', ['x'], ['read'], None, None, 'present', False), 'does not exist'),
        ((fleet.roles['staging'], ['x'], None, None, None, 'present', False), 'privileges is required'),
        ((fleet.roles['staging'], ['x'], ['read'], None, 'dns_servers', 'present', False), 'add write'),
        ((fleet.roles['staging'], ['x'], ['write'], ['Bad-Type'], None, 'present', False), 'type'),
    ]:
        with pytest.raises(StoreError, match=message):
            admin.run(*args)
