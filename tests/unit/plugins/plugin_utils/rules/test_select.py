# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rendezvous hashing, spread, keeping remembered members, trimming."""

from __future__ import annotations

import hashlib

from ansible_collections.podim.fleet.plugins.plugin_utils.rules.select import Weigher, choose
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.spec import Count

HOSTS = [f'node{i:03d}' for i in range(60)]


def test_weight_is_keyed_blake2b_of_the_host():
    key = hashlib.blake2b(b'dns', digest_size=32).digest()
    expected = int.from_bytes(hashlib.blake2b(b'node001', digest_size=8, key=key).digest(), 'big')
    assert Weigher('dns')('node001') == expected
    assert Weigher('dns').many(['node001'])['node001'] == expected


def test_weights_differ_per_rule():
    assert Weigher('dns').order(HOSTS)[:3] != Weigher('cache').order(HOSTS)[:3]


def test_heaviest_win_and_ranks():
    selection = choose(HOSTS, [], Count(3, 3), Weigher('dns'))
    assert selection.members == Weigher('dns').order(HOSTS)[:3]
    assert [selection.ranks[h] for h in selection.members] == [1, 2, 3]
    assert selection.new == set(selection.members) and selection.available == 60


def test_hrw_no_memory_needed_for_non_members():
    # a host that is not chosen can come or go without moving anybody
    first = choose(HOSTS, [], Count(5, 5), Weigher('dns')).members
    others = [h for h in HOSTS if h not in first]
    fewer = choose([h for h in HOSTS if h != others[0]], [], Count(5, 5), Weigher('dns')).members
    assert fewer == first


def test_kept_first_then_filled():
    previous = ['node050', 'node007', 'gone']
    selection = choose(HOSTS, previous, Count(4, 4), Weigher('dns'))
    assert selection.members[:2] == ['node050', 'node007']
    assert len(selection.members) == 4 and selection.new == set(selection.members[2:])


def test_down_hosts_are_skipped_and_not_kept():
    ordered = Weigher('dns').order(HOSTS)
    selection = choose(HOSTS, [ordered[0]], Count(2, 2), Weigher('dns'), down={ordered[0], ordered[1]})
    assert selection.members == ordered[2:4]
    assert selection.available == 58


def test_trim_drops_the_lightest():
    ordered = Weigher('dns').order(HOSTS)
    previous = [ordered[3], ordered[0], ordered[1]]
    selection = choose(HOSTS, previous, Count(2, 2), Weigher('dns'))
    assert selection.members == [ordered[0], ordered[1]] and selection.trimmed == [ordered[3]]


def test_trim_drops_from_the_crowded_value_first():
    spread = {h: ('a' if i < 3 else 'b') for i, h in enumerate(HOSTS)}
    previous = HOSTS[:3] + HOSTS[3:4]  # three on a, one on b
    selection = choose(HOSTS, previous, Count(2, 2), Weigher('dns'), spread)
    assert sorted(spread[h] for h in selection.members) == ['a', 'b']


def test_every_eligible_host_when_max_is_unbounded():
    selection = choose(HOSTS, ['node010'], Count(1, None), Weigher('dns'), down={'node001'})
    assert selection.members[0] == 'node010' and len(selection.members) == 59 and not selection.ranks


def test_min_max_takes_max_when_possible():
    assert len(choose(HOSTS[:2], [], Count(1, 3), Weigher('x')).members) == 2
    assert len(choose(HOSTS, [], Count(1, 3), Weigher('x')).members) == 3


def test_spread_covers_every_value_first():
    spread = {h: f'r{i % 4}' for i, h in enumerate(HOSTS)}
    selection = choose(HOSTS, [], Count(4, 4), Weigher('dns'), spread)
    assert sorted(spread[h] for h in selection.members) == ['r0', 'r1', 'r2', 'r3']
    selection = choose(HOSTS, [], Count(6, 6), Weigher('dns'), spread)
    values = [spread[h] for h in selection.members]
    assert sorted(values.count(v) for v in set(values)) == [1, 1, 2, 2]


def test_spread_respects_kept_members():
    spread = {h: f'r{i % 3}' for i, h in enumerate(HOSTS)}
    kept = [h for h in HOSTS if spread[h] == 'r0'][:1]
    selection = choose(HOSTS, kept, Count(3, 3), Weigher('dns'), spread)
    assert sorted(spread[h] for h in selection.members) == ['r0', 'r1', 'r2']
