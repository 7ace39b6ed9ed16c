# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Change control: moves as data, max_moves, approve (control.py and its use by the engine)."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.podim.fleet.plugins.plugin_utils.rules.control import (
    APPLIED, HELD, PROPOSED, Approval, Budget, Leave, control, make_units, proposal_id, stored_approvals,
)
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.explain import EXPLAIN_VAR
from ansible_collections.podim.fleet.tests.unit.plugins.plugin_utils.rules.helpers import (
    FakeProber, fleet, run, spec,
)

DNS = {'name': 'dns', 'group': 'dns_servers', 'hosts': 'linux', 'when': 'memory_mb >= 1024', 'count': 3,
       'spread_by': 'rack'}
MOVE_KEYS = {'rule', 'group', 'partition', 'host', 'change', 'reason', 'voluntary', 'replaces', 'proposal',
             'approved_by'}


def demote(hosts: dict, names: t.Iterable[str]) -> None:
    for name in names:
        hosts[name]['memory_mb'] = 512


def with_approvals(states: dict, rule: str, *entries: dict) -> dict:
    out = dict(states)
    out[rule] = dict(states[rule], approved=list(entries))
    return out


# -- units and their status -----------------------------------------------------------
def test_units_pair_failover_leaves_first():
    leaves = [Leave('a', 'no longer passes when', True), Leave('b', 'left the inventory', False)]
    units = make_units('dns', None, leaves, ['x'])
    assert [(u.leave.host if u.leave else None, u.join, u.voluntary) for u in units] == [
        ('b', 'x', False), ('a', None, True)]
    assert units[0].id == ''  # only voluntary changes need an id
    assert units[1].id == proposal_id('dns', None, 'a', 'left', None)
    assert make_units('dns', 'z1', [], ['x', 'y'])[1].join == 'y'


def test_ids_are_short_stable_and_distinct():
    ident = proposal_id('dns', None, 'node07', 'joined', 'node03')
    assert len(ident) == 10 and int(ident, 16) >= 0
    assert ident == proposal_id('dns', None, 'node07', 'joined', 'node03')
    # sha256 of rule|partition|host|change|replaces; a replacement has the id of its leave
    assert proposal_id('dns', None, 'node03', 'left', None) == '%s' % __import__('hashlib').sha256(
        b'dns||node03|left|').hexdigest()[:10]
    units = make_units('dns', None, [Leave('node03', 'no longer passes when', True)], ['node07'])
    assert units[0].id == proposal_id('dns', None, 'node03', 'left', None)
    assert len({ident, proposal_id('dns', 'z1', 'node07', 'joined', 'node03'),
                proposal_id('dns', None, 'node07', 'joined', None), proposal_id('web', None, 'node07', 'joined',
                                                                                'node03')}) == 4


def test_control_budget_and_approval():
    units = make_units('r', None, [Leave(h, 'count lowered', True) for h in 'abc'] + [Leave('d', 'gone', False)], [])
    statuses = control(units, approve=False, budget=Budget(1), approvals={})
    assert [s.status for s in statuses] == [APPLIED, APPLIED, HELD, HELD]  # failover first and never held
    approved = {units[2].id: Approval(units[2].id, 'alice', 1.0, True)}
    statuses = control(units, approve=True, budget=Budget(None), approvals=approved)
    assert [s.status for s in statuses] == [APPLIED, PROPOSED, APPLIED, PROPOSED]
    assert statuses[2].approved_by == 'alice'
    budget = Budget(0)
    assert [s.status for s in control(units, True, budget, approved)] == [APPLIED, PROPOSED, HELD, PROPOSED]
    assert budget.used == 0


def test_stored_approvals_tolerate_junk():
    approvals, bad = stored_approvals({'approved': [{'id': 'abc', 'by': 'x', 'at': 5}, 'junk', {'by': 'y'},
                                                    {'id': 'def', 'at': True}]})
    assert [(a.id, a.by, a.at) for a in approvals] == [('abc', 'x', 5.0), ('def', 'unknown', None)] and bad == 2
    assert stored_approvals({'approved': 'x'}) == ([], 1) and stored_approvals(None) == ([], 0)


# -- moves ------------------------------------------------------------------------------
def test_first_decision_moves_are_joins_that_fill():
    result = run(spec(DNS), fleet(10))
    assert [m['change'] for m in result.moves] == ['joined'] * 3
    assert all(set(m) == MOVE_KEYS for m in result.moves)
    first = result.moves[0]
    assert first == {'rule': 'dns', 'group': 'dns_servers', 'partition': None, 'host': result.groups['dns_servers'][0],
                     'change': 'joined', 'reason': 'first decision', 'voluntary': False, 'replaces': None,
                     'proposal': None, 'approved_by': None}
    again = run(spec(DNS), fleet(10), previous=result.states)
    assert again.moves == [] and again.pending == [] and again.notices == []


def test_replacement_moves_and_changes_come_from_one_decision():
    hosts = fleet(10)
    first = run(spec(DNS), hosts)
    gone = first.groups['dns_servers'][0]
    del hosts[gone]
    second = run(spec(DNS), hosts, previous=first.states)
    new = second.groups['dns_servers'][-1]
    assert second.moves == [
        {'rule': 'dns', 'group': 'dns_servers', 'partition': None, 'host': gone, 'change': 'left',
         'reason': 'left the inventory', 'voluntary': False, 'replaces': None, 'proposal': None, 'approved_by': None},
        {'rule': 'dns', 'group': 'dns_servers', 'partition': None, 'host': new, 'change': 'joined',
         'reason': f'replaces {gone} (left the inventory)', 'voluntary': False, 'replaces': gone, 'proposal': None,
         'approved_by': None}]
    assert second.changes == [f'dns_servers: +{new} replaces {gone} (left the inventory)']


def test_per_move_is_voluntary_and_does_not_trim_the_new_partition():
    hosts = fleet(6, zones=2)
    rules = spec({'name': 'cache', 'group': 'cache', 'hosts': 'linux', 'count': 1, 'per': 'zone'})
    first = run(rules, hosts)
    z0, z1 = first.groups['cache']
    hosts[z0]['zone'] = 'z1'
    second = run(rules, hosts, previous=first.states)
    assert z1 in second.groups['cache'] and z0 not in second.groups['cache']  # z1's member is not displaced
    left = [m for m in second.moves if m['change'] == 'left']
    assert left == [dict(left[0], host=z0, partition='z0', reason='moved to zone=z1', voluntary=True)]


# -- max_moves ------------------------------------------------------------------------
def test_max_moves_converges_one_change_per_evaluation():
    hosts = fleet(30, racks=3)
    rules = spec(dict(DNS, max_moves=1))
    state = run(rules, hosts).states
    old = [m['host'] for m in state['dns']['members']]
    demote(hosts, old)
    applied = []
    for _round in range(3):
        result = run(rules, hosts, previous=state)
        assert sum(1 for m in result.moves if m['change'] == 'left') == 1
        assert len(result.changes) == 1
        applied.append(result.moves[0]['host'])
        state = result.states
    assert sorted(applied) == sorted(old)
    final = run(rules, hosts, previous=state)
    assert final.moves == [] and final.notices == [] and not set(final.groups['dns_servers']) & set(old)


def test_held_members_stay_and_say_why():
    hosts = fleet(30, racks=3)
    rules = spec(dict(DNS, max_moves=1))
    first = run(rules, hosts)
    old = first.groups['dns_servers']
    demote(hosts, old[1:])
    second = run(rules, hosts, previous=first.states)
    assert second.groups['dns_servers'][:2] == [old[0], old[2]]  # old[1] left; old[2] waits, in its place
    assert len(second.notices) == 1
    assert second.notices[0].startswith('dns_servers: waiting (max_moves: 1): +')
    assert second.notices[0].endswith(f' replaces {old[2]} (no longer passes when)')
    entry = second.hostvars[old[2]][EXPLAIN_VAR]['dns_servers']
    assert entry['decision'] == 'kept' and entry['waiting']['status'] == 'held'
    assert entry['why'] == ('kept for now: it would leave (no longer passes when); held by max_moves '
                            '(1 voluntary change per evaluation)')
    assert second.pending == [{'id': second.pending[0]['id'], 'rule': 'dns', 'group': 'dns_servers',
                               'partition': None, 'status': 'held', 'leave': old[2],
                               'join': second.pending[0]['join'], 'reason': 'no longer passes when',
                               'approved_by': None}]


def test_max_moves_zero_holds_count_lowered_but_never_failover():
    hosts = fleet(30, racks=3)
    first = run(spec(dict(DNS, max_moves=0)), hosts)
    old = first.groups['dns_servers']
    lowered = run(spec(dict(DNS, max_moves=0, count=1)), hosts, previous=first.states)
    assert lowered.groups == first.groups and lowered.moves == []  # both count-lowered leaves wait
    assert len(lowered.notices) == 2 and all('(count lowered; no replacement)' in n for n in lowered.notices)
    del hosts[old[0]]
    second = run(spec(dict(DNS, max_moves=0, count=2)), hosts, previous=first.states)
    # the gone member leaves at once, and is not replaced: the count is 2 now
    assert second.groups['dns_servers'] == old[1:] and second.notices == []
    assert [(m['host'], m['reason'], m['voluntary']) for m in second.moves] == [(old[0], 'left the inventory', False)]


@pytest.mark.parametrize('failure', ['available', 'probe', 'gone'])
def test_failover_is_never_held(failure):
    hosts = fleet(30, racks=3)
    for host in hosts.values():
        host['ansible_host'] = '192.0.2.1'
    rules = spec(dict(DNS, max_moves=0, approve=True), available='podim_available | default(true)', probe={})
    first = run(rules, hosts, prober=FakeProber())
    dead = first.groups['dns_servers'][1]
    dead_set: set[str] = set()
    if failure == 'available':
        hosts[dead]['podim_available'] = False
    elif failure == 'probe':
        dead_set = {dead}
    else:
        del hosts[dead]
    # another member also no longer passes when: that change waits, the failover does not
    demote(hosts, [first.groups['dns_servers'][0]] + ([dead] if failure != 'gone' else []))
    second = run(rules, hosts, previous=first.states, prober=FakeProber(dead_set))
    assert dead not in second.groups['dns_servers'] and len(second.groups['dns_servers']) == 3
    assert first.groups['dns_servers'][0] in second.groups['dns_servers']
    left = [m for m in second.moves if m['change'] == 'left']
    assert [m['host'] for m in left] == [dead] and not left[0]['voluntary']
    assert left[0]['reason'].startswith('unavailable') or left[0]['reason'] == 'left the inventory'
    assert [p['leave'] for p in second.pending] == [first.groups['dns_servers'][0]]


def test_taken_by_an_earlier_rule_is_not_held():
    hosts = fleet(6)
    rules = spec(dict(DNS, count=1, when='true', spread_by=None),
                 {'name': 'web', 'group': 'web', 'hosts': 'linux:!dns_servers', 'count': {'min': 1}, 'max_moves': 0})
    first = run(rules, hosts)
    del hosts[first.groups['dns_servers'][0]]
    second = run(rules, hosts, previous=first.states)
    taken = second.groups['dns_servers'][0]
    assert taken not in second.groups['web']
    assert [m for m in second.moves if m['host'] == taken and m['group'] == 'web'][0]['voluntary'] is False


# -- approve -----------------------------------------------------------------------
def test_proposals_keep_the_group_and_are_recomputed():
    hosts = fleet(30, racks=3)
    rules = spec(dict(DNS, approve=True))
    first = run(rules, hosts)
    demote(hosts, first.groups['dns_servers'][:2])
    second = run(rules, hosts, previous=first.states)
    assert second.groups == first.groups and second.moves == [] and second.changes == []
    assert [p['status'] for p in second.pending] == ['proposed', 'proposed']
    assert all(line.startswith('dns_servers: proposed ') for line in second.notices)
    assert 'approved' not in second.states['dns']  # proposals are not remembered: recomputed each time
    third = run(rules, hosts, previous=second.states)
    assert third.pending == second.pending and third.notices == second.notices


def test_approved_proposals_apply_exactly_and_are_consumed():
    hosts = fleet(30, racks=3)
    rules = spec(dict(DNS, approve=True))
    first = run(rules, hosts)
    demote(hosts, first.groups['dns_servers'])
    proposed = run(rules, hosts, previous=first.states).pending
    chosen = proposed[1]
    states = with_approvals(first.states, 'dns', {'id': chosen['id'], 'by': 'alice', 'at': 1700000000},
                            {'id': 'feedc0ffee', 'by': 'bob', 'at': 1700000001})
    second = run(rules, hosts, previous=states)
    assert [(m['host'], m['change']) for m in second.moves] == [(chosen['leave'], 'left'), (chosen['join'], 'joined')]
    assert all(m['approved_by'] == 'alice' and m['proposal'] == chosen['id'] for m in second.moves)
    assert second.changes == [f"dns_servers: +{chosen['join']} replaces {chosen['leave']} (no longer passes when; "
                              f"approved {chosen['id']} by alice)"]
    assert "dns_servers: approval feedc0ffee of rule 'dns' expired: no current proposal has this id (approved by " \
           "bob); nothing was applied for it" in second.notices
    assert 'approved' not in second.states['dns']  # applied and expired ids are removed
    assert [p['id'] for p in second.pending] == [proposed[0]['id'], proposed[2]['id']]  # the same ids as before


def test_approved_but_over_budget_waits_and_stays_approved():
    hosts = fleet(30, racks=3)
    rules = spec(dict(DNS, approve=True, max_moves=1))
    first = run(rules, hosts)
    demote(hosts, first.groups['dns_servers'][:2])
    proposed = run(rules, hosts, previous=first.states).pending
    entries = [{'id': p['id'], 'by': 'alice', 'at': 1} for p in proposed]
    second = run(rules, hosts, previous=with_approvals(first.states, 'dns', *entries))
    assert len([m for m in second.moves if m['change'] == 'left']) == 1
    assert second.states['dns']['approved'] == [entries[1]]
    assert second.notices[0].startswith(f"dns_servers: waiting (max_moves: 1; approved {proposed[1]['id']} by alice)")
    third = run(rules, hosts, previous=second.states)
    assert [m['approved_by'] for m in third.moves] == ['alice', 'alice'] and 'approved' not in third.states['dns']


def test_option_approvals():
    hosts = fleet(30, racks=3)
    first = run(spec(dict(DNS, approve=True)), hosts)
    demote(hosts, first.groups['dns_servers'][:1])
    ident = run(spec(dict(DNS, approve=True)), hosts, previous=first.states).pending[0]['id']
    result = run(spec(dict(DNS, approve=True), approve=f'{ident},0000000000'), hosts, previous=first.states)
    assert [m['approved_by'] for m in result.moves] == ['option approve'] * 2
    assert result.notices == ['approval 0000000000 (option approve) matches no current proposal of any rule; ignored']
    assert 'approved' not in result.states['dns']
