# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse and validate a rules file; compile its expressions once.

Every error names the file, the rule (by name, or by position when it has
none) and the field, so a typo is fixed without reading the code.
"""

from __future__ import annotations

import difflib
import keyword
import re
import typing as t

from ansible_collections.podim.fleet.plugins.plugin_utils.options import FALSE_WORDS, TRUE_WORDS
from ansible_collections.podim.fleet.plugins.plugin_utils.patterns import PatternError, split_pattern, term_refers_to
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.conditions import (
    Expression, ExpressionCompiler, ExpressionError, check_template, split_conjuncts, strip_braces,
)
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.errors import SpecError

RULE_KEYS = ('name', 'group', 'hosts', 'when', 'count', 'spread_by', 'per', 'vars', 'max_moves', 'approve')
TOP_KEYS = ('plugin', 'rules', 'available', 'probe', 'on_unmet', 'remember', 'approve', 'bindings')
PROBE_KEYS = ('port', 'timeout')
KEYED_GROUP_KEYS = ('key', 'prefix', 'separator', 'parent_group', 'default_value', 'trailing_separator')
NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$')
GROUP_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]{0,99}$')  # Ansible's valid group names, at most 100 characters
VAR_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]{0,99}$')
RESERVED_GROUPS = ('all', 'ungrouped')
MAX_PROBE_TIMEOUT_S = 60.0
MAX_COUNT = 100_000  # hosts per rule (or per `per` value): a larger number is a typo
MAX_MOVES = MAX_COUNT  # voluntary changes per rule and evaluation (max_moves)
PROPOSAL_ID_RE = re.compile(r'^[0-9a-f]{10}$')  # the id of a proposed change (control.proposal_id)
# Variables a rule's vars (or compose) must not set: the plugin's own, and Ansible's magic variables.
# The plugin adds ansible.vars.reserved's names and ansible.constants.INTERNAL_STATIC_VARS.
RESERVED_VAR_PREFIX = 'podim_fleet_'
RESERVED_VARS = frozenset({
    'ansible_check_mode', 'ansible_collection_name', 'ansible_config_file', 'ansible_delegated_vars',
    'ansible_dependent_role_names', 'ansible_diff_mode', 'ansible_facts', 'ansible_forks', 'ansible_index_var',
    'ansible_inventory_sources', 'ansible_limit', 'ansible_local', 'ansible_loop', 'ansible_loop_var',
    'ansible_parent_role_names', 'ansible_parent_role_paths', 'ansible_play_batch', 'ansible_play_hosts',
    'ansible_play_hosts_all', 'ansible_play_name', 'ansible_play_role_names', 'ansible_playbook_python',
    'ansible_role_name', 'ansible_role_names', 'ansible_run_tags', 'ansible_search_path', 'ansible_skip_tags',
    'ansible_verbosity', 'ansible_version', 'environment', 'group_names', 'groups', 'hostvars', 'inventory_dir',
    'inventory_file', 'inventory_hostname', 'inventory_hostname_short', 'omit', 'play_hosts', 'playbook_dir',
    'role_name', 'role_names', 'role_path', 'role_uuid', 'vars',
})


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
    max_moves: int | None = None  # voluntary membership changes per evaluation; None: no limit
    approve: bool = False  # voluntary changes are proposed, applied once approved
    when_parts: tuple[Expression, ...] = ()  # the conditions `when` requires, to say which one is false (2 or more)

    @property
    def controlled(self) -> bool:
        """Voluntary changes may wait (max_moves or approve)."""
        return self.max_moves is not None or self.approve

    @property
    def label(self) -> str:
        return f'rule {self.name!r}'

    def expressions(self) -> t.Iterator[Expression]:
        for expr in (self.when, self.spread_by, self.per):
            if expr is not None:
                yield expr


def parse_bool(path: str, field: str, value: t.Any, source: str = '') -> bool:
    """A boolean option: true/false, or one of Ansible's boolean strings; `maybe` is an error, not false."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
    where = f' (from {source})' if source else ''
    raise SpecError(path, None, field, f'must be a boolean (true/false, yes/no, on/off, 1/0), got {value!r}{where}')


def check_var_name(path: str, label: str | None, field: str, name: t.Any,
                   reserved: t.Collection[str] = RESERVED_VARS) -> None:
    """A variable the rules file sets on hosts: an identifier, not the plugin's nor one of Ansible's magic ones."""
    if not isinstance(name, str) or not VAR_RE.match(name) or keyword.iskeyword(name):
        raise SpecError(path, label, field, f'{name!r} is not a valid variable name (letters, digits and _, '
                                            'not starting with a digit, at most 100 characters)')
    if name.startswith(RESERVED_VAR_PREFIX):
        raise SpecError(path, label, field, f'variable {name!r} is reserved: names starting with '
                                            f'{RESERVED_VAR_PREFIX} belong to the plugin')
    if name in reserved or name in RESERVED_VARS:
        raise SpecError(path, label, field, f'variable {name!r} is reserved by Ansible (a magic or reserved '
                                            'variable name); choose another name')


class Probe(t.NamedTuple):
    port: int | None  # None: each host's ansible_port, else 22
    timeout: float


class RulesSpec(t.NamedTuple):
    path: str
    rules: list[Rule]
    available: Expression | None
    probe: Probe | None
    on_unmet: str
    approvals: tuple[str, ...] = ()  # proposal ids approved by the approve option (PODIM_FLEET_RULES_APPROVE)
    bindings: tuple[t.Any, ...] = ()  # bindings.Binding, parsed by bindings.parse_bindings

    @property
    def names(self) -> frozenset[str]:
        """Every variable any expression of the file reads (what the inventory view must provide)."""
        found: set[str] = set()
        for rule in self.rules:
            for expr in rule.expressions():
                found |= expr.names
        if self.available is not None:
            found |= self.available.names
        found |= {binding.near for binding in self.bindings if binding.near is not None}
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
        if max(low, high or 0) > MAX_COUNT:
            raise bad(f'min and max must be at most {MAX_COUNT}, got {value!r}')
        return Count(low, high)
    number = integer('count', value)
    if number < 1:
        raise bad(f'count must be 1 or more, got {number} (write {{min: 0, max: N}} for an optional group)')
    if number > MAX_COUNT:
        raise bad(f'count must be at most {MAX_COUNT}, got {number}')
    return Count(number, number)


def parse_max_moves(path: str, label: str, value: t.Any) -> int | None:
    """max_moves: a whole number from 0 (every voluntary change waits) to MAX_MOVES; absent or null: no limit."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(path, label, 'max_moves', f'must be a whole number of changes per evaluation (0 or more), got '
                                                  f'{_kind(value)} {_show(value)}; leave it out for no limit')
    if value < 0:
        raise SpecError(path, label, 'max_moves', f'must be 0 or more, got {_show(value)}: 0 holds every voluntary change, '
                                                  'leave it out for no limit')
    if value > MAX_MOVES:
        raise SpecError(path, label, 'max_moves', f'must be at most {MAX_MOVES}, got {_show(value)}; leave it out '
                                                  'for no limit')
    return int(value)


def parse_approve(path: str, label: str, value: t.Any) -> bool:
    """A rule's approve: a real boolean (`approve: maybe` must not silently turn approval off)."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    raise SpecError(path, label, 'approve', f'must be true or false, got {_kind(value)} {_show(value)} '
                                            '(true: voluntary changes wait for an approval)')


def parse_approvals(path: str, value: t.Any, source: str = '') -> tuple[str, ...]:
    """The top-level approve option: proposal ids, as a list or a comma-separated string."""
    if value is None:
        return ()
    items = value.split(',') if isinstance(value, str) else value
    where = f' (from {source})' if source else ''
    if not isinstance(items, (list, tuple)):
        raise SpecError(path, None, 'approve', f'must list proposal ids (10 hex digits), as a list or separated by '
                                               f'commas, got {_kind(value)} {_show(value)}{where}')
    ids: list[str] = []
    for item in items:
        text = _as_str(item).strip().lower() if isinstance(item, str) else None
        if text == '':
            continue
        if text is None or not PROPOSAL_ID_RE.match(text):
            raise SpecError(path, None, 'approve', f'{_show(item)} is not a proposal id (10 hex digits, as printed '
                                                   f'in a "proposed" line){where}')
        if text not in ids:
            ids.append(text)
    return tuple(ids)


def _kind(value: t.Any) -> str:
    """The plain type name of a value (YAML strings are Ansible's tagged str subclasses)."""
    for base in (bool, int, float, str, list, tuple, dict):
        if isinstance(value, base):
            return base.__name__
    return 'mapping' if isinstance(value, t.Mapping) else type(value).__name__


def _show(value: t.Any, limit: int = 40) -> str:
    """A value for an error message: a huge one must not become a huge message."""
    try:
        text = repr(value)
    except ValueError:  # an int too long to print (sys.set_int_max_str_digits)
        return f'a {value.bit_length()}-bit number' if isinstance(value, int) else type(value).__name__
    return text if len(text) <= limit else f'{text[:limit]}... ({len(text)} characters)'


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


def condition_parts(compiler: ExpressionCompiler, path: str, label: str | None, field: str,
                    value: t.Any) -> tuple[Expression, ...]:
    """The conditions a `when` requires, each compiled: the items of a list, the operands of a top-level `and`.

    Called after compile_condition accepted value; () when there is only one.
    """
    if isinstance(value, (list, tuple)):
        texts = [_as_str(item) if isinstance(item, str) else item for item in value]
    elif isinstance(value, str):
        texts = split_conjuncts(strip_braces(_as_str(value)))
    else:
        return ()
    if len(texts) < 2:
        return ()
    try:
        return tuple(compiler.compile(text) for text in texts)
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


def parse_vars(path: str, label: str, value: t.Any, reserved: t.Collection[str] = RESERVED_VARS) -> dict[str, t.Any]:
    if value is None:
        return {}
    if not isinstance(value, t.Mapping):
        raise SpecError(path, label, 'vars', f'must be a mapping of variable names to values, got {value!r}')
    for key in value:
        check_var_name(path, label, 'vars', key, reserved)
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


def parse_rule(compiler: ExpressionCompiler, path: str, index: int, item: t.Any,
               reserved: t.Collection[str] = RESERVED_VARS) -> Rule:
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
    if not isinstance(group, str) or not GROUP_RE.match(group) or keyword.iskeyword(group):
        raise SpecError(path, label, 'group', f'{group!r} is not a valid group name (letters, digits and _, '
                                              'not starting with a digit, at most 100 characters)')
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
        vars=parse_vars(path, label, item.get('vars'), reserved),
        max_moves=parse_max_moves(path, label, item.get('max_moves')),
        approve=parse_approve(path, label, item.get('approve')),
        when_parts=condition_parts(compiler, path, label, 'when', item.get('when')),
    )


def parse_spec(path: str, rules: t.Any, available: t.Any = None, probe: t.Any = None, on_unmet: t.Any = 'error',
               compiler: ExpressionCompiler | None = None, reserved: t.Collection[str] = RESERVED_VARS,
               approve: t.Any = None, approve_source: str = '') -> RulesSpec:
    """Validate the options of one rules file and compile its expressions."""
    compiler = compiler or ExpressionCompiler()
    if not isinstance(rules, (list, tuple)) or not rules:
        raise SpecError(path, None, 'rules', 'must be a non-empty list of rules')
    parsed: list[Rule] = []
    names: dict[str, Rule] = {}
    groups: dict[str, Rule] = {}
    for index, item in enumerate(rules):
        rule = parse_rule(compiler, path, index, item, reserved)
        if rule.name in names:
            raise SpecError(path, f'rules[{index}]', 'name',
                            f'{rule.name!r} is already the name of rules[{names[rule.name].index}]: names must be unique')
        if rule.group in groups:
            other = groups[rule.group]
            raise SpecError(path, rule.label, 'group', f'{rule.group!r} is already filled by rule {other.name!r}: '
                                                       'each group has one rule (use min/max or per instead)')
        names[rule.name] = groups[rule.group] = rule
        parsed.append(rule)
    if not isinstance(on_unmet, str) or on_unmet not in ('error', 'warn'):
        raise SpecError(path, None, 'on_unmet', f'must be error or warn, got {on_unmet!r}')
    spec = RulesSpec(
        path=path,
        rules=parsed,
        available=compile_condition(compiler, path, None, 'available', available),
        probe=parse_probe(path, probe),
        on_unmet=_as_str(on_unmet),
        approvals=parse_approvals(path, approve, approve_source),
    )
    check_order(spec)
    return spec


def check_order(spec: RulesSpec) -> None:
    """A rule sees the groups of earlier rules only: referring to the group of a later one (or its own) is an error.

    Evaluated in order, such a rule would see that group empty (or as the
    base inventory has it) and overlap silently with the rule that fills it.
    Host patterns are checked term by term (names, globs, ~regex, with
    :!, :& and subscripts); expressions by the groups they visibly read
    (groups['x'], groups.x, 'x' in group_names).
    """
    filled_by = {rule.group: rule for rule in spec.rules}
    for rule in spec.rules:
        later = spec.rules[rule.index + 1:]
        for part in split_pattern(rule.hosts):
            term = part.lstrip('!&').strip()
            if term == rule.group:  # a glob over host names (web*) may match the rule's own, still empty, group
                raise SpecError(spec.path, rule.label, 'hosts', _order_message(rule, rule, f'the term {term!r}'))
            for other in later:
                if term_refers_to(term, other.group):
                    raise SpecError(spec.path, rule.label, 'hosts', _order_message(rule, other, f'the term {term!r}'))
        for field, expr in (('when', rule.when), ('spread_by', rule.spread_by), ('per', rule.per)):
            for group in sorted(expr.groups) if expr is not None else ():
                other = filled_by.get(group)
                if other is not None and other.index >= rule.index:
                    raise SpecError(spec.path, rule.label, field, _order_message(rule, other, 'the expression'))
    if spec.available is not None:
        for group in sorted(spec.available.groups):
            other = filled_by.get(group)
            if other is not None:
                raise SpecError(spec.path, None, 'available',
                                f'reads group {group!r}, which rule {other.name!r} fills: available is evaluated once '
                                'per host for all rules, before their groups are complete')


def _order_message(rule: Rule, other: Rule, what: str) -> str:
    if other is rule:
        return f'{what} refers to group {other.group!r}, which this rule fills itself'
    return (f'{what} refers to group {other.group!r}, which the later rule {other.name!r} fills: a rule sees only the '
            f'groups of earlier rules (and of the inventory); move rule {other.name!r} before rule {rule.name!r}')


def check_constructed(path: str, config: t.Mapping[str, t.Any], rule_groups: t.Collection[str],
                      reserved: t.Collection[str] = RESERVED_VARS) -> None:
    """compose / groups / keyed_groups: Ansible renders them, after the rules; check what Ansible does not.

    Each template must pass the sandbox check (conditions.check_template);
    compose must not set reserved variables, groups must not add hosts to a
    rule's group, keyed_groups entries have known keys only, booleans are
    booleans.
    """
    def template(field: str, where: str, value: t.Any) -> None:
        if isinstance(value, str):
            try:
                check_template(_as_str(value))
            except ExpressionError as exc:
                raise SpecError(path, None, field, f'{where}: {exc}') from None

    compose = config.get('compose')
    if isinstance(compose, t.Mapping):
        for name, value in compose.items():
            check_var_name(path, None, 'compose', name, reserved)
            template('compose', f'variable {name!r}', value)
    groups = config.get('groups')
    if isinstance(groups, t.Mapping):
        for name, value in groups.items():
            if not isinstance(name, str) or not GROUP_RE.match(name):
                raise SpecError(path, None, 'groups', f'{name!r} is not a valid group name')
            if name in rule_groups:
                raise SpecError(path, None, 'groups', f'group {name!r} is filled by a rule: groups must not add '
                                                      'hosts to it')
            template('groups', f'group {name!r}', value)
    keyed = config.get('keyed_groups')
    if isinstance(keyed, (list, tuple)):
        for index, entry in enumerate(keyed):
            where = f'keyed_groups[{index}]'
            if not isinstance(entry, t.Mapping):
                raise SpecError(path, None, 'keyed_groups', f'{where}: must be a mapping with key, prefix ...')
            for key in entry:
                if key not in KEYED_GROUP_KEYS:
                    raise SpecError(path, None, 'keyed_groups', f'{where}: {_suggest(str(key), KEYED_GROUP_KEYS)}')
            if 'key' not in entry:
                raise SpecError(path, None, 'keyed_groups', f'{where}: key is required')
            if entry.get('trailing_separator') is not None:
                parse_bool(path, f'keyed_groups[{index}].trailing_separator', entry['trailing_separator'])
            template('keyed_groups', f'{where}.key', entry.get('key'))
            template('keyed_groups', f'{where}.parent_group', entry.get('parent_group'))
    for name in ('strict', 'leading_separator', 'use_extra_vars'):
        if config.get(name) is not None:
            parse_bool(path, name, config[name])
