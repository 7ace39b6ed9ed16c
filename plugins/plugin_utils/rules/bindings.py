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
import typing as t

STATE_VERSION = 1
ALL = '*'  # the pool of every server (no `near`, or a value no server has)
_PRIME = (1 << 61) - 1  # scores are a * key + b mod a Mersenne prime: pairwise independent per client


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
    return [name for _, name in sorted([((key * mul + add) % _PRIME, name) for name, mul, add in servers],
                                       reverse=True)]


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
            rest = [s for s in order[:count] if s != first[c]]
            if len(order) < count and others:
                rest += ranking(keys[c], others)
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

    # 2. a server that joined takes over at most its fair share: the clients that rank it first
    if known_servers is not None:
        joined = sorted(names - known_servers)
        fair = -(-len(pool_clients) // len(pool))
        for s in joined:
            takers = sorted((keys[c], c) for c in pool_clients if c in first and ranked(c)[0] == s)
            for _, c in takers[:fair]:
                load[first[c]] -= 1
                first[c], why[c] = s, f'moved to {s}, a new server it ranks first{where}'
                load[s] += 1

    # 3. no server over the bound: release the clients that rank it lowest
    for s in sorted(names):
        if load[s] <= limit:
            continue
        holders = sorted((ranked(c).index(s), -keys[c], c) for c in pool_clients if first.get(c) == s)
        for _, _, c in holders[limit:]:
            del first[c]
            load[s] -= 1
            moved[c] = f'{s} was over its bound of {limit}{where}'

    # 4. place the clients without a first server, in hash order, on the best-ranked server with room
    for _, c in sorted((keys[c], c) for c in pool_clients if c not in first):
        order = ranked(c)
        for rank, s in enumerate(order, 1):
            if load[s] < limit:
                break
        first[c] = s
        load[s] += 1
        reason = f'rank {rank} of {len(order)}' + ('' if rank == 1 else ' (better ranked servers were full)')
        why[c] = f'{moved[c]}; {reason}' if c in moved else f'{reason}{where}'
