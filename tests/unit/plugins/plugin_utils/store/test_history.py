# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The history: one entry per change, in the change's transaction, on both stores."""

from __future__ import annotations

import multiprocessing
import time

import psycopg
import pytest

from ansible_collections.podim.fleet.plugins.plugin_utils.store import StoreError, open_store

ACTOR = {'controller': 'ctl1', 'user': 'ops', 'run_id': 'ctl1:42:7', 'playbook': 'site.yml'}


def rec(typ='t', key='default', **data):
    return {'type': typ, 'key': key, 'data': data or {'v': 1}, 'tags': []}


def kinds(entries):
    return [(e['kind'], e['host'], e.get('type') or e.get('group')) for e in entries]


def test_every_record_change_has_one_entry_newest_first(store, namespace):
    store.apply(namespace, 'h1', [rec(v=1)], exporter=ACTOR)
    store.apply(namespace, 'h1', [rec(v=1)], exporter=ACTOR)  # unchanged: no entry
    store.apply(namespace, 'h1', [rec(v=2)], exporter=ACTOR)
    store.apply(namespace, 'h1', [rec(v=3)], exporter=ACTOR, check_mode=True)  # a preview: no entry
    store.apply(namespace, 'h1', deletes=[('t', 'default')], exporter=ACTOR)
    entries = store.history(namespace)
    assert kinds(entries) == [('deleted', 'h1', 't'), ('changed', 'h1', 't'), ('created', 'h1', 't')]
    deleted, changed, created = entries
    assert created['before'] is None and created['after'] == {'data': {'v': 1}, 'tags': []}
    assert changed['before'] == {'data': {'v': 1}, 'tags': []} and changed['after'] == {'data': {'v': 2}, 'tags': []}
    assert deleted['before'] == {'data': {'v': 2}, 'tags': []} and deleted['after'] is None
    assert all(e['actor'] == ACTOR and e['key'] == 'default' for e in entries)
    assert deleted['id'] > changed['id'] > created['id']


def test_a_refused_write_leaves_no_entry(store, namespace):
    with pytest.raises(StoreError):
        store.apply(namespace, 'h1', [rec(v=1), rec(key='huge', blob='x' * 70000)])
    assert store.history(namespace) == []


def test_purge_records_what_went_and_why(store, namespace):
    store.apply(namespace, 'gone', [rec(v=1)])
    store.apply(namespace, 'kept', [rec(v=1)])
    store.purge(namespace, ['kept'], check_mode=True, actor=ACTOR)
    assert [e['kind'] for e in store.history(namespace)] == ['created', 'created']
    store.purge(namespace, ['kept'], actor=ACTOR)
    purged = store.history(namespace, host='gone', limit=1)[0]
    assert purged['kind'] == 'purged' and purged['before'] == {'data': {'v': 1}, 'tags': []}
    assert 'no longer in the inventory' in purged['why'] and purged['actor'] == ACTOR


def _state(group, *hosts):
    return {'v': 1, 'group': group, 'members': [{'host': h} for h in hosts]}


def test_membership_changes_are_recorded_with_the_rules_reasons(store, namespace):
    store.decide(namespace, lambda previous: ({'dns': _state('dns_servers', 'ns1', 'ns2')}, [
        {'rule': 'dns', 'host': 'ns1', 'change': 'joined', 'reason': 'chosen: count 2', 'voluntary': False},
    ]), actor=ACTOR)
    store.decide(namespace, lambda previous: ({'dns': _state('dns_servers', 'ns1', 'ns3')}, [
        {'rule': 'dns', 'host': 'ns2', 'change': 'left', 'reason': 'unavailable: probe failed', 'voluntary': False},
        {'rule': 'dns', 'host': 'ns3', 'change': 'joined', 'reason': 'replaces ns2', 'replaces': 'ns2',
         'voluntary': False},
        {'rule': 'dns', 'host': 'ns9', 'change': 'joined', 'reason': 'held back by max_moves'},  # not made
    ]), actor=ACTOR)
    store.decide(namespace, lambda previous: {'dns': _state('dns_servers', 'ns1', 'ns3')})  # no change, no entry
    entries = store.history(namespace, group='dns_servers')
    assert kinds(entries) == [('joined', 'ns3', 'dns_servers'), ('left', 'ns2', 'dns_servers'),
                              ('joined', 'ns2', 'dns_servers'), ('joined', 'ns1', 'dns_servers')]
    assert entries[0]['why'] == 'replaces ns2' and entries[0]['replaces'] == 'ns2' and entries[0]['rule'] == 'dns'
    assert entries[1]['why'] == 'unavailable: probe failed' and entries[1]['voluntary'] is False
    # a change the caller did not explain is recorded all the same
    assert entries[2]['why'] == '' and entries[3]['why'] == 'chosen: count 2'
    assert store.history(namespace, host='ns1', group='dns_servers', limit=1)[0]['why'] == 'chosen: count 2'


def test_a_preview_decision_records_nothing(store, namespace):
    store.decide(namespace, lambda previous: {'dns': _state('dns_servers', 'ns1')}, remember=False)
    assert store.history(namespace) == []


def _writer(url, namespace, worker, count):
    store = open_store(url)
    for i in range(count):
        store.apply(namespace, f'w{worker}-h{i}', [rec(v=i)])
        store.apply(namespace, f'w{worker}-h{i}', [rec(v=i + 1)])


def test_concurrent_writers_one_entry_per_change(store_url, namespace):
    open_store(store_url)
    ctx = multiprocessing.get_context('spawn')
    procs = [ctx.Process(target=_writer, args=(store_url, namespace, w, 15)) for w in range(6)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
    assert [proc.exitcode for proc in procs] == [0] * 6
    entries = open_store(store_url).history(namespace, limit=None)
    assert len(entries) == 6 * 15 * 2
    assert sorted((e['host'], e['kind']) for e in entries) == sorted(
        (f'w{w}-h{i}', kind) for w in range(6) for i in range(15) for kind in ('created', 'changed'))
    assert len({e['id'] for e in entries}) == len(entries)


def _decider(url, namespace, barrier):
    store = open_store(url)
    barrier.wait()
    name = multiprocessing.current_process().name

    def decide(previous):
        if 'dns' in previous:
            return previous
        return {'dns': _state('dns_servers', f'chosen-by-{name}')}, [
            {'rule': 'dns', 'host': f'chosen-by-{name}', 'change': 'joined', 'reason': 'first'}]

    store.decide(namespace, decide)


def test_two_controllers_deciding_at_once_record_one_decision(store_url, namespace):
    open_store(store_url)
    ctx = multiprocessing.get_context('spawn')
    barrier = ctx.Barrier(4)
    procs = [ctx.Process(target=_decider, args=(store_url, namespace, barrier)) for _proc in range(4)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
    assert [proc.exitcode for proc in procs] == [0] * 4
    entries = open_store(store_url).history(namespace)
    assert len(entries) == 1 and entries[0]['kind'] == 'joined'
    assert open_store(store_url).load_decisions(namespace)['dns']['members'] == [{'host': entries[0]['host']}]


def _age(store, namespace, days):
    """Move every entry of the namespace `days` into the past (as the owner, by SQL)."""
    with store._transaction() as cur:
        cur.execute(store._sql('UPDATE podim_history SET at = at - ? WHERE namespace = ?'), (days * 86400, namespace))


def test_retention_keeps_the_newest_entry_of_what_still_exists(store, namespace):
    store.apply(namespace, 'h1', [rec(v=1)])
    store.apply(namespace, 'h1', [rec(v=2)])
    store.apply(namespace, 'gone', [rec(v=1)])
    store.decide(namespace, lambda previous: {'dns': _state('dns_servers', 'ns1')})
    store.purge(namespace, ['h1', 'ns1'])
    _age(store, namespace, 100)
    store.apply(namespace, 'h2', [rec(v=1)])  # recent: kept
    store.decide(namespace, lambda previous: previous, history_days=90)
    left = kinds(store.history(namespace))
    # the newest entry of each record and membership stays however old; so does every recent one
    assert left == [('created', 'h2', 't'), ('purged', 'gone', 't'), ('joined', 'ns1', 'dns_servers'),
                    ('changed', 'h1', 't')]
    with pytest.raises(StoreError, match='not a positive number of days'):
        store.decide(namespace, lambda previous: previous, history_days=-1)


def test_filters(store, namespace):
    store.apply(namespace, 'h1', [rec('a', v=1)])
    store.apply(namespace, 'h2', [rec('b', v=1)])
    middle = time.time()
    time.sleep(0.01)
    store.apply(namespace, 'h1', [rec('b', v=1)])
    assert kinds(store.history(namespace, host='h1')) == [('created', 'h1', 'b'), ('created', 'h1', 'a')]
    assert kinds(store.history(namespace, typ='b')) == [('created', 'h1', 'b'), ('created', 'h2', 'b')]
    assert kinds(store.history(namespace, since=middle)) == [('created', 'h1', 'b')]
    assert kinds(store.history(namespace, until=middle)) == [('created', 'h2', 'b'), ('created', 'h1', 'a')]
    assert len(store.history(namespace, limit=1)) == 1


# -- PostgreSQL: the database keeps the history honest ---------------------

def test_a_role_appends_to_the_history_of_its_namespace_only(fleet):
    staging = fleet.store('staging')
    staging.apply(fleet.staging_ns, 'web1', [rec(v=1)], exporter={'user': 'claims-to-be-admin'})
    fleet.store('production').apply(fleet.production_ns, 'web9', [rec(v=1)])
    entry = staging.history(fleet.staging_ns)[0]
    assert entry['writer'] == fleet.roles['staging']  # the database role, whatever the client says
    assert staging.history(fleet.production_ns) == []  # invisible, as the records are
    with fleet.sql('staging') as conn:
        for statement in ("UPDATE podim_history SET why = 'nothing to see' WHERE namespace = %s",
                          'DELETE FROM podim_history WHERE namespace = %s'):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement, (fleet.staging_ns,))
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match='row-level security'):
            conn.execute("INSERT INTO podim_history (namespace, at, kind, host) VALUES (%s, 0, 'created', 'x')",
                         (fleet.production_ns,))
    # the owner's run prunes; a team role's run leaves old entries alone
    _age(fleet.admin, fleet.staging_ns, 100)
    staging.apply(fleet.staging_ns, 'web1', [rec(v=2)])
    staging.decide(fleet.staging_ns, lambda previous: previous, history_days=1)
    assert len(fleet.admin.history(fleet.staging_ns)) == 2
    fleet.admin.decide(fleet.staging_ns, lambda previous: previous, history_days=1)
    assert kinds(fleet.admin.history(fleet.staging_ns)) == [('changed', 'web1', 't')]


def test_postgresql_records_every_record_change_itself_even_by_plain_sql(fleet):
    """A role that writes records with SQL of its own, not podim.fleet, still leaves an entry for each change."""
    with fleet.sql('staging') as conn:
        conn.execute("INSERT INTO podim_records (namespace, host, type, key, data, tags, exporter, updated, seen, "
                     "writer) VALUES (%s, 'sneaky', 't', 'k', '{\"v\": 1}', '[]', '{}', 1, 1, '')", (fleet.staging_ns,))
        conn.execute("UPDATE podim_records SET seen = 2 WHERE namespace = %s", (fleet.staging_ns,))  # no change
        conn.execute("UPDATE podim_records SET data = '{\"v\": 2}' WHERE namespace = %s", (fleet.staging_ns,))
        conn.execute('DELETE FROM podim_records WHERE namespace = %s', (fleet.staging_ns,))
    entries = fleet.admin.history(fleet.staging_ns)
    assert kinds(entries) == [('deleted', 'sneaky', 't'), ('changed', 'sneaky', 't'), ('created', 'sneaky', 't')]
    assert {e['writer'] for e in entries} == {fleet.roles['staging']}
    assert entries[1]['before'] == {'data': {'v': 1}, 'tags': []}
    assert entries[1]['after'] == {'data': {'v': 2}, 'tags': []}
