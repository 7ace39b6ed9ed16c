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

import bisect
import time
import typing as t

import jinja2

from ansible_collections.podim.fleet.plugins.plugin_utils.patterns import (
    HostPatterns, PatternError, split_pattern, term_refers_to,
)
from ansible_collections.podim.fleet.plugins.plugin_utils.rules import bindings, explain
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.conditions import Expression, Variables
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.control import (
    APPLIED, OPTION_APPROVER, Approval, Budget, Leave, PartDecision, RuleDecision, approval_entry, control,
    make_units, stored_approvals,
)
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.errors import EvalError, SpecError, UnmetError
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.explain import NotChosen
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
    summaries: list[str]  # with Explain.summary: per rule, the tally of who is a member and why not, then each member
    not_chosen: dict[str, dict[str, t.Any]]  # Explain.hosts -> {group: why not a member} for every rule it is not in
    warnings: t.Sequence[str] = ()  # unmet bindings with on_unmet: warn (bindings.py)


class Explain(t.NamedTuple):
    """What to explain beyond the members (it costs a look at every host, so only when asked)."""
    summary: bool = False  # Result.summaries
    hosts: frozenset[str] = frozenset()  # Result.not_chosen for these hosts
    limit: int | None = explain.MAX_NAMES  # members listed per rule in the summary (None: all)


class _Label(t.NamedTuple):
    """What names a binding in the errors of its expressions (they name a rule's `name`)."""
    name: str


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
    def __init__(self, spec: RulesSpec, view: View, prober: Prober | None = None,
                 explaining: Explain | None = None) -> None:
        self.spec = spec
        self.explaining = explaining or Explain()
        self._last: _Decision | None = None  # the last rule's decision, for its explanation
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
        summaries: list[str] = []
        not_chosen: dict[str, dict[str, t.Any]] = {}
        matched: set[str] = set()
        wanted = [host for host in self.view.hosts if host in self.explaining.hosts] if self.explaining.hosts else []
        for rule in self.spec.rules:
            decision = self._rule(rule, previous.get(rule.name), unmet)
            shown = explain.render(decision, hostvars)
            if self.explaining.summary or wanted:
                # before the rule's group is added: what the rule saw; timed apart (the -vv line shows both)
                started = time.process_time()
                self._explain(rule, decision, shown.members, hostvars, wanted, summaries, not_chosen)
                self.stats['explain_ms'] = self.stats.get('explain_ms', 0) + round(
                    (time.process_time() - started) * 1000)
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
        warnings: list[str] = []
        if self.spec.bindings:  # after the rules: their patterns may name the rules' groups
            bound = bindings.evaluate(self.spec.bindings, self.patterns.select, self._binding_servers,
                                      self._near_value, previous)
            for host, variables in bound.hostvars.items():
                hostvars.setdefault(host, {}).update(variables)
            states.update(bound.states)
            changes += bound.changes
            moves += bound.moves
            if self.explaining.summary:
                summaries += bound.summaries
            if bound.fatal:  # rolls the decision back, rules and bindings alike
                raise UnmetError(self.spec.path, (unmet if self.spec.on_unmet == 'error' else []) + bound.fatal)
            warnings = bound.warnings
            self.stats['bindings'] = len(self.spec.bindings)
        return Result(groups, hostvars, states, changes, unmet, dict(self.stats), moves, pending, notices, summaries,
                      not_chosen, warnings)

    def _binding_servers(self, binding: bindings.Binding, hosts: list[str]) -> tuple[list[str], dict[str, str]]:
        """The servers of a binding that are available (the `available` expression and the probe, as for rules)."""
        label = _Label(f'{binding.name} (binding)')
        down = {host: 'unavailable: available is false' for host in hosts if not self._is_available(label, host)}
        self._probe(host for host in hosts if host not in down)
        down.update({host: self._probe_reason(host) for host in hosts if host not in down and self._is_down(host)})
        return [host for host in hosts if host not in down], down

    def _near_value(self, binding: bindings.Binding, host: str) -> str | None:
        """A host's value of the binding's `near` variable, as text (None: undefined or not a string or number)."""
        if binding.near is None:
            return None
        return key_text(self._defined(host, binding.near))

    def _explain(self, rule: Rule, decision: RuleDecision, members: list[str], hostvars: dict[str, dict[str, t.Any]],
                 wanted: list[str], summaries: list[str], not_chosen: dict[str, dict[str, t.Any]]) -> None:
        """The summary of one rule and the why-not of the wanted hosts (explain.py words them)."""
        if self._last is None:
            raise AssertionError('no decision to explain')
        pending: dict[str, str] = {}
        for part in decision.parts:
            for unit, status in zip(part.units, part.statuses):
                if unit.join is not None and status.status != APPLIED:
                    pending[unit.join] = explain.pending_join(rule, unit, status)
        why = _WhyNot(self, rule, self._last, {part.key: part.selection for part in decision.parts}, members, pending)
        if self.explaining.summary:
            counts = explain.count_reasons(why.reason(host, detail=False) for host in self.view.hosts
                                           if host not in why.members)
            summaries += explain.summary(rule, members, hostvars, len(self.view.hosts), counts, self.explaining.limit)
        for host in wanted:
            if host not in why.members:
                not_chosen.setdefault(host, {})[rule.group] = explain.not_chosen_entry(rule, why.reason(host))

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
        decision = self._last = self._decide(rule, info, candidates, unmet)
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
                    unmet.append(self._unmet(rule, decision, part.key, selection, waiting))
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
                return _Decision({None: fast}, cand_set, set(fast.members), {}, spread, reasons, {}, {}, True)
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
            partitions[key] = self._select(rule, hosts, kept, weigh, spread)
        decision = _Decision(partitions, cand_set, set(eligible), per_keys, spread, reasons, by_part, old_keys, False)
        for key, selection in partitions.items():
            if len(selection.members) < rule.count.min:
                unmet.append(self._unmet(rule, decision, key, selection))
        if not by_part and rule.count.min > 0:
            unmet.append(self._unmet(rule, decision, None, _EMPTY))
        return decision

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

    def _unmet(self, rule: Rule, decision: _Decision, key: str | None, selection: Selection,
               held: t.Collection[str] = ()) -> str:
        """Why a rule (or one partition) is short: each host of the inventory (or partition) not chosen, counted."""
        label = explain.group_label(rule, key)
        why = _WhyNot(self, rule, decision, {key: selection}, selection.members, {}, held)
        if key is None:
            hosts, noun = self.view.hosts, 'hosts'
        else:
            hosts = decision.pools.get(key, [])
            noun = f'eligible hosts with {rule.per.source if rule.per else "per"}={key}'
        counts = explain.count_reasons(why.reason(host, detail=False) for host in hosts if host not in why.members)
        return explain.unmet(rule, label, selection.members,
                             explain.tally(len(selection.members), len(hosts), noun, counts))

    def base_patterns(self) -> HostPatterns:
        """Patterns over the inventory without the groups of the rules (built on first use)."""
        if self._base_patterns is None:
            self._base_patterns = HostPatterns(self._base_groups, self.view.hosts)
        return self._base_patterns

    def joined(self, host: str) -> list[str]:
        """The groups of the rules evaluated so far that host is in."""
        return self._joined.get(host, [])


class _WhyNot:
    """Why hosts are not members of one rule's group: each host checked like the rule checked it, on demand.

    What the rule did not compute (the `when` of a candidate on the fast
    path, where only the members are checked) is computed here, only for the
    hosts asked about.
    """

    def __init__(self, engine: Engine, rule: Rule, decision: _Decision, selections: t.Mapping[str | None, Selection],
                 members: t.Collection[str], pending: t.Mapping[str, str], held: t.Collection[str] = ()) -> None:
        self.engine = engine
        self.rule = rule
        self.decision = decision
        self.selections = selections
        self.members = frozenset(members)
        self.pending = pending  # host -> why its join waits (control.py)
        self.held = held  # hosts waiting to leave another partition
        self._terms: dict[str, frozenset[str]] = {}
        self._base: frozenset[str] | None = None
        self._parts = split_pattern(rule.hosts)
        self._positive = [part for part in self._parts if not part.startswith(('!', '&'))]
        self._excluding = [part for part in self._parts if part.startswith(('!', '&'))]
        self._ranks: dict[str | None, tuple[list[int], Weigher, int]] = {}

    def reason(self, host: str, detail: bool = True) -> NotChosen:
        """Why host is not a member; without detail, only what a count needs (reason and label, no sentence)."""
        decision = self.decision
        if host not in decision.candidates:
            return self._pattern(host)
        if decision.fast or (self.rule.when_parts and host not in decision.eligible):
            found = self._when(host)
        elif self.rule.when is not None and host not in decision.eligible:
            found = self._when_false
        else:
            found = None
        if found is not None:
            return found
        found = self._unavailable(host)
        if found is not None:
            return found
        if host in self.pending:
            text = self.pending[host]
            return NotChosen('waiting', 'waiting for approval' if 'approval' in text else 'held by max_moves', text, {})
        if host in self.held:
            return NotChosen('waiting', 'waiting to leave another partition',
                             'would be chosen, but it waits to leave the partition it was chosen for', {})
        return self._outranked(host, detail)

    @property
    def _when_false(self) -> NotChosen:
        source = self.rule.when.source if self.rule.when is not None else ''
        return NotChosen('when', f'excluded by when ({source})', f'when is false: {source}', {'condition': source})

    # -- the pattern ------------------------------------------------------
    def _term(self, term: str) -> frozenset[str]:
        found = self._terms.get(term)
        if found is None:
            found = self._terms[term] = frozenset(self.engine.patterns.term(term))
        return found

    def _pattern(self, host: str) -> NotChosen:
        rule = self.rule
        if self._base is None:
            try:
                self._base = frozenset(self.engine.base_patterns().select(rule.hosts))
            except PatternError:
                self._base = frozenset()
        parts = self._parts
        if host in self._base:
            groups = [group for group in self.engine.joined(host)
                      if any(term_refers_to(part[1:], group) for part in parts if part.startswith('!'))]
            named = ', '.join(groups) or 'an earlier group'
            return NotChosen('earlier', f'taken by earlier rules ({named})',
                             f'in {named}, the group of an earlier rule, which hosts {rule.hosts!r} excludes',
                             {'groups': groups})
        positive = self._positive
        if positive and not any(host in self._term(part) for part in positive):
            text = f'not matched by hosts {rule.hosts!r}'
            return NotChosen('hosts', text, text, {})
        for part in self._excluding:
            if (part.startswith('&') and host not in self._term(part[1:])) or (
                    part.startswith('!') and host in self._term(part[1:])):
                return NotChosen('hosts', f'excluded by hosts {rule.hosts!r} ({part})',
                                 f'excluded by {part} in hosts {rule.hosts!r}', {'term': part})
        text = f'not matched by hosts {rule.hosts!r}'
        return NotChosen('hosts', text, text, {})

    # -- when, available --------------------------------------------------
    def _when(self, host: str) -> NotChosen | None:
        rule = self.rule
        decision = self.decision
        if rule.when is None or host in decision.eligible:
            return None
        engine = self.engine
        try:
            if decision.fast and engine._filter(rule, 'when', rule.when, (host,)):
                return None  # on the fast path only the members were checked
        except EvalError as exc:
            return NotChosen('when', f'when failed ({rule.when.source})', f'when failed: {exc.detail}',
                             {'condition': rule.when.source})
        condition = rule.when.source
        for part in rule.when_parts:
            try:
                if part.fn(engine._variables(host)) is not True:
                    condition = part.source
                    break
            except Exception:  # this part fails: it is the one that stops the host
                condition = part.source
                break
        return NotChosen('when', f'excluded by when ({condition})', f'when is false: {condition}',
                         {'condition': condition})

    def _unavailable(self, host: str) -> NotChosen | None:
        engine = self.engine
        try:
            available = engine._is_available(self.rule, host)
        except EvalError as exc:
            return NotChosen('unavailable', 'unavailable (available failed)', f'available failed: {exc.detail}', {})
        if not available:
            return NotChosen('unavailable', 'unavailable (available is false)', 'unavailable: available is false', {})
        if engine._is_down(host):
            text = engine._probe_reason(host)
            return NotChosen('unavailable', f'unavailable ({text.split(": ", 1)[1]})', text, {})
        return None

    # -- rank, spread, kept members --------------------------------------
    def _outranked(self, host: str, detail: bool) -> NotChosen:
        rule = self.rule
        decision = self.decision
        key = decision.per_keys.get(host) if rule.per is not None else None
        selection = self.selections.get(key) or _EMPTY
        where = '' if key is None else f' among the hosts with {explain.group_label(rule, key)[len(rule.group):]}'
        if not selection.new:
            kept = selection.members
            if not detail:
                return _FILLED
            return NotChosen('filled', 'count filled by kept members',
                             f'eligible and available, but the count is filled by members kept from earlier decisions'
                             f'{where} ({explain.names(list(kept))}): a member stays while it is eligible and '
                             'available',
                             {})
        ranking, weigh, lightest = self._ranking(key, selection)
        weight = weigh(host)
        spread = decision.spread
        by_spread = spread is not None and rule.spread_by is not None and lightest < weight
        if not detail:
            return NotChosen('spread', f'spread by {rule.spread_by.source}', '', {}) if (
                by_spread and rule.spread_by is not None) else _RANK
        rank = bisect.bisect_left(ranking, -weight) + 1
        new = [member for member in selection.members if member in selection.new]
        of = f'rank {rank} of {len(ranking)} eligible and available{where} by rendezvous hash'
        if by_spread and spread is not None and rule.spread_by is not None:
            value = spread.get(host)
            return NotChosen('spread', f'spread by {rule.spread_by.source}',
                             f'{of}, but {rule.spread_by.source}={value} already had a member: the free slots went '
                             f'to other values ({explain.names(new)})', {'rank': rank, 'spread_value': value})
        return NotChosen('rank', 'lower rank', f'{of}: the free slots went to higher ranks ({explain.names(new)})',
                         {'rank': rank})

    def _ranking(self, key: str | None, selection: Selection) -> tuple[list[int], Weigher, int]:
        """The sorted negated weights of the available hosts of a partition (rank = position + 1), the weigher,
        and the weight of the lightest host chosen in this evaluation (a heavier host lost by spread)."""
        known = self._ranks.get(key)
        if known is None:
            engine = self.engine
            pool = self.decision.pools.get(key, [])
            weigh = Weigher(self.rule.name)
            available = [host for host in pool if engine._available.get(host, True) and not engine._is_down(host)]
            weights = weigh.many(available)
            lightest = min(weigh(host) for host in selection.new)
            known = self._ranks[key] = (sorted(-weights[host] for host in available), weigh, lightest)
        return known


_EMPTY = Selection([], frozenset(), [], {}, 0)
_FILLED = NotChosen('filled', 'count filled by kept members', '', {})
_RANK = NotChosen('rank', 'lower rank', '', {})


class _Decision(t.NamedTuple):
    partitions: dict[str | None, Selection]  # per value (None without per) -> selection
    candidates: set[str]  # matched by the hosts pattern
    eligible: set[str]  # ... and by when (only the members checked, on the fast path)
    per_keys: dict[str, str]
    spread: dict[str, str] | None
    reasons: dict[str, Leave]  # remembered member -> why it leaves, when already known (fast path)
    pools: dict[str | None, list[str]]  # per value -> its eligible hosts (per rules)
    old_keys: dict[str, str | None]  # remembered member -> the partition it was chosen for (per rules)
    fast: bool  # only the members were checked (eligible holds only them)


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
             prober: Prober | None = None, explaining: Explain | None = None) -> Result:
    """Evaluate every rule of spec over view, given the remembered states {rule name: state}."""
    return Engine(spec, view, prober, explaining).evaluate(previous or {})
