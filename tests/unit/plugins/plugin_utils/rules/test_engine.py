# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine: counts, per, spread, earlier groups, stability, explanations, failures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from ansible_collections.podim.fleet.plugins.plugin_utils.rules.engine import STATE_VERSION, remembered
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.errors import EvalError
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.explain import EXPLAIN_VAR
from ansible_collections.podim.fleet.tests.unit.plugins.plugin_utils.rules.helpers import (
    FakeProber, fleet, run, spec,
)

DNS = {'name': 'dns', 'group': 'dns_servers', 'hosts': 'linux', 'count': 2}


def members(result, group):
    return result.groups[group]


# -- counts -------------------------------------------------------------------
def test_exact_count_and_explanations():
    hosts = fleet(10)
    result = run(spec(DNS), hosts)
    chosen = members(result, 'dns_servers')
    assert len(chosen) == 2
    info = result.hostvars[chosen[0]][EXPLAIN_VAR]['dns_servers']
    assert info['rule'] == 'dns' and info['decision'] == 'chosen' and info['rank'] == 1
    assert info['why'] == 'chosen: rank 1 of 10 eligible and available by rendezvous hash'
    assert result.changes == [f'dns_servers: chose {chosen[0]}, {chosen[1]} (first decision)']
    assert result.states['dns'] == {'v': STATE_VERSION, 'group': 'dns_servers',
                                    'members': [{'host': chosen[0], 'rank': 1, 'why': info['why']},
                                                {'host': chosen[1], 'rank': 2,
                                                 'why': 'chosen: rank 2 of 10 eligible and available by rendezvous hash'}]}
    assert not result.unmet


@pytest.mark.parametrize('count, eligible, expected', [
    ({'min': 2, 'max': 4}, 10, 4),
    ({'min': 2, 'max': 4}, 3, 3),
    ({'min': 1}, 7, 7),
    ({'min': 0, 'max': 2}, 0, 0),
])
def test_min_max(count, eligible, expected):
    hosts = fleet(10, memory=lambda i: 4096 if i < eligible else 512)
    result = run(spec(dict(DNS, count=count, when='memory_mb >= 1024')), hosts)
    assert len(members(result, 'dns_servers')) == expected
    assert not result.unmet


def test_every_eligible_host_joins_and_leaves():
    hosts = fleet(6, memory=lambda i: 4096 if i % 2 else 512)
    rules = spec(dict(DNS, group='big', count={'min': 1}, when='memory_mb >= 1024'))
    first = run(rules, hosts)
    assert members(first, 'big') == ['node0001', 'node0003', 'node0005']
    assert first.hostvars['node0001'][EXPLAIN_VAR]['big']['why'] == 'chosen: every eligible and available host is a member'
    hosts['node0002']['memory_mb'] = 8192
    second = run(rules, hosts, previous=first.states)
    assert members(second, 'big') == ['node0001', 'node0003', 'node0005', 'node0002']
    assert second.changes == ['big: +node0002 (new slot)']


def test_rule_vars_are_set_on_members():
    result = run(spec(dict(DNS, vars={'bind_role': 'secondary'})), fleet(4))
    for host in members(result, 'dns_servers'):
        assert result.hostvars[host]['bind_role'] == 'secondary'


# -- per and spread_by -----------------------------------------------------------
def test_per_applies_the_count_per_value():
    hosts = fleet(12, zones=3)
    result = run(spec(dict(DNS, group='cache', count=1, per='zone')), hosts)
    chosen = members(result, 'cache')
    assert sorted(hosts[h]['zone'] for h in chosen) == ['z0', 'z1', 'z2']
    info = result.hostvars[chosen[0]][EXPLAIN_VAR]['cache']
    assert info['per'] == 'zone' and info['per_value'] == 'z0'
    assert result.changes[0].startswith('cache[zone=z0]: chose ')


def test_per_unmet_in_one_partition():
    hosts = fleet(5, zones=2)  # z0: 3 hosts, z1: 2 hosts
    result = run(spec(dict(DNS, group='cache', count=3, per='zone')), hosts)
    assert len(result.unmet) == 1
    assert result.unmet[0].startswith("rule 'dns' (group cache[zone=z1]) asks for exactly 3 hosts, found 2")
    assert result.unmet[0].endswith('found 2: node0001, node0003. 2/2 eligible hosts with zone=z1 chosen.')


def test_spread_by_distinct_values_and_explained():
    hosts = fleet(20, racks=4)
    result = run(spec(dict(DNS, count=4, spread_by='rack')), hosts)
    chosen = members(result, 'dns_servers')
    assert sorted(hosts[h]['rack'] for h in chosen) == ['r0', 'r1', 'r2', 'r3']
    info = result.hostvars[chosen[0]][EXPLAIN_VAR]['dns_servers']
    assert info['spread_by'] == 'rack' and info['spread_value'] == hosts[chosen[0]]['rack']
    assert 'first member with rack=' in info['why']


def test_spread_by_an_expression():
    hosts = fleet(8)
    for i, host in enumerate(hosts):
        hosts[host]['placement'] = {'row': f'row{i % 2}'}
    result = run(spec(dict(DNS, spread_by='placement.row')), hosts)
    assert sorted(hosts[h]['placement']['row'] for h in members(result, 'dns_servers')) == ['row0', 'row1']


# -- patterns and earlier rules -------------------------------------------------
def test_later_rules_see_earlier_groups():
    hosts = fleet(10)
    rules = spec(DNS,
                 {'name': 'web', 'group': 'web', 'hosts': 'linux:!dns_servers', 'count': {'min': 1}},
                 {'name': 'primary', 'group': 'dns_primary', 'hosts': 'dns_servers', 'count': 1},
                 {'name': 'mail', 'group': 'mail', 'hosts': 'linux', 'count': {'min': 1},
                  'when': "'dns_servers' not in group_names and 'web' not in group_names"},
                 {'name': 'watch', 'group': 'watch', 'count': {'min': 1},
                  'when': "inventory_hostname in groups['dns_servers']"})
    result = run(rules, hosts)
    dns = members(result, 'dns_servers')
    assert set(members(result, 'web')) == set(hosts) - set(dns)
    assert members(result, 'dns_primary')[0] in dns
    assert members(result, 'mail') == []  # everyone is in dns_servers or web by then
    assert set(members(result, 'watch')) == set(dns)


def test_patterns_intersections_and_subscripts():
    hosts = fleet(10)
    groups = {'web': list(hosts)[:6], 'eu': list(hosts)[4:]}
    result = run(spec(dict(DNS, hosts='web:&eu', count={'min': 1}),
                      {'name': 'first', 'group': 'first', 'hosts': 'linux[0:1]', 'count': {'min': 1}}), hosts, groups)
    assert members(result, 'dns_servers') == ['node0004', 'node0005']
    assert members(result, 'first') == ['node0000', 'node0001']


def test_unknown_group_in_pattern_matches_nothing():
    result = run(spec(dict(DNS, hosts='nosuch', count={'min': 0})), fleet(3))
    assert members(result, 'dns_servers') == []


# -- stability ----------------------------------------------------------------
STABLE_RULES = (
    {'name': 'dns', 'group': 'dns_servers', 'hosts': 'linux', 'when': 'memory_mb | int >= 1024', 'count': 3,
     'spread_by': 'rack'},
    {'name': 'db', 'group': 'db', 'hosts': 'linux:!dns_servers', 'count': {'min': 2, 'max': 4}},
    {'name': 'cache', 'group': 'cache', 'hosts': 'linux:!dns_servers:!db', 'count': 2, 'per': 'zone'},
    {'name': 'lb', 'group': 'lb', 'hosts': 'linux:!dns_servers', 'count': 2},
)


def _all_members(result):
    return {group: list(hosts) for group, hosts in result.groups.items()}


def test_adding_one_percent_of_hosts_moves_nobody():
    hosts = fleet(1000, racks=10, zones=3, memory=lambda i: 4096 if i % 3 else 512)
    rules = spec(*STABLE_RULES)
    before = run(rules, hosts)
    more = dict(hosts)
    more.update(fleet(10, racks=12, zones=4, start=1000))  # also new racks and a new zone
    after = run(rules, more, previous=before.states)
    for group, old in _all_members(before).items():
        assert after.groups[group][:len(old)] == old, group
    # the only change: the new zone gets its cache members
    assert all(line.startswith('cache[zone=z3]: ') for line in after.changes), after.changes


def test_removing_a_member_refills_only_its_slot():
    hosts = fleet(200, racks=5)
    rules = spec(*STABLE_RULES)
    before = run(rules, hosts)
    gone = before.groups['dns_servers'][1]
    fewer = {h: v for h, v in hosts.items() if h != gone}
    after = run(rules, fewer, previous=before.states)
    old = before.groups['dns_servers']
    new = after.groups['dns_servers']
    assert [h for h in old if h != gone] == new[:2]
    assert len(new) == 3 and new[2] not in old
    assert hosts[new[2]]['rack'] == hosts[gone]['rack'] or len({hosts[h]['rack'] for h in new}) == 3
    assert after.changes[0] == f'dns_servers: +{new[2]} replaces {gone} (left the inventory)'
    info = after.hostvars[new[2]][EXPLAIN_VAR]['dns_servers']
    assert info['replaces'] == gone and f'replaces {gone} (left the inventory)' in info['why']
    # the others did not move (the new dns member may come from another group, which then refills its slot)
    moved_groups = {line.split(':')[0].split('[')[0] for line in after.changes}
    assert moved_groups <= {'dns_servers', 'db', 'cache', 'lb'}
    for group in ('db', 'cache', 'lb'):
        assert len(set(before.groups[group]) - set(after.groups[group])) <= 1


def test_kept_members_are_explained():
    hosts = fleet(10)
    first = run(spec(DNS), hosts)
    second = run(spec(DNS), hosts, previous=first.states)
    assert second.groups == first.groups and second.changes == []
    host = members(second, 'dns_servers')[0]
    info = second.hostvars[host][EXPLAIN_VAR]['dns_servers']
    assert info['decision'] == 'kept' and info['chosen'] == first.hostvars[host][EXPLAIN_VAR]['dns_servers']['why']
    # the reason it was first chosen is kept with the decision
    assert info['why'] == ('kept: still eligible and available; first chosen: rank 1 of 10 eligible and available by '
                           'rendezvous hash')


def test_kept_members_of_states_written_without_a_reason():
    # states remembered before the reason was: the member is kept, the state is not rewritten
    hosts = fleet(10)
    first = run(spec(DNS), hosts)
    saved = [{k: v for k, v in item.items() if k != 'why'} for item in first.states['dns']['members']]
    old = {'dns': {**first.states['dns'], 'members': saved}}
    second = run(spec(DNS), hosts, previous=old)
    assert second.states == old
    info = second.hostvars[members(second, 'dns_servers')[0]][EXPLAIN_VAR]['dns_servers']
    assert info['why'] == 'kept: still eligible and available (chosen earlier at rank 1)' and 'chosen' not in info


@pytest.mark.parametrize('why', [42, None, ['chosen'], 'x' * 10, 'chosen' + 'x' * 3000])
def test_a_remembered_reason_that_is_not_ours_is_ignored(why):
    hosts = fleet(10)
    first = run(spec(DNS), hosts)
    state = first.states['dns']
    old = {'dns': {**state, 'members': [{**item, 'why': why} for item in state['members']]}}
    second = run(spec(DNS), hosts, previous=old)
    info = second.hostvars[members(second, 'dns_servers')[0]][EXPLAIN_VAR]['dns_servers']
    assert info['why'] == 'kept: still eligible and available (chosen earlier at rank 1)'


def test_steady_state_checks_only_members():
    hosts = fleet(500)
    rules = spec(dict(DNS, when='memory_mb | int >= 1024'))
    first = run(rules, hosts)
    second = run(rules, hosts, previous=first.states)
    assert second.stats['fast'] == 1 and second.stats['evaluations'] == 2


@pytest.mark.parametrize('change, reason', [
    (lambda hosts, h: hosts.pop(h), 'left the inventory'),
    (lambda hosts, h: hosts[h].update(memory_mb=100), 'no longer passes when'),
    (lambda hosts, h: hosts[h].update(podim_available=False), 'unavailable: available is false'),
])
def test_replacement_reasons(change, reason):
    hosts = fleet(10)
    rules = spec(dict(DNS, when='memory_mb | int >= 1024'), available='podim_available | default(true)')
    first = run(rules, hosts)
    gone = members(first, 'dns_servers')[0]
    change(hosts, gone)
    second = run(rules, hosts, previous=first.states)
    new = members(second, 'dns_servers')
    assert gone not in new and new[0] == members(first, 'dns_servers')[1]
    assert second.changes == [f'dns_servers: +{new[1]} replaces {gone} ({reason})']


def test_pattern_reason_and_count_lowered():
    hosts = fleet(10)
    first = run(spec(dict(DNS, count=3)), hosts)
    old = members(first, 'dns_servers')
    groups = {'linux': [h for h in hosts if h != old[0]]}
    second = run(spec(dict(DNS, count=2)), hosts, groups=groups, previous=first.states)
    assert members(second, 'dns_servers') == old[1:]
    assert second.changes == [f"dns_servers: -{old[0]} (no longer matches hosts 'linux'; no replacement)"]
    third = run(spec(dict(DNS, count=1)), hosts, groups=groups, previous=second.states)
    assert third.changes == [f'dns_servers: -{old[2]} (count lowered; no replacement)']


def test_moved_partition():
    hosts = fleet(6, zones=2)
    rules = spec(dict(DNS, group='cache', count=1, per='zone'))
    first = run(rules, hosts)
    z0 = members(first, 'cache')[0]
    hosts[z0]['zone'] = 'z1'
    second = run(rules, hosts, previous=first.states)
    assert any(f'replaces {z0} (moved to zone=z1)' in line for line in second.changes)


def test_unreadable_state_is_no_memory():
    assert remembered(None) == [] and remembered({'v': 99, 'members': []}) == []
    assert remembered({'v': STATE_VERSION, 'members': [{'host': 'a'}, 'junk', {'nohost': 1}]}) == [{'host': 'a'}]
    result = run(spec(DNS), fleet(4), previous={'dns': 'garbage'})
    assert len(members(result, 'dns_servers')) == 2


# -- unmet rules --------------------------------------------------------------
def test_unmet_message_counts_every_exclusion():
    hosts = fleet(10, memory=lambda i: 4096 if i % 2 else 512)
    hosts['node0009']['podim_available'] = False
    groups = {'linux': list(hosts)[:9], 'db_servers': ['node0001']}
    rules = spec({'name': 'db', 'group': 'db', 'hosts': 'db_servers', 'count': 1},
                 dict(DNS, hosts='all:!db', when='memory_mb | int >= 1024', count=5),
                 available='podim_available | default(true)')
    result = run(rules, hosts, groups=groups)
    assert members(result, 'dns_servers') == ['node0005', 'node0003', 'node0007'] or len(members(result, 'dns_servers')) == 3
    message = result.unmet[0]
    assert message.startswith("rule 'dns' (group dns_servers) asks for exactly 5 hosts, found 3: ")
    assert message.endswith("3/10 hosts chosen; not chosen: 1 taken by earlier rules (db), "
                            "5 excluded by when (memory_mb | int >= 1024), 1 unavailable (available is false).")


def test_unmet_with_probe():
    hosts = fleet(3)
    prober = FakeProber(dead={'node0001'})
    result = run(spec(dict(DNS, count=3), probe={'port': 22}), hosts, prober=prober)
    assert result.unmet and result.unmet[0].endswith('2/3 hosts chosen; not chosen: 1 unavailable (no answer on port 22).')


def test_per_without_any_eligible_host_is_unmet():
    result = run(spec(dict(DNS, per='zone', when='false')), fleet(3))
    assert result.unmet and 'found 0' in result.unmet[0]


# -- probes -------------------------------------------------------------------
def test_probe_only_what_a_decision_depends_on():
    hosts = fleet(300)
    prober = FakeProber()
    rules = spec(DNS, probe={'port': 2222, 'timeout': 0.1})
    first = run(rules, hosts, prober=prober)
    assert sorted(prober.probed) == sorted(members(first, 'dns_servers'))
    prober.calls.clear()
    run(rules, hosts, previous=first.states, prober=prober)
    assert sorted(prober.probed) == sorted(members(first, 'dns_servers'))


def test_failover_replaces_a_dead_member():
    hosts = fleet(30)
    for host in hosts.values():
        host['ansible_host'] = '192.0.2.1'
    rules = spec(DNS, probe={'timeout': 0.1})
    first = run(rules, hosts, prober=FakeProber())
    dead = members(first, 'dns_servers')[0]
    prober = FakeProber(dead={dead})
    second = run(rules, hosts, previous=first.states, prober=prober)
    new = members(second, 'dns_servers')
    assert dead not in new and new[0] == members(first, 'dns_servers')[1]
    assert second.changes == [f'dns_servers: +{new[1]} replaces {dead} (unavailable: no answer on port 22)']
    assert f'replaces {dead} (unavailable: no answer on port 22)' in second.hostvars[new[1]][EXPLAIN_VAR]['dns_servers']['why']


def test_probe_targets_use_ansible_host_and_port():
    hosts = fleet(2)
    hosts['node0000'].update(ansible_host='10.1.1.1', ansible_port=2200)
    seen = []
    run(spec(dict(DNS, count=2), probe={}), hosts, prober=lambda targets, timeout: seen.extend(targets) or
        {t.host for t in targets})
    assert {(t.host, t.address, t.port) for t in seen} == {('node0000', '10.1.1.1', 2200), ('node0001', 'node0001', 22)}


def test_many_dead_hosts_are_probed_in_few_rounds():
    hosts = fleet(200)
    order = list(hosts)
    prober = FakeProber(dead=set(order[:150]))
    result = run(spec(dict(DNS, count=3), probe={}), hosts, prober=prober)
    assert len(members(result, 'dns_servers')) == 3
    assert len(prober.calls) < 40  # probing ahead, not one dead host per round


# -- expression failures ------------------------------------------------------
@pytest.mark.parametrize('rule, top, field, message', [
    (dict(DNS, when='memory_gb | int >= 1'), {}, 'when', "'memory_gb' is undefined"),
    (dict(DNS, when='memory_mb'), {}, 'when', 'is not true or false'),
    (dict(DNS, when='memory_mb ~ 1 > 3'), {}, 'when', "TypeError: '>' not supported"),
    (dict(DNS, spread_by='cabinet'), {}, 'spread_by', "'cabinet' is undefined: every candidate needs it"),
    (dict(DNS, per='placement'), {}, 'per', 'is not a string or number'),
    (DNS, {'available': 'up'}, 'available', "'up' is undefined"),
])
def test_expression_errors_name_rule_field_and_host(rule, top, field, message):
    hosts = fleet(3)
    for host in hosts.values():
        host['placement'] = {'row': 1}
    with pytest.raises(EvalError) as info:
        run(spec(rule, **top), hosts)
    error = info.value
    assert (error.path, error.rule, error.field, error.host) == ('site.rules.yml', 'dns', field, 'node0000')
    assert message in str(error)
    assert str(error).startswith(f"site.rules.yml: rule 'dns': field '{field}': failed for host node0000: ")


# -- determinism --------------------------------------------------------------
SCRIPT = textwrap.dedent('''
    import json
    from ansible_collections.podim.fleet.tests.unit.plugins.plugin_utils.rules.helpers import fleet, run, spec
    from ansible_collections.podim.fleet.tests.unit.plugins.plugin_utils.rules.test_engine import STABLE_RULES
    result = run(spec(*STABLE_RULES), fleet(300, racks=7, zones=3))
    print(json.dumps([result.groups, result.hostvars, result.states], sort_keys=True))
''')


def test_same_decision_under_any_hash_seed():
    outputs = set()
    for seed in ('0', '1', '12345', 'random'):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        proc = subprocess.run([sys.executable, '-c', SCRIPT], env=env, capture_output=True, text=True, check=True)
        outputs.add(proc.stdout)
    assert len(outputs) == 1
    groups = json.loads(outputs.pop())[0]
    assert len(groups['dns_servers']) == 3


def test_member_taken_by_an_earlier_rule():
    hosts = fleet(6)
    rules = spec(dict(DNS, count=1), {'name': 'web', 'group': 'web', 'hosts': 'linux:!dns_servers', 'count': {'min': 1}})
    first = run(rules, hosts)
    gone = members(first, 'dns_servers')[0]
    del hosts[gone]
    second = run(rules, hosts, previous=first.states)
    taken = members(second, 'dns_servers')[0]
    assert second.changes == [f'dns_servers: +{taken} replaces {gone} (left the inventory)',
                              f"web: -{taken} (now in dns_servers, which hosts 'linux:!dns_servers' excludes; "
                              'no replacement)']


@pytest.mark.parametrize('rule, top, field', [
    (dict(DNS, when="rack['__class__'] is defined"), {}, 'when'),
    (dict(DNS, when="(rack | attr(secret)) is defined"), {}, 'when'),
    (dict(DNS, spread_by="'{0.__class__}' ~ rack"), {}, None),  # a plain string: fine
    (dict(DNS, spread_by="rack_fmt.format(rack)"), {}, 'spread_by'),
    (dict(DNS, per="rack[secret]"), {}, 'per'),
    (DNS, {'available': "rack[secret] | default(true)"}, 'available'),
])
def test_sandbox_refusals_on_a_host_are_errors_naming_rule_field_and_host(rule, top, field):
    hosts = fleet(3)
    for host in hosts.values():
        host.update(secret='__class__', rack_fmt='{0.__class__}')
    if field is None:
        run(spec(rule, **top), hosts)
        return
    with pytest.raises(EvalError) as info:
        run(spec(rule, **top), hosts)
    error = info.value
    assert (error.path, error.rule, error.field, error.host) == ('site.rules.yml', 'dns', field, 'node0000')
    assert 'SecurityError' in str(error) and 'unsafe' in str(error)
