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
MAX_WHY = 2000  # a remembered reason longer than this is not ours: ignored


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
           waiting: Waiting | None = None, chosen: str | None = None) -> dict[str, t.Any]:
    """The entry of podim_fleet_rules[group] for one member; chosen: a kept member's reason when it was chosen."""
    info: dict[str, t.Any] = {'rule': rule.name, 'decision': 'kept' if kept else 'chosen'}
    if kept and chosen is not None:
        info['chosen'] = chosen
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
                      first_of_value=first_of_value, replaces=replaces, chosen=chosen)
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
        first_of_value: bool, replaces: Removed | None, chosen: str | None = None) -> str:
    if kept:
        text = 'kept: still eligible and available'
        if chosen is not None:
            # the reason it was chosen, remembered with the decision: "chosen: rank 3 of 4 ..." -> "first chosen: ..."
            return f'{text}; first {chosen}'
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


def pending_join(rule: Rule, unit: Unit, status: Status) -> str:
    """Why a host the rule would choose is not a member yet: the change that brings it in waits."""
    leave = f'would replace {unit.leave.host} ({unit.leave.reason})' if unit.leave is not None else 'would join'
    if status.status == HELD:
        return f'{leave}: held by max_moves ({_per_evaluation(rule.max_moves)} per evaluation)'
    return f'{leave}: proposal {unit.id} waits for approval'


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


def remembered_why(item: t.Mapping[str, t.Any]) -> str | None:
    """The reason a member was chosen, as remembered; None for states written without it (or unreadable)."""
    text = item.get('why')
    if isinstance(text, str) and text.startswith('chosen') and len(text) <= MAX_WHY:
        return text
    return None


class Rendered(t.NamedTuple):
    members: list[str]
    saved: list[dict[str, t.Any]]  # the members as remembered: {'host', 'rank', 'per', 'why'}
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
            chosen = remembered_why(info[host]) if kept else None
            entry = member(rule, kept=kept, rank=rank, available=selection.available, spread_value=value,
                           first_of_value=value is not None and not crowd.get(value), per_value=key,
                           replaces=replaced.get(host), waiting=waiting.get(host), chosen=chosen)
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
            if chosen is not None:
                item['why'] = chosen
            elif not kept and rule.count.max is not None and 'waiting' not in entry:
                # remembered so that the member keeps it; not for "every eligible host" (the rule says it all,
                # and 10,000 copies of one sentence would weigh on every evaluation)
                item['why'] = entry['why']
            saved.append(item)
            members.append(host)
    notices += [expired_line(rule, approval) for approval in decision.expired]
    if decision.unreadable:
        notices.append(unreadable_line(rule, decision.unreadable))
    return Rendered(members, saved, changes, moves, pending, notices)


NOT_CHOSEN_VAR = 'podim_fleet_rules_not_chosen'
# reasons a host is not a member, in the order a host is checked (and counts are listed)
REASONS = ('hosts', 'earlier', 'when', 'unavailable', 'waiting', 'filled', 'spread', 'rank')


class NotChosen(t.NamedTuple):
    """Why one host is not a member of one rule's group."""
    reason: str  # one of REASONS
    label: str  # what a count of such hosts says: "excluded by when (memory_mb | int >= 1024)"
    why: str  # the sentence for this host
    extra: dict[str, t.Any]  # more fields of its entry (condition, groups, rank ...)


def not_chosen_entry(rule: Rule, found: NotChosen) -> dict[str, t.Any]:
    """The entry of podim_fleet_rules_not_chosen[group] for one host."""
    return {'rule': rule.name, 'reason': found.reason, 'why': found.why, **found.extra}


def tally(chosen: int, total: int, noun: str, reasons: t.Mapping[tuple[int, str], int], detail: str = '') -> str:
    """ "2/6 hosts chosen; not chosen: 1 excluded by hosts ..., 3 lower rank" (reasons: (order, label) -> hosts)."""
    text = f'{chosen}/{total} {noun} chosen{detail}'
    if reasons:
        ordered = sorted(reasons.items(), key=lambda item: (item[0][0], -item[1], item[0][1]))
        text += '; not chosen: ' + ', '.join(f'{count} {label}' for (_order, label), count in ordered)
    return text


def count_reasons(found: t.Iterable[NotChosen]) -> dict[tuple[int, str], int]:
    counts: dict[tuple[int, str], int] = {}
    for item in found:
        key = (REASONS.index(item.reason), item.label)
        counts[key] = counts.get(key, 0) + 1
    return counts


def summary(rule: Rule, members: t.Sequence[str], hostvars: t.Mapping[str, t.Mapping[str, t.Any]], total: int,
            reasons: t.Mapping[tuple[int, str], int], limit: int | None) -> list[str]:
    """The -v lines of one rule: the tally, then each member and why (the first `limit` members; None: all)."""
    entries = [hostvars[host][EXPLAIN_VAR][rule.group] for host in members]
    kinds: dict[str, int] = {}
    for entry in entries:
        kind = 'kept for now' if 'waiting' in entry else 'kept' if entry['decision'] == 'kept' else 'new'
        kinds[kind] = kinds.get(kind, 0) + 1
    # "(2 kept)", "(1 kept, 1 new)"; nothing when every member is new
    detail = f" ({', '.join(f'{kinds[k]} {k}' for k in ('kept', 'kept for now', 'new') if k in kinds)})" if (
        set(kinds) - {'new'}) else ''
    lines = [f'{rule.group} (rule {rule.name!r}): {tally(len(members), total, "hosts", reasons, detail)}']
    shown = members if limit is None else members[:limit]
    lines += [f'{rule.group}: {host} {entry["why"]}' for host, entry in zip(shown, entries)]
    if len(shown) < len(members):
        lines.append(f'{rule.group}: +{len(members) - len(shown)} more members (-vvv lists every one)')
    return lines


def unmet(rule: Rule, label: str, found: t.Sequence[str], counted: str) -> str:
    """The message of a rule (or partition) that cannot be met: what it asked, found, and why the others are not."""
    return (f'rule {rule.name!r} (group {label}) asks for {rule.count.describe()} '
            f'host{"" if rule.count.min == 1 and rule.count.max == 1 else "s"}, '
            f'found {len(found)}: {names(list(found))}. {counted}.')
