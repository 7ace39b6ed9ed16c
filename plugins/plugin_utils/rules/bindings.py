# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bind each client to an ordered list of servers: balanced, near, stable.

Every client ranks the servers by rendezvous hashing (a score per client and
server that depends on nothing else, so a server that comes or goes moves
only its own place in each ranking). The first server of a list is bounded
by load: no server is the first choice of more than ceil(1.25 x clients /
servers) clients of its pool ("consistent hashing with bounded loads").
The rest of the list follows the client's ranking.

Stability comes from memory: a client keeps its remembered first server
while that server is available, in the client's pool and not over the
bound; a server that joins takes over at most its fair share (the clients
that rank it first); only clients without a first server are placed anew,
in an order fixed by their hashes, each on the best-ranked server with room.

With `near`, a client's pool is the servers whose value of that variable is
the client's; a client whose value no server has uses every server.

    result = bind(binding, clients, servers, near_of, previous_state)
"""

from __future__ import annotations

import hashlib
import re
import typing as t

from ansible_collections.podim.fleet.plugins.plugin_utils.rules.errors import SpecError
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.spec import _kind, _show, _suggest, parse_hosts

STATE_VERSION = 1
KEYS = ('name', 'clients', 'servers', 'count', 'near', 'on_unmet')
MAX_COUNT = 16
MAX_SHOWN = 5  # rebound clients named in the change line; the history has every one
STATE_PREFIX = 'binding:'  # a binding's remembered state sits beside the rules', under this prefix
_NAME = re.compile(r'\A[A-Za-z_][A-Za-z0-9_]{0,63}\Z')
ALL = '*'  # the pool of every server (no `near`, or a value no server has)
_PRIME = (1 << 61) - 1  # scores are a * key + b mod a Mersenne prime: pairwise independent per client


class Binding(t.NamedTuple):
    name: str
    clients: str  # host pattern
    servers: str  # host pattern
    count: int
    near: str | None  # a variable name
    on_unmet: str  # error or warn
    index: int

    @property
    def label(self) -> str:
        return f'binding {self.name!r}'


def parse_bindings(path: str, value: t.Any, on_unmet: str = 'error') -> list[Binding]:
    """Validate the `bindings` option of a rules file (None or [] means none)."""
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise SpecError(path, None, 'bindings', f'must be a list of bindings, got {_kind(value)}')
    parsed: list[Binding] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(value):
        binding = _parse_binding(path, index, item, on_unmet)
        if binding.name in seen:
            raise SpecError(path, f'bindings[{index}]', 'name',
                            f'{binding.name!r} is already the name of bindings[{seen[binding.name]}]: names must be '
                            'unique')
        seen[binding.name] = index
        parsed.append(binding)
    return parsed


def _parse_binding(path: str, index: int, item: t.Any, default_on_unmet: str) -> Binding:
    label = f'bindings[{index}]'
    if not isinstance(item, t.Mapping):
        raise SpecError(path, label, None, f'a binding is a mapping (name, clients, servers, count), got {_kind(item)}')
    for key in item:
        if key not in KEYS:
            raise SpecError(path, label, str(key), _suggest(str(key), KEYS))
    name = item.get('name')
    if not isinstance(name, str) or not _NAME.match(name):
        raise SpecError(path, label, 'name', f'must be an identifier of at most 64 characters, got {_show(name)}')
    label = f'binding {str.__str__(name)!r}'
    patterns = {}
    for field in ('clients', 'servers'):
        if field not in item:
            raise SpecError(path, label, field, 'is required (a host pattern)')
        try:
            patterns[field] = parse_hosts(path, label, item[field])
        except SpecError as exc:
            raise SpecError(path, label, field, exc.detail) from None
    count = item.get('count', 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        raise SpecError(path, label, 'count', f'must be an integer from 1 to {MAX_COUNT}, got {_show(count)}')
    near = item.get('near')
    if near is not None and (not isinstance(near, str) or not _NAME.match(near)):
        raise SpecError(path, label, 'near', f'must be the name of a host variable, got {_show(near)}')
    mode = item.get('on_unmet', default_on_unmet)
    if not isinstance(mode, str) or mode not in ('error', 'warn'):
        raise SpecError(path, label, 'on_unmet', f'must be error or warn, got {_show(mode)}')
    return Binding(str.__str__(name), patterns['clients'], patterns['servers'], int(count),
                   None if near is None else str.__str__(near), str.__str__(mode), index)


def _digest(*parts: str) -> int:
    data = '\0'.join(parts).encode('utf-8', 'surrogatepass')
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), 'big')


class Server(t.NamedTuple):
    name: str
    mul: int
    add: int


def servers_of(binding: str, names: t.Iterable[str]) -> list[Server]:
    """Each server's own hash parameters (from the binding's name and the server's: nothing else)."""
    return [Server(n, _digest('mul', binding, n) % (_PRIME - 1) + 1, _digest('add', binding, n) % _PRIME)
            for n in names]


def client_key(binding: str, client: str) -> int:
    return _digest('client', binding, client) % _PRIME


def ranking(key: int, servers: t.Sequence[Server]) -> list[str]:
    """The client's servers, best first (ties, never seen in practice, by name)."""
    scored = sorted([((key * mul + add) % _PRIME, name) for name, mul, add in servers], reverse=True)
    return [name for _score, name in scored]


def bound(clients: int, servers: int) -> int:
    """ceil(1.25 x clients / servers) in integers."""
    return -(-5 * clients // (4 * servers)) if servers else 0


class Bound(t.NamedTuple):
    lists: dict[str, list[str]]  # client -> its servers, first = preferred
    why: dict[str, str]  # client -> why its first server
    state: dict[str, t.Any]  # what to remember
    changes: list[str]  # one line per client whose first server changed against the remembered one
    load: dict[str, int]  # server -> clients whose first it is


def remembered(state: t.Any) -> tuple[dict[str, list[str]], frozenset[str] | None]:
    """The remembered lists and server set (anything unreadable counts as no memory)."""
    if not isinstance(state, dict) or state.get('v') != STATE_VERSION:
        return {}, None
    lists = state.get('lists')
    servers = state.get('servers')
    if not isinstance(lists, dict) or not isinstance(servers, list):
        return {}, None
    return ({c: list(v) for c, v in lists.items()
             if isinstance(c, str) and isinstance(v, list) and v and all(isinstance(s, str) for s in v)},
            frozenset(s for s in servers if isinstance(s, str)))


def bind(name: str, clients: t.Sequence[str], servers: t.Sequence[str], count: int,
         near_of: t.Mapping[str, str | None] | None = None, previous: t.Any = None) -> Bound:
    """Bind every client to `count` servers (fewer when fewer exist); see the module doc."""
    near_of = near_of or {}
    known_lists, known_servers = remembered(previous)
    known_first = {c: v[0] for c, v in known_lists.items()}
    known_pools = previous.get('pools', {}) if known_servers is not None else {}
    # the same servers as last time: a kept client's remembered list is still its list (no ranking needed)
    server_names = frozenset(servers)
    same_servers = known_servers == server_names
    all_servers = servers_of(name, servers)
    keys = {c: client_key(name, c) for c in clients}

    # pools: value -> its servers; a client whose value no server has goes to ALL
    pools: dict[str, list[Server]] = {ALL: all_servers}
    if near_of:
        for s in all_servers:
            value = near_of.get(s.name)
            if value is not None:
                pools.setdefault(value, []).append(s)
    members: dict[str, list[str]] = {}
    for c in clients:
        value = near_of.get(c)
        members.setdefault(value if value in pools and value != ALL else ALL, []).append(c)

    lists: dict[str, list[str]] = {}
    rankings: dict[str, list[str]] = {}  # client -> its ranking of its pool, computed once
    why: dict[str, str] = {}
    first: dict[str, str] = {}
    load: dict[str, int] = {s: 0 for s in servers}
    for pool_name in sorted(members):
        pool = pools[pool_name]
        pool_clients = members[pool_name]
        if not pool:
            continue
        _bind_pool(pool_name, pool, pool_clients, keys, known_first, known_servers, first, why, load, rankings)
        pool_names = {s.name for s in pool}
        others = [s for s in all_servers if s.name not in pool_names]
        for c in pool_clients:
            if count == 1:
                lists[c] = [first[c]]
                continue
            if same_servers and c not in rankings and known_first.get(c) == first[c] \
                    and known_pools.get(c, ALL) == pool_name and len(known_lists[c]) == min(count, len(servers)) \
                    and server_names.issuperset(known_lists[c]):
                lists[c] = known_lists[c]
                continue
            order = rankings.get(c) or ranking(keys[c], pool)
            if len(order) < count and others:
                order = order + ranking(keys[c], others)
            # the rest of a remembered list stays while its servers do (sticky, like the first): a server that
            # joins or leaves changes only the lists it enters to fill a gap or leaves
            kept = [s for s in known_lists.get(c, ()) if s != first[c] and s in order]
            if known_pools.get(c, ALL) != pool_name:
                kept = []
            rest = kept + [s for s in order if s != first[c] and s not in kept]
            lists[c] = ([first[c]] + rest)[:count]

    changes = [f'{c}: first server {known_first[c]} -> {first[c]} ({why[c]})'
               for c in clients if c in known_first and known_first[c] != first.get(c)]
    state: dict[str, t.Any] = {'v': STATE_VERSION, 'servers': sorted(servers), 'lists': dict(sorted(lists.items()))}
    if near_of:  # each client's pool, when it is not every server
        state['pools'] = {c: p for p in sorted(members) if p != ALL for c in members[p]}
    return Bound(lists, why, state, changes, load)


def _bind_pool(pool_name: str, pool: list[Server], pool_clients: list[str], keys: dict[str, int],
               known_first: dict[str, str], known_servers: frozenset[str] | None,
               first: dict[str, str], why: dict[str, str], load: dict[str, int],
               rankings: dict[str, list[str]]) -> None:
    names = {s.name for s in pool}
    limit = bound(len(pool_clients), len(pool))
    where = '' if pool_name == ALL else f' (near {pool_name})'

    def ranked(c: str) -> list[str]:
        if c not in rankings:
            rankings[c] = ranking(keys[c], pool)
        return rankings[c]

    # 1. keep the remembered first servers that are still in the pool
    moved: dict[str, str] = {}
    for c in pool_clients:
        s = known_first.get(c)
        if s in names:
            first[c], why[c] = s, f'kept{where}'
            load[s] += 1
        elif s is not None:
            moved[c] = f'{s} is no longer a server{where}'

    # 2. a server that joined takes over at most its fair share: the clients that rank it first. When servers
    # also left (a failover: the rules replaced a member), the joined ones take the orphaned clients instead (4.)
    # and no other client moves.
    joined = sorted(names - known_servers) if known_servers is not None else []
    fair = -(-len(pool_clients) // len(pool))
    if joined and not moved:
        for s in joined:
            takers = sorted((keys[c], c) for c in pool_clients if c in first and ranked(c)[0] == s)
            for _key, c in takers[:fair]:
                load[first[c]] -= 1
                first[c], why[c] = s, f'moved to {s}, a new server it ranks first{where}'
                load[s] += 1

    # 3. no server over the bound: release the clients that rank it lowest
    for s in sorted(names):
        if load[s] <= limit:
            continue
        holders = sorted((ranked(c).index(s), -keys[c], c) for c in pool_clients if first.get(c) == s)
        for _rank, _key, c in holders[limit:]:
            del first[c]
            load[s] -= 1
            moved[c] = f'{s} was over its bound of {limit}{where}'

    # 4. place the clients without a first server, in hash order, on the best-ranked server with room (after a
    # failover, on a server that joined in the dead one's place first: the survivors' load does not change)
    takers = set(joined) if joined and moved else set()
    for _key, c in sorted((keys[c], c) for c in pool_clients if c not in first):
        order = ranked(c)
        preferred = [s for s in order if s in takers and load[s] < limit]
        if preferred:
            s = preferred[0]
            reason = f'{s} joined in its place, rank {order.index(s) + 1} of {len(order)}'
        else:
            for rank, s in enumerate(order, 1):
                if load[s] < limit:
                    break
            reason = f'rank {rank} of {len(order)}' + ('' if rank == 1 else ' (better ranked servers were full)')
        first[c] = s
        load[s] += 1
        why[c] = f'{moved[c]}; {reason}' if c in moved else f'{reason}{where}'


class Outcome(t.NamedTuple):
    """What the bindings of one rules file add to the engine's result."""
    hostvars: dict[str, dict[str, t.Any]]  # client -> {'podim_fleet_bindings': {name: {servers, why}}}
    states: dict[str, t.Any]  # STATE_PREFIX + name -> state to remember
    changes: list[str]  # one line per client whose list changed
    moves: list[dict[str, t.Any]]  # history entries (kind rebound), one per client whose list changed
    fatal: list[str]  # unmet bindings with on_unmet: error
    warnings: list[str]  # unmet bindings with on_unmet: warn
    summaries: list[str]  # per binding: clients, servers and the load of each (for -v)


BINDINGS_VAR = 'podim_fleet_bindings'


def evaluate(bindings: t.Sequence[Binding], select: t.Callable[[str], list[str]],
             usable: t.Callable[[Binding, list[str]], tuple[list[str], dict[str, str]]],
             near: t.Callable[[Binding, str], str | None], previous: t.Mapping[str, t.Any]) -> Outcome:
    """Bind the clients of every binding, after the rules (select sees their groups).

    usable(binding, hosts) -> (available servers, {unavailable server: why}), as for the rules' candidates;
    near(binding, host) -> the host's value of the binding's `near` variable (None: none).
    """
    out = Outcome({}, {}, [], [], [], [], [])
    for binding in bindings:
        # plain str: host names may carry Ansible's data tags, which the JSON of --list would show
        clients = [str.__str__(host) for host in select(binding.clients)]
        matched = [str.__str__(host) for host in select(binding.servers)]
        servers, down = usable(binding, matched)
        if len(servers) < binding.count or not clients:
            message = _unmet(binding, clients, matched, servers, down)
            (out.fatal if binding.on_unmet == 'error' else out.warnings).append(message)
            if not servers or not clients:
                continue
        near_of = None
        if binding.near is not None:
            near_of = {host: near(binding, host) for host in dict.fromkeys([*clients, *servers])}
        state = previous.get(STATE_PREFIX + binding.name)
        result = bind(binding.name, clients, servers, binding.count, near_of, state)
        out.states[STATE_PREFIX + binding.name] = result.state
        known = remembered(state)[0]
        rebound: list[str] = []
        for client in clients:
            out.hostvars.setdefault(client, {}).setdefault(BINDINGS_VAR, {})[binding.name] = {
                'servers': result.lists[client], 'why': result.why[client]}
            before, after = known.get(client), result.lists[client]
            if before is not None and before != after:
                gone = [server for server in before if server not in after]
                reason = result.why[client] + (f'; {", ".join(gone)} no longer among its servers' if gone else '')
                rebound.append(f'{client} ({", ".join(before)} -> {", ".join(after)})')
                out.moves.append({'rule': binding.name, 'group': binding.name, 'host': client, 'change': 'rebound',
                                  'reason': reason, 'before': before, 'after': after})
        if rebound:  # one line per binding: a fleet of thousands must not print thousands of lines
            gone = sorted(set().union(*(known[c] for c in known if c in result.lists)) - set(servers))
            shown = ', '.join(rebound[:MAX_SHOWN]) + (f' (+{len(rebound) - MAX_SHOWN} more)'
                                                      if len(rebound) > MAX_SHOWN else '')
            out.changes.append(f'{binding.label}: {len(rebound)} of {len(clients)} clients rebound'
                               + (f' ({", ".join(gone)} no longer a server)' if gone else '') + f': {shown}')
        load = ', '.join(f'{server} {result.load[server]}' for server in sorted(result.load))
        out.summaries.append(f'{binding.label}: {len(clients)} clients over {len(servers)} servers, {binding.count} '
                             f'each; first choice of: {load} (bound {bound(len(clients), len(servers))})')
    return out


def _unmet(binding: Binding, clients: list[str], matched: list[str], servers: list[str],
           down: t.Mapping[str, str]) -> str:
    if not clients:
        return f"{binding.label}: no host matches clients '{binding.clients}'"
    why = '; '.join(f'{host}: {reason}' for host, reason in sorted(down.items())[:10])
    more = f' (+{len(down) - 10} more)' if len(down) > 10 else ''
    return (f"{binding.label} asks for {binding.count} server{'s' if binding.count > 1 else ''} per client, "
            f"found {len(servers)} available of {len(matched)} matching '{binding.servers}'"
            + (f': {why}{more}' if why else '') + f' ({len(clients)} clients)')
