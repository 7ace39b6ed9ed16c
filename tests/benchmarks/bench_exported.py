# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmarks of the exported facts' store (run: python tests/benchmarks/bench_exported.py).

1. filtered read: store.query of 50 records out of 100,000 (SQLite, and
   PostgreSQL when PODIM_FLEET_TEST_PG_URL is set).
2. concurrent exporters: 20 processes writing records of their own hosts at
   once; throughput and lost writes.
Medians of --runs runs.  The per-host cost of the lookup and of an export in
real runs is bench_per_host.py's; exporters inside a real run,
bench_playbook_writers.py's.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import tempfile
import time

from ansible_collections.podim.fleet.plugins.plugin_utils.store import close_all, open_store


def fill(store, namespace: str, hosts: int, types: int) -> None:
    for h in range(hosts):
        address = f'10.0.{h // 250}.{h % 250 + 1}'
        store.apply(namespace, f'host{h:05d}', [{'type': f'type{t:03d}', 'data': {'address': address, 'n': t}}
                                                for t in range(types)])


def bench_read(url: str, namespace: str, runs: int, types: int = 100) -> dict:
    """1,000 hosts x 100 types = 100,000 records; read one type from 50 hosts."""
    store = open_store(url)
    if len(store.query(namespace, ['type007'])) != 1000:
        fill(store, namespace, 1000, types)
    hosts = {f'host{h:05d}' for h in range(0, 1000, 20)}
    samples = []
    for _sample in range(runs * 20):
        start = time.perf_counter()
        found = store.query(namespace, ['type007'], hosts=hosts)
        samples.append(time.perf_counter() - start)
        assert len(found) == 50, len(found)
    return {'records': 1000 * types, 'returned': 50, 'median_ms': statistics.median(samples) * 1000,
            'p95_ms': sorted(samples)[int(len(samples) * 0.95)] * 1000}


def _exporter(url: str, namespace: str, worker: int, count: int) -> None:
    store = open_store(url)
    for i in range(count):
        record = {'type': 'web_backend', 'data': {'address': '10.0.0.1', 'port': 80 + i}}
        store.apply(namespace, f'w{worker:02d}-h{i:04d}', [record])


def bench_concurrent(url: str, namespace: str, writers: int, per_writer: int) -> dict:
    open_store(url)
    close_all()
    ctx = multiprocessing.get_context('spawn')
    procs = [ctx.Process(target=_exporter, args=(url, namespace, w, per_writer)) for w in range(writers)]
    start = time.perf_counter()
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    elapsed = time.perf_counter() - start
    stored = len(open_store(url).query(namespace, ['web_backend']))
    expected = writers * per_writer
    return {'writers': writers, 'writes': expected, 'seconds': elapsed, 'writes_per_s': expected / elapsed,
            'lost': expected - stored, 'failed_writers': sum(1 for p in procs if p.exitcode != 0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=5)
    parser.add_argument('--only', choices=['read', 'concurrent'], action='append')
    parser.add_argument('--quick', action='store_true', default=bool(os.environ.get('PODIM_FLEET_BENCH_QUICK')),
                        help='tiny sizes, one run: proves the benchmark works (the test command uses it)')
    args = parser.parse_args()
    if args.quick:
        args.runs = 1
    only = set(args.only or ['read', 'concurrent'])
    backends = {'sqlite': None}
    if os.environ.get('PODIM_FLEET_TEST_PG_URL'):
        backends['postgresql'] = os.environ['PODIM_FLEET_TEST_PG_URL']
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        backends['sqlite'] = f'sqlite:///{tmp}/bench.sqlite'
        for name, url in backends.items():
            namespace = f'bench-{os.getpid()}'
            if 'read' in only:
                results[f'read_{name}'] = bench_read(url, namespace, args.runs, 10 if args.quick else 100)
            if 'concurrent' in only:
                results[f'concurrent_{name}'] = bench_concurrent(url, namespace + '-c', 20, 5 if args.quick else 50)
            if name == 'postgresql':
                open_store(url).purge(namespace, ['nobody'])
                open_store(url).purge(namespace + '-c', ['nobody'])
    print(json.dumps(results, indent=2))


if __name__ == '__main__':
    main()
