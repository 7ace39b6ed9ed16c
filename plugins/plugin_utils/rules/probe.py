# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TCP reachability probes: is anything listening on the host's SSH port?

Only the hosts a rule is about to choose (or keep) are probed, concurrently
in a bounded thread pool, so a dead host costs one timeout in parallel with
the others, not one per host in sequence.
"""

from __future__ import annotations

import socket
import typing as t

MAX_WORKERS = 64


class Target(t.NamedTuple):
    host: str  # inventory name
    address: str  # what to connect to (ansible_host, else the name)
    port: int


def answers(address: str, port: int, timeout: float) -> bool:
    """True when a TCP connection to address:port is accepted within timeout seconds."""
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except (OSError, ValueError):
        return False


def tcp_probe(targets: t.Sequence[Target], timeout: float) -> set[str]:
    """The hosts among targets that accept a TCP connection."""
    if not targets:
        return set()
    import concurrent.futures  # only when probing: keeps the import off the common path
    workers = min(MAX_WORKERS, len(targets))
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix='podim-probe') as pool:
        results = pool.map(lambda target: answers(target.address, target.port, timeout), targets)
        return {target.host for target, ok in zip(targets, results) if ok}
