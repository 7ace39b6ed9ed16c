# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The words of the engine: why a host is a member, what changed, why a rule is unmet."""

from __future__ import annotations

import typing as t

from ansible_collections.podim.fleet.plugins.plugin_utils.rules.spec import Rule

EXPLAIN_VAR = 'podim_fleet_rules'
MAX_NAMES = 10  # hosts named in one message; the rest are counted


def names(hosts: t.Sequence[str], limit: int = MAX_NAMES) -> str:
    if not hosts:
        return 'none'
    shown = ', '.join(hosts[:limit])
    return shown if len(hosts) <= limit else f'{shown} (+{len(hosts) - limit} more)'


def plural(n: int, word: str) -> str:
    return f'{n} {word}{"" if n == 1 else "s"}'


def group_label(rule: Rule, per_value: str | None) -> str:
    """dns_servers, or cache[zone=a] for one partition of a `per` rule."""
    if per_value is None:
        return rule.group
    return f'{rule.group}[{rule.per.source if rule.per else "per"}={per_value}]'


class Removed(t.NamedTuple):
    host: str
    reason: str


def member(rule: Rule, *, kept: bool, rank: int | None, available: int | None, spread_value: str | None,
           first_of_value: bool, per_value: str | None, replaces: Removed | None) -> dict[str, t.Any]:
    """The entry of podim_fleet_rules[group] for one member."""
    info: dict[str, t.Any] = {'rule': rule.name, 'decision': 'kept' if kept else 'chosen'}
    if rank is not None:
        info['rank'] = rank
    if spread_value is not None:
        info['spread_by'] = rule.spread_by.source if rule.spread_by else None
        info['spread_value'] = spread_value
    if per_value is not None:
        info['per'] = rule.per.source if rule.per else None
        info['per_value'] = per_value
    if replaces is not None:
        info['replaces'] = replaces.host
    info['why'] = why(rule, kept=kept, rank=rank, available=available, spread_value=spread_value,
                      first_of_value=first_of_value, replaces=replaces)
    return info


def why(rule: Rule, *, kept: bool, rank: int | None, available: int | None, spread_value: str | None,
        first_of_value: bool, replaces: Removed | None) -> str:
    if kept:
        text = 'kept: still eligible and available'
        if rank is not None:
            text += f' (chosen earlier at rank {rank})'
        return text
    if rule.count.max is None:
        text = 'chosen: every eligible and available host is a member'
    else:
        text = 'chosen'
        if rank is not None and available is not None:
            text += f': rank {rank} of {available} eligible and available by rendezvous hash'
    if spread_value is not None:
        spread = rule.spread_by.source if rule.spread_by else 'spread_by'
        text += (f'; first member with {spread}={spread_value}' if first_of_value
                 else f'; {spread}={spread_value} (no value without a member was left)')
    if replaces is not None:
        text += f'; replaces {replaces.host} ({replaces.reason})'
    return text


def change_lines(label: str, removed: t.Sequence[Removed], new: t.Sequence[str], first: bool) -> list[str]:
    """One line per change of one group (or partition) against the remembered decision."""
    lines: list[str] = []
    pairs = min(len(removed), len(new))
    for gone, host in zip(removed[:pairs], new[:pairs]):
        lines.append(f'{label}: +{host} replaces {gone.host} ({gone.reason})')
    extra = list(new[pairs:])
    if extra:
        if first:
            lines.append(f'{label}: chose {names(extra)} (first decision)')
        elif len(extra) == 1:
            lines.append(f'{label}: +{extra[0]} (new slot)')
        else:
            lines.append(f'{label}: +{len(extra)} hosts (new slots): {names(extra)}')
    by_reason: dict[str, list[str]] = {}
    for gone in removed[pairs:]:
        by_reason.setdefault(gone.reason, []).append(gone.host)
    for reason, hosts in by_reason.items():
        if len(hosts) == 1:
            lines.append(f'{label}: -{hosts[0]} ({reason}; no replacement)')
        else:
            lines.append(f'{label}: -{len(hosts)} hosts ({reason}; no replacement): {names(hosts)}')
    return lines


class Exclusions(t.NamedTuple):
    """Why the hosts of the inventory are not candidates of one rule (or partition)."""
    inventory: int  # hosts in the inventory
    pattern: int  # not matched by `hosts`
    earlier: int  # matched by `hosts` but for the groups of earlier rules
    earlier_groups: list[str]
    when: int  # matched, but `when` is false
    unavailable_expr: int  # `available` is false
    unavailable_probe: int  # no answer to the probe


def unmet(rule: Rule, label: str, found: t.Sequence[str], why_not: Exclusions, probe_port: str | None,
          partition_size: int | None) -> str:
    """The message of a rule (or partition) that cannot be met."""
    where = f'rule {rule.name!r} (group {label})'
    text = (f'{where} asks for {rule.count.describe()} '
            f'host{"" if rule.count.min == 1 and rule.count.max == 1 else "s"}, '
            f'found {len(found)}: {names(list(found))}.')
    if partition_size is not None:
        text += f' Its partition has {plural(partition_size, "eligible host")}'
    else:
        parts = [f'Of {plural(why_not.inventory, "host")} in the inventory, {why_not.pattern} '
                 f'{"is" if why_not.pattern == 1 else "are"} excluded by hosts {rule.hosts!r}']
        if why_not.earlier:
            groups = f' ({", ".join(why_not.earlier_groups)})' if why_not.earlier_groups else ''
            parts.append(f'{why_not.earlier} by the groups of earlier rules{groups}')
        else:
            parts.append('0 by earlier rules')
        if rule.when is not None:
            parts.append(f'{why_not.when} by when {rule.when.source!r}')
        text += ' ' + ', '.join(parts)
    unavailable = why_not.unavailable_expr + why_not.unavailable_probe
    detail = []
    if why_not.unavailable_expr:
        detail.append(f'{why_not.unavailable_expr} by available')
    if why_not.unavailable_probe:
        detail.append(f'{why_not.unavailable_probe} not answering on {probe_port}')
    text += f', {unavailable} unavailable'
    if detail:
        text += f' ({", ".join(detail)})'
    return text + '.'
