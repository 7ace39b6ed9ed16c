# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A malformed rules file fails with the file, the rule and the field."""

from __future__ import annotations

import pytest

from ansible_collections.podim.fleet.plugins.plugin_utils.rules.errors import SpecError
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.spec import (
    Count, Probe, check_constructed, check_top_level, parse_bool, parse_spec,
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


# -- what a rule's vars may set ------------------------------------------------------------
@pytest.mark.parametrize('name, message', [
    ('podim_fleet_rules', 'belong to the plugin'),  # the plugin's own explanation
    ('podim_fleet_anything', 'belong to the plugin'),
    ('inventory_hostname', 'reserved by Ansible'),
    ('inventory_hostname_short', 'reserved by Ansible'),
    ('group_names', 'reserved by Ansible'),
    ('groups', 'reserved by Ansible'),
    ('hostvars', 'reserved by Ansible'),
    ('omit', 'reserved by Ansible'),
    ('playbook_dir', 'reserved by Ansible'),
    ('ansible_play_hosts', 'reserved by Ansible'),
    ('ansible_facts', 'reserved by Ansible'),
    ('vars', 'reserved by Ansible'),
    ('bad-name', 'not a valid variable name'),
    ('1st', 'not a valid variable name'),
    ('class', 'not a valid variable name'),
    ('x' * 101, 'not a valid variable name'),
    (7, 'not a valid variable name'),
])
def test_vars_must_not_set_reserved_names(name, message):
    with pytest.raises(SpecError) as info:
        parse(dict(DNS, vars={'bind_role': 'secondary', name: 1}))
    assert (info.value.rule, info.value.field) == ("rule 'dns'", 'vars')
    assert message in str(info.value) and repr(name) in str(info.value)


def test_reserved_names_given_by_the_caller():
    # the plugin adds Ansible's reserved names (play keywords ...)
    with pytest.raises(SpecError, match="variable 'port' is reserved by Ansible"):
        parse_spec(PATH, [dict(DNS, vars={'port': 53})], reserved={'port'})
    assert parse(dict(DNS, vars={'port': 53})).rules[0].vars == {'port': 53}


# -- a rule sees only the groups of earlier rules ---------------------------------------------
DB = {'name': 'db', 'group': 'db_servers', 'count': 1}


@pytest.mark.parametrize('hosts', [
    'linux:!db_servers', 'linux:&db_servers', 'db_servers', 'linux,db_servers', ['linux', '!db_servers'],
    'db_servers[0]', 'linux:!db_servers[0:1]', 'linux:!db*', '~db_.*', 'linux:!~^db', 'linux:!db_serv?rs',
])
def test_hosts_referring_to_a_later_rule_is_an_error(hosts):
    with pytest.raises(SpecError) as info:
        parse(dict(DNS, hosts=hosts), DB)
    error = info.value
    assert (error.rule, error.field) == ("rule 'dns'", 'hosts')
    assert "group 'db_servers', which the later rule 'db' fills" in str(error)
    assert "move rule 'db' before rule 'dns'" in str(error)


@pytest.mark.parametrize('field, value', [
    ('when', "inventory_hostname not in groups['db_servers']"),
    ('when', 'inventory_hostname not in groups.db_servers'),
    ('when', "'db_servers' not in group_names"),
    ('when', ["memory_mb > 1", "'db_servers' in group_names"]),
    ('spread_by', "'db_servers' in group_names"),
    ('per', "groups['db_servers'] | length"),
])
def test_expressions_reading_a_later_rules_group_are_an_error(field, value):
    with pytest.raises(SpecError) as info:
        parse(dict(DNS, **{field: value}), DB)
    assert (info.value.rule, info.value.field) == ("rule 'dns'", field)
    assert "group 'db_servers', which the later rule 'db' fills" in str(info.value)


def test_a_rule_referring_to_its_own_group_is_an_error():
    with pytest.raises(SpecError, match="refers to group 'dns_servers', which this rule fills itself"):
        parse(dict(DNS, hosts='linux:!dns_servers'))
    with pytest.raises(SpecError, match="which this rule fills itself"):
        parse(dict(DNS, when="'dns_servers' not in group_names"))


def test_available_must_not_read_a_rules_group():
    with pytest.raises(SpecError) as info:
        parse(DNS, DB, available="'db_servers' not in group_names")
    assert (info.value.rule, info.value.field) == (None, 'available')
    assert "group 'db_servers', which rule 'db' fills" in str(info.value)


@pytest.mark.parametrize('hosts, when', [
    ('linux:!dns_servers', "'dns_servers' not in group_names"),  # an earlier rule's group
    ('linux:!web', "groups['web'] | length > 0"),  # a group of the inventory
    ('d*', None),  # a glob over host names may match the rule's own (still empty) group
    ('all', None),
    ('*', None),
])
def test_earlier_and_inventory_groups_are_fine(hosts, when):
    rule = {'name': 'db', 'group': 'db_servers', 'hosts': hosts, 'when': when}
    assert parse(DNS, rule).rules[1].hosts == hosts


# -- every option validated --------------------------------------------------------------------
@pytest.mark.parametrize('rules, top, where, field, message', [
    ([dict(DNS, count=100_001)], {}, "rule 'dns'", 'count', 'at most 100000'),
    ([dict(DNS, count={'min': 1, 'max': 10 ** 9})], {}, "rule 'dns'", 'count', 'at most 100000'),
    ([{'name': 'dns', 'group': 'g' * 101}], {}, "rule 'dns'", 'group', 'not a valid group name'),
    ([{'name': 'dns', 'group': 'class'}], {}, "rule 'dns'", 'group', 'not a valid group name'),
    ([{'name': 'dns', 'group': 'dns servers'}], {}, "rule 'dns'", 'group', 'not a valid group name'),
    ([{'name': 'n' * 101, 'group': 'g'}], {}, 'rules[0]', 'name', 'is invalid'),
    ([DNS], {'on_unmet': ['warn']}, None, 'on_unmet', 'must be error or warn'),
    ([DNS], {'on_unmet': None}, None, 'on_unmet', 'must be error or warn'),
    ([DNS], {'probe': {'port': 65536}}, None, 'probe', 'TCP port number'),
    ([DNS], {'probe': {'port': -1}}, None, 'probe', 'TCP port number'),
    ([DNS], {'probe': {'timeout': -1}}, None, 'probe', 'timeout must be'),
    ([DNS], {'probe': {'timeout': float('nan')}}, None, 'probe', 'timeout must be'),
    ([DNS], {'probe': {'timeout': float('inf')}}, None, 'probe', 'timeout must be'),
    ([DNS], {'probe': {'timeout': '1'}}, None, 'probe', 'timeout must be'),
    ([DNS], {'probe': 'yes'}, None, 'probe', 'must be a mapping'),
])
def test_bad_values_are_errors(rules, top, where, field, message):
    with pytest.raises(SpecError) as info:
        parse_spec(PATH, rules, **top)
    assert (info.value.rule, info.value.field) == (where, field)
    assert message in str(info.value)


@pytest.mark.parametrize('value, expected', [
    (True, True), (False, False), ('true', True), ('False', False), ('yes', True), ('no', False), ('on', True),
    ('off', False), ('1', True), ('0', False), (1, True), (0, False), ('y', True), ('n', False),
])
def test_booleans(value, expected):
    assert parse_bool(PATH, 'remember', value) is expected


@pytest.mark.parametrize('value', ['maybe', '', 'truee', 2, 0.5, None, [], {}])
def test_not_booleans(value):
    with pytest.raises(SpecError) as info:
        parse_bool(PATH, 'remember', value, source='the environment variable PODIM_FLEET_RULES_REMEMBER')
    assert info.value.field == 'remember'
    assert f'must be a boolean (true/false, yes/no, on/off, 1/0), got {value!r}' in str(info.value)
    assert 'PODIM_FLEET_RULES_REMEMBER' in str(info.value)


@pytest.mark.parametrize('config, field, message', [
    ({'compose': {'x': "cycler.__init__.__globals__.os.system('id')"}}, 'compose', "variable 'x': attribute "
                                                                                   "'__globals__' is unsafe"),
    ({'compose': {'x': "lookup('pipe', 'id')"}}, 'compose', "variable 'x': lookup() is not available"),
    ({'compose': {'podim_fleet_rules': '1'}}, 'compose', "variable 'podim_fleet_rules' is reserved"),
    ({'compose': {'inventory_hostname': "'x'"}}, 'compose', "variable 'inventory_hostname' is reserved by Ansible"),
    ({'groups': {'g': "s.__class__ is defined"}}, 'groups', "group 'g': attribute '__class__' is unsafe"),
    ({'groups': {'dns_servers': 'true'}}, 'groups', "group 'dns_servers' is filled by a rule"),
    ({'groups': {'bad-name': 'true'}}, 'groups', "'bad-name' is not a valid group name"),
    ({'keyed_groups': [{'key': "rack.__class__"}]}, 'keyed_groups', "keyed_groups[0].key: attribute '__class__'"),
    ({'keyed_groups': [{'key': 'rack', 'parent_group': '{{ cycler.__init__ }}'}]}, 'keyed_groups',
     "keyed_groups[0].parent_group: attribute '__init__' is unsafe"),
    ({'keyed_groups': [{'key': 'rack', 'prfix': 'r'}]}, 'keyed_groups', "unknown key 'prfix'; did you mean 'prefix'?"),
    ({'keyed_groups': [{'prefix': 'r'}]}, 'keyed_groups', 'key is required'),
    ({'keyed_groups': ['rack']}, 'keyed_groups', 'must be a mapping'),
    ({'keyed_groups': [{'key': 'rack', 'trailing_separator': 'maybe'}]}, 'keyed_groups[0].trailing_separator',
     'must be a boolean'),
    ({'strict': 'maybe'}, 'strict', 'must be a boolean'),
    ({'leading_separator': 'perhaps'}, 'leading_separator', 'must be a boolean'),
    ({'use_extra_vars': 'sometimes'}, 'use_extra_vars', 'must be a boolean'),
])
def test_constructed_options(config, field, message):
    with pytest.raises(SpecError) as info:
        check_constructed(PATH, config, {'dns_servers'})
    assert (info.value.rule, info.value.field) == (None, field)
    assert message in str(info.value)


def test_constructed_options_that_are_fine():
    check_constructed(PATH, {'compose': {'role_label': "'dns' if 'dns_servers' in group_names else 'other'"},
                             'groups': {'big': 'memory_mb | int > 4096'},
                             'keyed_groups': [{'key': 'rack', 'prefix': 'rack', 'parent_group': 'racks',
                                               'trailing_separator': False}],
                             'strict': 'yes'}, {'dns_servers'})


# -- change control: max_moves, approve, the approve option ------------------------------
def test_max_moves_and_approve():
    rule = parse(dict(DNS, max_moves=1, approve=True)).rules[0]
    assert (rule.max_moves, rule.approve, rule.controlled) == (1, True, True)
    plain = parse(DNS).rules[0]
    assert (plain.max_moves, plain.approve, plain.controlled) == (None, False, False)
    assert parse(dict(DNS, max_moves=0)).rules[0].max_moves == 0  # every voluntary change waits
    assert parse(dict(DNS, max_moves=None, approve=None)).rules[0].controlled is False


@pytest.mark.parametrize('value, message', [
    (-1, 'must be 0 or more, got -1'),
    (-10 ** 30, 'must be 0 or more'),
    (True, 'must be a whole number of changes per evaluation (0 or more), got bool True'),
    (False, 'got bool False'),
    (10 ** 6, 'must be at most 100000, got 1000000'),
    pytest.param(10 ** 5000, 'must be at most 100000, got a 16610-bit number', id='huge'),
    ('1', "got str '1'"),
    ('many', "got str 'many'"),
    (1.5, 'got float 1.5'),
    ([1], 'got list [1]'),
    ({'max': 1}, 'got dict'),
])
def test_hostile_max_moves(value, message):
    with pytest.raises(SpecError) as info:
        parse(dict(DNS, max_moves=value))
    error = info.value
    assert (error.path, error.rule, error.field) == (PATH, "rule 'dns'", 'max_moves')
    assert message in str(error)
    assert len(str(error)) < 300  # a huge value does not make a huge message


@pytest.mark.parametrize('value', ['maybe', 'yes', 'true', 1, 0, [], {'x': 1}])
def test_approve_must_be_a_real_boolean(value):
    with pytest.raises(SpecError) as info:
        parse(dict(DNS, approve=value))
    error = info.value
    assert (error.rule, error.field) == ("rule 'dns'", 'approve')
    assert 'must be true or false, got' in str(error) and 'voluntary changes wait for an approval' in str(error)


def test_the_approve_option_lists_proposal_ids():
    assert parse(DNS, approve='0123456789, ABCDEF0123,,0123456789').approvals == ('0123456789', 'abcdef0123')
    assert parse(DNS, approve=['0123456789']).approvals == ('0123456789',)
    assert parse(DNS).approvals == ()


@pytest.mark.parametrize('value, message', [
    ('0123', "'0123' is not a proposal id (10 hex digits"),
    ('0123456789z', 'is not a proposal id'),
    ([1234567890], '1234567890 is not a proposal id'),
    (42, 'must list proposal ids (10 hex digits), as a list or separated by commas, got int 42'),
])
def test_bad_approve_option(value, message):
    with pytest.raises(SpecError) as info:
        parse_spec(PATH, [DNS], approve=value, approve_source='the environment variable PODIM_FLEET_RULES_APPROVE')
    error = info.value
    assert (error.rule, error.field) == (None, 'approve')
    assert message in str(error) and '(from the environment variable PODIM_FLEET_RULES_APPROVE)' in str(error)
