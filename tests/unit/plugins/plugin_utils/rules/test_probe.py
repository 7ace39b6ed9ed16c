# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TCP probes against real sockets on 127.0.0.1."""

from __future__ import annotations

import socket
import time

import pytest

from ansible_collections.podim.fleet.plugins.plugin_utils.rules.probe import Target, answers, tcp_probe


@pytest.fixture
def listening():
    server = socket.socket()
    server.bind(('127.0.0.1', 0))
    server.listen(64)
    yield server.getsockname()[1]
    server.close()


@pytest.fixture
def closed_port():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    return port


def test_answers(listening, closed_port):
    assert answers('127.0.0.1', listening, 1.0)
    assert not answers('127.0.0.1', closed_port, 1.0)
    assert not answers('no-such-host.invalid', 22, 1.0)


def test_probe_many_concurrently(listening, closed_port):
    targets = [Target(f'up{i}', '127.0.0.1', listening) for i in range(20)]
    targets += [Target(f'down{i}', '127.0.0.1', closed_port) for i in range(20)]
    assert tcp_probe(targets, 1.0) == {f'up{i}' for i in range(20)}
    assert tcp_probe([], 1.0) == set()


def test_silent_hosts_cost_one_timeout_in_parallel():
    # 192.0.2.0/24 (TEST-NET-1) is never routed: connections hang until the timeout
    targets = [Target(f'h{i}', f'192.0.2.{i + 1}', 22) for i in range(16)]
    start = time.monotonic()
    assert tcp_probe(targets, 0.5) == set()
    assert time.monotonic() - start < 0.5 * 16 / 2
