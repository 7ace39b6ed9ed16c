# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the engine sees of an inventory: hosts, group membership, variables.

The engine asks for a host's variables only when a rule needs them, and
only for the names its expressions read: computing every variable of every
host (as `constructed` does) costs more than all the rules together.
"""

from __future__ import annotations

import typing as t

MAGIC_NAMES = frozenset({'inventory_hostname', 'inventory_hostname_short', 'group_names'})


class View(t.Protocol):
    hosts: list[str]  # in inventory order
    groups: dict[str, list[str]]  # group -> its hosts (children's included), incl. all

    def variables(self, host: str) -> dict[str, t.Any]:
        """A new dict with (at least) the wanted names the host defines, magic ones included."""


def short_name(host: str) -> str:
    """inventory_hostname_short, as Ansible computes it (an IP address stays whole)."""
    if host.replace('.', '').isdigit() or ':' in host:
        return host
    return host.split('.')[0]


def _magic(host: str, names: t.Collection[str], group_names: t.Callable[[], list[str]]) -> dict[str, t.Any]:
    out: dict[str, t.Any] = {}
    if 'inventory_hostname' in names:
        out['inventory_hostname'] = host
    if 'inventory_hostname_short' in names:
        out['inventory_hostname_short'] = short_name(host)
    if 'group_names' in names:
        out['group_names'] = group_names()
    return out


class StaticView:
    """An inventory from plain mappings (tests, and callers without Ansible)."""

    def __init__(self, hostvars: t.Mapping[str, t.Mapping[str, t.Any]],
                 groups: t.Mapping[str, t.Sequence[str]] | None = None) -> None:
        self.hosts = list(hostvars)
        self.groups = {name: list(members) for name, members in (groups or {}).items()}
        self.groups['all'] = list(self.hosts)
        self._hostvars = hostvars
        self._group_names: dict[str, list[str]] = {}
        for name, members in self.groups.items():
            if name != 'all':
                for host in members:
                    self._group_names.setdefault(host, []).append(name)

    def variables(self, host: str) -> dict[str, t.Any]:
        out = dict(self._hostvars[host])
        out.update(_magic(host, MAGIC_NAMES, lambda: sorted(self._group_names.get(host, []))))
        return out


class InventoryView:
    """Ansible's InventoryData, read with the precedence of Ansible's vars.

    A host's variable is its own if it sets it, else the one of its groups
    sorted by (depth, priority, name), the last winning: what
    `get_group_vars()` + `host.get_vars()` give, for the few names needed.
    Hosts with the same groups share the group part of the work.
    """

    def __init__(self, inventory: t.Any, names: t.Collection[str],
                 render: t.Callable[[str, t.Any], t.Any] | None = None,
                 full_vars: t.Callable[[str], t.Mapping[str, t.Any]] | None = None) -> None:
        """render(host, value) templates a value that holds Jinja2; full_vars(host), when given,
        is used instead of the lookup below (hash_behaviour = merge needs real merging)."""
        self._inventory = inventory
        self._names = tuple(sorted(set(names) - MAGIC_NAMES))
        self._magic = MAGIC_NAMES & set(names)
        self._render = render
        self._full_vars = full_vars
        self._by_groups: dict[tuple[int, ...], dict[str, t.Any]] = {}
        self.hosts = list(inventory.hosts)
        # a shallow copy: the engine adds the groups it makes, the lists are never changed
        self.groups = dict(inventory.get_groups_dict())

    def _group_values(self, groups: t.Sequence[t.Any]) -> dict[str, t.Any]:
        key = tuple(map(id, groups))
        found = self._by_groups.get(key)
        if found is None:
            found = {}
            for group in sorted(groups, key=lambda g: (g.depth, g.priority, g.name)):
                gvars = group.vars
                for name in self._names:
                    if name in gvars:
                        found[name] = gvars[name]
            self._by_groups[key] = found
        return found

    def variables(self, host: str) -> dict[str, t.Any]:
        obj = self._inventory.hosts[host]
        if self._full_vars is not None:
            every = self._full_vars(host)
            out = {name: every[name] for name in self._names if name in every}
        else:
            out = dict(self._group_values(obj.groups))
            own = obj.vars
            for name in self._names:
                if name in own:
                    out[name] = own[name]
        if self._render is not None:
            for name, value in out.items():
                if isinstance(value, str) and ('{{' in value or '{%' in value):
                    out[name] = self._render(host, value)
        if self._magic:
            out.update(_magic(host, self._magic, lambda: sorted(g.name for g in obj.groups if g.name != 'all')))
        return out
