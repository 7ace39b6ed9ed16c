# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-host cost of a lookup and of an export (run: python tests/benchmarks/bench_per_host.py).

Each case is one ansible-playbook over N local hosts (connection local, one task per host) run twice in turn:
the baseline task is a plain ansible.builtin.set_fact of the same value, the measured task either

- lookup: the same set_fact whose value is query('podim.fleet.exported', 'dns_server', hosts='dns_servers',
  query='[].data.address'), or
- export: podim.fleet.export of a record that is already in the store (unchanged: a read, no write),

over inventories written as static YAML, as INI, as YAML with a podim.fleet.rules source beside it (which
loads the collection's plugins in ansible-playbook's main process), and as static YAML with the callback
podim.fleet.preload enabled (which does the same with any inventory). The extra cost per host is
(measured - baseline) / N, in CPU time of the whole process tree (steadier than wall time on a shared machine).
The lookup is also set against the same call to ansible.builtin.list, a lookup of ansible-core's that returns
its terms: what calling any lookup costs over the literal. Medians of --runs runs; the sides alternate.
"""

from __future__ import annotations

import argparse
import json
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
VALUE = "{{ [inventory_hostname, '10.0.0.1'] }}"
TASKS = {
    'set_fact': {'ansible.builtin.set_fact': {'value': VALUE}},
    'lookup': {'ansible.builtin.set_fact': {'value': "{{ query('podim.fleet.exported', 'dns_server', "
                                                     "hosts='dns_servers', query='[].data.address') }}"}},
    'export': {'podim.fleet.export': {'type': 'bench_record', 'data': {'value': VALUE}}},
    # the same call to a lookup of ansible-core's that does nothing (returns its terms): what any lookup costs
    'noop_lookup': {'ansible.builtin.set_fact': {'value': "{{ query('ansible.builtin.list', 'dns_server', "
                                                          "hosts='dns_servers', query='[].data.address') }}"}},
}
RULES = """
plugin: podim.fleet.rules
remember: false
rules:
  - name: primary_dns
    group: primary_dns
    hosts: dns_servers
    count: 1
"""
INVENTORIES = ('yaml', 'ini', 'yaml+rules', 'yaml+preload')


def write_inventory(work: Path, names: list[str], kind: str) -> list[str]:
    """The inventory files of KIND; returns their names (-i arguments, in order)."""
    host_vars = {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}
    if kind == 'ini':
        lines = ['[all:vars]'] + [f'{k}={v}' for k, v in host_vars.items()] + ['', '[all]'] + names
        lines += ['', '[dns_servers]'] + names[:3]
        (work / 'hosts.ini').write_text('\n'.join(lines) + '\n')
        return ['hosts.ini']
    inv = {'all': {'vars': host_vars, 'hosts': {n: None for n in names},
                   'children': {'dns_servers': {'hosts': {n: None for n in names[:3]}}}}}
    (work / 'hosts.yml').write_text(json.dumps(inv))  # JSON is YAML: the yaml plugin reads it
    if kind in ('yaml', 'yaml+preload'):
        return ['hosts.yml']
    (work / 'site.rules.yml').write_text(RULES)
    return ['hosts.yml', 'site.rules.yml']


def run_playbook(work: Path, task: str, env: dict, sources: list[str]) -> tuple[float, float]:
    """(wall, CPU of the process tree) of one ansible-playbook run of TASK."""
    play = [{'hosts': 'all', 'gather_facts': False, 'tasks': [TASKS[task]]}]
    (work / f'{task}.yml').write_text(json.dumps(play))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    inventory = [arg for source in sources for arg in ('-i', source)]
    proc = subprocess.run([str(Path(sys.executable).parent / 'ansible-playbook'), *inventory, f'{task}.yml'],
                          cwd=work, env=env, check=False, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f'{task} over {sources} failed ({proc.returncode}):\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}')
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def bench_case(task: str, kind: str, hosts: int, runs: int, forks: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        names = [f'h{i:04d}' for i in range(hosts)]
        sources = write_inventory(work, names, kind)
        url = f'sqlite:///{work}/fleet.sqlite'
        store = open_store(url)
        for i, name in enumerate(names[:3]):
            store.apply('default', name, [{'type': 'dns_server', 'data': {'address': f'10.0.0.{i + 1}'}}])
        close_all()
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH, PODIM_FLEET_STORE=url,
                   ANSIBLE_INVENTORY_ENABLED='ansible.builtin.yaml,ansible.builtin.ini,podim.fleet.rules',
                   ANSIBLE_FORKS=str(forks), ANSIBLE_LOCAL_TEMP=str(work / 'tmp'), ANSIBLE_NOCOLOR='1')
        # as on an installed collection, whose bytecode pip writes at install or Python at first use
        env.pop('PYTHONDONTWRITEBYTECODE', None)
        if kind == 'yaml+preload':  # both sides: what it costs once per run is measured by preload_cost()
            env['ANSIBLE_CALLBACKS_ENABLED'] = 'podim.fleet.preload'
        # warm-up: bytecode and page caches; for export, the records exist from here on (the runs measured
        # write nothing: an unchanged record is read and compared)
        sides = ['set_fact', task] + (['noop_lookup'] if task == 'lookup' else [])
        for side in sides:
            run_playbook(work, side, env, sources)
        samples: dict[str, list[tuple[float, float]]] = {side: [] for side in sides}
        for _run in range(runs):
            for side in sides:
                samples[side].append(run_playbook(work, side, env, sources))
        if task == 'export':
            assert len(open_store(url).query('default', ['bench_record'])) == hosts
            close_all()
    wall = {k: statistics.median(w for w, _c in v) for k, v in samples.items()}
    cpu = {k: statistics.median(c for _w, c in v) for k, v in samples.items()}
    noop = {}
    if 'noop_lookup' in cpu:
        noop = {'noop_lookup_cpu_s': round(cpu['noop_lookup'], 3),
                'noop_lookup_extra_cpu_ms_per_host': round((cpu['noop_lookup'] - cpu['set_fact']) * 1000 / hosts, 2),
                'extra_over_noop_lookup_cpu_ms_per_host': round((cpu[task] - cpu['noop_lookup']) * 1000 / hosts, 2)}
    return {
        **noop,
        'task': task, 'inventory': kind, 'hosts': hosts, 'forks': forks, 'runs': runs,
        'baseline_cpu_s': round(cpu['set_fact'], 3), 'measured_cpu_s': round(cpu[task], 3),
        'extra_cpu_ms_per_host': round((cpu[task] - cpu['set_fact']) * 1000 / hosts, 2),
        'cpu_ratio': round(cpu[task] / cpu['set_fact'], 3),
        'baseline_wall_s': round(wall['set_fact'], 3), 'measured_wall_s': round(wall[task], 3),
        'wall_ratio': round(wall[task] / wall['set_fact'], 3),
    }


def preload_cost(runs: int, forks: int) -> dict:
    """CPU the callback podim.fleet.preload costs once per run: a set_fact playbook with it and without it."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sources = write_inventory(work, ['h0000', 'h0001'], 'yaml')
        base = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH, ANSIBLE_FORKS=str(forks),
                    ANSIBLE_LOCAL_TEMP=str(work / 'tmp'), ANSIBLE_NOCOLOR='1')
        base.pop('PYTHONDONTWRITEBYTECODE', None)
        envs = {'without': base, 'with': dict(base, ANSIBLE_CALLBACKS_ENABLED='podim.fleet.preload')}
        samples: dict[str, list[float]] = {'without': [], 'with': []}
        for _run in range(runs + 1):
            for side, env in envs.items():
                samples[side].append(run_playbook(work, 'set_fact', env, sources)[1])
    # the first pair warms the caches
    cpu = {side: statistics.median(values[1:]) for side, values in samples.items()}
    return {'task': 'preload callback, once per run', 'runs': runs,
            'without_cpu_s': round(cpu['without'], 3), 'with_cpu_s': round(cpu['with'], 3),
            'extra_cpu_ms_per_run': round((cpu['with'] - cpu['without']) * 1000, 1)}


def markdown(results: list[dict]) -> str:
    lines = ['| task | inventory | hosts | set_fact CPU | with it CPU | CPU ratio | extra CPU per host '
             '| no-op lookup: extra per host | extra over the no-op lookup | wall ratio |',
             '|---|---|---|---|---|---|---|---|---|---|']
    for r in results:
        noop = '| | '
        if 'noop_lookup_cpu_s' in r:
            noop = (f"| {r['noop_lookup_extra_cpu_ms_per_host']:+.1f} ms "
                    f"| {r['extra_over_noop_lookup_cpu_ms_per_host']:+.1f} ms ")
        lines.append(f"| {r['task']} | {r['inventory']} | {r['hosts']:,} | {r['baseline_cpu_s']:.2f} s "
                     f"| {r['measured_cpu_s']:.2f} s | {r['cpu_ratio']:.2f} | {r['extra_cpu_ms_per_host']:+.1f} ms "
                     f"{noop}| {r['wall_ratio']:.2f} |")
    return '\n'.join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--hosts', type=int, action='append', help='fleet sizes (default: 200 and 2000)')
    parser.add_argument('--forks', type=int, default=5)
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--task', choices=['lookup', 'export'], action='append')
    parser.add_argument('--inventory', choices=INVENTORIES, action='append')
    parser.add_argument('--markdown', action='store_true', help='also print the table for docs/benchmarks.md')
    parser.add_argument('--quick', action='store_true', default=bool(os.environ.get('PODIM_FLEET_BENCH_QUICK')),
                        help='tiny sizes, one run: proves the benchmark works (the test command uses it)')
    args = parser.parse_args()
    sizes = args.hosts or [200, 2000]
    if args.quick:
        sizes, args.runs = [10], 1
    results = []
    for task in args.task or ['lookup', 'export']:
        for kind in args.inventory or INVENTORIES:
            # the largest size only for plain YAML: enough to show the cost per host does not grow with the fleet
            for hosts in sizes if kind == 'yaml' else sizes[:1]:
                results.append(bench_case(task, kind, hosts, args.runs, args.forks))
                print(json.dumps(results[-1]), flush=True)
    if args.inventory is None or 'yaml+preload' in args.inventory:
        print(json.dumps(preload_cost(max(args.runs, 5), args.forks)), flush=True)
    if args.markdown:
        print(markdown(results))


if __name__ == '__main__':
    main()
