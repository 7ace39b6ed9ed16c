# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The properties of bindings (issue: relations): balanced, near, stable, deterministic."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections import Counter

import pytest

from ansible_collections.podim.fleet.plugins.plugin_utils.rules.bindings import Binding, bind, bound, parse_bindings
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.errors import SpecError


def clients(n: int, prefix: str = 'web') -> list[str]:
    return [f'{prefix}{i:05d}' for i in range(n)]


def servers(n: int, prefix: str = 'dns') -> list[str]:
    return [f'{prefix}{j:02d}' for j in range(n)]


def firsts(result) -> Counter:
    return Counter(v[0] for v in result.lists.values())


@pytest.mark.parametrize('n_clients,n_servers', [(1, 1), (3, 4), (10, 4), (100, 3), (2000, 4), (5000, 20), (997, 7)])
def test_balanced_first_choice(n_clients: int, n_servers: int) -> None:
    result = bind('resolvers', clients(n_clients), servers(n_servers), 2)
    load = firsts(result)
    assert max(load.values()) <= math.ceil(1.25 * n_clients / n_servers)
    if n_clients >= 2 * n_servers:
        assert len(load) == n_servers, 'every server is first for some client'
    assert load == Counter({s: n for s, n in result.load.items() if n})


def test_lists_are_ordered_distinct_and_of_count() -> None:
    result = bind('resolvers', clients(200), servers(5), 3)
    for client, servers_ in result.lists.items():
        assert len(servers_) == 3 and len(set(servers_)) == 3, client
    assert len(bind('resolvers', clients(5), servers(2), 3).lists['web00001']) == 2, 'fewer servers than count'


def test_without_bounded_loads_one_server_would_take_more() -> None:
    """The bound does work: plain rendezvous hashing of 40 clients over 4 servers exceeds it for some seed."""
    over = 0
    for seed in range(50):
        cs = clients(40, prefix=f's{seed}-')
        result = bind('b', cs, servers(4), 1)
        over += sum(1 for c in cs if result.why[c].startswith('rank 2') or 'full' in result.why[c])
    assert over > 0
    assert bound(40, 4) == 13


def test_near_balances_within_each_value_and_falls_back_only_without_servers() -> None:
    cs = clients(600)
    ss = servers(7)
    near = {c: ('r1', 'r2', 'r3')[i % 3] for i, c in enumerate(cs)}
    near.update({ss[0]: 'r1', ss[1]: 'r1', ss[2]: 'r1', ss[3]: 'r2', ss[4]: 'r2', ss[5]: 'x', ss[6]: 'x'})
    result = bind('resolvers', cs, ss, 2, near_of=near)
    for value, pool in (('r1', ss[0:3]), ('r2', ss[3:5])):
        members = [c for c in cs if near[c] == value]
        load = Counter(result.lists[c][0] for c in members)
        assert set(load) == set(pool), value
        assert max(load.values()) <= math.ceil(1.25 * len(members) / len(pool))
        # the second server is also near while the pool has one
        assert all(result.lists[c][1] in pool for c in members)
    fallback = [c for c in cs if near[c] == 'r3']
    assert {result.lists[c][0] for c in fallback} == set(ss), 'r3 has no server: every server serves it'


def test_deterministic_across_hash_seeds_and_runs() -> None:
    code = ('import json, sys; sys.path[:0] = json.loads(sys.argv[1]);'
            'from ansible_collections.podim.fleet.plugins.plugin_utils.rules.bindings import bind;'
            'cs = [f"c{i}" for i in range(300)]; ss = [f"s{j}" for j in range(6)];'
            'print(json.dumps(bind("x", cs, ss, 2, near_of={c: str(i % 2) for i, c in enumerate(cs)}).lists))')
    outputs = set()
    for seed in ('0', '1', '12345'):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        outputs.add(subprocess.run([sys.executable, '-c', code, json.dumps(sys.path)], env=env, check=True,
                                   capture_output=True, text=True).stdout)
    assert len(outputs) == 1
    # the input order of clients and servers does not matter either
    cs = clients(300)
    assert bind('x', cs, servers(6), 2).lists == bind('x', cs[::-1], servers(6)[::-1], 2).lists


def test_same_inputs_with_memory_change_nothing() -> None:
    first = bind('resolvers', clients(1000), servers(4), 2)
    again = bind('resolvers', clients(1000), servers(4), 2, previous=first.state)
    assert again.lists == first.lists and again.changes == []
    assert set(again.why.values()) == {'kept'}


def test_a_client_that_joins_changes_at_most_two_percent_of_the_others() -> None:
    cs = clients(2000)
    before = bind('resolvers', cs, servers(4), 2)
    for new in ('new-a', 'new-b', 'zzz'):
        after = bind('resolvers', cs + [new], servers(4), 2, previous=before.state)
        changed = [c for c in cs if after.lists[c] != before.lists[c]]
        assert len(changed) <= 0.02 * len(cs)
        assert max(firsts(after).values()) <= math.ceil(1.25 * (len(cs) + 1) / 4)


def test_a_client_that_leaves_changes_none() -> None:
    cs = clients(2000)
    before = bind('resolvers', cs, servers(4), 2)
    for gone in (cs[0], cs[777], cs[-1]):
        rest = [c for c in cs if c != gone]
        after = bind('resolvers', rest, servers(4), 2, previous=before.state)
        assert [c for c in rest if after.lists[c] != before.lists[c]] == []


@pytest.mark.parametrize('count', [1, 2, 3])
def test_a_server_that_leaves_changes_only_the_lists_that_held_it(count: int) -> None:
    cs = clients(2000)
    ss = servers(5)
    before = bind('resolvers', cs, ss, count)
    for gone in ss:
        after = bind('resolvers', cs, [s for s in ss if s != gone], count, previous=before.state)
        changed = {c for c in cs if after.lists[c] != before.lists[c]}
        assert changed == {c for c in cs if gone in before.lists[c]}
        assert all(gone not in v for v in after.lists.values())
        # the clients whose first server stayed keep it first
        assert all(after.lists[c][0] == before.lists[c][0] for c in cs if before.lists[c][0] != gone)


def test_a_server_that_joins_takes_at_most_its_fair_share() -> None:
    cs = clients(2000)
    before = bind('resolvers', cs, servers(4), 2)
    after = bind('resolvers', cs, servers(4) + ['dns99'], 2, previous=before.state)
    moved = [c for c in cs if after.lists[c][0] != before.lists[c][0]]
    assert 0 < len(moved) <= math.ceil(len(cs) / 5)
    assert all(after.lists[c][0] == 'dns99' for c in moved)
    assert max(firsts(after).values()) <= math.ceil(1.25 * len(cs) / 5)


def test_unreadable_memory_counts_as_none() -> None:
    fresh = bind('resolvers', clients(50), servers(3), 2)
    for junk in (None, [], {'v': 99}, {'v': 1, 'lists': 'x', 'servers': []},
                 {'v': 1, 'lists': {'web00001': [1, 2]}, 'servers': ['dns00']}):
        assert bind('resolvers', clients(50), servers(3), 2, previous=junk).lists == fresh.lists


def test_memory_naming_unknown_servers_is_not_trusted() -> None:
    """A remembered list naming a host that is no server (an edited store) is not served."""
    fresh = bind('resolvers', clients(50), servers(3), 2)
    forged = json.loads(json.dumps(fresh.state))
    forged['lists']['web00001'] = ['evil', 'dns00']
    forged['lists']['web00002'] = [fresh.lists['web00002'][0], 'evil']
    result = bind('resolvers', clients(50), servers(3), 2, previous=forged)
    assert 'evil' not in result.lists['web00001'] + result.lists['web00002']
    assert all(set(v) <= set(servers(3)) for v in result.lists.values())


def test_parse_a_binding() -> None:
    parsed = parse_bindings('site.rules.yml', [{'name': 'resolvers', 'clients': 'all', 'servers': 'dns_servers',
                                                'count': 2, 'near': 'rack'}])
    assert parsed == [Binding('resolvers', 'all', 'dns_servers', 2, 'rack', 'error', 0)]
    assert parse_bindings('f', None) == [] and parse_bindings('f', []) == []
    assert parse_bindings('f', [{'name': 'b', 'clients': 'all', 'servers': 's'}], on_unmet='warn')[0].count == 1
    assert parse_bindings('f', [{'name': 'b', 'clients': 'all', 'servers': 's'}], on_unmet='warn')[0].on_unmet == 'warn'


@pytest.mark.parametrize('value,message', [
    ('x', "site.rules.yml: field 'bindings': must be a list of bindings, got str"),
    ([['a']], "site.rules.yml: bindings[0]: a binding is a mapping (name, clients, servers, count), got list"),
    ([{'name': 'a b', 'clients': 'all', 'servers': 's'}],
     "site.rules.yml: bindings[0]: field 'name': must be an identifier of at most 64 characters, got 'a b'"),
    ([{'name': 'b', 'clients': 'all', 'servers': 's', 'cuont': 2}],
     "site.rules.yml: bindings[0]: field 'cuont': unknown key 'cuont'; did you mean 'count'?"),
    ([{'name': 'b', 'clients': 'all'}], "site.rules.yml: binding 'b': field 'servers': is required"),
    ([{'name': 'b', 'clients': 'all', 'servers': ''}], "site.rules.yml: binding 'b': field 'servers': must be a host"),
    ([{'name': 'b', 'clients': 'web:!', 'servers': 's'}], "site.rules.yml: binding 'b': field 'clients': invalid host"),
    ([{'name': 'b', 'clients': 'all', 'servers': '~[', 'count': 1}], "field 'servers': invalid host pattern"),
    ([{'name': 'b', 'clients': 'all', 'servers': 's', 'count': True}], "field 'count': must be an integer from 1 to 16"),
    ([{'name': 'b', 'clients': 'all', 'servers': 's', 'count': 0}], "field 'count': must be an integer from 1 to 16"),
    ([{'name': 'b', 'clients': 'all', 'servers': 's', 'count': 10 ** 9}], "field 'count': must be an integer"),
    ([{'name': 'b', 'clients': 'all', 'servers': 's', 'near': '{{ lookup("pipe", "id") }}'}],
     "field 'near': must be the name of a host variable"),
    ([{'name': 'b', 'clients': 'all', 'servers': 's', 'on_unmet': 'ignore'}], "field 'on_unmet': must be error or warn"),
    ([{'name': 'b', 'clients': 'all', 'servers': 's'}, {'name': 'b', 'clients': 'x', 'servers': 's'}],
     "site.rules.yml: bindings[1]: field 'name': 'b' is already the name of bindings[0]"),
])
def test_hostile_bindings_are_refused_naming_file_binding_and_field(value, message: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_bindings('site.rules.yml', value)
    assert message in str(caught.value)


@pytest.mark.parametrize('count', [1, 2])
def test_a_failover_moves_only_the_clients_of_the_dead_server(count: int) -> None:
    """The rules replace a dead server: its clients go to the new one; the survivors' clients keep their first."""
    cs = clients(500)
    before = bind('resolvers', cs, ['dns-a', 'dns-b', 'dns-c'], count)
    after = bind('resolvers', cs, ['dns-b', 'dns-c', 'dns-new'], count, previous=before.state)
    orphans = {c for c in cs if before.lists[c][0] == 'dns-a'}
    assert {c for c in cs if after.lists[c][0] != before.lists[c][0]} == orphans
    assert {c for c in cs if after.lists[c] != before.lists[c]} == {c for c in cs if 'dns-a' in before.lists[c]}
    assert max(firsts(after).values()) <= math.ceil(1.25 * len(cs) / 3)
    assert firsts(after)['dns-new'] == firsts(before)['dns-a'], 'the new server takes every orphan'
