# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja2 expressions compiled once into Python functions of a host's vars.

`ansible.builtin.constructed` renders its conditions through the templar for
every host, which parses the template again each time (about 0.6 ms per
host and condition).  Here each expression is parsed once with Jinja2's own
parser and its syntax tree is translated into one Python function:

    memory_mb | int >= 1024   ->   lambda v: F_int(v['memory_mb']) >= 1024

Evaluating it for a host costs a few dict look-ups and calls (well under a
microsecond for the typical condition).

Semantics follow Jinja2 as Ansible uses it: filters and tests are the very
functions Jinja2 (and, when the plugin passes them in, Ansible) provides;
attribute and item access behave like Environment.getattr/getitem; an
undefined variable is a StrictUndefined (only `is defined`, `default` and
friends may touch it, anything else raises), and like Ansible an attribute
of an undefined value is still undefined, so `a.b | default(1)` works.

Sandbox: the rules of Ansible's own templating (an ImmutableSandboxedEnvironment
here, see _SandboxEnvironment), enforced by class, not by listing attacks:

- at compile time, attribute names the sandbox refuses on any object
  (`_x`, `__class__`, `mro`, `gi_frame` ...), calls of methods that change
  a list, dict or set (`append`, `update` ...), such names given to the `attr`
  filter, and such fields in a constant format string (`'{0.__class__}'.format`)
  are errors;
- at run time every attribute of anything but a plain dict key, every item
  access that falls back to an attribute, and every call go through the
  sandbox (its getattr/getitem/call); a refusal raises SecurityError, it is
  never an undefined value that `default` could swallow.

The fast paths stay: a dict key (`a.b` on a dict) is a dict look-up, a filter
is a direct call of the filter function.
"""

from __future__ import annotations

import keyword
import re
import string
import types
import typing as t

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError
from jinja2.parser import Parser
from jinja2.runtime import new_context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment
from jinja2.utils import _PassArg

__all__ = ['Expression', 'ExpressionCompiler', 'ExpressionError', 'SecurityError', 'UndefinedError', 'Variables',
           'check_template']

# Resolves a filter or test name Jinja2 does not know to a callable (or None).
Resolver = t.Callable[[str], t.Optional[t.Callable[..., t.Any]]]

_BINOPS = {'Add': '+', 'Sub': '-', 'Mul': '*', 'Div': '/', 'FloorDiv': '//', 'Mod': '%', 'Pow': '**'}
_UNOPS = {'Neg': '-', 'Pos': '+'}
_CMPOPS = {'eq': '==', 'ne': '!=', 'gt': '>', 'gteq': '>=', 'lt': '<', 'lteq': '<=', 'in': 'in', 'notin': 'not in'}
# Global functions that make sense per host; lookups would run per host on the controller.
_UNSUPPORTED_GLOBALS = {'lookup', 'query', 'q', 'now', 'undef'}
# Lookups run code on the controller (pipe, file ...): refused in compose/groups/keyed_groups too.
_LOOKUP_GLOBALS = {'lookup', 'query', 'q'}

# Dunder attributes Ansible's sandbox allows, and on which type (ints: for bitwise operations).
_ALLOWED_UNSAFE_ATTRIBUTES: dict[str, type] = {name: int for name in
                                               ('__and__', '__lshift__', '__or__', '__rshift__', '__xor__')}
# Names jinja2.sandbox.is_internal_attribute refuses on some type: refused on every object at compile
# time (a dict key of that name is still readable as x['name']).
_INTERNAL_NAMES = frozenset({
    'mro', 'func_globals', 'func_code', 'func_closure', 'func_defaults', 'gi_frame', 'gi_code', 'gi_yieldfrom',
    'cr_frame', 'cr_code', 'cr_await', 'ag_frame', 'ag_code', 'ag_await', 'f_globals', 'f_locals', 'f_builtins',
    'f_back', 'f_code', 'tb_frame', 'tb_next', 'co_code',
})
# Methods that change a list, dict, set or deque (jinja2.sandbox.modifies_known_mutable, and then some).
_MUTATING_METHODS = frozenset({
    'append', 'appendleft', 'clear', 'difference_update', 'discard', 'extend', 'extendleft', 'insert',
    'intersection_update', 'pop', 'popitem', 'popleft', 'remove', 'reverse', 'rotate', 'setdefault', 'sort',
    'symmetric_difference_update', 'update', 'add',
})
_FORMAT_METHODS = frozenset({'format', 'format_map'})
_ATTR_FILTERS = frozenset({'attr', 'ansible.builtin.attr'})
# Jinja2 >= 3.1.5 sandboxes str.format when the method is looked up (older ones when it is called).
_WRAP_STR_FORMAT = getattr(SandboxedEnvironment, 'wrap_str_format', None)
_METHOD_TYPES = (types.MethodType, types.BuiltinMethodType)


class ExpressionError(ValueError):
    """An expression that cannot be compiled (syntax, unknown filter, refused by the sandbox ...)."""


def unsafe_name(name: str) -> bool:
    """An attribute name the sandbox refuses on some object: refused statically on every object."""
    return (name.startswith('_') and name not in _ALLOWED_UNSAFE_ATTRIBUTES) or name in _INTERNAL_NAMES


def _refused(what: str, name: str) -> ExpressionError:
    hint = f" (a dictionary key of that name: write x[{name!r}])" if not name.startswith('__') else ''
    return ExpressionError(f'{what} {name!r} is unsafe: refused by the template sandbox, as in Ansible{hint}')


class _SandboxEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox of Ansible's templating (AnsibleEnvironment), immutable, refusals raised at once.

    Ansible's getattr falls back to an item when the sandbox refuses the
    attribute (a dict key named `update`), and allows bitwise dunder methods
    of ints; both are kept.  Unlike Jinja2's, a refused attribute raises
    SecurityError instead of returning an undefined value: `default` or
    `is defined` must not turn a refusal into a silent false.
    """

    _MAX_KNOWN = 4096

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        # (type, name) -> safe: every test of Jinja2's and Ansible's depends on the type only
        # (isinstance checks against function, method, type, frame ... and the mutable ABCs)
        self._known: dict[tuple[type, str], bool] = {}

    def is_safe_attribute(self, obj: t.Any, attr: str, value: t.Any) -> bool:
        key = (type(obj), attr)
        known = self._known.get(key)
        if known is None:
            allowed = _ALLOWED_UNSAFE_ATTRIBUTES.get(attr)
            known = (allowed is not None and isinstance(obj, allowed)) or super().is_safe_attribute(obj, attr, value)
            if len(self._known) < self._MAX_KNOWN:
                self._known[key] = known
        return known

    def unsafe_undefined(self, obj: t.Any, attribute: str) -> t.NoReturn:
        raise SecurityError(f'access to attribute {attribute!r} of {type(obj).__name__!r} object is unsafe')

    def getattr(self, obj: t.Any, attribute: str) -> t.Any:
        try:
            value = getattr(obj, attribute)
        except AttributeError:
            pass
        else:
            if _WRAP_STR_FORMAT is not None and isinstance(value, _METHOD_TYPES) and value.__name__ in _FORMAT_METHODS:
                wrapped = _WRAP_STR_FORMAT(self, value)  # str.format: a sandboxed formatter
                if wrapped is not None:
                    return wrapped
            if self.is_safe_attribute(obj, attribute, value):
                return value
            try:
                return obj[attribute]  # like Ansible: a refused attribute may still be an item
            except (TypeError, LookupError):
                return self.unsafe_undefined(obj, attribute)
        try:
            return obj[attribute]
        except (TypeError, LookupError):
            return self.undefined(obj=obj, name=attribute)


class Expression:
    """A compiled expression: call it with a mapping of variables."""

    __slots__ = ('source', 'names', 'fn', 'code', 'groups')

    def __init__(self, source: str, names: frozenset[str], fn: t.Callable[[t.Mapping[str, t.Any]], t.Any],
                 code: str, groups: frozenset[str] = frozenset()) -> None:
        self.source = source
        self.names = names  # root variable names it reads
        self.fn = fn
        self.code = code  # the generated Python, for debugging
        self.groups = groups  # group names it visibly reads: groups['x'], groups.x, 'x' in group_names

    def __call__(self, variables: t.Mapping[str, t.Any]) -> t.Any:
        if not isinstance(variables, Variables):
            variables = Variables(variables)
        return self.fn(variables)

    def __repr__(self) -> str:
        return f'Expression({self.source!r})'


class _Undefined(jinja2.StrictUndefined):
    """StrictUndefined whose message names the variable path the expression used."""

    __slots__ = ()


_UNDEFINED: dict[str, _Undefined] = {}


def _undefined(path: str) -> _Undefined:
    """The undefined value of a variable path (one shared object per path: they are immutable)."""
    found = _UNDEFINED.get(path)
    if found is None:
        found = _UNDEFINED[path] = _Undefined(hint=f'{path!r} is undefined')
    return found


class Variables(dict):
    """The variables of one host as expressions read them: `v[name]`, undefined when missing.

    Views subclass it to resolve names lazily in __missing__ (only the names
    an expression really reads are ever looked up).
    """

    __slots__ = ()

    def __missing__(self, name: str) -> t.Any:
        return _undefined(name)


def _accessors(env: _SandboxEnvironment, context: t.Any) -> dict[str, t.Callable[..., t.Any]]:
    """Attribute, item and call helpers of the generated code, bound to one sandbox."""
    sandbox_getattr = env.getattr
    sandbox_getitem = env.getitem
    sandbox_call = env.call
    undefined = jinja2.Undefined
    builtin_method = types.BuiltinMethodType

    def attr_fast(obj: t.Any, attr: str, missing: _Undefined) -> t.Any:
        """obj.attr where attr is no attribute of dict: a dict's key first (the fast path), as Jinja2 ends up doing."""
        if isinstance(obj, dict):
            try:
                return obj[attr]
            except KeyError:
                return missing
        return attr_(obj, attr, missing)

    def attr_(obj: t.Any, attr: str, missing: _Undefined) -> t.Any:
        """Environment.getattr, sandboxed: attribute first, then item; undefined stays undefined."""
        if isinstance(obj, undefined):
            return missing
        value = sandbox_getattr(obj, attr)
        return missing if isinstance(value, undefined) else value

    def item(obj: t.Any, key: t.Any, missing: _Undefined) -> t.Any:
        """Environment.getitem, sandboxed: item first, then attribute; undefined stays undefined."""
        if isinstance(obj, undefined):
            return missing
        try:
            return obj[key]
        except (AttributeError, TypeError, LookupError):
            if not isinstance(key, str):
                return missing
        value = sandbox_getitem(obj, key)  # the attribute of that name, if the sandbox allows it
        return missing if isinstance(value, undefined) else value

    def call(obj: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:
        """A call from the expression: only what the sandbox deems safely callable (str.format sandboxed)."""
        if isinstance(obj, builtin_method) and obj.__name__ not in _FORMAT_METHODS:  # (a final type)
            # 'web01'.startswith: was allowed when looked up; a builtin can be neither marked unsafe
            # nor want a context, so the sandbox's call would end in this very call
            return obj(*args, **kwargs)
        return sandbox_call(context, obj, *args, **kwargs)

    return {'_attr_fast': attr_fast, '_attr': attr_, '_item': item, '_call': call}


def _concat(*values: t.Any) -> str:
    return ''.join([str(value) for value in values])


def _to_bool(value: t.Any) -> bool:
    """Ansible's `bool` filter, for callers that do not pass Ansible's filters in (the tests)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (str, int, float)):
        return str(value).lower() in ('yes', 'on', '1', 'true', 'y', 't', '1.0')
    return False


# Filters and tests that must recognise our undefined values: always Jinja2's own
# (Ansible's versions look for its own undefined markers instead).
_UNDEFINED_AWARE = {('filter', 'default'), ('filter', 'd'), ('test', 'defined'), ('test', 'undefined')}

# Used only when no resolver knows the name (the plugin always passes Ansible's).
_FALLBACK_FILTERS: dict[str, t.Callable[..., t.Any]] = {'bool': _to_bool}


class _Codegen:
    """Translates one Jinja2 expression tree into Python source.

    Every constant, undefined marker and function is passed through the
    generated function's globals (K0, U0, F0 ...), never spelled into the
    source, so nothing from the rules file is ever parsed as Python.
    """

    def __init__(self, compiler: ExpressionCompiler) -> None:
        self.compiler = compiler
        self.globals: dict[str, t.Any] = dict(compiler.accessors, _concat=_concat, _slice=slice)
        self.names: set[str] = set()
        self.groups: set[str] = set()
        self._consts: dict[t.Any, str] = {}

    def bind(self, prefix: str, value: t.Any) -> str:
        name = f'{prefix}{len(self.globals)}'
        self.globals[name] = value
        return name

    def const(self, value: t.Any) -> str:
        if value is None or isinstance(value, bool):
            return repr(value)
        try:
            key = (type(value), value)
            hash(key)
        except TypeError:
            return self.bind('K', value)
        if key not in self._consts:
            self._consts[key] = self.bind('K', value)
        return self._consts[key]

    # -- nodes -----------------------------------------------------------
    def visit(self, node: nodes.Node) -> str:
        method = getattr(self, f'visit_{type(node).__name__}', None)
        if method is None:
            raise ExpressionError(f'{type(node).__name__} expressions are not supported here')
        return method(node)

    def visit_Const(self, node: nodes.Const) -> str:
        return self.const(node.value)

    def visit_TemplateData(self, node: nodes.TemplateData) -> str:
        return self.const(node.data)

    def visit_Name(self, node: nodes.Name) -> str:
        name = node.name
        if name in _UNSUPPORTED_GLOBALS:
            raise ExpressionError(f'{name}() is not available in creation rules: they are evaluated for every host '
                                  'while the inventory loads')
        if name in ('true', 'True'):
            return 'True'
        if name in ('false', 'False'):
            return 'False'
        if name in ('none', 'None'):
            return 'None'
        self.names.add(name)
        if name in self.compiler.env.globals:
            # range(), dict() ...: a host variable of that name would win, as in Jinja2
            return f'v.get({self.const(name)}, {self.bind("G", self.compiler.env.globals[name])})'
        return f'v[{self.const(name)}]'

    def visit_Getattr(self, node: nodes.Getattr) -> str:
        if isinstance(node.node, nodes.Name) and node.node.name == 'groups':
            self.groups.add(node.attr)
        missing = self.bind('U', _undefined(_path(node)))
        helper = '_attr' if hasattr(dict, node.attr) else '_attr_fast'
        return f'{helper}({self.visit(node.node)}, {self.const(node.attr)}, {missing})'

    def visit_Getitem(self, node: nodes.Getitem) -> str:
        if (isinstance(node.node, nodes.Name) and node.node.name == 'groups' and isinstance(node.arg, nodes.Const)
                and isinstance(node.arg.value, str)):
            self.groups.add(node.arg.value)
        missing = self.bind('U', _undefined(_path(node)))
        return f'_item({self.visit(node.node)}, {self.visit(node.arg)}, {missing})'

    def visit_Slice(self, node: nodes.Slice) -> str:
        parts = [self.visit(part) if part is not None else 'None' for part in (node.start, node.stop, node.step)]
        return f'_slice({", ".join(parts)})'

    def visit_Tuple(self, node: nodes.Tuple) -> str:
        items = [self.visit(item) for item in node.items]
        return f'({", ".join(items)}{"," if len(items) == 1 else ""})'

    def visit_List(self, node: nodes.List) -> str:
        return f'[{", ".join(self.visit(item) for item in node.items)}]'

    def visit_Dict(self, node: nodes.Dict) -> str:
        return '{' + ', '.join(f'{self.visit(pair.key)}: {self.visit(pair.value)}' for pair in node.items) + '}'

    def visit_CondExpr(self, node: nodes.CondExpr) -> str:
        otherwise = (self.visit(node.expr2) if node.expr2 is not None
                     else self.bind('U', _undefined('the else branch of an inline if')))
        return f'({self.visit(node.expr1)} if {self.visit(node.test)} else {otherwise})'

    def visit_And(self, node: nodes.And) -> str:
        return f'({self.visit(node.left)} and {self.visit(node.right)})'

    def visit_Or(self, node: nodes.Or) -> str:
        return f'({self.visit(node.left)} or {self.visit(node.right)})'

    def visit_Not(self, node: nodes.Not) -> str:
        return f'(not {self.visit(node.node)})'

    def visit_Neg(self, node: nodes.Neg) -> str:
        return f'(-{self.visit(node.node)})'

    def visit_Pos(self, node: nodes.Pos) -> str:
        return f'(+{self.visit(node.node)})'

    def visit_Concat(self, node: nodes.Concat) -> str:
        return f'_concat({", ".join(self.visit(item) for item in node.nodes)})'

    def visit_Compare(self, node: nodes.Compare) -> str:
        parts = [self.visit(node.expr)]
        left = node.expr
        for operand in node.ops:
            if (operand.op in ('in', 'notin') and isinstance(left, nodes.Const) and isinstance(left.value, str)
                    and isinstance(operand.expr, nodes.Name) and operand.expr.name == 'group_names'):
                self.groups.add(left.value)
            left = operand.expr
            parts.append(_CMPOPS[operand.op])
            parts.append(self.visit(operand.expr))
        return f'({" ".join(parts)})'

    def _binop(self, node: nodes.BinExpr) -> str:
        return f'({self.visit(node.left)} {_BINOPS[type(node).__name__]} {self.visit(node.right)})'

    visit_Add = visit_Sub = visit_Mul = visit_Div = visit_FloorDiv = visit_Mod = visit_Pow = _binop

    def _arguments(self, node: nodes.Filter | nodes.Test | nodes.Call, first: list[str]) -> str:
        args = first + [self.visit(arg) for arg in node.args]
        for kw in node.kwargs:
            # the one name spelled into the generated source: it must be a plain identifier
            if not kw.key.isidentifier() or keyword.iskeyword(kw.key):
                raise ExpressionError(f'{kw.key!r} is not a valid keyword argument name')
            args.append(f'{kw.key}={self.visit(kw.value)}')
        if node.dyn_args is not None:
            args.append(f'*{self.visit(node.dyn_args)}')
        if node.dyn_kwargs is not None:
            args.append(f'**{self.visit(node.dyn_kwargs)}')
        return ', '.join(args)

    def visit_Filter(self, node: nodes.Filter) -> str:
        if node.node is None:
            raise ExpressionError('filter blocks are not supported here')
        func = self.compiler.function('filter', node.name)
        return f'{self.bind("F", func)}({self._arguments(node, self._pass_arg(func) + [self.visit(node.node)])})'

    def visit_Test(self, node: nodes.Test) -> str:
        func = self.compiler.function('test', node.name)
        return f'{self.bind("T", func)}({self._arguments(node, self._pass_arg(func) + [self.visit(node.node)])})'

    def visit_Call(self, node: nodes.Call) -> str:
        arguments = self._arguments(node, [])
        return f'_call({self.visit(node.node)}{", " if arguments else ""}{arguments})'

    def _pass_arg(self, func: t.Callable[..., t.Any]) -> list[str]:
        """Filters that want Jinja2's environment or context get ours (one per compiler)."""
        kind = _PassArg.from_obj(func)
        if kind is None:
            return []
        if kind is _PassArg.environment:
            return [self.bind('E', self.compiler.env)]
        if kind is _PassArg.eval_context:
            return [self.bind('E', self.compiler.eval_context)]
        return [self.bind('E', self.compiler.context)]


def _path(node: nodes.Node) -> str:
    """The variable path an access node spells, for messages: placement.zone, disks[0]."""
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f'{_path(node.node)}.{node.attr}'
    if isinstance(node, nodes.Getitem):
        arg = repr(node.arg.value) if isinstance(node.arg, nodes.Const) else '...'
        return f'{_path(node.node)}[{arg}]'
    return 'the value'


def _walk(tree: nodes.Node) -> t.Iterator[nodes.Node]:
    yield tree
    yield from tree.find_all(nodes.Node)


def _member(node: nodes.Node) -> str | None:
    """The constant name of x.name or x['name'], else None."""
    if isinstance(node, nodes.Getattr):
        return node.attr
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
        return node.arg.value
    return None


def _format_attributes(text: str) -> t.Iterator[str]:
    """The attribute names the replacement fields of a str.format string read: '{0.a[k].b}' -> a, b."""
    try:
        fields = [(name, spec) for _text, name, spec, _conv in string.Formatter().parse(text) if name is not None]
    except ValueError as exc:
        raise ExpressionError(f'invalid format string {text!r}: {exc}') from None
    for name, spec in fields:
        yield from re.findall(r'\.([^.\[]*)', re.sub(r'\[[^\]]*\]', '', name))
        if spec and '{' in spec:
            yield from _format_attributes(spec)


def check_tree(tree: nodes.Node, templar: bool = False) -> None:
    """Refuse, before anything runs, what the sandbox refuses whatever the values.

    templar: the tree is rendered by Ansible's templar (compose, groups,
    keyed_groups), not compiled here.  Ansible's sandbox is not immutable,
    does not sandbox str.format reached as an attribute (its getattr skips
    Jinja2's wrapping) and runs lookups, so there the check also refuses
    lookups, computed callables, computed `attr` names and format strings
    that are not constants.
    """
    for node in _walk(tree):
        if isinstance(node, nodes.Name):
            if node.name in _LOOKUP_GLOBALS:
                raise ExpressionError(f'{node.name}() is not available in creation rules: they are evaluated for '
                                      'every host while the inventory loads, and a lookup runs code on the controller')
            if node.name in _UNSUPPORTED_GLOBALS and not templar:
                raise ExpressionError(f'{node.name}() is not available in creation rules: they are evaluated for '
                                      'every host while the inventory loads')
        elif isinstance(node, (nodes.Getattr, nodes.NSRef)):
            if unsafe_name(node.attr):
                raise _refused('attribute', node.attr)
            if isinstance(node, nodes.Getattr) and node.attr in _FORMAT_METHODS:
                receiver = node.node
                if isinstance(receiver, nodes.Const) and isinstance(receiver.value, str):
                    for name in _format_attributes(receiver.value):
                        if unsafe_name(name):
                            raise _refused('attribute', name)
                elif templar:
                    raise ExpressionError(f'{node.attr}() of a computed string is refused here: Ansible does not '
                                          'sandbox it; use a constant format string, the format filter or ~')
        elif isinstance(node, nodes.Call):
            name = _member(node.node)
            if name in _MUTATING_METHODS:
                raise ExpressionError(f'calling {name}() is refused: it would change a list, dict or set, and the '
                                      'template sandbox is immutable here')
            if templar and not isinstance(node.node, nodes.Name) and name is None:
                raise ExpressionError('calling a computed value is refused here (only functions and methods '
                                      'named in the expression may be called)')
        elif isinstance(node, nodes.Filter) and node.name in _ATTR_FILTERS:
            arg = node.args[0] if node.args else None
            if isinstance(arg, nodes.Const) and isinstance(arg.value, str):
                if unsafe_name(arg.value) or arg.value in _MUTATING_METHODS or (templar and arg.value in _FORMAT_METHODS):
                    raise _refused('attribute', arg.value)
            elif templar:
                raise ExpressionError('the attr filter needs a constant attribute name here')
        elif templar and isinstance(node, (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
            raise ExpressionError('including or importing templates is refused here')
        if templar and isinstance(node, nodes.Const) and isinstance(node.value, str) and (
                '{{' in node.value or '{%' in node.value):
            # Ansible may render a template-looking constant of a conditional (an embedded template)
            try:
                embedded = _parse(node.value, template=True)
            except ExpressionError:
                continue  # not a template: Ansible cannot render it either
            check_tree(embedded, templar=True)


_PARSER_ENV = _SandboxEnvironment()


def _parse(text: str, template: bool = False) -> nodes.Node:
    """The syntax tree of an expression (or a whole template); ExpressionError when it does not parse."""
    try:
        if template:
            return _PARSER_ENV.parse(text)
        parser = Parser(_PARSER_ENV, text, state='variable')
        tree = parser.parse_expression()
        if not parser.stream.eos:
            token = parser.stream.current
            raise TemplateSyntaxError(f'unexpected {token.value or token.type!r} after the expression', token.lineno)
        return tree
    except TemplateSyntaxError as exc:
        raise ExpressionError(f'invalid Jinja2 expression {text!r}: {exc.message}') from None
    except (RecursionError, MemoryError):
        raise ExpressionError(f'the expression {text[:80]!r}... is nested too deeply') from None


def check_template(source: str) -> None:
    """Check a value Ansible's templar renders (compose, groups, keyed_groups): ExpressionError when refused.

    It is checked as an expression and as a template, whichever parses
    (Ansible decides by its own rules); one that parses as neither is refused.
    """
    trees = []
    errors = []
    for template in (False, True):
        try:
            trees.append(_parse(source if template else strip_braces(source), template=template))
        except ExpressionError as exc:
            errors.append(exc)
    if not trees:
        raise errors[0]
    try:
        for tree in trees:
            check_tree(tree, templar=True)
    except RecursionError:
        raise ExpressionError(f'{source[:80]!r}... is nested too deeply') from None


def strip_braces(source: str) -> str:
    """'{{ x }}' -> 'x': a bare expression is expected, but the templated spelling is accepted."""
    text = source.strip()
    if text.startswith('{{') and text.endswith('}}') and text.count('{{') == 1:
        return text[2:-2].strip()
    return text


class ExpressionCompiler:
    """Compiles expressions; one per rules file (it holds the resolved filters and tests)."""

    def __init__(self, filters: Resolver | None = None, tests: Resolver | None = None) -> None:
        self.env = _SandboxEnvironment(undefined=jinja2.StrictUndefined)
        self.eval_context = jinja2.nodes.EvalContext(self.env)
        self.context = new_context(self.env, None, {})
        self.accessors = _accessors(self.env, self.context)
        self._resolvers = {'filter': filters, 'test': tests}
        self._functions: dict[tuple[str, str], t.Callable[..., t.Any]] = {}
        self._compiled: dict[str, Expression] = {}

    def function(self, kind: str, name: str) -> t.Callable[..., t.Any]:
        """The filter or test `name`: Ansible's plugin if the resolver knows it, else Jinja2's builtin."""
        key = (kind, name)
        func = self._functions.get(key)
        if func is not None:
            return func
        short = name[len('ansible.builtin.'):] if name.startswith('ansible.builtin.') else name
        resolver = self._resolvers[kind]
        func = None
        if (kind, short) not in _UNDEFINED_AWARE and resolver is not None:
            func = resolver(name)
        if func is None:
            func = (self.env.filters if kind == 'filter' else self.env.tests).get(short)
        if func is None and kind == 'filter':
            func = _FALLBACK_FILTERS.get(short)
        if func is None:
            raise ExpressionError(f'no {kind} named {name!r}')
        # filter(...) and select(...) call back into the environment: let them find the same functions
        (self.env.filters if kind == 'filter' else self.env.tests)[name] = func
        self._functions[key] = func
        return func

    def compile(self, source: t.Any) -> Expression:
        """Compile an expression (str) or a constant (bool); raises ExpressionError."""
        if isinstance(source, bool):
            return Expression(str(source).lower(), frozenset(), (lambda _v, _r=source: _r), repr(source))
        if not isinstance(source, str):
            raise ExpressionError(f'expected a Jinja2 expression (a string), got {type(source).__name__} {source!r}')
        text = strip_braces(str(source))
        if not text:
            raise ExpressionError('the expression is empty')
        known = self._compiled.get(text)
        if known is not None:  # rules often share a condition
            return known
        tree = _parse(text)
        gen = _Codegen(self)
        try:
            check_tree(tree)
            body = gen.visit(tree)
            code = f'def _expression(v):\n    return {body}\n'
            namespace = dict(gen.globals)
            exec(compile(code, f'<expression {text!r}>', 'exec'), namespace)  # pylint: disable=exec-used
        except ExpressionError:
            raise
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            # a pathological expression (nested thousands deep ...): an error, not a traceback
            raise ExpressionError(f'the expression {text[:80]!r} cannot be compiled: {type(exc).__name__}') from None
        expression = self._compiled[text] = Expression(text, frozenset(gen.names), namespace['_expression'], code,
                                                       frozenset(gen.groups))
        return expression


_CONJUNCTION = re.compile(r'\s+and\s+')


def split_conjuncts(text: str) -> list[str]:
    """The operands of a top-level `a and b and c`, as written; [text] when it is not one.

    Split on ` and ` outside quotes and brackets, then kept only when the
    parts' trees joined by `and` are the tree of the whole (`a and b or c`
    is an `or`: not split).  Used to say which part of a `when` is false.
    """
    pieces: list[str] = []
    depth = 0
    quote = ''
    start = 0
    index = 0
    while index < len(text):
        char = text[index]
        if quote:
            if char == '\\':
                index += 1
            elif char == quote:
                quote = ''
        elif char in '\'"':
            quote = char
        elif char in '([{':
            depth += 1
        elif char in ')]}':
            depth -= 1
        elif depth == 0 and char.isspace():
            match = _CONJUNCTION.match(text, index)
            if match:
                pieces.append(text[start:index].strip())
                start = index = match.end()
                continue
        index += 1
    pieces.append(text[start:].strip())
    parts = [_unwrap(piece) for piece in pieces]
    if len(parts) < 2 or not all(parts):
        return [text]
    try:
        joined = _parse(parts[0])
        for part in parts[1:]:
            joined = nodes.And(joined, _parse(part))
        return parts if joined == _parse(text) else [text]
    except ExpressionError:
        return [text]


def _unwrap(text: str) -> str:
    """`(a)` -> `a` when the parentheses enclose the whole text."""
    while text.startswith('(') and text.endswith(')'):
        inner = text[1:-1].strip()
        try:
            if _parse(inner) != _parse(text):
                break
        except ExpressionError:
            break
        text = inner
    return text
