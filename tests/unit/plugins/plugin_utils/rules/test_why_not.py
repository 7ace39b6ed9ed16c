# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Why not: the reason each host is not a member, and the -v summary that counts them."""

from __future__ import annotations

import time

import pytest

from ansible_collections.podim.fleet.plugins.plugin_utils.rules.engine import Explain, evaluate
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.conditions import ExpressionCompiler, split_conjuncts
from ansible_collections.podim.fleet.tests.unit.plugins.plugin_utils.rules.helpers import (
    FakeProber, fleet, spec, view,
)

HOSTS = {
    'node01': {'rack': 'r1', 'memory_mb': 2048},
    'node02': {'rack': 'r1', 'memory_mb': 4096},
    'node03': {'rack': 'r2', 'memory_mb': 2048},
    'node04': {'rack': 'r2', 'memory_mb': 512},
    'node05': {'rack': 'r3', 'memory_mb': 2048},
    'node06': {'rack': 'r3', 'memory_mb': 1024},
    'web01': {'rack': 'r9', 'memory_mb': 8192},
}
GROUPS = {'linux': [h for h in HOSTS if h.startswith('node')], 'db_servers': ['node02']}
DNS = {'name': 'dns', 'group': 'dns_servers', 'hosts': 'linux:!db_servers', 'when': 'memory_mb | int >= 1024',
       'count': 2, 'spread_by': 'rack'}


def explained(rules, hosts=None, previous=None, prober=None, **top):
    hosts = HOSTS if hosts is None else hosts
    return evaluate(spec(*rules, **top), view(hosts, GROUPS, linux=False), previous or {}, prober=prober,
                    explaining=Explain(summary=True, hosts=frozenset(hosts)))


def reasons(result, group='dns_servers'):
    return {host: found[group]['reason'] for host, found in result.not_chosen.items() if group in found}


def test_every_host_not_chosen_has_its_reason():
    result = explained([DNS])
    assert result.groups['dns_servers'] == ['node06', 'node01']
    assert reasons(result) == {'node02': 'hosts', 'node03': 'rank', 'node04': 'when', 'node05': 'spread',
                               'web01': 'hosts'}
    why = result.not_chosen
    assert why['node02']['dns_servers'] == {
        'rule': 'dns', 'reason': 'hosts', 'term': '!db_servers',
        'why': "excluded by !db_servers in hosts 'linux:!db_servers'"}
    assert why['web01']['dns_servers']['why'] == "not matched by hosts 'linux:!db_servers'"
    assert why['node04']['dns_servers']['why'] == 'when is false: memory_mb | int >= 1024'
    assert why['node05']['dns_servers']['why'] == (
        'rank 2 of 4 eligible and available by rendezvous hash, but rack=r3 already had a member: the free slots '
        'went to other values (node06, node01)')
    assert why['node03']['dns_servers']['why'] == (
        'rank 4 of 4 eligible and available by rendezvous hash: the free slots went to higher ranks (node06, node01)')
    assert 'node01' not in why and 'node06' not in why  # members


def test_the_summary_counts_like_kubernetes():
    result = explained([DNS])
    assert result.summaries == [
        "dns_servers (rule 'dns'): 2/7 hosts chosen; not chosen: "
        "1 excluded by hosts 'linux:!db_servers' (!db_servers), 1 not matched by hosts 'linux:!db_servers', "
        "1 excluded by when (memory_mb | int >= 1024), 1 spread by rack, 1 lower rank",
        'dns_servers: node06 chosen: rank 1 of 4 eligible and available by rendezvous hash; first member with rack=r3',
        'dns_servers: node01 chosen: rank 3 of 4 eligible and available by rendezvous hash; first member with rack=r1',
    ]


def test_kept_members_fill_the_count_and_the_fast_path_still_answers():
    first = explained([DNS])
    second = explained([DNS], previous=first.states)
    assert second.stats['fast'] == 1
    assert reasons(second) == {'node02': 'hosts', 'node03': 'filled', 'node04': 'when', 'node05': 'filled',
                               'web01': 'hosts'}
    assert second.summaries[0].startswith("dns_servers (rule 'dns'): 2/7 hosts chosen (2 kept); not chosen: ")
    assert second.summaries[1] == ('dns_servers: node06 kept: still eligible and available; first chosen: rank 1 of 4 '
                                   'eligible and available by rendezvous hash; first member with rack=r3')


def test_which_part_of_when_is_false():
    rule = dict(DNS, hosts='linux', when=['memory_mb | int >= 1024', "rack != 'r1'"])
    result = explained([rule])
    assert result.not_chosen['node04']['dns_servers']['condition'] == 'memory_mb | int >= 1024'
    assert result.not_chosen['node02']['dns_servers']['why'] == "when is false: rack != 'r1'"
    same = explained([dict(rule, when="memory_mb | int >= 1024 and rack != 'r1'")])
    assert same.not_chosen['node02']['dns_servers']['condition'] == "rack != 'r1'"
    # the most frequent reason first (within a kind)
    assert "2 excluded by when (rack != 'r1'), 1 excluded by when (memory_mb | int >= 1024)" in same.summaries[0]


@pytest.mark.parametrize('text, parts', [
    ('a and b', ['a', 'b']),
    ('(a) and (b)', ['a', 'b']),
    ('a and b or c', ['a and b or c']),  # an `or` at the top: one condition
    ('x is defined and (x > 1 and y)', ['x is defined', 'x > 1 and y']),
    ('rack != "r1 and r2" and m', ['rack != "r1 and r2"', 'm']),
    ('f(a and b)', ['f(a and b)']),
    ('not a and b', ['not a', 'b']),
])
def test_split_conjuncts(text, parts):
    assert split_conjuncts(text) == parts
    ExpressionCompiler().compile(text)


def test_unavailable_earlier_rule_and_probe():
    hosts = dict(HOSTS, node06=dict(HOSTS['node06'], podim_available=False))
    rules = [{'name': 'db', 'group': 'db', 'hosts': 'linux', 'count': 1, 'when': "rack == 'r2'"},
             dict(DNS, hosts='linux:!db')]
    result = explained(rules, hosts=hosts, available='podim_available | default(true)', probe={'port': 22},
                       prober=FakeProber(dead={'node05'}))
    db = result.groups['db'][0]
    assert result.not_chosen[db]['dns_servers'] == {
        'rule': 'dns', 'reason': 'earlier', 'groups': ['db'],
        'why': "in db, the group of an earlier rule, which hosts 'linux:!db' excludes"}
    assert result.not_chosen['node06']['dns_servers']['why'] == 'unavailable: available is false'
    assert result.not_chosen['node05']['dns_servers']['why'] == 'unavailable: no answer on port 22'
    dns = [line for line in result.summaries if line.startswith('dns_servers (rule')][0]
    assert '1 taken by earlier rules (db)' in dns
    assert '1 unavailable (available is false), 1 unavailable (no answer on port 22)' in dns


def test_a_change_that_waits_says_so():
    first = explained([DNS])
    hosts = dict(HOSTS, node06=dict(HOSTS['node06'], memory_mb=512))
    second = explained([dict(DNS, approve=True)], hosts=hosts, previous=first.states)
    assert second.groups['dns_servers'] == ['node06', 'node01']
    waiting = second.not_chosen['node05']['dns_servers']
    assert waiting['reason'] == 'waiting' and waiting['why'].startswith(
        'would replace node06 (no longer passes when): proposal ') and waiting['why'].endswith('waits for approval')
    assert '1 waiting for approval' in second.summaries[0]
    assert second.summaries[0].startswith("dns_servers (rule 'dns'): 2/7 hosts chosen (1 kept, 1 kept for now)")


def test_per_partitions_and_unmet_count_the_same_way():
    rule = {'name': 'cache', 'group': 'cache', 'hosts': 'linux', 'count': 2, 'per': 'rack',
            'when': 'memory_mb | int >= 1024'}
    result = explained([rule], on_unmet='warn')
    assert result.unmet == ["rule 'cache' (group cache[rack=r2]) asks for exactly 2 hosts, found 1: node03. "
                            "1/1 eligible hosts with rack=r2 chosen."]
    assert result.not_chosen['node04']['cache']['reason'] == 'when'


def test_nothing_is_explained_unless_asked():
    result = evaluate(spec(DNS), view(HOSTS, GROUPS, linux=False), {})
    assert result.summaries == [] and result.not_chosen == {}


def test_the_summary_lists_ten_members_unless_told():
    hosts = fleet(30)
    rule = {'name': 'all', 'group': 'every', 'hosts': 'linux', 'count': {'min': 1}}
    short = evaluate(spec(rule), view(hosts), {}, explaining=Explain(summary=True))
    assert len(short.summaries) == 12 and short.summaries[-1] == 'every: +20 more members (-vvv lists every one)'
    full = evaluate(spec(rule), view(hosts), {}, explaining=Explain(summary=True, limit=None))
    assert len(full.summaries) == 31


def test_the_summary_of_10000_hosts_costs_about_a_first_decision():
    hosts = fleet(10000, memory=lambda i: 512 if i % 3 == 0 else 2048)
    web = {'name': 'web', 'group': 'web', 'hosts': 'linux:!dns_servers', 'count': {'min': 1},
           'when': 'memory_mb | int >= 1024'}
    rules = spec(dict(DNS, hosts='linux', count=3), web)
    first = evaluate(rules, view(hosts), {})
    started = time.process_time()
    steady = evaluate(rules, view(hosts), first.states)
    plain = time.process_time() - started
    started = time.process_time()
    told = evaluate(rules, view(hosts), first.states, explaining=Explain(summary=True))
    explaining = time.process_time() - started
    assert told.groups == steady.groups and told.states == steady.states
    assert told.summaries[0].startswith("dns_servers (rule 'dns'): 3/10000 hosts chosen (3 kept); not chosen: ")
    assert explaining < 10 * plain + 1.0  # a few times the evaluation at most, never per host * per rule squared
