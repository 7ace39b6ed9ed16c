# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Evaluate the rules of one file, in order, over an inventory view.

For each rule: candidates = hosts pattern (seeing the groups of earlier
rules), eligible = candidates whose `when` holds, available = eligible
hosts whose `available` holds and that answer the probe; then select.py
keeps the remembered members that are still available and fills the free
slots.

The common case costs little: when every remembered member of a rule
without `per` is still eligible and available and fills the count, only
those members are checked, not every candidate.

    result = evaluate(spec, view, previous_states, prober=tcp_probe)
"""

from __future__ import annotations

import typing as t

import jinja2

from ansible_collections.podim.fleet.plugins.plugin_utils.patterns import HostPatterns, PatternError, split_pattern
from ansible_collections.podim.fleet.plugins.plugin_utils.rules import explain
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.conditions import Expression, Variables
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.control import (
    APPLIED, OPTION_APPROVER, Approval, Budget, Leave, PartDecision, RuleDecision, approval_entry, control, make_units,
    stored_approvals,
)
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.errors import EvalError, SpecError
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.probe import Target, tcp_probe
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.select import Selection, Weigher, _trim, choose
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.spec import Rule, RulesSpec
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.view import View

STATE_VERSION = 1
DEFAULT_PROBE_PORT = 22
Prober = t.Callable[[t.Sequence[Target], float], t.Collection[str]]


class Result(t.NamedTuple):
    groups: dict[str, list[str]]  # group -> members, in rule order
    hostvars: dict[str, dict[str, t.Any]]  # host -> variables to set (podim_fleet_rules, rule vars)
    states: dict[str, dict[str, t.Any]]  # rule name -> state to remember
    changes: list[str]  # one line per change against the remembered decision
    unmet: list[str]  # one message per rule (or partition) that could not be met
    stats: dict[str, int]
    # one plain dict per membership change applied (see control.py and docs/rules.md), in a stable order:
    # {rule, group, partition, host, change: joined|left, reason, voluntary, replaces, proposal, approved_by}
    moves: list[dict[str, t.Any]]
    # one plain dict per change that waits: {id, rule, group, partition, status: held|proposed, leave, join, reason,
    # approved_by}
    pending: list[dict[str, t.Any]]
    notices: list[str]  # one line per waiting change, proposal and expired approval (printed like the changes)


class _NotBool(Exception):
    def __init__(self, value: t.Any) -> None:
        super().__init__(value)
        self.value = value


class _Members(list):
    """A group's host list whose `in` is a set look-up (`inventory_hostname in groups.web`)."""

    def __init__(self, hosts: t.Iterable[str]) -> None:
        super().__init__(hosts)
        self._set = frozenset(self)

    def __contains__(self, item: object) -> bool:
        return item in self._set


def remembered(state: t.Any) -> list[dict[str, t.Any]]:
    """The members of a remembered state (anything unreadable counts as no memory)."""
    if not isinstance(state, dict) or state.get('v') != STATE_VERSION or not isinstance(state.get('members'), list):
        return []
    out = []
    for item in state['members']:
        if isinstance(item, dict) and isinstance(item.get('host'), str):
            out.append(item)
    return out


def key_text(value: t.Any) -> str | None:
    """A spread or per value as text; None when it is not a scalar."""
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(int(value))
    return None


class Engine:
    def __init__(self, spec: RulesSpec, view: View, prober: Prober | None = None) -> None:
        self.spec = spec
        self.view = view
        self.prober = prober or tcp_probe
        self.patterns = HostPatterns(view.groups, view.hosts)
        self._base_groups = dict(view.groups)
        self._base_patterns: HostPatterns | None = None
        self._host_set = frozenset(view.hosts)
        self._vars: dict[str, Variables] = {}
        self._joined: dict[str, list[str]] = {}  # host -> groups of rules evaluated so far
        self._rule_groups: list[str] = []
        names = spec.names
        self._wants_group_names = 'group_names' in names
        self._groups_var: dict[str, _Members] | None = {} if 'groups' in names else None
        self._available: dict[str, bool] = {}
        self._up: dict[str, bool] = {}  # probe results
        self._probe_port: dict[str, int] = {}
        self.stats = {'rules': 0, 'candidates': 0, 'evaluations': 0, 'probes': 0, 'fast': 0}

    # -- variables -------------------------------------------------------
    def _load(self, host: str) -> Variables:
        variables = self.view.variables(host)
        joined = self._joined.get(host)
        if joined and self._wants_group_names:
            variables['group_names'] = sorted(set(variables['group_names']) | set(joined))
        if self._groups_var is not None:
            variables['groups'] = self._groups_variable()
        self._vars[host] = variables
        return variables

    def _groups_variable(self) -> dict[str, _Members]:
        if self._groups_var is None:
            raise AssertionError('groups is not read by any expression')
        if not self._groups_var:
            for name, hosts in self.patterns.groups.items():
                self._groups_var[name] = _Members(hosts)
        return self._groups_var

    def _variables(self, host: str) -> Variables:
        variables = self._vars.get(host)
        return variables if variables is not None else self._load(host)

    def _defined(self, host: str, name: str) -> t.Any:
        """A variable of host, None when undefined."""
        value = self._variables(host)[name]
        return None if isinstance(value, jinja2.Undefined) else value

    def _error(self, rule: Rule, field: str, host: str | None, exc: BaseException) -> EvalError:
        if isinstance(exc, _NotBool):
            value = exc.value
            if isinstance(value, jinja2.Undefined):
                detail = f'{value._undefined_message}'
            else:
                detail = (f'the result {value!r} ({type(value).__name__}) is not true or false: '
                          'write a comparison, or add | bool')
        elif isinstance(exc, jinja2.UndefinedError):
            detail = f'{exc.message} (for hosts that may lack it: `| default(...)` or `... is defined and ...`)'
        else:
            detail = f'{type(exc).__name__}: {exc}'
        return EvalError(self.spec.path, rule.name, field, host or '?', detail)

    def _filter(self, rule: Rule, field: str, expr: Expression, hosts: t.Iterable[str]) -> list[str]:
        """The hosts for which the condition is true (it must be true or false)."""
        fn = expr.fn
        cached = self._vars.get
        load = self._load
        out: list[str] = []
        append = out.append
        host = None
        count = 0
        try:
            for host in hosts:
                variables = cached(host)
                if variables is None:
                    variables = load(host)
                result = fn(variables)
                count += 1
                if result is True:
                    append(host)
                elif result is not False:
                    raise _NotBool(result)
        except Exception as exc:  # any failure of a user's expression becomes an EvalError naming rule and host
            raise self._error(rule, field, host, exc) from None
        finally:
            self.stats['evaluations'] += count
        return out

    def _keys(self, rule: Rule, field: str, expr: Expression, hosts: t.Iterable[str]) -> dict[str, str]:
        """The spread or per value of each host, as text."""
        fn = expr.fn
        out: dict[str, str] = {}
        host = None
        try:
            for host in hosts:
                value = fn(self._variables(host))
                key = key_text(value)
                if key is None:
                    raise _KeyError(value)
                out[host] = key
        except _KeyError as exc:
            value = exc.value
            if isinstance(value, jinja2.Undefined):
                detail = (f'{value._undefined_message}: every candidate needs it '
                          f'(exclude the others with when: "{expr.source} is defined")')
            else:
                detail = f'the value {value!r} ({type(value).__name__}) is not a string or number'
            raise EvalError(self.spec.path, rule.name, field, host or '?', detail) from None
        except Exception as exc:  # a failing expression
            raise self._error(rule, field, host, exc) from None
        self.stats['evaluations'] += len(out)
        return out

    def _is_available(self, rule: Rule, host: str) -> bool:
        """The `available` expression (probes apart), once per host."""
        if self.spec.available is None:
            return True
        known = self._available.get(host)
        if known is None:
            known = self._available[host] = bool(self._filter(rule, 'available', self.spec.available, (host,)))
        return known

    # -- probes ----------------------------------------------------------
    def _probe(self, hosts: t.Iterable[str]) -> None:
        """Probe (concurrently) the hosts not probed yet in this evaluation."""
        probe = self.spec.probe
        if probe is None:
            return
        targets = []
        for host in dict.fromkeys(hosts):
            if host in self._up:
                continue
            address = self._defined(host, 'ansible_host')
            if not isinstance(address, str) or not address:
                address = host
            port = probe.port
            if port is None:
                try:
                    port = int(self._defined(host, 'ansible_port') or DEFAULT_PROBE_PORT)
                except (TypeError, ValueError):
                    port = DEFAULT_PROBE_PORT
            self._probe_port[host] = port
            targets.append(Target(host, str.__str__(address), port))
        if not targets:
            return
        up = set(self.prober(targets, probe.timeout))
        self.stats['probes'] += len(targets)
        for target in targets:
            self._up[target.host] = target.host in up

    def _is_down(self, host: str) -> bool:
        return self._up.get(host) is False

    def _probe_reason(self, host: str) -> str:
        return f'unavailable: no answer on port {self._probe_port.get(host, DEFAULT_PROBE_PORT)}'

    def _probe_label(self) -> str:
        probe = self.spec.probe
        if probe is None or probe.port is None:
            return f'ansible_port (default {DEFAULT_PROBE_PORT})'
        return f'port {probe.port}'

    # -- rules -----------------------------------------------------------
    def evaluate(self, previous: t.Mapping[str, t.Any]) -> Result:
        groups: dict[str, list[str]] = {}
        hostvars: dict[str, dict[str, t.Any]] = {}
        states: dict[str, dict[str, t.Any]] = {}
        changes: list[str] = []
        unmet: list[str] = []
        moves: list[dict[str, t.Any]] = []
        pending: list[dict[str, t.Any]] = []
        notices: list[str] = []
        matched: set[str] = set()
        for rule in self.spec.rules:
            decision = self._rule(rule, previous.get(rule.name), unmet)
            shown = explain.render(decision, hostvars)
            groups[rule.group] = shown.members
            state: dict[str, t.Any] = {'v': STATE_VERSION, 'group': rule.group, 'members': shown.saved}
            if decision.kept_approvals:
                state['approved'] = [approval_entry(approval) for approval in decision.kept_approvals]
            states[rule.name] = state
            changes += shown.changes
            moves += shown.moves
            pending += shown.pending
            notices += shown.notices
            matched |= decision.matched
            self._add_group(rule.group, shown.members)
        notices += [explain.unmatched_option(ident) for ident in self.spec.approvals if ident not in matched]
        return Result(groups, hostvars, states, changes, unmet, dict(self.stats), moves, pending, notices)

    def _add_group(self, group: str, members: list[str]) -> None:
        existing = self.patterns.groups.get(group) or []
        merged = list(dict.fromkeys([*existing, *members]))
        self.patterns.add_group(group, merged)
        self._rule_groups.append(group)
        if self._groups_var:
            self._groups_var[group] = _Members(merged)
        for host in members:
            self._joined.setdefault(host, []).append(group)
            variables = self._vars.get(host)
            if variables is not None and self._wants_group_names:
                variables['group_names'] = sorted({*variables['group_names'], group})

    def _candidates(self, rule: Rule) -> list[str]:
        try:
            return self.patterns.select(rule.hosts)
        except PatternError as exc:
            raise SpecError(self.spec.path, rule.label, 'hosts', str(exc)) from None

    def _leave(self, rule: Rule, host: str, key: str | None, decision: _Decision | None,
               cand_set: t.Collection[str]) -> Leave | None:
        """Why a remembered member of partition key cannot stay, or None (the one list of reasons).

        decision None: on the fast path, where only the members are checked
        (then `when` and `available` are evaluated here, and "count lowered"
        is not known yet).
        """
        if host not in self._host_set:
            return Leave(host, 'left the inventory', False)
        if host not in cand_set:
            return self._pattern_leave(rule, host)
        if decision is None:
            if rule.when is not None and not self._filter(rule, 'when', rule.when, (host,)):
                return Leave(host, 'no longer passes when', True)
        else:
            if host not in decision.eligible:
                return Leave(host, 'no longer passes when', True)
            if rule.per is not None and decision.per_keys.get(host) != key:
                return Leave(host, f'moved to {rule.per.source}={decision.per_keys.get(host)}', True)
        if not self._is_available(rule, host):
            return Leave(host, 'unavailable: available is false', False)
        if self._is_down(host):
            return Leave(host, self._probe_reason(host), False)
        return None if decision is None else Leave(host, 'count lowered', True)

    def _fast(self, rule: Rule, previous: list[str], cand_set: set[str],
              reasons: dict[str, Leave]) -> Selection | None:
        """Check only the remembered members; None when they no longer fill the count."""
        if rule.count.max is None:
            raise AssertionError('only rules with a max count have a fast path')
        staying = []
        for host in previous:
            leave = self._leave(rule, host, None, None, cand_set)
            if leave is None:
                staying.append(host)
            else:
                reasons[host] = leave
        self._probe(staying)
        for host in staying:
            if self._is_down(host):
                reasons[host] = Leave(host, self._probe_reason(host), False)
        staying = [host for host in staying if not self._is_down(host)]
        if len(staying) < rule.count.max:
            return None
        spread = self._keys(rule, 'spread_by', rule.spread_by, staying) if rule.spread_by is not None else None
        kept, trimmed = _trim(staying, rule.count.max, Weigher(rule.name), spread)
        for host in trimmed:
            reasons[host] = Leave(host, 'count lowered', True)
        self.stats['fast'] += 1
        return Selection(kept, frozenset(), trimmed, {}, len(staying))

    def _rule(self, rule: Rule, state: t.Any, unmet: list[str]) -> RuleDecision:
        """Decide one rule: what the group should be, the changes, and which of them apply now (plain data)."""
        self.stats['rules'] += 1
        info = {item['host']: item for item in remembered(state)}
        candidates = self._candidates(rule)
        self.stats['candidates'] += len(candidates)
        decision = self._decide(rule, info, candidates, unmet)
        old_parts: dict[str | None, list[str]] = {}
        for host in info:
            old_parts.setdefault(_old_key(rule, info[host], host, decision), []).append(host)
        approvals, unreadable = stored_approvals(state)
        approved = {approval.id: approval for approval in approvals}
        for ident in self.spec.approvals:
            approved.setdefault(ident, Approval(ident, OPTION_APPROVER, None, False))
        budget = Budget(rule.max_moves)
        parts: list[PartDecision] = []
        for key in sorted(set(decision.partitions) | set(old_parts), key=_partition_order):
            selection = decision.partitions.get(key) or _EMPTY
            parts.append(self._part(rule, key, selection, old_parts.get(key, []), decision, budget, approved))
        if rule.per is not None and rule.controlled:
            parts = self._release_held(rule, parts, decision, budget, approved, candidates, unmet)
        used = {unit.id for part in parts for unit in part.units if unit.id}
        return RuleDecision(rule, state is None, info, parts, decision.spread,
                            kept_approvals=[a for a in approvals if a.id in used and not _applied(parts, a.id)],
                            expired=[a for a in approvals if a.id not in used], unreadable=unreadable,
                            matched={a.id for a in approved.values() if a.id in used}, budget=budget.used)

    def _part(self, rule: Rule, key: str | None, selection: Selection, old: list[str], decision: _Decision,
              budget: Budget, approved: t.Mapping[str, Approval]) -> PartDecision:
        """The changes of one partition against its remembered members, and their status."""
        now = set(selection.members)
        leaves = []
        for host in old:
            if host not in now:
                leave = decision.reasons.get(host) or self._leave(rule, host, key, decision, decision.candidates)
                leaves.append(leave)
        if rule.controlled and any(leave.voluntary for leave in leaves):
            leaves = self._confirm_voluntary(rule, leaves)
        joins = [host for host in selection.members if host in selection.new]
        units = make_units(rule.name, key, leaves, joins)
        return PartDecision(key, selection, old, units, control(units, rule.approve, budget, approved))

    def _confirm_voluntary(self, rule: Rule, leaves: list[Leave]) -> list[Leave]:
        """A member that may be kept waiting must be available: an unavailable one leaves at once (failover)."""
        def available(host: str) -> bool:
            try:
                return self._is_available(rule, host)
            except EvalError:  # an ineligible host may lack what `available` reads: let it go, as without control
                return False

        self._probe([leave.host for leave in leaves if leave.voluntary and available(leave.host)])
        out = []
        for leave in leaves:
            if leave.voluntary and not available(leave.host):
                leave = Leave(leave.host, 'unavailable: available is false', False)
            elif leave.voluntary and self._is_down(leave.host):
                leave = Leave(leave.host, self._probe_reason(leave.host), False)
            out.append(leave)
        return out

    def _release_held(self, rule: Rule, parts: list[PartDecision], decision: _Decision, budget: Budget,
                      approved: t.Mapping[str, Approval], candidates: list[str],
                      unmet: list[str]) -> list[PartDecision]:
        """A member whose change waits stays in its old partition: no other partition may take it meanwhile.

        Only `per` rules can meet this (a member whose per value moved, held
        in its old partition, chosen by its new one): that partition chooses
        again without it.  Waiting members only accumulate, so this ends.
        """
        for _round in range(len(parts) + 1):
            waiting = {unit.leave.host for part in parts for unit, status in zip(part.units, part.statuses)
                       if unit.leave is not None and status.status != APPLIED}
            clashing = [index for index, part in enumerate(parts)
                        if any(unit.join in waiting for unit in part.units if unit.join is not None)]
            if not clashing:
                return parts
            for index in clashing:
                part = parts[index]
                for unit, status in zip(part.units, part.statuses):
                    if unit.voluntary and status.status == APPLIED:
                        budget.give_back()
                hosts = decision.pools.get(part.key, [])
                pool = set(hosts)
                selection = self._select(rule, hosts, [h for h in part.old if h in pool], Weigher(rule.name),
                                         decision.spread, exclude=waiting)
                if len(selection.members) < rule.count.min <= len(part.selection.members):
                    unmet.append(self._unmet(rule, part.key, hosts, selection.members, candidates,
                                             sorted(decision.eligible)))
                parts[index] = self._part(rule, part.key, selection, part.old, decision, budget, approved)
        raise AssertionError('held members did not settle')

    def _decide(self, rule: Rule, info: t.Mapping[str, t.Mapping[str, t.Any]], candidates: list[str],
                unmet: list[str]) -> _Decision:
        """The selection of every partition: only the members checked when that is enough, else every candidate."""
        previous = list(info)
        cand_set = set(candidates)
        reasons: dict[str, Leave] = {}
        if rule.per is None and rule.count.max is not None and len(previous) >= rule.count.max:
            fast = self._fast(rule, previous, cand_set, reasons)
            if fast is not None:
                spread = (self._keys(rule, 'spread_by', rule.spread_by, fast.members)
                          if rule.spread_by is not None else None)
                return _Decision({None: fast}, cand_set, set(fast.members), {}, spread, reasons, {}, {})
        eligible = self._filter(rule, 'when', rule.when, candidates) if rule.when is not None else list(candidates)
        per_keys = self._keys(rule, 'per', rule.per, eligible) if rule.per is not None else {}
        spread = self._keys(rule, 'spread_by', rule.spread_by, eligible) if rule.spread_by is not None else None
        by_part: dict[str | None, list[str]] = {}
        old_keys: dict[str, str | None] = {}
        if rule.per is not None:
            for host in eligible:
                by_part.setdefault(per_keys[host], []).append(host)
            for host, item in info.items():
                # a member stays in the partition it was chosen for; one remembered without it, in its current one
                remembered_key = item.get('per')
                old_keys[host] = remembered_key if isinstance(remembered_key, str) else per_keys.get(host)
        else:
            by_part[None] = eligible
        weigh = Weigher(rule.name)
        partitions: dict[str | None, Selection] = {}
        for key in sorted(by_part, key=_partition_order):
            hosts = by_part[key]
            part_set = set(hosts)
            if rule.per is not None:
                kept = [h for h in previous if h in part_set and old_keys[h] == key]
            else:
                kept = [h for h in previous if h in part_set]
            selection = partitions[key] = self._select(rule, hosts, kept, weigh, spread)
            if len(selection.members) < rule.count.min:
                unmet.append(self._unmet(rule, key, hosts, selection.members, candidates, eligible))
        if not by_part and rule.count.min > 0:
            unmet.append(self._unmet(rule, None, [], [], candidates, eligible))
        return _Decision(partitions, cand_set, set(eligible), per_keys, spread, reasons, by_part, old_keys)

    def _select(self, rule: Rule, hosts: list[str], previous: list[str], weigh: Weigher,
                spread: dict[str, str] | None, exclude: t.Collection[str] = ()) -> Selection:
        """choose(), with the `available` expression and the probe (only of hosts about to be chosen)."""
        down: set[str] = set(exclude)
        if self.spec.available is not None:
            unknown = [host for host in hosts if host not in self._available]
            if unknown:
                passed = set(self._filter(rule, 'available', self.spec.available, unknown))
                for host in unknown:
                    self._available[host] = host in passed
            down.update(host for host in hosts if not self._available[host])
        if self._up:
            down.update(host for host in hosts if self._up.get(host) is False)
        rounds = 0
        while True:
            selection = choose(hosts, previous, rule.count, weigh, spread, down)
            if self.spec.probe is None:
                return selection
            unknown = [host for host in selection.members if host not in self._up]
            if not unknown:
                return selection
            batch = list(unknown)
            if rounds:
                # dead hosts were met: probe the next heaviest candidates along, not one round each
                asked = set(unknown)
                spare = [h for h in weigh.order(hosts) if h not in down and h not in self._up and h not in asked]
                batch += spare[:2 * len(unknown) + 4]
            self._probe(batch)
            down.update(host for host in batch if self._is_down(host))
            rounds += 1

    def _pattern_leave(self, rule: Rule, host: str) -> Leave:
        """A member the hosts pattern no longer matches; taken by an earlier rule's group, it must go at once."""
        excluding = {part[1:] for part in split_pattern(rule.hosts) if part.startswith('!')}
        for group in self._joined.get(host, []):
            if group in excluding:
                return Leave(host, f'now in {group}, which hosts {rule.hosts!r} excludes', False)
        return Leave(host, f'no longer matches hosts {rule.hosts!r}', True)

    def _unmet(self, rule: Rule, key: str | None, hosts: list[str], found: list[str], candidates: list[str],
               eligible: list[str]) -> str:
        label = explain.group_label(rule, key)
        pool = hosts if key is not None else eligible
        unavailable_expr = sum(1 for h in pool if not self._is_available(rule, h))
        unavailable_probe = sum(1 for h in pool if self._is_available(rule, h) and self._is_down(h))
        if self._base_patterns is None:
            self._base_patterns = HostPatterns(self._base_groups, self.view.hosts)
        cand_set = set(candidates)
        try:
            base = self._base_patterns.select(rule.hosts)
        except PatternError:
            base = []
        earlier = [h for h in base if h not in cand_set]
        terms = {part.lstrip('!&') for part in split_pattern(rule.hosts)}
        exclusions = explain.Exclusions(
            inventory=len(self.view.hosts),
            pattern=len(self.view.hosts) - len(cand_set | set(base)),
            earlier=len(earlier),
            earlier_groups=[g for g in self._rule_groups if g in terms],
            when=len(candidates) - len(eligible),
            unavailable_expr=unavailable_expr,
            unavailable_probe=unavailable_probe,
        )
        return explain.unmet(rule, label, found, exclusions, self._probe_label(),
                             len(hosts) if key is not None else None)


class _Decision(t.NamedTuple):
    partitions: dict[str | None, Selection]  # per value (None without per) -> selection
    candidates: set[str]  # matched by the hosts pattern
    eligible: set[str]  # ... and by when (only the members checked, on the fast path)
    per_keys: dict[str, str]
    spread: dict[str, str] | None
    reasons: dict[str, Leave]  # remembered member -> why it leaves, when already known (fast path)
    pools: dict[str | None, list[str]]  # per value -> its eligible hosts (per rules)
    old_keys: dict[str, str | None]  # remembered member -> the partition it was chosen for (per rules)


_EMPTY = Selection([], frozenset(), [], {}, 0)


def _old_key(rule: Rule, item: t.Mapping[str, t.Any], host: str, decision: _Decision) -> str | None:
    """The partition a remembered member belongs to."""
    if rule.per is None:
        return None
    return decision.old_keys.get(host, item.get('per') if isinstance(item.get('per'), str) else None)


def _applied(parts: t.Sequence[PartDecision], ident: str) -> bool:
    return any(unit.id == ident and status.status == APPLIED
               for part in parts for unit, status in zip(part.units, part.statuses))


def _partition_order(key: str | None) -> tuple[bool, str]:
    return (key is None, key or '')


class _KeyError(Exception):
    def __init__(self, value: t.Any) -> None:
        super().__init__(value)
        self.value = value


def evaluate(spec: RulesSpec, view: View, previous: t.Mapping[str, t.Any] | None = None,
             prober: Prober | None = None) -> Result:
    """Evaluate every rule of spec over view, given the remembered states {rule name: state}."""
    return Engine(spec, view, prober).evaluate(previous or {})
