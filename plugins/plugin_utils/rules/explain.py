# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The words of the engine: why a host is a member, what changed, why a rule is unmet."""

from __future__ import annotations

import typing as t

from ansible_collections.podim.fleet.plugins.plugin_utils.rules.control import (
    APPLIED, HELD, OPTION_APPROVER, Approval, RuleDecision, Status, Unit,
)
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


class Waiting(t.NamedTuple):
    """A member that stays for now although the rule would let it go."""
    status: str  # held (max_moves) or proposed (approve)
    proposal: str  # the change's id
    reason: str  # why it would leave
    approved_by: str | None


def member(rule: Rule, *, kept: bool, rank: int | None, available: int | None, spread_value: str | None,
           first_of_value: bool, per_value: str | None, replaces: Removed | None,
           waiting: Waiting | None = None) -> dict[str, t.Any]:
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
    if waiting is not None:
        info['waiting'] = {'status': waiting.status, 'proposal': waiting.proposal, 'reason': waiting.reason}
        if waiting.approved_by:
            info['waiting']['approved_by'] = waiting.approved_by
        info['why'] = why_waiting(rule, waiting)
        return info
    info['why'] = why(rule, kept=kept, rank=rank, available=available, spread_value=spread_value,
                      first_of_value=first_of_value, replaces=replaces)
    return info


def why_waiting(rule: Rule, waiting: Waiting) -> str:
    text = f'kept for now: it would leave ({waiting.reason}); '
    if waiting.status == HELD:
        text += f'held by max_moves ({_per_evaluation(rule.max_moves)} per evaluation)'
        if waiting.approved_by:
            text += f', approved {waiting.proposal} by {waiting.approved_by}'
        return text
    return text + f'proposal {waiting.proposal} waits for approval'


def _per_evaluation(limit: int | None) -> str:
    return f'{limit} voluntary change{"" if limit == 1 else "s"}'


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


def _what(unit: Unit) -> str:
    """A change in the words of the change lines: +new replaces old (reason), -old (reason; no replacement)."""
    if unit.leave is not None and unit.join is not None:
        return f'+{unit.join} replaces {unit.leave.host} ({unit.leave.reason})'
    if unit.leave is not None:
        return f'-{unit.leave.host} ({unit.leave.reason}; no replacement)'
    return f'+{unit.join} (new slot)'


def pending_line(rule: Rule, label: str, unit: Unit, status: Status) -> str:
    """One line per change that waits: held by max_moves, or proposed (with the id to approve)."""
    if status.status == HELD:
        approved = f'; approved {unit.id} by {status.approved_by}' if status.approved_by else ''
        return f'{label}: waiting (max_moves: {rule.max_moves}{approved}): {_what(unit)}'
    return f'{label}: proposed {unit.id}: {_what(unit)}'


def expired_line(rule: Rule, approval: Approval) -> str:
    return (f'{rule.group}: approval {approval.id} of rule {rule.name!r} expired: no current proposal has this id '
            f'(approved by {approval.by}); nothing was applied for it')


def unreadable_line(rule: Rule, count: int) -> str:
    entries = 'entry' if count == 1 else 'entries'
    return (f'{rule.group}: {count} unreadable approval {entries} of rule {rule.name!r} dropped '
            "(an entry is {'id': ..., 'by': ..., 'at': ...})")


def unmatched_option(ident: str) -> str:
    return f'approval {ident} ({OPTION_APPROVER}) matches no current proposal of any rule; ignored'


def move(rule: Rule, partition: str | None, host: str, change: str, reason: str, voluntary: bool,
         replaces: str | None, proposal: str | None, approved_by: str | None) -> dict[str, t.Any]:
    """One membership change as plain data (Result.moves; the store's history)."""
    return {'rule': rule.name, 'group': rule.group, 'partition': partition, 'host': host, 'change': change,
            'reason': reason, 'voluntary': voluntary, 'replaces': replaces, 'proposal': proposal,
            'approved_by': approved_by}


def unit_moves(rule: Rule, unit: Unit, status: Status, first: bool) -> list[dict[str, t.Any]]:
    """The moves of one applied unit: the leave, then the join in its place."""
    voluntary = unit.voluntary
    proposal = unit.id if voluntary and (rule.approve or status.approved_by) else None
    out = []
    leave = unit.leave
    if leave is not None:
        out.append(move(rule, unit.partition, leave.host, 'left', leave.reason, voluntary, None, proposal,
                        status.approved_by))
    if unit.join is not None:
        if leave is not None:
            reason = f'replaces {leave.host} ({leave.reason})'
        else:
            reason = 'first decision' if first else 'new slot'
        out.append(move(rule, unit.partition, unit.join, 'joined', reason, voluntary,
                        leave.host if leave is not None else None, proposal, status.approved_by))
    return out


def pending_entry(rule: Rule, unit: Unit, status: Status) -> dict[str, t.Any]:
    return {'id': unit.id, 'rule': rule.name, 'group': rule.group, 'partition': unit.partition,
            'status': status.status, 'leave': unit.leave.host if unit.leave is not None else None, 'join': unit.join,
            'reason': unit.leave.reason if unit.leave is not None else 'new slot', 'approved_by': status.approved_by}


class Rendered(t.NamedTuple):
    members: list[str]
    saved: list[dict[str, t.Any]]  # the members as remembered: {'host', 'rank', 'per'}
    changes: list[str]
    moves: list[dict[str, t.Any]]
    pending: list[dict[str, t.Any]]
    notices: list[str]


def render(decision: RuleDecision, hostvars: dict[str, dict[str, t.Any]]) -> Rendered:
    """Everything said about one rule's decision, from that one value: host variables, lines, moves, state."""
    rule = decision.rule
    info = decision.info
    spread = decision.spread
    members: list[str] = []
    saved: list[dict[str, t.Any]] = []
    changes: list[str] = []
    moves: list[dict[str, t.Any]] = []
    pending: list[dict[str, t.Any]] = []
    notices: list[str] = []
    for part in decision.parts:
        key = part.key
        label = group_label(rule, key)
        selection = part.selection
        removed: list[Removed] = []
        new: list[str] = []
        replaced: dict[str, Removed] = {}
        waiting: dict[str, Waiting] = {}
        for unit, status in zip(part.units, part.statuses):
            leave = unit.leave
            if status.status == APPLIED:
                moves += unit_moves(rule, unit, status, decision.first)
                if leave is not None:
                    reason = leave.reason
                    if status.approved_by:
                        reason += f'; approved {unit.id} by {status.approved_by}'
                    removed.append(Removed(leave.host, reason))
                    if unit.join is not None:
                        replaced[unit.join] = removed[-1]
                if unit.join is not None:
                    new.append(unit.join)
            else:
                pending.append(pending_entry(rule, unit, status))
                notices.append(pending_line(rule, label, unit, status))
                if leave is not None:
                    waiting[leave.host] = Waiting(status.status, unit.id, leave.reason, status.approved_by)
        changes += change_lines(label, removed, new, first=decision.first)
        crowd: dict[str, int] = {}
        for host in part.members():
            kept = host not in selection.new
            rank = info[host].get('rank') if kept else selection.ranks.get(host)
            value = spread.get(host) if spread is not None else None
            entry = member(rule, kept=kept, rank=rank, available=selection.available, spread_value=value,
                           first_of_value=value is not None and not crowd.get(value), per_value=key,
                           replaces=replaced.get(host), waiting=waiting.get(host))
            if value is not None:
                crowd[value] = crowd.get(value, 0) + 1
            host_vars = hostvars.setdefault(host, {})
            host_vars.setdefault(EXPLAIN_VAR, {})[rule.group] = entry
            host_vars.update(rule.vars)
            item: dict[str, t.Any] = {'host': host}
            if rank is not None:
                item['rank'] = rank
            if key is not None:
                item['per'] = key
            saved.append(item)
            members.append(host)
    notices += [expired_line(rule, approval) for approval in decision.expired]
    if decision.unreadable:
        notices.append(unreadable_line(rule, decision.unreadable))
    return Rendered(members, saved, changes, moves, pending, notices)


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
