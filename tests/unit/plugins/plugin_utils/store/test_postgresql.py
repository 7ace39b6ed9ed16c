# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What only the PostgreSQL backend does, against a real server."""

from __future__ import annotations

import multiprocessing
import socket

import pytest

from ansible_collections.podim.fleet.plugins.plugin_utils.store import StoreError, open_store
from ansible_collections.podim.fleet.plugins.plugin_utils.store.postgresql import redact


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_unreachable_server_is_a_clear_error():
    port = _free_port()
    with pytest.raises(StoreError, match=rf'cannot connect to store postgresql://fleet:\*\*\*@127.0.0.1:{port}/x'):
        open_store(f'postgresql://fleet:secret@127.0.0.1:{port}/x')


def test_wrong_password_names_the_store_not_the_password(pg_url):
    url = pg_url
    bad = url.replace('://', '://nosuchuser:wrong@', 1) if '@' not in url else \
        'postgresql://nosuchuser:wrongpw@' + url.split('@', 1)[1]
    with pytest.raises(StoreError) as info:
        open_store(bad)
    assert 'wrongpw' not in str(info.value)


def test_redact():
    assert redact('postgresql://u:p@h:1/d') == 'postgresql://u:***@h:1/d'
    assert redact('postgresql://h/d') == 'postgresql://h/d'


def _writer(url, namespace, worker, count):
    store = open_store(url)
    for i in range(count):
        store.apply(namespace, f'w{worker}-h{i}', [{'type': 't', 'data': {'n': i}}])


def test_concurrent_writers_lose_nothing(namespace, pg_url):
    url = pg_url
    open_store(url)
    ctx = multiprocessing.get_context('spawn')
    procs = [ctx.Process(target=_writer, args=(url, namespace, w, 30)) for w in range(6)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
        assert proc.exitcode == 0
    assert len(open_store(url).query(namespace, ['t'])) == 6 * 30


def _decider(url, namespace, barrier, out):
    store = open_store(url)
    barrier.wait()

    def decide(previous):
        if 'dns' in previous:
            return previous
        # the first one in picks; the lock makes the other see its choice
        return {'dns': {'members': [f'chosen-by-{multiprocessing.current_process().name}']}}

    out.put(store.decide(namespace, decide)['dns']['members'])


def test_two_controllers_reach_the_same_decision(namespace, pg_url):
    url = pg_url
    open_store(url)
    ctx = multiprocessing.get_context('spawn')
    barrier, out = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_decider, args=(url, namespace, barrier, out), name=f'c{i}') for i in range(2)]
    for proc in procs:
        proc.start()
    results = [out.get(timeout=60), out.get(timeout=60)]
    for proc in procs:
        proc.join(30)
    assert results[0] == results[1]
