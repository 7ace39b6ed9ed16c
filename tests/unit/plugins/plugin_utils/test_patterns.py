# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host patterns over a {group: [hosts]} mapping, as Ansible evaluates them."""

from __future__ import annotations

import pytest

from ansible_collections.podim.fleet.plugins.plugin_utils.patterns import (
    HostPatterns, PatternError, select_hosts, split_pattern, term_refers_to,
)

HOSTS = ['web1', 'web2', 'db1', 'db2', 'lb1', '10.0.0.1']
GROUPS = {
    'all': HOSTS,
    'web': ['web1', 'web2'],
    'db': ['db1', 'db2'],
    'eu': ['web1', 'db1', 'lb1'],
    'us': ['web2', 'db2'],
}


@pytest.mark.parametrize('pattern, expected', [
    ('all', HOSTS),
    ('*', HOSTS),
    ('web', ['web1', 'web2']),
    ('web:db', ['web1', 'web2', 'db1', 'db2']),
    ('web,db', ['web1', 'web2', 'db1', 'db2']),
    ('web:db:web', ['web1', 'web2', 'db1', 'db2']),
    ('eu:&web', ['web1']),
    ('web:db:&eu', ['web1', 'db1']),
    ('all:!eu', ['web2', 'db2', '10.0.0.1']),
    ('web:db:!us', ['web1', 'db1']),
    ('!eu', ['web2', 'db2', '10.0.0.1']),
    ('&eu', ['web1', 'db1', 'lb1']),
    ('web*', ['web1', 'web2']),  # host glob (and no group matches web*... except web itself)
    ('d?1', ['db1']),
    ('~(web|lb)\\d', ['web1', 'web2', 'lb1']),
    ('web[0]', ['web1']),
    ('web[-1]', ['web2']),
    ('all[1:2]', ['web2', 'db1']),
    ('all[4:]', ['lb1', '10.0.0.1']),
    ('db1', ['db1']),
    ('10.0.0.1', ['10.0.0.1']),
    ('nosuch', []),
    (['web', 'db'], ['web1', 'web2', 'db1', 'db2']),
])
def test_select(pattern, expected):
    assert HostPatterns(GROUPS, HOSTS).select(pattern) == expected


def test_group_globs_take_the_groups_hosts():
    assert HostPatterns(GROUPS, HOSTS).select('e*') == ['web1', 'db1', 'lb1']


@pytest.mark.parametrize('pattern', ['', 'web:!', 'web:&', '~web[', ' , '])
def test_errors(pattern):
    with pytest.raises(PatternError):
        HostPatterns(GROUPS, HOSTS).select(pattern)


def test_split():
    assert split_pattern('a:b[1:2]:!c') == ['a', 'b[1:2]', '!c']
    assert split_pattern('a, b') == ['a', 'b']


def test_results_are_copies_and_cached():
    patterns = HostPatterns(GROUPS, HOSTS)
    first = patterns.select('web')
    first.append('x')
    assert patterns.select('web') == ['web1', 'web2']
    assert GROUPS['web'] == ['web1', 'web2']


def test_add_group_is_seen_and_never_changes_the_callers_mapping():
    groups = dict(GROUPS)
    patterns = HostPatterns(groups, HOSTS)
    assert patterns.select('all:!dns') == HOSTS
    patterns.add_group('dns', ['db1'])
    assert patterns.select('all:!dns') == ['web1', 'web2', 'db2', 'lb1', '10.0.0.1']
    assert patterns.select('dns:web') == ['db1', 'web1', 'web2']
    assert 'dns' not in groups


def test_hosts_default_to_all_group():
    assert select_hosts('!web', GROUPS) == ['db1', 'db2', 'lb1', '10.0.0.1']
    assert HostPatterns({'a': ['x'], 'b': ['y', 'x']}).select('all') == ['x', 'y']


@pytest.mark.parametrize('term, expected', [
    ('db_servers', True),
    ('db_servers[0]', True),
    ('db_servers[0:2]', True),
    ('db*', True),
    ('db_serv?rs', True),
    ('[d]b_servers', True),
    ('~db_.*', True),
    ('~^db', True),
    ('~servers', False),  # re.match: anchored at the start, as select() matches
    ('web*', False),
    ('db', False),
    ('all', False),  # every host, not the groups
    ('*', False),
    ('~[', False),  # an invalid regex refers to nothing (parse_hosts reports it)
])
def test_term_refers_to(term, expected):
    assert term_refers_to(term, 'db_servers') is expected


@pytest.mark.parametrize('term', ['db*', '~db', 'db_servers', 'db_servers[0]'])
def test_term_refers_to_agrees_with_select(term):
    # a term that refers to a group selects its hosts once the group exists
    patterns = HostPatterns({**GROUPS, 'db_servers': ['lb1']}, HOSTS)
    assert term_refers_to(term, 'db_servers')
    assert 'lb1' in patterns.select(term)
