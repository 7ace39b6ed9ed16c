# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HostPatterns against ansible-core's own InventoryManager, over one real inventory and a table of patterns.

Every pattern selects the same hosts in the same order, except the deliberate
differences documented in docs/rules.md ("Host patterns"), asserted here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ansible.errors import AnsibleError
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader

from ansible_collections.podim.fleet.plugins.plugin_utils.patterns import HostPatterns, PatternError

INVENTORY = """
all:
  hosts:
    '2001:db8::1': {}
    'fe80::a': {}
    lb1.example.com: {}
  children:
    web:
      hosts:
        web1: {}
        web2: {}
        web3: {}
        web4: {}
    db:
      hosts:
        db1: {}
        db2: {}
        web1: {}
    eu:
      hosts:
        web1: {}
        db1: {}
        '2001:db8::1': {}
      children:
        eu_edge:
          hosts:
            lb1.example.com: {}
    web1x:
      hosts:
        db2: {}
"""

SAME = [
    'all', '*', 'web', 'db', 'eu', 'web:db', 'web,db', 'db:web',
    'web[0]', 'web[3]', 'web[-1]', 'web[-4]', 'web[1:3]', 'web[1:]', 'web[0:0]', 'web[2:0]', 'web[1:9]',
    'web*', 'web?', 'w*[1]', 'e*', 'al*', '*.example.com', 'lb1.*',
    '~web\\d', '~(web|db)[12]$', '~^e', '~.*::.*',
    'web:&eu', 'web:!eu', '!eu', '&eu', 'web:db:&eu:!web1', 'all:!web:!db', 'web,&db', 'eu:!eu_edge',
    '2001:db8::1', 'fe80::a', '2001:db8::1,web2', 'all,!2001:db8::1', 'lb1.example.com', 'eu_edge',
    'web1', 'web1:db2', '!web1', 'web1x', 'web1x:web1', 'nosuch', 'web:nosuch', 'db[0]:web[-1]',
]

IMPLICIT = 'the implicit localhost'

# name -> what Ansible does, what we do (and why: docs/rules.md "Host patterns")
DIFFERENT = {
    'localhost': (IMPLICIT, []),  # Ansible's implicit localhost is never a candidate
    '127.0.0.1': (IMPLICIT, []),
    'web[4]': (AnsibleError, []),  # past the end: no host instead of "No hosts matched the subscripted pattern"
    'web[-5]': (AnsibleError, []),
}


@pytest.fixture(scope='module')
def inventories(tmp_path_factory):
    path = Path(tmp_path_factory.mktemp('inventory')) / 'hosts.yml'
    path.write_text(INVENTORY)
    manager = InventoryManager(loader=DataLoader(), sources=[str(path)])
    inventory = manager._inventory
    groups = {name: [host.name for host in group.get_hosts()] for name, group in inventory.groups.items()}
    return manager, HostPatterns(groups, list(inventory.hosts))


def ansible(manager, pattern):
    manager.clear_pattern_cache()
    try:
        hosts = manager.get_hosts(pattern)
    except AnsibleError:
        return AnsibleError
    if len(hosts) == 1 and hosts[0].implicit:
        return IMPLICIT
    return [host.name for host in hosts]


@pytest.mark.parametrize('pattern', SAME)
def test_same_hosts_as_ansible(inventories, pattern):
    manager, ours = inventories
    expected = ansible(manager, pattern)
    assert expected is not AnsibleError
    assert ours.select(pattern) == expected


@pytest.mark.parametrize('pattern', sorted(DIFFERENT))
def test_documented_differences(inventories, pattern):
    manager, ours = inventories
    theirs, mine = DIFFERENT[pattern]
    assert ansible(manager, pattern) == theirs
    assert ours.select(pattern) == mine


def test_the_differences_are_documented():
    doc = (Path(__file__).parents[4] / 'docs' / 'rules.md').read_text()
    section = doc.split('### Host patterns', 1)[1].split('\n#', 1)[0]
    for word in ('implicit localhost', 'past the end', 'without its pair', 'split_host_pattern'):
        assert word in section


@pytest.mark.parametrize('pattern', ['~web[', 'web]', 'web:[1'])
def test_a_bracket_without_its_pair_is_an_error_not_dropped(inventories, pattern):
    # Ansible's split drops it silently (`~web[` becomes `~web`)
    with pytest.raises(PatternError, match='without its pair'):
        inventories[1].select(pattern)
