# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse and validate a rules file; compile its expressions once.

Every error names the file, the rule (by name, or by position when it has
none) and the field, so a typo is fixed without reading the code.
"""

from __future__ import annotations

import difflib
import re
import typing as t

from ansible_collections.podim.fleet.plugins.plugin_utils.patterns import PatternError, split_pattern
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.conditions import (
    Expression, ExpressionCompiler, ExpressionError,
)
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.errors import SpecError

RULE_KEYS = ('name', 'group', 'hosts', 'when', 'count', 'spread_by', 'per', 'vars')
TOP_KEYS = ('plugin', 'rules', 'available', 'probe', 'on_unmet', 'remember')
PROBE_KEYS = ('port', 'timeout')
NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$')
GROUP_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')
VAR_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')
RESERVED_GROUPS = ('all', 'ungrouped')
MAX_PROBE_TIMEOUT_S = 60.0


class Count(t.NamedTuple):
    min: int
    max: int | None  # None: every eligible host

    def describe(self) -> str:
        if self.max is None:
            return f'at least {self.min} (every eligible host)'
        if self.min == self.max:
            return f'exactly {self.min}'
        return f'{self.min} to {self.max}'


class Rule(t.NamedTuple):
    index: int
    name: str
    group: str
    hosts: str
    when: Expression | None
    count: Count
    spread_by: Expression | None
    per: Expression | None
    vars: dict[str, t.Any]

    @property
    def label(self) -> str:
        return f'rule {self.name!r}'

    def expressions(self) -> t.Iterator[Expression]:
        for expr in (self.when, self.spread_by, self.per):
            if expr is not None:
                yield expr


class Probe(t.NamedTuple):
    port: int | None  # None: each host's ansible_port, else 22
    timeout: float


class RulesSpec(t.NamedTuple):
    path: str
    rules: list[Rule]
    available: Expression | None
    probe: Probe | None
    on_unmet: str

    @property
    def names(self) -> frozenset[str]:
        """Every variable any expression of the file reads (what the inventory view must provide)."""
        found: set[str] = set()
        for rule in self.rules:
            for expr in rule.expressions():
                found |= expr.names
        if self.available is not None:
            found |= self.available.names
        if self.probe is not None:
            found |= {'ansible_host', 'ansible_port'}
        return frozenset(found)


def _suggest(key: str, allowed: t.Sequence[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f'; did you mean {close[0]!r}?' if close else ''
    return f'unknown key {key!r}{hint} (allowed: {", ".join(allowed)})'


def check_top_level(path: str, config: t.Mapping[str, t.Any], allowed: t.Iterable[str]) -> None:
    """Unknown top-level keys are errors: Ansible itself ignores them silently."""
    known = sorted(set(allowed) | set(TOP_KEYS))
    for key in config:
        if key not in known:
            raise SpecError(path, None, str(key), _suggest(str(key), known))


def _as_str(value: t.Any) -> str:
    return str.__str__(value)  # drops Ansible's data tags from YAML strings


def parse_count(path: str, label: str, value: t.Any) -> Count:
    def bad(message: str) -> SpecError:
        return SpecError(path, label, 'count', message)

    def integer(what: str, item: t.Any) -> int:
        if isinstance(item, bool) or not isinstance(item, int):
            raise bad(f'{what} must be a whole number, got {type(item).__name__} {item!r}')
        return int(item)

    if value is None:
        return Count(1, 1)
    if isinstance(value, t.Mapping):
        for key in value:
            if key not in ('min', 'max'):
                raise bad(_suggest(str(key), ('min', 'max')))
        low = integer('min', value['min']) if 'min' in value else 1
        high = integer('max', value['max']) if value.get('max') is not None else None
        if low < 0:
            raise bad(f'min must be 0 or more, got {low}')
        if high is not None and high < 1:
            raise bad(f'max must be 1 or more, got {high}')
        if high is not None and low > high:
            raise bad(f'min ({low}) is greater than max ({high})')
        return Count(low, high)
    number = integer('count', value)
    if number < 1:
        raise bad(f'count must be 1 or more, got {number} (write {{min: 0, max: N}} for an optional group)')
    return Count(number, number)


def parse_hosts(path: str, label: str, value: t.Any) -> str:
    if value is None:
        return 'all'
    if isinstance(value, (list, tuple)):
        if not value or not all(isinstance(item, str) and item.strip() for item in value):
            raise SpecError(path, label, 'hosts', f'a list of host patterns must hold non-empty strings, got {value!r}')
        value = ','.join(_as_str(item).strip() for item in value)
    if not isinstance(value, str) or not value.strip():
        raise SpecError(path, label, 'hosts', f'must be a host pattern such as "linux:!db_servers", got {value!r}')
    text = _as_str(value).strip()
    try:
        parts = split_pattern(text)
        if not parts:
            raise PatternError('the pattern is empty')
        for part in parts:
            term = part.lstrip('!&')
            if not term.strip():
                raise PatternError(f'the term {part!r} is empty (check for doubled : or a trailing !/&)')
            if term.startswith('~'):
                re.compile(term[1:])
    except (PatternError, re.error) as exc:
        raise SpecError(path, label, 'hosts', f'invalid host pattern {text!r}: {exc}') from None
    return text


def compile_condition(compiler: ExpressionCompiler, path: str, label: str | None, field: str,
                      value: t.Any) -> Expression | None:
    """`when`/`available`: an expression, true/false, or a list of them that must all hold."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        if not value:
            return None
        if not all(isinstance(item, (str, bool)) for item in value):
            raise SpecError(path, label, field, f'a list of conditions must hold strings, got {value!r}')
        value = ' and '.join(f'({_as_str(item) if isinstance(item, str) else str(item).lower()})'
                             for item in value)
    if not isinstance(value, (str, bool)):
        raise SpecError(path, label, field, f'must be a Jinja2 expression, got {type(value).__name__} {value!r}')
    try:
        return compiler.compile(value if isinstance(value, bool) else _as_str(value))
    except ExpressionError as exc:
        raise SpecError(path, label, field, str(exc)) from None


def compile_key(compiler: ExpressionCompiler, path: str, label: str, field: str, value: t.Any) -> Expression | None:
    """`spread_by`/`per`: a variable name, or any expression of the host's vars."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise SpecError(path, label, field, f'must name a host variable (such as rack) or be an expression, got {value!r}')
    try:
        return compiler.compile(_as_str(value))
    except ExpressionError as exc:
        raise SpecError(path, label, field, str(exc)) from None


def parse_vars(path: str, label: str, value: t.Any) -> dict[str, t.Any]:
    if value is None:
        return {}
    if not isinstance(value, t.Mapping):
        raise SpecError(path, label, 'vars', f'must be a mapping of variable names to values, got {value!r}')
    for key in value:
        if not isinstance(key, str) or not VAR_RE.match(key):
            raise SpecError(path, label, 'vars', f'{key!r} is not a valid variable name')
    return dict(value)


def parse_probe(path: str, value: t.Any) -> Probe | None:
    if value is None or value is False:
        return None
    if value is True:
        value = {}
    if not isinstance(value, t.Mapping):
        raise SpecError(path, None, 'probe', f'must be a mapping such as {{port: 22, timeout: 1.0}}, got {value!r}')
    for key in value:
        if key not in PROBE_KEYS:
            raise SpecError(path, None, 'probe', _suggest(str(key), PROBE_KEYS))
    port = value.get('port')
    if port is not None and (isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536):
        raise SpecError(path, None, 'probe', f'port must be a TCP port number (1-65535), got {port!r}')
    timeout = value.get('timeout', 1.0)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= MAX_PROBE_TIMEOUT_S:
        raise SpecError(path, None, 'probe', f'timeout must be a number of seconds above 0 and at most '
                                             f'{MAX_PROBE_TIMEOUT_S:g}, got {timeout!r}')
    return Probe(None if port is None else int(port), float(timeout))


def parse_rule(compiler: ExpressionCompiler, path: str, index: int, item: t.Any) -> Rule:
    position = f'rules[{index}]'
    if not isinstance(item, t.Mapping):
        raise SpecError(path, position, None, f'each rule must be a mapping with name, group, count ..., got {item!r}')
    name = item.get('name')
    valid_name = isinstance(name, str) and NAME_RE.match(name) is not None
    label = f'rule {_as_str(name)!r}' if valid_name else position
    for key in item:
        if key not in RULE_KEYS:
            raise SpecError(path, label, str(key), _suggest(str(key), RULE_KEYS))
    if name is None:
        raise SpecError(path, label, 'name', 'is required: a rule needs a name, its stable identity in the store')
    if not valid_name:
        raise SpecError(path, label, 'name', f'{name!r} is invalid: use 1-100 letters, digits, _ . - '
                                             '(starting with a letter or digit)')
    group = item.get('group')
    if group is None:
        raise SpecError(path, label, 'group', 'is required: the group the rule fills')
    if not isinstance(group, str) or not GROUP_RE.match(group):
        raise SpecError(path, label, 'group', f'{group!r} is not a valid group name (letters, digits and _, '
                                              'not starting with a digit)')
    if group in RESERVED_GROUPS:
        raise SpecError(path, label, 'group', f'{group!r} is reserved by Ansible; choose another group name')
    return Rule(
        index=index,
        name=_as_str(name),
        group=_as_str(group),
        hosts=parse_hosts(path, label, item.get('hosts')),
        when=compile_condition(compiler, path, label, 'when', item.get('when')),
        count=parse_count(path, label, item.get('count')),
        spread_by=compile_key(compiler, path, label, 'spread_by', item.get('spread_by')),
        per=compile_key(compiler, path, label, 'per', item.get('per')),
        vars=parse_vars(path, label, item.get('vars')),
    )


def parse_spec(path: str, rules: t.Any, available: t.Any = None, probe: t.Any = None, on_unmet: t.Any = 'error',
               compiler: ExpressionCompiler | None = None) -> RulesSpec:
    """Validate the options of one rules file and compile its expressions."""
    compiler = compiler or ExpressionCompiler()
    if not isinstance(rules, (list, tuple)) or not rules:
        raise SpecError(path, None, 'rules', 'must be a non-empty list of rules')
    parsed: list[Rule] = []
    names: dict[str, Rule] = {}
    groups: dict[str, Rule] = {}
    for index, item in enumerate(rules):
        rule = parse_rule(compiler, path, index, item)
        if rule.name in names:
            raise SpecError(path, f'rules[{index}]', 'name',
                            f'{rule.name!r} is already the name of rules[{names[rule.name].index}]: names must be unique')
        if rule.group in groups:
            other = groups[rule.group]
            raise SpecError(path, rule.label, 'group', f'{rule.group!r} is already filled by rule {other.name!r}: '
                                                       'each group has one rule (use min/max or per instead)')
        names[rule.name] = groups[rule.group] = rule
        parsed.append(rule)
    if on_unmet not in ('error', 'warn'):
        raise SpecError(path, None, 'on_unmet', f'must be error or warn, got {on_unmet!r}')
    return RulesSpec(
        path=path,
        rules=parsed,
        available=compile_condition(compiler, path, None, 'available', available),
        probe=parse_probe(path, probe),
        on_unmet=_as_str(on_unmet),
    )
