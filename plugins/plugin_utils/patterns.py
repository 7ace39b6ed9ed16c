# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible host patterns evaluated over a plain {group: [hosts]} mapping.

Plugins that run on the controller outside a play (the rules inventory
plugin, the exported lookup) have group membership but no InventoryManager;
this gives them the same pattern language users write in `hosts:`, read the
way ansible-core's InventoryManager reads it (its own `split_host_pattern`
and subscript syntax are reused): names, globs (`web*`), regexes
(`~web\\d+`), subscripts (`web[0]`, `web[-1]`, `web[1:3]`), unions (`a:b`,
`a,b`), intersections (`a:&b`) and exclusions (`a:!b`), applied in Ansible's
order: unions, then intersections, then exclusions.

Deliberate differences from InventoryManager (docs/rules.md, asserted by
tests/unit/plugins/plugin_utils/test_patterns_parity.py):

* a name that is not in the inventory matches nothing, `localhost` included:
  Ansible's implicit localhost is never a candidate;
* a subscript past the end (`web[5]` of 3 hosts) matches nothing instead of
  failing with "No hosts matched the subscripted pattern".
"""

from __future__ import annotations

import collections
import re
import typing as t
from fnmatch import translate

from ansible.inventory.manager import PATTERN_WITH_SUBSCRIPT, split_host_pattern

_SEPARATORS = re.compile(r'[\s:,]')
_SPECIAL = ('.', '?', '*', '[')  # a term with one of these also matches host names (InventoryManager's rule)


class PatternError(ValueError):
    """A host pattern that cannot be evaluated."""


def split_pattern(pattern: str) -> list[str]:
    """Ansible's split: on ',' when there is one, else on ':' but not in [] subscripts nor in an IPv6 address.

    Ansible's split silently drops a `[` or `]` without its pair (`~web[` becomes `~web`): an error here.
    """
    parts = [str(part) for part in split_host_pattern(pattern)]
    if _SEPARATORS.sub('', pattern) != _SEPARATORS.sub('', ''.join(parts)):
        raise PatternError(f'host pattern {pattern!r} has a [ or ] without its pair')
    return parts


def _subscript(term: str) -> tuple[str, tuple[int, int | None] | None]:
    """(term without subscript, (start, end) or None), as InventoryManager._split_subscript reads it."""
    if term.startswith('~'):
        return term, None  # the [..] of a regex is part of the regex
    match = PATTERN_WITH_SUBSCRIPT.match(term)
    if not match:
        return term, None
    base, index, start, _sep, end = match.groups()
    if index:
        return base, (int(index), None)
    return base, (int(start), int(end) if end else -1)


def _apply_subscript(hosts: list[str], subscript: tuple[int, int | None] | None) -> list[str]:
    """Ansible's slice: [i] one host, [a:b] inclusive, [a:] to the end; past the end: no host (deliberately)."""
    if not hosts or subscript is None:
        return hosts
    start, end = subscript
    if end:  # Ansible reads [a:0] as [a]: `if end` is false for 0
        return hosts[start:(len(hosts) - 1 if end == -1 else end) + 1]
    if -len(hosts) <= start < len(hosts):
        return [hosts[start]]
    return []


def _matcher(term: str) -> t.Callable[[str], t.Any]:
    try:
        return re.compile(term[1:] if term.startswith('~') else translate(term)).match
    except re.error as exc:
        raise PatternError(f'host pattern term {term!r} is not a valid regular expression: {exc}') from None


def term_refers_to(term: str, group: str) -> bool:
    """Whether a pattern term (without its ! or &) would include the group of that name, were it there.

    As HostPatterns.select reads terms: a name, a subscript of one
    (`web[0]`), a glob, or a `~regex`; `all` and `*` mean every host, not
    groups.
    """
    term, _sub = _subscript(term.strip())
    if term in ('all', '*'):
        return False
    if term == group:
        return True
    if term.startswith('~') or any(c in term for c in '*?['):
        try:
            return _matcher(term)(group) is not None
        except PatternError:
            return False
    return False


class HostPatterns:
    """Pattern evaluation over one inventory snapshot (reusable, cached)."""

    def __init__(self, groups: t.Mapping[str, t.Sequence[str]], hosts: t.Sequence[str] | None = None) -> None:
        self.groups = groups
        self._own_groups = False
        if hosts is None:
            hosts = groups.get('all') or sorted({h for members in groups.values() for h in members})
        self.hosts = list(hosts)
        self._host_set = set(self.hosts)
        self._cache: dict[str, list[str]] = {}

    def add_group(self, name: str, hosts: t.Sequence[str]) -> None:
        """Set the hosts of a group (new or not); later selections see it."""
        if not self._own_groups:
            # an overlay: the caller's mapping is never changed, nor copied
            self.groups = collections.ChainMap({}, self.groups)
            self._own_groups = True
        self.groups[name] = list(hosts)
        self._cache.clear()

    def select(self, pattern: str | t.Sequence[str]) -> list[str]:
        """Hosts matched by pattern, in Ansible's order (first seen)."""
        key = pattern if isinstance(pattern, str) else ','.join(pattern)
        cached = self._cache.get(key)
        if cached is not None:
            return list(cached)
        parts = split_pattern(pattern) if isinstance(pattern, str) else [p for p in pattern if p]
        if not parts:
            raise PatternError(f'host pattern {key!r} is empty')
        unions: list[t.Sequence[str]] = []
        intersect: list[set[str]] = []
        exclude: set[str] = set()
        for part in parts:
            if part.startswith('!'):
                exclude.update(self.term(part[1:]))
            elif part.startswith('&'):
                intersect.append(set(self.term(part[1:])))
            elif part in self._host_set:
                unions.append([part])  # as Ansible: a plain host name is that host, even if a group has its name
            else:
                unions.append(self.term(part))
        if not unions and (intersect or exclude):
            # like Ansible: a pattern of only & / ! terms starts from all hosts
            unions = [self.hosts]
        if len(unions) == 1:
            union: t.Iterable[str] = unions[0]  # one term: already in order and without repeats
        else:
            merged: dict[str, None] = {}
            for hosts in unions:
                merged.update(dict.fromkeys(hosts))
            union = merged
        if intersect:
            keep = set.intersection(*intersect) - exclude
            result = [h for h in union if h in keep]
        elif exclude:
            result = [h for h in union if h not in exclude]
        else:
            result = list(union)
        self._cache[key] = result
        return list(result)

    def term(self, term: str) -> list[str]:
        """The hosts of one term (without its ! or &), without repeats; read, never change, the list."""
        term = term.strip()
        if not term:
            raise PatternError('host pattern has an empty term (check for doubled : or trailing !/&)')
        if term in ('all', '*'):
            return self.hosts
        base, subscript = _subscript(term)
        if subscript is None and not term.startswith('~') and not any(c in term for c in _SPECIAL):
            if term in self.groups:
                return self.groups[term]
            return [term] if term in self._host_set else []  # an unknown name matches nothing (no implicit localhost)
        hosts = self._matches(base)
        # Ansible slices before removing repeats (a host in two matched groups counts twice)
        return list(dict.fromkeys(_apply_subscript(hosts, subscript)))

    def _matches(self, term: str) -> list[str]:
        """InventoryManager._enumerate_matches: hosts of the matched groups (inventory order), then matched hosts."""
        if term in ('all', '*'):
            return self.hosts
        match = _matcher(term)
        out: list[str] = []
        groups = [name for name in self.groups if match(name)]
        for name in groups:
            out.extend(self.groups[name])
        if not groups or term.startswith('~') or any(c in term for c in _SPECIAL):
            out.extend(host for host in self.hosts if match(host))
        return out


def select_hosts(pattern: str, groups: t.Mapping[str, t.Sequence[str]]) -> list[str]:
    """One-shot form of HostPatterns(groups).select(pattern)."""
    return HostPatterns(groups).select(pattern)
