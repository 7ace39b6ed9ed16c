# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""InventoryView reads Ansible's InventoryData with Ansible's precedence, lazily."""

from __future__ import annotations

import jinja2
import pytest
from ansible.inventory.data import InventoryData
from ansible.inventory.helpers import get_group_vars
from ansible.utils.vars import combine_vars

from ansible_collections.podim.fleet.plugins.plugin_utils.rules.view import InventoryView, StaticView, short_name


@pytest.fixture
def data():
    inv = InventoryData()
    for group in ('linux', 'web', 'eu', 'eu_web'):
        inv.add_group(group)
    inv.add_child('eu', 'eu_web')
    for host in ('web1.example.com', 'web2', 'db1', '10.0.0.7'):
        inv.add_host(host, group='linux')
    inv.add_child('web', 'web1.example.com')
    inv.add_child('web', 'web2')
    inv.add_child('eu_web', 'web1.example.com')
    inv.set_variable('all', 'memory_mb', 512)
    inv.set_variable('linux', 'memory_mb', 1024)
    inv.set_variable('web', 'memory_mb', 2048)
    inv.set_variable('eu', 'region', 'eu-west')
    inv.set_variable('eu_web', 'region', 'eu-central')  # deeper group wins
    inv.set_variable('web2', 'memory_mb', 4096)  # host wins
    inv.set_variable('db1', 'label', '{{ 40 + 2 }}')
    inv.groups['web'].set_priority(10)
    return inv


def ansible_vars(inv, host):
    obj = inv.get_host(host)
    return combine_vars(get_group_vars(obj.get_groups()), obj.get_vars())


@pytest.mark.parametrize('host', ['web1.example.com', 'web2', 'db1', '10.0.0.7'])
@pytest.mark.parametrize('name', ['memory_mb', 'region', 'inventory_hostname', 'inventory_hostname_short',
                                  'group_names'])
def test_same_values_as_ansible(data, host, name):
    view = InventoryView(data)
    expected = ansible_vars(data, host).get(name)
    value = view.variables(host)[name]
    if expected is None:
        assert isinstance(value, jinja2.Undefined)
    else:
        assert value == expected


def test_templated_values_are_rendered(data):
    rendered = []

    def render(host, value):
        rendered.append((host, value))
        return 42

    view = InventoryView(data, render=render)
    assert view.variables('db1')['label'] == 42
    assert rendered == [('db1', '{{ 40 + 2 }}')]


def test_lazy_and_cached_per_host(data):
    view = InventoryView(data)
    variables = view.variables('web2')
    assert dict(variables) == {}
    assert variables['memory_mb'] == 4096
    assert dict(variables) == {'memory_mb': 4096}


def test_full_vars_for_merging(data):
    view = InventoryView(data, full_vars=lambda host: {'memory_mb': 1})
    assert view.variables('web2')['memory_mb'] == 1


def test_groups_listed_on_demand(data):
    view = InventoryView(data)
    assert view.hosts == ['web1.example.com', 'web2', 'db1', '10.0.0.7']
    assert view.groups['eu'] == ['web1.example.com']  # children's hosts included
    assert view.groups['web'] == ['web1.example.com', 'web2']
    assert view.groups['all'] == view.hosts
    assert 'eu_web' in view.groups and 'nosuch' not in view.groups
    assert set(view.groups) == set(data.groups)


def test_static_view():
    view = StaticView({'a.example.com': {'x': 1}, 'b': {}}, {'web': ['b']})
    assert view.variables('a.example.com')['x'] == 1
    assert view.variables('a.example.com')['inventory_hostname_short'] == 'a'
    assert view.variables('b')['group_names'] == ['web']
    assert view.groups['all'] == ['a.example.com', 'b']


@pytest.mark.parametrize('host, short', [('web1.example.com', 'web1'), ('web2', 'web2'), ('10.0.0.7', '10.0.0.7'),
                                         ('fe80::1', 'fe80::1')])
def test_short_name(host, short):
    assert short_name(host) == short
