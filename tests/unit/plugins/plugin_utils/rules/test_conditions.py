# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Expressions compiled once to Python: Jinja2 semantics, undefined handling, no per-host parsing."""

from __future__ import annotations

import jinja2
import pytest

from ansible_collections.podim.fleet.plugins.plugin_utils.rules import conditions
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.conditions import (
    ExpressionCompiler, ExpressionError, UndefinedError, Variables,
)


@pytest.fixture
def compile_():
    return ExpressionCompiler().compile


@pytest.mark.parametrize('source, variables, expected', [
    ('memory_mb | int >= 1024', {'memory_mb': '2048'}, True),
    ('memory_mb | int >= 1024', {'memory_mb': 'lots'}, False),  # int of junk is 0, as in Jinja2
    ('memory_mb | default(0) | int >= 1024', {}, False),
    ('memory_mb | d(4096) | int >= 1024', {}, True),
    ('{{ memory_mb | int >= 1024 }}', {'memory_mb': 2048}, True),  # braces are tolerated
    ("rack is defined and rack in ['r1', 'r2']", {'rack': 'r1'}, True),
    ('rack is defined and rack == "r1"', {}, False),
    ('rack is undefined', {}, True),
    ("'web' in group_names and not ('db' in group_names)", {'group_names': ['web']}, True),
    ('a or b', {'a': False, 'b': True}, True),
    ('not a', {'a': False}, True),
    ('1 < x < 3', {'x': 2}, True),
    ('1 < x < 3', {'x': 3}, False),
    ("x ~ '-' ~ y", {'x': 'a', 'y': 1}, 'a-1'),
    ('x * 2 + y // 3 - z % 2', {'x': 2, 'y': 7, 'z': 3}, 5),
    ('2 ** 3', {}, 8),
    ('-x', {'x': 2}, -2),
    ("placement.zone | default('none')", {'placement': {}}, 'none'),
    ('placement.zone', {'placement': {'zone': 'a'}}, 'a'),
    ("placement['zone']", {'placement': {'zone': 'a'}}, 'a'),
    ('missing.a.b | default(5)', {}, 5),  # like Ansible: an attribute of undefined is undefined
    ('disks[0].size', {'disks': [{'size': 3}]}, 3),
    ('name[1:3]', {'name': 'abcdef'}, 'bc'),
    ("inventory_hostname.startswith('web')", {'inventory_hostname': 'web01'}, True),
    ('x if y else z', {'x': 1, 'y': False, 'z': 2}, 2),
    ('[1, 2, 3] | select("odd") | list | length', {}, 2),
    ("disks | selectattr('size', 'gt', 10) | map(attribute='name') | list",
     {'disks': [{'size': 5, 'name': 'a'}, {'size': 20, 'name': 'b'}]}, ['b']),
    ('x | bool', {'x': 'yes'}, True),
    ('x | bool', {'x': 'no'}, False),
    ('x is none', {'x': None}, True),
    ('range(3) | list', {}, [0, 1, 2]),
    ("{'a': 1}['a']", {}, 1),
    ('(1, 2)', {}, (1, 2)),
    ('d.items', {'d': {'items': 3}}, None),  # attribute first, as Jinja2: the dict method
    ('x | lower', {'x': 'ABC'}, 'abc'),
    ('x | length', {'x': [1, 2]}, 2),
    (True, {}, True),
    (False, {}, False),
])
def test_semantics(compile_, source, variables, expected):
    result = compile_(source)(variables)
    if source == 'd.items':
        assert callable(result)
    else:
        assert result == expected


@pytest.mark.parametrize('source, variables, message', [
    ('memory_mb | int >= 1024', {}, "'memory_mb' is undefined"),
    ("placement.zone == 'a'", {'placement': {}}, "'placement.zone' is undefined"),
    ('a.b.c > 1', {}, "'a.b.c' is undefined"),
    ("disks[0] > 1", {'disks': []}, "'disks[0]' is undefined"),
    ('x in [1]', {}, "'x' is undefined"),
    ('not x', {}, "'x' is undefined"),
    ('x ~ "a"', {}, "'x' is undefined"),
    ('x + 1', {}, "'x' is undefined"),
])
def test_undefined_raises_naming_the_variable(compile_, source, variables, message):
    with pytest.raises(UndefinedError, match=message.replace('[', r'\[').replace(']', r'\]')):
        compile_(source)(variables)


@pytest.mark.parametrize('source, message', [
    ('memory_mb >=', 'invalid Jinja2 expression'),
    ('a }} b', "unexpected '}}'"),
    ('x y', "unexpected 'y'"),
    ('x | nosuchfilter', "no filter named 'nosuchfilter'"),
    ('x is nosuchtest', "no test named 'nosuchtest'"),
    ("lookup('file', 'x')", 'lookup() is not available'),
    ("query('x')", 'query() is not available'),
    ('', 'empty'),
    (42, 'expected a Jinja2 expression'),
])
def test_compile_errors(compile_, source, message):
    with pytest.raises(ExpressionError, match=message.replace('(', r'\(').replace(')', r'\)')):
        compile_(source)


def test_names_are_the_root_variables(compile_):
    expr = compile_("memory_mb | int >= 1024 and placement.zone == z and 'web' in group_names")
    assert expr.names == {'memory_mb', 'placement', 'z', 'group_names'}


def test_compiled_once_and_shared():
    compiler = ExpressionCompiler()
    first = compiler.compile('memory_mb | int > 1')
    assert compiler.compile('memory_mb | int > 1') is first
    assert compiler.compile('{{ memory_mb | int > 1 }}') is first


def test_no_parsing_per_evaluation(compile_, monkeypatch):
    expr = compile_("memory_mb | int >= 1024 and rack != 'r9'")

    def no_parse(*args, **kwargs):
        raise AssertionError('parsed again')

    monkeypatch.setattr(conditions, 'Parser', no_parse)
    assert all(expr({'memory_mb': 2048, 'rack': f'r{i}'}) for i in range(9))


def test_source_is_never_python(compile_):
    # constants travel as values: nothing of the rules file is parsed as Python
    expr = compile_("x == '__import__(\"os\").system(\"false\")'")
    assert '__import__' not in expr.code
    assert expr({'x': '__import__("os").system("false")'}) is True


def test_resolver_wins_but_not_for_undefined_aware_names():
    calls = []

    def resolver(name):
        calls.append(name)
        return {'double': lambda v: v * 2, 'default': lambda v, d=None: 'WRONG'}.get(name)

    compiler = ExpressionCompiler(filters=resolver)
    assert compiler.compile('x | double')({'x': 2}) == 4
    assert compiler.compile('x | default(7)')({}) == 7  # Jinja2's default, which knows our undefined
    assert compiler.compile('x | ansible.builtin.default(7)')({}) == 7
    assert 'default' not in calls


def test_filters_that_want_the_environment(compile_):
    assert compile_("[3, 1, 2] | sort | join(',')")({}) == '1,2,3'
    assert compile_("[{'a': 2}, {'a': 1}] | map(attribute='a') | max")({}) == 2


def test_variables_mapping_semantics():
    v = Variables({'a': 1})
    assert v['a'] == 1
    assert isinstance(v['b'], jinja2.Undefined)
