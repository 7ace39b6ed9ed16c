# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Choosing the members of one group (one `per` partition of one rule).

First choices use rendezvous (highest-random-weight) hashing: every host
gets a weight blake2b(key=rule name, host name) and the heaviest win.  The
weights of two hosts never depend on any third host, so adding or removing
a host that is not chosen never changes who is chosen, even with no memory
at all; and the hash is the same on every machine and Python hash seed
(Python's own hash() of a str is randomized per process).

With `spread_by` the choice is greedy: the next member is the heaviest host
among those whose spread value has the fewest members so far, so the
members cover as many distinct values as there are slots.

Remembered members that are still eligible and available are kept first;
only the free slots are filled.  Everything here is O(n log n) in the
number of eligible hosts.
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
import typing as t

from ansible_collections.podim.fleet.plugins.plugin_utils.rules.spec import Count


class Weigher:
    """HRW weights of hosts for one rule (memoized: a rule weighs a host once)."""

    __slots__ = ('_key', '_cache')

    def __init__(self, rule_name: str) -> None:
        # blake2b takes a key of up to 64 bytes: any rule name fits once digested
        self._key = hashlib.blake2b(rule_name.encode('utf-8'), digest_size=32).digest()
        self._cache: dict[str, int] = {}

    def __call__(self, host: str) -> int:
        weight = self._cache.get(host)
        if weight is None:
            digest = hashlib.blake2b(host.encode('utf-8'), digest_size=8, key=self._key).digest()
            weight = self._cache[host] = int.from_bytes(digest, 'big')
        return weight

    def many(self, hosts: t.Iterable[str]) -> dict[str, int]:
        """The weights of hosts, computed in one pass (a comprehension, not a call per host)."""
        cache = self._cache
        missing = [host for host in hosts if host not in cache]
        if missing:
            blake2b = hashlib.blake2b
            key = self._key
            from_bytes = int.from_bytes
            cache.update({host: from_bytes(blake2b(host.encode('utf-8'), digest_size=8, key=key).digest(), 'big')
                          for host in missing})
        return cache

    def order(self, hosts: t.Iterable[str]) -> list[str]:
        """Hosts heaviest first (ties, which need a 64-bit collision, by name)."""
        return sorted(hosts, key=lambda host: (-self(host), host))


class Selection(t.NamedTuple):
    members: list[str]  # slot order: kept members first (in their remembered order), then new ones
    new: frozenset[str]  # members chosen in this evaluation
    trimmed: list[str]  # remembered members dropped because the count went down
    ranks: dict[str, int]  # new member -> its rank among the available hosts (1 = heaviest)
    available: int  # how many eligible hosts were available


def _trim(kept: list[str], limit: int, weigh: Weigher, spread: t.Mapping[str, str] | None) -> tuple[list[str], list[str]]:
    """Drop members beyond limit: from the most crowded spread value first, the lightest first."""
    if len(kept) <= limit:
        return kept, []
    crowd: dict[str, int] = {}
    if spread is not None:
        for host in kept:
            crowd[spread[host]] = crowd.get(spread[host], 0) + 1
    dropped: list[str] = []
    remaining = list(kept)
    while len(remaining) > limit:
        victim = max(remaining, key=lambda h: (crowd.get(spread[h], 0) if spread is not None else 0, -weigh(h), h))
        remaining.remove(victim)
        dropped.append(victim)
        if spread is not None:
            crowd[spread[victim]] -= 1
    return remaining, dropped


def _fill_spread(candidates: list[str], need: int, kept: list[str], weights: t.Mapping[str, int],
                 spread: t.Mapping[str, str]) -> list[str]:
    """Greedy spread: take from the least represented value, heaviest host first."""
    buckets: dict[str, list[str]] = {}
    for host in candidates:
        buckets.setdefault(spread[host], []).append(host)
    crowd: dict[str, int] = {}
    for host in kept:
        crowd[spread[host]] = crowd.get(spread[host], 0) + 1
    heap: list[tuple[int, int, str, str]] = []
    for value, hosts in buckets.items():
        hosts.sort(key=lambda h: (weights[h], h))  # lightest first: pop() from the end takes the heaviest
        top = hosts[-1]
        heap.append((crowd.get(value, 0), -weights[top], top, value))
    heapq.heapify(heap)
    chosen: list[str] = []
    while len(chosen) < need and heap:
        count, _weight, host, value = heapq.heappop(heap)
        chosen.append(buckets[value].pop())
        if buckets[value]:
            top = buckets[value][-1]
            heapq.heappush(heap, (count + 1, -weights[top], top, value))
    return chosen


def choose(eligible: t.Sequence[str], previous: t.Sequence[str], count: Count, weigh: Weigher,
           spread: t.Mapping[str, str] | None = None, down: t.Collection[str] = ()) -> Selection:
    """Members among eligible (inventory order), keeping the remembered ones that are still there.

    spread maps every eligible host to its spread value; down holds the
    eligible hosts that are unavailable.
    """
    available = [host for host in eligible if host not in down] if down else list(eligible)
    available_set = set(available)
    kept: list[str] = []
    seen: set[str] = set()
    for host in previous:
        if host in available_set and host not in seen:
            kept.append(host)
            seen.add(host)
    trimmed: list[str] = []
    if count.max is not None:
        kept, trimmed = _trim(kept, count.max, weigh, spread)
    target = len(available) if count.max is None else min(count.max, len(available))
    need = target - len(kept)
    new: list[str] = []
    ranks: dict[str, int] = {}
    if need > 0:
        kept_set = set(kept)
        candidates = [host for host in available if host not in kept_set]
        if count.max is None:
            new = candidates  # every eligible host is a member: no ranking to do
        else:
            weights = weigh.many(available)
            if spread is not None:
                new = _fill_spread(candidates, need, kept, weights, spread)
            else:
                new = heapq.nlargest(need, candidates, key=lambda h: (weights[h], h))
            ranking = sorted([-weights[host] for host in available])
            for host in new:
                ranks[host] = bisect.bisect_left(ranking, -weights[host]) + 1
    return Selection(kept + new, frozenset(new), trimmed, ranks, len(available))
