# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Properties over random inventories and rules (hypothesis)."""

from __future__ import annotations

import typing as t

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.podim.fleet.tests.unit.plugins.plugin_utils.rules.helpers import run, spec

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def inventories(draw: t.Callable[..., t.Any], max_hosts: int = 40) -> dict[str, dict[str, t.Any]]:
    n = draw(st.integers(0, max_hosts))
    racks = draw(st.integers(1, 6))
    zones = draw(st.integers(1, 3))
    hosts = {}
    for i in range(n):
        hosts[f'h{i:03d}'] = {
            'rack': f'r{draw(st.integers(0, racks - 1))}',
            'zone': f'z{draw(st.integers(0, zones - 1))}',
            'memory_mb': draw(st.sampled_from([512, 1024, 2048])),
            'up': draw(st.booleans()) if draw(st.booleans()) else True,
        }
    return hosts


@st.composite
def rules(draw: t.Callable[..., t.Any]) -> dict[str, t.Any]:
    low = draw(st.integers(0, 5))
    count = draw(st.one_of(
        st.integers(1, 6),
        st.builds(lambda hi: {'min': min(low, hi), 'max': hi}, st.integers(1, 6)),
        st.just({'min': max(low, 1)}),
    ))
    rule = {'name': 'r', 'group': 'g', 'count': count}
    if draw(st.booleans()):
        rule['when'] = 'memory_mb >= 1024'
    if draw(st.booleans()):
        rule['spread_by'] = 'rack'
    if draw(st.booleans()):
        rule['per'] = 'zone'
    return rule


def _bounds(count: t.Any) -> tuple[int, int | None]:
    if isinstance(count, int):
        return count, count
    return count.get('min', 1), count.get('max')


def _eligible(hosts: dict, rule: dict) -> dict[str | None, list[str]]:
    """The available eligible hosts, by partition (the oracle)."""
    parts: dict[str | None, list[str]] = {}
    for name, v in hosts.items():
        if 'when' in rule and v['memory_mb'] < 1024:
            continue
        if not v['up']:
            continue
        parts.setdefault(v['zone'] if 'per' in rule else None, []).append(name)
    return parts


def _partitions_with_candidates(hosts: dict, rule: dict) -> set[str | None]:
    if 'per' not in rule:
        return {None}
    return {v['zone'] for v in hosts.values() if 'when' not in rule or v['memory_mb'] >= 1024}


@SETTINGS
@given(inventories(), rules())
def test_satisfiable_rules_are_satisfied_and_never_exceed_max(hosts, rule):
    result = run(spec(rule, available='up'), hosts)
    low, high = _bounds(rule['count'])
    chosen = result.groups['g']
    assert len(chosen) == len(set(chosen))
    eligible = _eligible(hosts, rule)
    by_part: dict[str | None, list[str]] = {}
    for host in chosen:
        by_part.setdefault(hosts[host]['zone'] if 'per' in rule else None, []).append(host)
    satisfiable = True
    for part in _partitions_with_candidates(hosts, rule):
        available = eligible.get(part, [])
        got = by_part.get(part, [])
        assert set(got) <= set(available)  # only eligible, available hosts
        if high is not None:
            assert len(got) <= high  # never more than max
        expected = len(available) if high is None else min(high, len(available))
        assert len(got) == expected  # as many as allowed
        if len(available) < low:
            satisfiable = False
    if 'per' in rule and not _partitions_with_candidates(hosts, rule) and low > 0:
        satisfiable = False
    assert bool(result.unmet) == (not satisfiable)


@SETTINGS
@given(inventories(), rules())
def test_spread_is_maximal_when_possible(hosts, rule):
    rule = dict(rule, spread_by='rack')
    result = run(spec(rule, available='up'), hosts)
    eligible = _eligible(hosts, rule)
    for part, available in eligible.items():
        got = [h for h in result.groups['g'] if part is None or hosts[h]['zone'] == part]
        racks_possible = len({hosts[h]['rack'] for h in available})
        racks_used = len({hosts[h]['rack'] for h in got})
        assert racks_used == min(len(got), racks_possible)
        # and as even as possible: no rack has two members more than another used... when all racks are used
        if got and racks_used == racks_possible:
            counts = [sum(1 for h in got if hosts[h]['rack'] == r) for r in {hosts[h]['rack'] for h in got}]
            capacity = {r: sum(1 for h in available if hosts[h]['rack'] == r) for r in {hosts[h]['rack'] for h in got}}
            full = [r for r, c in capacity.items() if c == sum(1 for h in got if hosts[h]['rack'] == r)]
            if not full:
                assert max(counts) - min(counts) <= 1


@SETTINGS
@given(inventories(), rules())
def test_a_second_evaluation_changes_nothing(hosts, rule):
    rules_spec = spec(rule, available='up')
    first = run(rules_spec, hosts)
    second = run(rules_spec, hosts, previous=first.states)
    assert second.groups == first.groups
    assert second.changes == []
    assert second.states == first.states


@SETTINGS
@given(inventories(max_hosts=30), rules(), inventories(max_hosts=5))
def test_new_hosts_never_displace_members(hosts, rule, extra):
    rules_spec = spec(rule, available='up')
    first = run(rules_spec, hosts)
    more = dict(hosts)
    more.update({f'new{name}': v for name, v in extra.items()})
    second = run(rules_spec, more, previous=first.states)
    assert set(first.groups['g']) <= set(second.groups['g'])


# -- change control ----------------------------------------------------------------------------
@st.composite
def changes(draw: t.Callable[..., t.Any], hosts: dict) -> dict[str, dict[str, t.Any]]:
    """The same inventory after some hosts changed memory, zone or availability, or left."""
    out = {}
    for name, v in hosts.items():
        what = draw(st.sampled_from(['same', 'same', 'memory', 'zone', 'down', 'gone']))
        if what == 'gone':
            continue
        v = dict(v)
        if what == 'memory':
            v['memory_mb'] = 512 if v['memory_mb'] >= 1024 else 2048
        elif what == 'zone':
            v['zone'] = f'z{draw(st.integers(0, 3))}'
        elif what == 'down':
            v['up'] = False
        out[name] = v
    return out


def _voluntary_units(result: t.Any, rule: str) -> int:
    """Applied voluntary changes, a replacement (leave + join in its slot) counted once."""
    return sum(1 for m in result.moves if m['rule'] == rule and m['voluntary'] and m['change'] == 'left')


@st.composite
def controlled(draw: t.Callable[..., t.Any]) -> tuple[dict, dict, dict]:
    hosts = draw(inventories(max_hosts=25))
    rule = draw(rules())
    rule['max_moves'] = draw(st.integers(0, 3))
    later = draw(changes(hosts))
    return hosts, rule, later


@SETTINGS
@given(controlled())
def test_voluntary_moves_never_exceed_max_moves(case):
    hosts, rule, later = case
    rules_spec = spec(rule, available='up')
    first = run(rules_spec, hosts)
    second = run(rules_spec, later, previous=first.states)
    assert _voluntary_units(second, 'r') <= rule['max_moves']
    left = [m for m in second.moves if m['change'] == 'left']
    assert len(left) == len({(m['partition'], m['host']) for m in left})


@SETTINGS
@given(controlled(), st.booleans())
def test_failover_is_never_delayed(case, approve):
    hosts, rule, later = case
    rule = dict(rule, approve=approve)
    first = run(spec(rule, available='up'), hosts)
    free = dict(rule)
    del free['max_moves'], free['approve']
    controlled_result = run(spec(rule, available='up'), later, previous=first.states)
    members = set(controlled_result.groups['g'])
    # no member that is unavailable or gone stays, whatever waits
    assert all(h in later and later[h]['up'] for h in members)
    # every failover leave of the uncontrolled rule happens under control too
    free_result = run(spec(free, available='up'), later, previous=first.states)
    failover = {(m['partition'], m['host']) for m in free_result.moves if m['change'] == 'left' and not m['voluntary']}
    assert failover <= {(m['partition'], m['host']) for m in controlled_result.moves if m['change'] == 'left'}
    assert not any(p['leave'] in {h for _part, h in failover} for p in controlled_result.pending)


@SETTINGS
@given(controlled(), st.data())
def test_approvals_apply_exactly_what_was_approved(case, data):
    hosts, rule, later = case
    rule = dict(rule, approve=True)
    del rule['max_moves']
    rules_spec = spec(rule, available='up')
    first = run(rules_spec, hosts)
    proposed = run(rules_spec, later, previous=first.states)
    again = run(rules_spec, later, previous=first.states)
    assert [p['id'] for p in again.pending] == [p['id'] for p in proposed.pending]  # ids are stable
    assert all(p['status'] == 'proposed' for p in proposed.pending)
    assert _voluntary_units(proposed, 'r') == 0
    ids = [p['id'] for p in proposed.pending]
    chosen = data.draw(st.lists(st.sampled_from(ids), unique=True) if ids else st.just([]))
    states = dict(first.states)
    states['r'] = dict(states['r'], approved=[{'id': i, 'by': 'alice', 'at': 1} for i in chosen])
    applied = run(rules_spec, later, previous=states)
    done = {m['proposal'] for m in applied.moves if m['voluntary']}
    assert done == set(chosen)
    assert all(m['approved_by'] == 'alice' for m in applied.moves if m['voluntary'])
    assert {p['id'] for p in applied.pending} <= set(ids) - set(chosen) or rule.get('per')
    assert 'approved' not in applied.states['r']
