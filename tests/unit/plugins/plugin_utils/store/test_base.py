# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The store contract, run against both backends (SQLite and a real PostgreSQL)."""

from __future__ import annotations

import time

import pytest

from ansible_collections.podim.fleet.plugins.plugin_utils.store import MAX_DATA_BYTES, MAX_RECORD_BYTES, StoreError


def rec(typ='dns_server', key='default', data=None, tags=None):
    return {'type': typ, 'key': key, 'data': {'address': '10.0.0.1'} if data is None else data, 'tags': tags or []}


def test_first_write_changes_second_does_not(store, namespace):
    first = store.apply(namespace, 'h1', [rec()], exporter={'run_id': 'r1'})
    assert first == [{'type': 'dns_server', 'key': 'default', 'before': None,
                      'after': {'data': {'address': '10.0.0.1'}, 'tags': []}}]
    assert store.apply(namespace, 'h1', [rec()], exporter={'run_id': 'r2'}) == []
    [record] = store.query(namespace, ['dns_server'])
    assert record.exporter == {'run_id': 'r1'}  # an unchanged record keeps its exporter


def test_change_reports_before_and_after(store, namespace):
    store.apply(namespace, 'h1', [rec(tags=['b', 'a'])])
    [change] = store.apply(namespace, 'h1', [rec(data={'address': '10.0.0.2'}, tags=['a'])])
    assert change['before'] == {'data': {'address': '10.0.0.1'}, 'tags': ['a', 'b']}
    assert change['after'] == {'data': {'address': '10.0.0.2'}, 'tags': ['a']}


def test_check_mode_writes_nothing(store, namespace):
    assert store.apply(namespace, 'h1', [rec()], check_mode=True)
    assert store.query(namespace, ['dns_server']) == []


def test_query_is_sorted_by_host_type_key(store, namespace):
    for host in ['web3', 'web1', 'web2']:
        store.apply(namespace, host, [rec('web_backend', 'b'), rec('web_backend', 'a'), rec('database', 'x')])
    found = [(r.host, r.type, r.key) for r in store.query(namespace, ['web_backend', 'database'])]
    assert found == sorted(found) and len(found) == 9


def test_query_filters_hosts_tags_and_exclusions(store, namespace):
    store.apply(namespace, 'a', [rec(tags=['prod', 'dc1'])])
    store.apply(namespace, 'b', [rec(tags=['prod'])])
    store.apply(namespace, 'c', [rec(tags=['staging'])])

    def hosts(**kw):
        return [r.host for r in store.query(namespace, ['dns_server'], **kw)]

    assert hosts(tags=['prod']) == ['a', 'b']
    assert hosts(tags=['prod', 'dc1']) == ['a']
    assert hosts(hosts={'a', 'c', 'zz'}) == ['a', 'c']
    assert hosts(hosts=set()) == []
    assert hosts(exclude_hosts=['b']) == ['a', 'c']
    assert hosts(hosts={'b'}, exclude_hosts=['b']) == []
    # a host list longer than the SQL IN() threshold is filtered on the controller
    assert hosts(hosts={f'h{i}' for i in range(600)} | {'c'}) == ['c']


def test_max_age_counts_from_last_export(store, namespace):
    store.apply(namespace, 'old', [rec()])
    time.sleep(1.2)
    store.apply(namespace, 'new', [rec()])
    assert [r.host for r in store.query(namespace, ['dns_server'], max_age=1)] == ['new']
    store.apply(namespace, 'old', [rec()])  # unchanged re-export refreshes "seen"
    assert [r.host for r in store.query(namespace, ['dns_server'], max_age=1)] == ['new', 'old']


def test_namespaces_are_separate(store, namespace):
    store.apply(namespace, 'h1', [rec()])
    assert store.query(namespace + '-other', ['dns_server']) == []


def test_delete_and_absent(store, namespace):
    store.apply(namespace, 'h1', [rec()])
    [change] = store.apply(namespace, 'h1', deletes=[('dns_server', 'default')])
    assert change['after'] is None
    assert store.apply(namespace, 'h1', deletes=[('dns_server', 'default')]) == []
    assert store.query(namespace, ['dns_server']) == []


def test_one_apply_is_atomic(store, namespace):
    store.apply(namespace, 'h1', [rec('a_type')])
    with pytest.raises(StoreError, match='type'):
        store.apply(namespace, 'h1', [rec('b_type'), rec('Bad-Type')])
    assert [r.type for r in store.query(namespace, ['a_type', 'b_type'])] == ['a_type']


@pytest.mark.parametrize('bad, match', [
    ({'type': 'DNS', 'data': {}}, 'type'),
    ({'type': 'ok', 'key': '', 'data': {}}, 'key'),
    ({'type': 'ok', 'data': ['not', 'a', 'mapping']}, 'mapping'),
    ({'type': 'ok', 'data': {'x': object()}}, 'JSON'),
    ({'type': 'ok', 'data': {}, 'tags': 'prod'}, 'tags'),
    ({'type': 'ok', 'data': {'blob': 'x' * MAX_DATA_BYTES}}, 'over the limit'),
])
def test_bad_records_are_refused_and_nothing_is_written(store, namespace, bad, match):
    store.apply(namespace, 'h1', [rec('ok', data={'keep': True})])
    with pytest.raises(StoreError, match=match):
        store.apply(namespace, 'h1', [bad])
    [kept] = store.query(namespace, ['ok'])
    assert kept.data == {'keep': True}


BIG = 5 * 1024 * 1024


@pytest.mark.parametrize('bad, what', [
    # the limit covers the whole record, not only data
    ({'type': 'ok', 'data': {}, 'tags': [f'tag{i}' for i in range(BIG // 8)]}, 'too many'),
    ({'type': 'ok', 'data': {}, 'tags': ['x' * BIG]}, 'at most 128 characters'),
    ({'type': 'ok', 'data': {}, 'tags': ['prod\n']}, 'control characters'),
    ({'type': 'ok', 'data': {'blob': 'x' * (MAX_RECORD_BYTES - 5000)}, 'tags': [f'{i:0>120}' for i in range(64)]},
     'over the limit of 65536 bytes'),
    ({'type': 'ok', 'key': 'k' * 200, 'data': {'blob': 'x' * (MAX_RECORD_BYTES - 200)}}, 'over the limit'),
    ({'type': 't' * BIG, 'data': {}}, 'type'),
    ({'type': 't' * 65, 'data': {}}, '1-64 lowercase'),
    ({'type': 'ok\n', 'data': {}}, 'type'),
    ({'type': 'ok', 'key': 'k\n', 'data': {}}, 'key'),
    ({'type': 'ok', 'data': {'load': {'avg': float('nan')}}}, 'data.load.avg is not a finite number'),
    ({'type': 'ok', 'data': {'x': [1, float('inf')]}}, r'data.x\[1\] is not a finite number'),
    ({'type': 'ok', 'data': {'x': -float('inf')}}, 'data.x is not a finite number'),
])
def test_oversized_and_invalid_records_say_what_and_where(store, namespace, bad, what):
    store.apply(namespace, 'h1', [rec('ok', data={'keep': True})])
    with pytest.raises(StoreError, match=what) as info:
        store.apply(namespace, 'h1', [rec('other'), bad])
    message = str(info.value)
    assert len(message) < 600, 'a huge value must not become a huge message'
    assert f"of host 'h1' in namespace {namespace}" in message
    assert [(r.type, r.data) for r in store.query(namespace, ['ok', 'other'])] == [('ok', {'keep': True})]


def test_records_up_to_the_limits_are_accepted(store, namespace):
    fixed = len(namespace) + len('h1') + len('t' * 64) + len('default') + len('{"blob":""}') + len('[]')
    data = {'blob': 'x' * (MAX_RECORD_BYTES - fixed)}
    store.apply(namespace, 'h1', [{'type': 't' * 64, 'data': data}])
    store.apply(namespace, 'h2', [rec(tags=[f'{i:0>128}' for i in range(64)])])
    with pytest.raises(StoreError, match='over the limit'):
        store.apply(namespace, 'h3', [{'type': 't' * 64, 'data': {'blob': data['blob'] + 'x'}}])
    assert [r.host for r in store.query(namespace, ['t' * 64, 'dns_server'])] == ['h1', 'h2']


def test_huge_host_is_refused_briefly(store, namespace):
    with pytest.raises(StoreError, match='host') as info:
        store.apply(namespace, 'h' * BIG, [rec()])
    assert len(str(info.value)) < 600
    assert store.query(namespace, ['dns_server']) == []


def test_bad_namespace_and_host(store):
    with pytest.raises(StoreError, match='namespace'):
        store.query('white space', ['x'])
    with pytest.raises(StoreError, match='host'):
        store.apply('default', '', [rec()])


def test_purge_keeps_inventory_hosts(store, namespace):
    for host in ['a', 'b', 'gone1', 'gone2']:
        store.apply(namespace, host, [rec(), rec('web_backend')])
    assert store.purge(namespace, ['a', 'b'], types=['web_backend'], check_mode=True) == [
        {'host': 'gone1', 'type': 'web_backend', 'key': 'default'},
        {'host': 'gone2', 'type': 'web_backend', 'key': 'default'}]
    assert store.hosts(namespace) == ['a', 'b', 'gone1', 'gone2']
    removed = store.purge(namespace, ['a', 'b'])
    assert len(removed) == 4
    assert store.hosts(namespace) == ['a', 'b']


def test_decisions_round_trip(store, namespace):
    seen = []

    def decide(previous):
        seen.append(previous)
        return {'dns': {'members': ['h1', 'h2']}, 'cache': {'members': []}}

    assert store.decide(namespace, decide) == {'dns': {'members': ['h1', 'h2']}, 'cache': {'members': []}}
    assert seen == [{}]
    assert store.load_decisions(namespace) == {'dns': {'members': ['h1', 'h2']}, 'cache': {'members': []}}
    store.decide(namespace, lambda previous: {'cache': None})
    assert store.load_decisions(namespace) == {'dns': {'members': ['h1', 'h2']}}


def test_decide_without_remember_writes_nothing(store, namespace):
    assert store.decide(namespace, lambda p: {'dns': {'m': 1}}, remember=False) == {'dns': {'m': 1}}
    assert store.load_decisions(namespace) == {}


def test_failed_decision_writes_nothing(store, namespace):
    store.decide(namespace, lambda p: {'dns': {'m': 1}})

    def boom(previous):
        raise RuntimeError('rule evaluation failed')

    with pytest.raises(RuntimeError):
        store.decide(namespace, boom)
    assert store.load_decisions(namespace) == {'dns': {'m': 1}}


def test_scoped_purge_removes_only_hosts_that_left_its_inventory(store, namespace):
    for host in ['a', 'b', 'c', 'other1']:  # other1: exported by another inventory sharing the namespace
        store.apply(namespace, host, [rec(), rec('web_backend')])
    assert store.purge_departed(namespace, 'site', ['a', 'b', 'c']) == ([], [])  # first purge: remembers only
    assert store.hosts(namespace) == ['a', 'b', 'c', 'other1']
    assert store.purge_departed(namespace, 'site', ['a', 'b'], check_mode=True) == (
        [{'host': 'c', 'type': 'dns_server', 'key': 'default'}, {'host': 'c', 'type': 'web_backend', 'key': 'default'}],
        ['c'])
    assert store.hosts(namespace) == ['a', 'b', 'c', 'other1']  # check mode: nothing went, nothing remembered
    removed, departed = store.purge_departed(namespace, 'site', ['a', 'b'], types=['web_backend'])
    assert (removed, departed) == ([{'host': 'c', 'type': 'web_backend', 'key': 'default'}], ['c'])
    assert sorted(r.host for r in store.query(namespace, ['dns_server'])) == ['a', 'b', 'c', 'other1']
    # c is remembered as gone: it departs only once; another scope has its own memory
    assert store.purge_departed(namespace, 'site', ['a', 'b']) == ([], [])
    assert store.purge_departed(namespace, 'lab', ['other1']) == ([], [])
    assert store.purge_departed(namespace, 'lab', []) == (
        [{'host': 'other1', 'type': 'dns_server', 'key': 'default'},
         {'host': 'other1', 'type': 'web_backend', 'key': 'default'}], ['other1'])
    assert store.hosts(namespace) == ['a', 'b', 'c']
    assert [e['kind'] for e in store.history(namespace, host='other1')].count('purged') == 2


def test_a_scope_belongs_to_the_inventory_it_was_first_purged_from(store, namespace):
    store.apply(namespace, 'a', [{'type': 't', 'data': {}}])
    store.apply(namespace, 'b', [{'type': 't', 'data': {}}])
    assert store.purge_departed(namespace, 'site', ['a', 'b'], owner='site-sources') == ([], [])
    remembered = store.load_decisions(namespace)
    with pytest.raises(StoreError, match="purge scope 'site' .* belongs to another inventory"):
        store.purge_departed(namespace, 'site', ['x'], owner='other-sources')
    with pytest.raises(StoreError, match='belongs to another inventory'):
        store.purge_departed(namespace, 'site', ['x'], owner='other-sources', check_mode=True)
    assert store.hosts(namespace) == ['a', 'b'] and store.load_decisions(namespace) == remembered
    # rebinding takes the scope over: nothing purged on that run, the new sources' hosts remembered
    assert store.purge_departed(namespace, 'site', ['a'], owner='moved', rebind=True) == ([], [])
    assert store.hosts(namespace) == ['a', 'b']
    assert store.purge_departed(namespace, 'site', [], owner='moved') == (
        [{'host': 'a', 'type': 't', 'key': 'default'}], ['a'])


def test_another_inventory_rebinding_a_scope_removes_nothing_and_its_owner_notices(store, namespace):
    """rebind_scope from a hostile play: what the scope remembers moves, no record goes, and the next purge of
    the inventory the scope was taken from fails instead of purging by the other inventory's hosts."""
    for host in ('a', 'b'):
        store.apply(namespace, host, [{'type': 't', 'data': {}}])
    store.purge_departed(namespace, 'site', ['a', 'b'], owner='site-sources')
    assert store.purge_departed(namespace, 'site', ['x'], owner='other-sources', rebind=True) == ([], [])
    assert store.hosts(namespace) == ['a', 'b']
    with pytest.raises(StoreError, match='belongs to another inventory'):
        store.purge_departed(namespace, 'site', ['a'], owner='site-sources')
    assert store.hosts(namespace) == ['a', 'b']


def test_a_scope_remembered_without_owner_is_adopted_and_no_owner_keeps_it(store, namespace):
    store.apply(namespace, 'a', [{'type': 't', 'data': {}}])
    assert store.purge_departed(namespace, 'lab', ['a']) == ([], [])  # an earlier release: no owner remembered
    assert store.purge_departed(namespace, 'lab', ['a'], owner='lab-sources') == ([], [])
    assert store.purge_departed(namespace, 'lab', ['a']) == ([], [])  # no command line (owner unknown): kept
    with pytest.raises(StoreError, match='belongs to another inventory'):
        store.purge_departed(namespace, 'lab', [], owner='elsewhere')


@pytest.mark.parametrize('scope', ['', 'Site', 'a b', 'x' * 65, 'a:b', None, 3])
def test_purge_scope_must_be_a_name(store, namespace, scope):
    with pytest.raises(StoreError, match='purge scope'):
        store.purge_departed(namespace, scope, ['a'])
    assert store.load_decisions(namespace) == {}
