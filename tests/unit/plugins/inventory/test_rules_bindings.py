# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bindings through real ansible-inventory runs: host vars, memory, failover, history, errors."""

from __future__ import annotations

import math
import sqlite3
import textwrap
from collections import Counter

import pytest

from ansible_collections.podim.fleet.tests.unit.plugins.inventory.test_rules import HOSTS, Inventory
from ansible_collections.podim.fleet.tests.unit.plugins.inventory.test_rules import RULES as BASE_RULES

# the dns rule of test_rules.py, then a binding of every host to both DNS servers
RULES = (BASE_RULES[:BASE_RULES.index('  - name: cache')] + 'available: "podim_available | default(true)"\n'
         + textwrap.dedent('''
             bindings:
               - name: resolvers
                 clients: all
                 servers: dns_servers
                 count: 2
         ''').lstrip('\n'))


def many_hosts(n: int) -> str:
    lines = ['all:', '  children:', '    linux:', '      hosts:']
    lines += [f'        h{i:03d}: {{rack: r{i % 4}, memory_mb: 2048}}' for i in range(n)]
    return '\n'.join(lines) + '\n'


@pytest.fixture
def inventory(tmp_path, sqlite_url, namespace):
    return Inventory(tmp_path, sqlite_url, namespace)


def bound_lists(run) -> dict[str, list[str]]:
    hostvars = run.json()['_meta']['hostvars']
    return {host: v['podim_fleet_bindings']['resolvers']['servers'] for host, v in hostvars.items()
            if 'podim_fleet_bindings' in v}


def test_every_client_is_bound_to_the_servers_of_a_rule(inventory):
    run = inventory('--list', rules=RULES)
    assert run.rc == 0, run.err
    data = run.json()
    dns = data['dns_servers']['hosts']
    lists = bound_lists(run)
    assert set(lists) == set(data['_meta']['hostvars'])
    assert all(sorted(servers) == sorted(dns) for servers in lists.values())
    firsts = Counter(servers[0] for servers in lists.values())
    assert set(firsts) == set(dns), 'each server is first for some client'
    assert max(firsts.values()) <= math.ceil(1.25 * len(lists) / 2)
    why = data['_meta']['hostvars']['node04']['podim_fleet_bindings']['resolvers']['why']
    assert why.startswith('rank ')


def test_remembered_and_unchanged_on_the_next_run(inventory):
    first = bound_lists(inventory('--list', rules=RULES))
    again = inventory('--list', rules=RULES)
    assert bound_lists(again) == first
    assert "binding 'resolvers'" not in again.err


def test_a_failed_server_changes_only_the_lists_that_held_it_and_is_in_the_history(inventory, sqlite_url):
    hosts = many_hosts(40)
    before_run = inventory('--list', rules=RULES, hosts=hosts)
    assert before_run.rc == 0, before_run.err
    before = bound_lists(before_run)
    dns = before_run.json()['dns_servers']['hosts']
    dead = dns[0]
    after_run = inventory('--list', rules=RULES, hosts=hosts.replace(f'{dead}: {{', f'{dead}: {{podim_available: false, '))
    assert after_run.rc == 0, after_run.err
    after = bound_lists(after_run)
    survivor = dns[1]
    changed = {c for c in after if after[c] != before.get(c)}
    assert changed == {c for c in before if dead in before[c]}, 'with 2 servers and count 2: every list held it'
    assert all(after[c][0] == survivor for c in before if before[c][0] == survivor), 'survivor kept first'
    assert all(dead not in servers for servers in after.values())
    assert f"binding 'resolvers': {len(changed)} of 40 clients rebound ({dead} no longer a server): " in after_run.err
    path = sqlite_url.removeprefix('sqlite:///')
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT host, grp FROM podim_history WHERE kind = 'rebound'").fetchall()
    assert {row[0] for row in rows} == changed and {row[1] for row in rows} == {'resolvers'}


def test_near_prefers_servers_of_the_same_value(inventory):
    rules = RULES.replace('count: 2\n    spread_by: rack', 'count: 4\n    spread_by: rack') \
                 .replace('servers: dns_servers\n    count: 2', 'servers: dns_servers\n    count: 1\n    near: rack')
    hosts = many_hosts(40)
    run = inventory('--list', rules=rules, hosts=hosts)
    assert run.rc == 0, run.err
    data = run.json()
    rack_of = {h: v['rack'] for h, v in data['_meta']['hostvars'].items()}
    for client, servers in bound_lists(run).items():
        assert rack_of[servers[0]] == rack_of[client], client


def test_no_server_fails_like_an_unmet_rule_and_remembers_nothing(inventory, sqlite_url):
    rules = RULES.replace('servers: dns_servers', 'servers: "dns_servers:&nothing_here"')
    run = inventory('--list', rules=rules)
    assert run.rc != 0
    assert "binding 'resolvers' asks for 2 servers per client, found 0 available of 0 matching" in run.err
    warned = inventory('--list', rules=rules + '    on_unmet: warn\n')
    assert warned.rc == 0, warned.err
    assert 'binding not met (on_unmet: warn)' in warned.err
    assert bound_lists(warned) == {}


def test_unavailable_servers_are_named_when_too_few_remain(inventory):
    rules = RULES.replace('servers: dns_servers', 'servers: linux')
    hosts = HOSTS
    for host in ('node01', 'node02', 'node03', 'node05', 'node06'):
        hosts = hosts.replace(f'{host}: {{', f'{host}: {{podim_available: false, ')
    run = inventory('--list', rules=rules.replace('count: 2\n    spread_by', 'count: 1\n    spread_by'),
                    hosts=hosts)
    assert run.rc != 0
    assert 'found 1 available of 6 matching' in run.err and 'node01: unavailable: available is false' in run.err


@pytest.mark.parametrize('binding,message', [
    ('  - {name: resolvers, clients: all, servers: dns_servers, count: 99}',
     "binding 'resolvers': field 'count': must be an integer from 1 to 16"),
    ('  - {name: "x; rm", clients: all, servers: dns_servers}', "bindings[0]: field 'name': must be an identifier"),
    ('  - {name: r, clients: all, servers: dns_servers, near: "{{ lookup(\'pipe\', \'id\') }}"}',
     "binding 'r': field 'near': must be the name of a host variable"),
    ('  - {name: r, clients: all, server: dns_servers}', "field 'server': unknown key 'server'; did you mean"),
])
def test_hostile_bindings_fail_naming_file_binding_and_field(inventory, binding, message):
    rules = RULES[:RULES.index('bindings:')] + 'bindings:\n' + binding + '\n'
    run = inventory('--list', rules=rules)
    assert run.rc != 0
    assert 'site.rules.yml' in run.err and message in run.err
