# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Change lines, explanations and unmet messages."""

from __future__ import annotations

from ansible_collections.podim.fleet.plugins.plugin_utils.rules import explain
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.explain import Removed, change_lines
from ansible_collections.podim.fleet.tests.unit.plugins.plugin_utils.rules.helpers import spec


def test_one_line_per_replacement():
    lines = change_lines('dns_servers', [Removed('node03', 'unavailable: no answer on port 22')], ['node07'], False)
    assert lines == ['dns_servers: +node07 replaces node03 (unavailable: no answer on port 22)']


def test_first_decision_new_slots_and_removals():
    assert change_lines('g', [], ['a', 'b'], True) == ['g: chose a, b (first decision)']
    assert change_lines('g', [], ['a'], False) == ['g: +a (new slot)']
    assert change_lines('g', [], ['a', 'b'], False) == ['g: +2 hosts (new slots): a, b']
    assert change_lines('g', [Removed('a', 'count lowered')], [], False) == ['g: -a (count lowered; no replacement)']
    removed = [Removed(f'h{i}', 'left the inventory') for i in range(12)]
    assert change_lines('g', removed, [], False) == [
        'g: -12 hosts (left the inventory; no replacement): h0, h1, h2, h3, h4, h5, h6, h7, h8, h9 (+2 more)']
    assert change_lines('g', [], [], False) == []


def test_pairs_then_rest():
    lines = change_lines('g', [Removed('old1', 'left the inventory'), Removed('old2', 'left the inventory')],
                         ['new1'], False)
    assert lines == ['g: +new1 replaces old1 (left the inventory)', 'g: -old2 (left the inventory; no replacement)']


def test_partition_labels():
    rule = spec({'name': 'cache', 'group': 'memcached', 'per': 'zone'}).rules[0]
    assert explain.group_label(rule, 'a') == 'memcached[zone=a]'
    assert explain.group_label(rule, None) == 'memcached'


def test_member_entry():
    rule = spec({'name': 'dns', 'group': 'dns_servers', 'count': 2, 'spread_by': 'rack'}).rules[0]
    entry = explain.member(rule, kept=False, rank=2, available=7, spread_value='r2', first_of_value=True,
                           per_value=None, replaces=Removed('node03', 'left the inventory'))
    assert entry == {
        'rule': 'dns', 'decision': 'chosen', 'rank': 2, 'spread_by': 'rack', 'spread_value': 'r2',
        'replaces': 'node03',
        'why': 'chosen: rank 2 of 7 eligible and available by rendezvous hash; first member with rack=r2; '
               'replaces node03 (left the inventory)',
    }
    kept = explain.member(rule, kept=True, rank=None, available=None, spread_value=None, first_of_value=False,
                          per_value=None, replaces=None)
    assert kept == {'rule': 'dns', 'decision': 'kept', 'why': 'kept: still eligible and available'}


def test_unmet_message():
    rule = spec({'name': 'dns', 'group': 'dns_servers', 'hosts': 'linux:!db', 'when': 'm > 1', 'count': 1}).rules[0]
    counts = explain.count_reasons([
        explain.NotChosen('unavailable', 'unavailable (available is false)', '', {}),
        explain.NotChosen('when', 'excluded by when (m > 1)', '', {}),
        explain.NotChosen('hosts', "excluded by hosts 'linux:!db' (!db)", '', {}),
        explain.NotChosen('when', 'excluded by when (m > 1)', '', {}),
    ])
    assert explain.unmet(rule, 'dns_servers', [], explain.tally(0, 4, 'hosts', counts)) == (
        "rule 'dns' (group dns_servers) asks for exactly 1 host, found 0: none. 0/4 hosts chosen; not chosen: "
        "1 excluded by hosts 'linux:!db' (!db), 2 excluded by when (m > 1), 1 unavailable (available is false).")
