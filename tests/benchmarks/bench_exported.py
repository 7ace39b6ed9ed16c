# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmarks of exported facts (run: python tests/benchmarks/bench_exported.py).

1. lookup: ansible-playbook over N local hosts, one task per host; the
   baseline task is a plain ansible.builtin.set_fact, the measured one the
   same set_fact whose value is a podim.fleet.exported query.  The cost per
   host is (measured - baseline) / N, in wall time and in CPU time of the
   whole process tree.
2. filtered read: store.query of 50 records out of 100,000 (SQLite, and
   PostgreSQL when PODIM_FLEET_TEST_PG_URL is set).
3. concurrent exporters: 20 processes writing records of their own hosts at
   once; throughput and lost writes.
Medians of --runs runs.  --markdown prints the table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import ansible_collections.podim.fleet as collection
from ansible_collections.podim.fleet.plugins.plugin_utils.store import close_all, open_store

COLLECTIONS_PATH = str(Path(list(collection.__path__)[0]).parents[2])
PLAYBOOK = """
- hosts: all
  gather_facts: false
  tasks:
    - ansible.builtin.set_fact:
        value: {value}
"""
BASELINE_VALUE = '"{{ [inventory_hostname, \'10.0.0.1\'] }}"'
LOOKUP_VALUE = ('"{{ query(\'podim.fleet.exported\', \'dns_server\', hosts=\'dns_servers\', '
                "query='[].data.address') }}\"")


RULES = """
plugin: podim.fleet.rules
remember: false
rules:
  - name: primary_dns
    group: primary_dns
    hosts: dns_servers
    count: 1
"""


def run_playbook(workdir: Path, value: str, env: dict, sources: list[str]) -> tuple[float, float]:
    (workdir / 'pb.yml').write_text(PLAYBOOK.format(value=value))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    inventory = [arg for source in sources for arg in ('-i', source)]
    subprocess.run([str(Path(sys.executable).parent / 'ansible-playbook'), *inventory, 'pb.yml'],
                   cwd=workdir, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def bench_lookup(hosts: int, runs: int, forks: int, with_rules: bool) -> dict:
    """with_rules: a podim.fleet.rules source too, which preloads the lookup in the main process."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        names = [f'h{i:04d}' for i in range(hosts)]
        inv = {'all': {'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable},
                       'hosts': {n: None for n in names},
                       'children': {'dns_servers': {'hosts': {n: None for n in names[:3]}}}}}
        (work / 'inv.json').write_text(json.dumps(inv))
        (work / 'site.rules.yml').write_text(RULES)
        sources = ['inv.json', 'site.rules.yml'] if with_rules else ['inv.json']
        url = f'sqlite:///{work}/fleet.sqlite'
        store = open_store(url)
        for i, name in enumerate(names[:3]):
            store.apply('default', name, [{'type': 'dns_server', 'data': {'address': f'10.0.0.{i + 1}'}}])
        close_all()
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH, PODIM_FLEET_STORE=url,
                   ANSIBLE_INVENTORY_ENABLED='ansible.builtin.yaml,podim.fleet.rules', ANSIBLE_FORKS=str(forks),
                   ANSIBLE_LOCAL_TEMP=str(work / 'tmp'), ANSIBLE_NOCOLOR='1')
        samples: dict[str, list[tuple[float, float]]] = {'set_fact': [], 'lookup': []}
        run_playbook(work, BASELINE_VALUE, env, sources)  # warm caches (bytecode, page cache)
        for _run in range(runs):
            # interleaved, so drift of the machine hits both alike
            samples['set_fact'].append(run_playbook(work, BASELINE_VALUE, env, sources))
            samples['lookup'].append(run_playbook(work, LOOKUP_VALUE, env, sources))
    med = {k: (statistics.median(wall for wall, _cpu in v), statistics.median(cpu for _wall, cpu in v))
           for k, v in samples.items()}
    return {
        'hosts': hosts, 'forks': forks, 'runs': runs, 'inventory': ' + '.join(sources),
        'set_fact_wall_s': med['set_fact'][0], 'lookup_wall_s': med['lookup'][0],
        'set_fact_cpu_s': med['set_fact'][1], 'lookup_cpu_s': med['lookup'][1],
        'extra_wall_ms_per_host': (med['lookup'][0] - med['set_fact'][0]) * 1000 / hosts,
        'extra_cpu_ms_per_host': (med['lookup'][1] - med['set_fact'][1]) * 1000 / hosts,
        'wall_ratio': med['lookup'][0] / med['set_fact'][0],
    }


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
    parser.add_argument('--hosts', type=int, default=200)
    parser.add_argument('--forks', type=int, default=5)
    parser.add_argument('--runs', type=int, default=5)
    parser.add_argument('--only', choices=['lookup', 'read', 'concurrent'], action='append')
    parser.add_argument('--quick', action='store_true', default=bool(os.environ.get('PODIM_FLEET_BENCH_QUICK')),
                        help='tiny sizes, one run: proves the benchmark works (the test command uses it)')
    args = parser.parse_args()
    if args.quick:
        args.hosts, args.runs = 20, 1
    only = set(args.only or ['lookup', 'read', 'concurrent'])
    backends = {'sqlite': None}
    if os.environ.get('PODIM_FLEET_TEST_PG_URL'):
        backends['postgresql'] = os.environ['PODIM_FLEET_TEST_PG_URL']
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        backends['sqlite'] = f'sqlite:///{tmp}/bench.sqlite'
        if 'lookup' in only:
            results['lookup_static_inventory'] = bench_lookup(args.hosts, args.runs, args.forks, with_rules=False)
            results['lookup_with_rules_inventory'] = bench_lookup(args.hosts, args.runs, args.forks, with_rules=True)
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
