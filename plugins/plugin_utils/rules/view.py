# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the engine sees of an inventory: hosts, group membership, variables.

Variables are looked up lazily, name by name, when an expression reads
them: computing every variable of every host (as `constructed` does)
would cost more than all the rules together.  Group memberships are
listed only for the groups a pattern names.
"""

from __future__ import annotations

import typing as t

from ansible_collections.podim.fleet.plugins.plugin_utils.rules.conditions import Variables

MAGIC_NAMES = frozenset({'inventory_hostname', 'inventory_hostname_short', 'group_names'})
_MISSING = object()


class View(t.Protocol):
    hosts: list[str]  # in inventory order
    groups: t.Mapping[str, list[str]]  # group -> its hosts (children's included), incl. all

    def variables(self, host: str) -> Variables:
        """The host's variables; a new object per call, which the engine may add to."""


def short_name(host: str) -> str:
    """inventory_hostname_short, as Ansible computes it (an IP address stays whole)."""
    if host.replace('.', '').isdigit() or ':' in host:
        return host
    return host.split('.')[0]


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

    def variables(self, host: str) -> Variables:
        out = Variables(self._hostvars[host])
        out['inventory_hostname'] = host
        out['inventory_hostname_short'] = short_name(host)
        out['group_names'] = sorted(self._group_names.get(host, []))
        return out


class _LazyGroups(t.Mapping[str, t.List[str]]):
    """{group: host names} of an InventoryData, each list built on first use."""

    def __init__(self, groups: t.Mapping[str, t.Any], hosts: list[str]) -> None:
        self._groups = groups
        self._lists: dict[str, list[str]] = {'all': hosts}

    def __getitem__(self, name: str) -> list[str]:
        found = self._lists.get(name)
        if found is None:
            group = self._groups[name]
            # a group without children lists its hosts itself: no walk, no set of Host objects
            members = group.hosts if not group.child_groups else group.get_hosts()
            found = self._lists[name] = [host.name for host in members]
        return found

    def __contains__(self, name: object) -> bool:
        return name in self._groups

    def __iter__(self) -> t.Iterator[str]:
        return iter(self._groups)

    def __len__(self) -> int:
        return len(self._groups)


class _HostVariables(Variables):
    """One host's variables, each resolved by InventoryView on first read."""

    __slots__ = ('_view', '_host')

    def __missing__(self, name: str) -> t.Any:
        value = self._view.resolve(self._host, name)
        if value is _MISSING:
            return super().__missing__(name)
        self[name] = value
        return value


class InventoryView:
    """Ansible's InventoryData, read with the precedence of Ansible's vars.

    A host's variable is its own if it sets it, else the one of its groups
    sorted by (depth, priority, name), the last winning: what
    `get_group_vars()` + `host.get_vars()` give, for the names read only.
    Hosts with the same groups share the group part of the work.
    """

    def __init__(self, inventory: t.Any, render: t.Callable[[str, t.Any], t.Any] | None = None,
                 full_vars: t.Callable[[str], t.Mapping[str, t.Any]] | None = None) -> None:
        """render(host, value) templates a value that holds Jinja2; full_vars(host), when given,
        replaces the look-up (hash_behaviour = merge needs Ansible's real merging)."""
        # plugins get a proxy of InventoryData: hold its dicts, not the proxy, in hot paths
        self._host_objects: dict[str, t.Any] = inventory.hosts
        self._render = render
        self._full_vars = full_vars
        self._by_groups: dict[tuple[int, ...], dict[str, t.Any]] = {}
        self.hosts = list(self._host_objects)
        self.groups = _LazyGroups(inventory.groups, self.hosts)

    def variables(self, host: str) -> Variables:
        out = _HostVariables()
        out._view = self
        out._host = host
        return out

    def _from_groups(self, groups: list[t.Any], name: str) -> t.Any:
        key = tuple(map(id, groups))
        found = self._by_groups.get(key)
        if found is None:
            found = self._by_groups[key] = {}
        value = found.get(name, _MISSING)
        if value is _MISSING and name not in found:
            for group in sorted(groups, key=lambda g: (g.depth, g.priority, g.name), reverse=True):
                if name in group.vars:
                    value = group.vars[name]
                    break
            found[name] = value
        return value

    def resolve(self, host: str, name: str) -> t.Any:
        """The value of one variable of host, or _MISSING."""
        obj = self._host_objects[host]
        if name in MAGIC_NAMES:
            if name == 'inventory_hostname':
                return host
            if name == 'inventory_hostname_short':
                return short_name(host)
            return sorted([group.name for group in obj.groups if group.name != 'all'])
        if self._full_vars is not None:
            value = self._full_vars(host).get(name, _MISSING)
        else:
            value = obj.vars.get(name, _MISSING)
            if value is _MISSING:
                value = self._from_groups(obj.groups, name)
        if isinstance(value, str) and self._render is not None and ('{{' in value or '{%' in value):
            value = self._render(host, value)
        return value
