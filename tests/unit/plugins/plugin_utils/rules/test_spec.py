# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A malformed rules file fails with the file, the rule and the field."""

from __future__ import annotations

import pytest

from ansible_collections.podim.fleet.plugins.plugin_utils.rules.errors import SpecError
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.spec import (
    Count, Probe, check_top_level, parse_spec,
)

PATH = 'site.rules.yml'
DNS = {'name': 'dns', 'group': 'dns_servers', 'count': 2}


def parse(*rules, **top):
    return parse_spec(PATH, list(rules), **top)


def test_a_full_rule():
    spec = parse({'name': 'dns', 'group': 'dns_servers', 'hosts': 'linux:!db_servers', 'when': 'memory_mb | int >= 1024',
                  'count': 2, 'spread_by': 'rack', 'per': 'zone', 'vars': {'bind_role': 'secondary'}},
                 available='podim_available | default(true)', probe={'port': 22, 'timeout': 0.5}, on_unmet='warn')
    rule = spec.rules[0]
    assert (rule.name, rule.group, rule.hosts, rule.count) == ('dns', 'dns_servers', 'linux:!db_servers', Count(2, 2))
    assert rule.when.source == 'memory_mb | int >= 1024'
    assert rule.spread_by.source == 'rack' and rule.per.source == 'zone'
    assert rule.vars == {'bind_role': 'secondary'}
    assert spec.probe == Probe(22, 0.5) and spec.on_unmet == 'warn'
    assert spec.names == {'memory_mb', 'rack', 'zone', 'podim_available', 'ansible_host', 'ansible_port'}


@pytest.mark.parametrize('count, expected', [
    (None, Count(1, 1)),
    (3, Count(3, 3)),
    ({'min': 2, 'max': 3}, Count(2, 3)),
    ({'min': 1}, Count(1, None)),
    ({'max': 4}, Count(1, 4)),
    ({'min': 0, 'max': 2}, Count(0, 2)),
    ({'min': 0}, Count(0, None)),
])
def test_counts(count, expected):
    rule = dict(DNS, count=count) if count is not None else {'name': 'dns', 'group': 'dns_servers'}
    assert parse(rule).rules[0].count == expected


def test_defaults():
    rule = parse({'name': 'dns', 'group': 'dns_servers'}).rules[0]
    assert rule.hosts == 'all' and rule.when is None and rule.spread_by is None and rule.per is None
    spec = parse(DNS)
    assert spec.available is None and spec.probe is None and spec.on_unmet == 'error'


def test_when_lists_and_constants():
    spec = parse(dict(DNS, when=['a | int > 1', 'b is defined']), available=True)
    assert spec.rules[0].when({'a': 2, 'b': 1}) is True
    assert spec.rules[0].when({'a': 2}) is False
    assert spec.available({}) is True


def test_hosts_list_is_a_union():
    assert parse(dict(DNS, hosts=['web', 'db'])).rules[0].hosts == 'web,db'


def test_probe_true_means_defaults():
    assert parse(DNS, probe=True).probe == Probe(None, 1.0)
    assert parse(DNS, probe={}).probe == Probe(None, 1.0)


@pytest.mark.parametrize('rules, top, where, field, message', [
    ([], {}, None, 'rules', 'non-empty list'),
    ('dns', {}, None, 'rules', 'non-empty list'),
    (['dns'], {}, 'rules[0]', None, 'must be a mapping'),
    ([{'group': 'g'}], {}, 'rules[0]', 'name', 'is required'),
    ([{'name': 'a b', 'group': 'g'}], {}, 'rules[0]', 'name', 'is invalid'),
    ([{'name': 7, 'group': 'g'}], {}, 'rules[0]', 'name', 'is invalid'),
    ([{'name': 'dns'}], {}, "rule 'dns'", 'group', 'is required'),
    ([{'name': 'dns', 'group': 'dns-servers'}], {}, "rule 'dns'", 'group', 'not a valid group name'),
    ([{'name': 'dns', 'group': 'all'}], {}, "rule 'dns'", 'group', 'reserved'),
    ([dict(DNS, cout=2)], {}, "rule 'dns'", 'cout', "did you mean 'count'"),
    ([dict(DNS, count=0)], {}, "rule 'dns'", 'count', 'must be 1 or more'),
    ([dict(DNS, count='2')], {}, "rule 'dns'", 'count', 'whole number'),
    ([dict(DNS, count=True)], {}, "rule 'dns'", 'count', 'whole number'),
    ([dict(DNS, count=2.5)], {}, "rule 'dns'", 'count', 'whole number'),
    ([dict(DNS, count={'min': 3, 'max': 2})], {}, "rule 'dns'", 'count', 'greater than max'),
    ([dict(DNS, count={'min': -1})], {}, "rule 'dns'", 'count', 'min must be 0 or more'),
    ([dict(DNS, count={'max': 0})], {}, "rule 'dns'", 'count', 'max must be 1 or more'),
    ([dict(DNS, count={'mn': 1})], {}, "rule 'dns'", 'count', "did you mean 'min'"),
    ([dict(DNS, hosts='')], {}, "rule 'dns'", 'hosts', 'host pattern'),
    ([dict(DNS, hosts='web:!')], {}, "rule 'dns'", 'hosts', 'is empty'),
    ([dict(DNS, hosts='~web[')], {}, "rule 'dns'", 'hosts', 'invalid host pattern'),
    ([dict(DNS, hosts=[])], {}, "rule 'dns'", 'hosts', 'non-empty strings'),
    ([dict(DNS, when='memory_mb >=')], {}, "rule 'dns'", 'when', 'invalid Jinja2 expression'),
    ([dict(DNS, when='x | nosuch')], {}, "rule 'dns'", 'when', "no filter named 'nosuch'"),
    ([dict(DNS, when=3)], {}, "rule 'dns'", 'when', 'must be a Jinja2 expression'),
    ([dict(DNS, when=[3])], {}, "rule 'dns'", 'when', 'must hold strings'),
    ([dict(DNS, spread_by='')], {}, "rule 'dns'", 'spread_by', 'must name a host variable'),
    ([dict(DNS, spread_by='rack |')], {}, "rule 'dns'", 'spread_by', 'invalid Jinja2 expression'),
    ([dict(DNS, per=['zone'])], {}, "rule 'dns'", 'per', 'must name a host variable'),
    ([dict(DNS, vars=['a'])], {}, "rule 'dns'", 'vars', 'must be a mapping'),
    ([dict(DNS, vars={'bad-name': 1})], {}, "rule 'dns'", 'vars', 'not a valid variable name'),
    ([DNS, dict(DNS, group='other')], {}, 'rules[1]', 'name', 'already the name of rules[0]'),
    ([DNS, dict(DNS, name='dns2')], {}, "rule 'dns2'", 'group', "already filled by rule 'dns'"),
    ([DNS], {'available': 'x |'}, None, 'available', 'invalid Jinja2 expression'),
    ([DNS], {'probe': {'port': 0}}, None, 'probe', 'TCP port number'),
    ([DNS], {'probe': {'port': '22'}}, None, 'probe', 'TCP port number'),
    ([DNS], {'probe': {'timeout': 0}}, None, 'probe', 'timeout must be'),
    ([DNS], {'probe': {'timeout': 600}}, None, 'probe', 'timeout must be'),
    ([DNS], {'probe': {'prot': 22}}, None, 'probe', "did you mean 'port'"),
    ([DNS], {'probe': 22}, None, 'probe', 'must be a mapping'),
    ([DNS], {'on_unmet': 'ignore'}, None, 'on_unmet', 'must be error or warn'),
])
def test_errors_name_file_rule_and_field(rules, top, where, field, message):
    with pytest.raises(SpecError) as info:
        parse_spec(PATH, rules, **top)
    error = info.value
    assert (error.path, error.rule, error.field) == (PATH, where, field)
    assert message in str(error)
    assert str(error).startswith(PATH + ': ')


def test_unknown_top_level_key():
    check_top_level(PATH, {'plugin': 'podim.fleet.rules', 'rules': [], 'strict': True}, ['strict'])
    with pytest.raises(SpecError, match="unknown key 'rule'; did you mean 'rules'"):
        check_top_level(PATH, {'plugin': 'podim.fleet.rules', 'rule': []}, ['strict'])


def test_message_format():
    with pytest.raises(SpecError) as info:
        parse(dict(DNS, count=0))
    assert str(info.value) == ("site.rules.yml: rule 'dns': field 'count': count must be 1 or more, got 0 "
                               "(write {min: 0, max: N} for an optional group)")
