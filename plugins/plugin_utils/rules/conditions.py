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
"""

from __future__ import annotations

import typing as t

import jinja2
from jinja2 import nodes
from jinja2.exceptions import TemplateSyntaxError, UndefinedError
from jinja2.parser import Parser
from jinja2.runtime import new_context
from jinja2.utils import _PassArg

__all__ = ['Expression', 'ExpressionCompiler', 'ExpressionError', 'UndefinedError', 'Variables']

# Resolves a filter or test name Jinja2 does not know to a callable (or None).
Resolver = t.Callable[[str], t.Optional[t.Callable[..., t.Any]]]

_BINOPS = {'Add': '+', 'Sub': '-', 'Mul': '*', 'Div': '/', 'FloorDiv': '//', 'Mod': '%', 'Pow': '**'}
_UNOPS = {'Neg': '-', 'Pos': '+'}
_CMPOPS = {'eq': '==', 'ne': '!=', 'gt': '>', 'gteq': '>=', 'lt': '<', 'lteq': '<=', 'in': 'in', 'notin': 'not in'}
# Global functions that make sense per host; lookups would run per host on the controller.
_UNSUPPORTED_GLOBALS = {'lookup', 'query', 'q', 'now', 'undef'}


class ExpressionError(ValueError):
    """An expression that cannot be compiled (syntax, unknown filter ...)."""


class Expression:
    """A compiled expression: call it with a mapping of variables."""

    __slots__ = ('source', 'names', 'fn', 'code')

    def __init__(self, source: str, names: frozenset[str], fn: t.Callable[[t.Mapping[str, t.Any]], t.Any],
                 code: str) -> None:
        self.source = source
        self.names = names  # root variable names it reads
        self.fn = fn
        self.code = code  # the generated Python, for debugging

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


def _attr_fast(obj: t.Any, attr: str, missing: _Undefined) -> t.Any:
    """obj.attr where attr is no attribute of dict: a mapping key first, as Jinja2 ends up doing."""
    if isinstance(obj, dict):
        try:
            return obj[attr]
        except KeyError:
            return missing
    return _attr(obj, attr, missing)


def _attr(obj: t.Any, attr: str, missing: _Undefined) -> t.Any:
    """Environment.getattr: attribute first, then item; undefined stays undefined."""
    if isinstance(obj, jinja2.Undefined):
        return missing
    try:
        return getattr(obj, attr)
    except AttributeError:
        pass
    try:
        return obj[attr]
    except (TypeError, LookupError, AttributeError):
        return missing


def _item(obj: t.Any, key: t.Any, missing: _Undefined) -> t.Any:
    """Environment.getitem: item first, then attribute; undefined stays undefined."""
    if isinstance(obj, jinja2.Undefined):
        return missing
    try:
        return obj[key]
    except (AttributeError, TypeError, LookupError):
        if isinstance(key, str):
            try:
                return getattr(obj, key)
            except AttributeError:
                pass
        return missing


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
        self.globals: dict[str, t.Any] = {'_attr': _attr, '_attr_fast': _attr_fast, '_item': _item,
                                          '_concat': _concat, '_slice': slice}
        self.names: set[str] = set()
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
        missing = self.bind('U', _undefined(_path(node)))
        helper = '_attr' if hasattr(dict, node.attr) else '_attr_fast'
        return f'{helper}({self.visit(node.node)}, {self.const(node.attr)}, {missing})'

    def visit_Getitem(self, node: nodes.Getitem) -> str:
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
        for operand in node.ops:
            parts.append(_CMPOPS[operand.op])
            parts.append(self.visit(operand.expr))
        return f'({" ".join(parts)})'

    def _binop(self, node: nodes.BinExpr) -> str:
        return f'({self.visit(node.left)} {_BINOPS[type(node).__name__]} {self.visit(node.right)})'

    visit_Add = visit_Sub = visit_Mul = visit_Div = visit_FloorDiv = visit_Mod = visit_Pow = _binop

    def _arguments(self, node: nodes.Filter | nodes.Test | nodes.Call, first: list[str]) -> str:
        args = first + [self.visit(arg) for arg in node.args]
        args += [f'{kw.key}={self.visit(kw.value)}' for kw in node.kwargs]
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
        return f'{self.visit(node.node)}({self._arguments(node, [])})'

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


def strip_braces(source: str) -> str:
    """'{{ x }}' -> 'x': a bare expression is expected, but the templated spelling is accepted."""
    text = source.strip()
    if text.startswith('{{') and text.endswith('}}') and text.count('{{') == 1:
        return text[2:-2].strip()
    return text


class ExpressionCompiler:
    """Compiles expressions; one per rules file (it holds the resolved filters and tests)."""

    def __init__(self, filters: Resolver | None = None, tests: Resolver | None = None) -> None:
        self.env = jinja2.Environment(undefined=jinja2.StrictUndefined)
        self.eval_context = jinja2.nodes.EvalContext(self.env)
        self.context = new_context(self.env, None, {})
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
        try:
            parser = Parser(self.env, text, state='variable')
            tree = parser.parse_expression()
            if not parser.stream.eos:
                token = parser.stream.current
                raise TemplateSyntaxError(f'unexpected {token.value or token.type!r} after the expression',
                                          token.lineno)
        except TemplateSyntaxError as exc:
            raise ExpressionError(f'invalid Jinja2 expression {text!r}: {exc.message}') from None
        gen = _Codegen(self)
        body = gen.visit(tree)
        code = f'def _expression(v):\n    return {body}\n'
        namespace = dict(gen.globals)
        exec(compile(code, f'<expression {text!r}>', 'exec'), namespace)  # pylint: disable=exec-used
        expression = self._compiled[text] = Expression(text, frozenset(gen.names), namespace['_expression'], code)
        return expression
