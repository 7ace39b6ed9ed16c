# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible host patterns evaluated over a plain {group: [hosts]} mapping.

Plugins that run on the controller outside a play (the rules inventory
plugin, the exported lookup) have group membership but no InventoryManager;
this gives them the same pattern language users write in `hosts:`:
names, globs (`web*`), regexes (`~web\\d+`), subscripts (`web[0]`,
`web[1:3]`), unions (`a:b`, `a,b`), intersections (`a:&b`) and
exclusions (`a:!b`), applied in Ansible's order: unions, then
intersections, then exclusions.
"""

from __future__ import annotations

import collections
import fnmatch
import re
import typing as t

_SUBSCRIPT = re.compile(r'^(.+)\[(-?\d+)(?::(-?\d*))?\]$')


class PatternError(ValueError):
    """A host pattern that cannot be evaluated."""


def split_pattern(pattern: str) -> list[str]:
    """Split on ',' and ':' but not inside [] (subscripts) or in IPv6 addresses."""
    if ',' in pattern:
        return [part.strip() for part in pattern.split(',') if part.strip()]
    parts: list[str] = []
    depth = 0
    current = ''
    for char in pattern:
        if char == '[':
            depth += 1
        elif char == ']':
            depth -= 1
        if char == ':' and depth == 0:
            parts.append(current)
            current = ''
        else:
            current += char
    parts.append(current)
    return [part.strip() for part in parts if part.strip()]


def term_refers_to(term: str, group: str) -> bool:
    """Whether a pattern term (without its ! or &) would include the group of that name, were it there.

    As HostPatterns.select reads terms: a name, a subscript of one
    (`web[0]`), a glob, or a `~regex`; `all` and `*` mean every host, not
    groups.
    """
    term = term.strip()
    match = _SUBSCRIPT.match(term)
    if match and not term.startswith('~'):
        return term_refers_to(match.group(1), group)
    if term in ('all', '*'):
        return False
    if term == group:
        return True
    if term.startswith('~'):
        try:
            return re.match(term[1:], group) is not None
        except re.error:
            return False
    if any(c in term for c in '*?['):
        return fnmatch.fnmatch(group, term)
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
        """Hosts matched by pattern, in inventory order (first seen)."""
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
                exclude.update(self._term(part[1:]))
            elif part.startswith('&'):
                intersect.append(set(self._term(part[1:])))
            else:
                unions.append(self._term(part))
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

    def _term(self, term: str) -> list[str]:
        term = term.strip()
        if not term:
            raise PatternError('host pattern has an empty term (check for doubled : or trailing !/&)')
        match = _SUBSCRIPT.match(term)
        if match and not term.startswith('~'):
            hosts = self._term(match.group(1))
            start = int(match.group(2))
            if match.group(3) is None:
                return hosts[start:start + 1] if start != -1 else hosts[-1:]
            end = int(match.group(3)) if match.group(3) else len(hosts)
            return hosts[start:end + 1]
        # lists returned here are read, never changed: no copies
        if term in ('all', '*'):
            return self.hosts
        if term in self.groups:
            return self.groups[term]
        if term in self._host_set:
            return [term]
        if term.startswith('~'):
            try:
                regex = re.compile(term[1:])
            except re.error as exc:
                raise PatternError(f'host pattern term {term!r} is not a valid regular expression: {exc}') from None
            names = [g for g in self.groups if regex.match(g)]
            matched = [h for h in self.hosts if regex.match(h)]
        elif any(c in term for c in '*?['):
            names = fnmatch.filter(self.groups, term)
            matched = fnmatch.filter(self.hosts, term)
        else:
            return []  # an unknown name matches nothing, as in Ansible
        out = dict.fromkeys(matched)
        for name in sorted(names):
            out.update(dict.fromkeys(self.groups[name]))
        return list(out)


def select_hosts(pattern: str, groups: t.Mapping[str, t.Sequence[str]]) -> list[str]:
    """One-shot form of HostPatterns(groups).select(pattern)."""
    return HostPatterns(groups).select(pattern)
