# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Change control of one rule's decision: which membership changes apply now, which wait.

The engine first decides what the group should be (select.py), then lists
the changes against the remembered decision as *units*, the unit counted by
`max_moves`:

* a leave and the join that takes its slot (a replacement), one unit;
* a leave without a replacement;
* a join without a leave (a slot not filled yet: first decision, count grew).

A unit is *voluntary* when its leave is: the member no longer matches
`hosts` or `when`, the count went down, or its `per` value moved.  A member
that is unavailable or gone from the inventory (failover), a member taken
by an earlier rule's group, and joins that only fill slots are not
voluntary: they always apply.

`control()` gives every unit a status, in the units' (stable) order:

* ``applied``;
* ``proposed``: the rule has `approve: true` and nobody approved the unit's id;
* ``held``: `max_moves` voluntary units were applied already in this evaluation.

A voluntary unit's id is that of its leave (rule, partition, member): the
approval of a change lets that member go; the join in its slot is the
rule's usual choice at the time it applies (usually the host the proposal
named).  The id stays the same while the member would leave for any
voluntary reason.

Everything here is plain data in, plain data out.
"""

from __future__ import annotations

import hashlib
import typing as t

from ansible_collections.podim.fleet.plugins.plugin_utils.rules.select import Selection
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.spec import Rule

APPLIED = 'applied'
HELD = 'held'
PROPOSED = 'proposed'
OPTION_APPROVER = 'option approve'  # approved_by of the ids given by the approve option / PODIM_FLEET_RULES_APPROVE


class Leave(t.NamedTuple):
    host: str
    reason: str
    voluntary: bool


class Unit(t.NamedTuple):
    partition: str | None
    leave: Leave | None  # None: a join that fills a free slot
    join: str | None  # None: a leave without replacement
    id: str  # the proposal id, stable while the same change is proposed

    @property
    def voluntary(self) -> bool:
        return self.leave is not None and self.leave.voluntary


class Status(t.NamedTuple):
    status: str  # APPLIED, HELD or PROPOSED
    approved_by: str | None


class Approval(t.NamedTuple):
    id: str
    by: str
    at: float | None
    stored: bool  # from the rule's remembered state (else from the approve option)


class PartDecision(t.NamedTuple):
    """What one partition (the whole group, without per) should be, its changes and their status."""
    key: str | None
    selection: Selection  # what the rule asks for, before change control
    old: list[str]  # its remembered members, in their order
    units: list[Unit]  # the changes against them (control.py)
    statuses: list[Status]  # one per unit

    def members(self) -> list[str]:
        """The members after change control: kept and waiting members in remembered order, then newcomers."""
        selection = self.selection
        waiting = {unit.leave.host for unit, status in zip(self.units, self.statuses)
                   if unit.leave is not None and status.status != APPLIED}
        if not waiting and len(self.units) == sum(1 for s in self.statuses if s.status == APPLIED):
            return selection.members
        joining = {unit.join for unit, status in zip(self.units, self.statuses)
                   if unit.join is not None and status.status == APPLIED}
        staying = set(selection.members) - selection.new
        return ([host for host in self.old if host in staying or host in waiting]
                + [host for host in selection.members if host in joining])


class RuleDecision(t.NamedTuple):
    """Everything decided for one rule, as plain data: explain.py renders it."""
    rule: Rule
    first: bool  # no remembered state: the first decision
    info: dict[str, dict[str, t.Any]]  # remembered member -> its remembered entry (rank, per)
    parts: list[PartDecision]
    spread: dict[str, str] | None
    kept_approvals: list[Approval]  # remembered approvals of changes that still wait (held by max_moves)
    expired: list[Approval]  # remembered approvals that match no current change
    unreadable: int  # remembered approval entries that could not be read (dropped)
    matched: set[str]  # approved ids (remembered or by option) that match a current change
    budget: int  # voluntary changes applied


def proposal_id(rule: str, partition: str | None, host: str, change: str, replaces: str | None) -> str:
    """The first 10 hex digits of sha256(rule|partition|host|change|replaces): the same change, the same id."""
    text = '|'.join((rule, partition or '', host, change, replaces or ''))
    return hashlib.sha256(text.encode('utf-8')).hexdigest()[:10]


def unit_id(rule: str, partition: str | None, leave: Leave) -> str:
    """The id of a voluntary change: the member that leaves (the rule chooses its replacement when it applies)."""
    return proposal_id(rule, partition, leave.host, 'left', None)


def make_units(rule: str, partition: str | None, leaves: t.Sequence[Leave], joins: t.Sequence[str]) -> list[Unit]:
    """Pair leaves with the joins that take their slots: failover leaves first, so their slots are refilled first."""
    ordered = [leave for leave in leaves if not leave.voluntary] + [leave for leave in leaves if leave.voluntary]
    # only a voluntary change can wait: the others need no id (and a first decision of 10,000 hosts no hashing)
    units = [Unit(partition, leave, join, unit_id(rule, partition, leave) if leave.voluntary else '')
             for leave, join in zip(ordered, joins)]
    pairs = len(units)
    units += [Unit(partition, None, join, '') for join in joins[pairs:]]
    units += [Unit(partition, leave, None, unit_id(rule, partition, leave) if leave.voluntary else '')
              for leave in ordered[pairs:]]
    return units


def stored_approvals(state: t.Any) -> tuple[list[Approval], int]:
    """The approvals of a remembered state, and how many entries were unreadable (they are dropped)."""
    raw = state.get('approved') if isinstance(state, dict) else None
    if not isinstance(raw, list):
        return [], 0 if raw is None else 1
    out: list[Approval] = []
    bad = 0
    for entry in raw:
        if not isinstance(entry, dict) or not isinstance(entry.get('id'), str):
            bad += 1
            continue
        by = entry.get('by')
        at = entry.get('at')
        out.append(Approval(entry['id'], by if isinstance(by, str) and by else 'unknown',
                            float(at) if isinstance(at, (int, float)) and not isinstance(at, bool) else None, True))
    return out, bad


def approval_entry(approval: Approval) -> dict[str, t.Any]:
    """An approval as remembered: {'id', 'by', 'at'}."""
    return {'id': approval.id, 'by': approval.by, 'at': approval.at}


class Budget:
    """The voluntary units one rule may still apply in this evaluation."""

    __slots__ = ('limit', 'used')

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.used = 0

    def take(self) -> bool:
        if self.limit is not None and self.used >= self.limit:
            return False
        self.used += 1
        return True

    def give_back(self) -> None:
        self.used -= 1


def control(units: t.Sequence[Unit], approve: bool, budget: Budget,
            approvals: t.Mapping[str, Approval]) -> list[Status]:
    """The status of each unit (see the module doc); approved units count against the budget too."""
    out: list[Status] = []
    for unit in units:
        approval = approvals.get(unit.id)
        by = approval.by if approval is not None else None
        if not unit.voluntary:
            out.append(Status(APPLIED, None))
        elif approve and approval is None:
            out.append(Status(PROPOSED, None))
        elif budget.take():
            out.append(Status(APPLIED, by))
        else:
            out.append(Status(HELD, by))
    return out
