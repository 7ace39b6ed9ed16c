# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Concurrent exporters inside a real ansible-playbook run (run: python tests/benchmarks/bench_playbook_writers.py).

One ansible-playbook over 20 local hosts with forks 20: 20 task workers at once, each host exporting 50 records
of its own: 1,000 writes, in two modes with the same records: a loop of podim.fleet.export (one task execution
and one store transaction per record) and one podim.fleet.export task per host with `records` (one task
execution and one transaction for its 50 records). The time is the export task's, from Ansible's own json
callback (start of the task to the end of its last host), so the workers' start-up is in it, as in any run. The
baseline is the same loop of ansible.builtin.set_fact: what Ansible itself spends per loop item. Stores: SQLite;
PostgreSQL as the tables' owner and as a team role that holds a write grant (row-level security and the guard
trigger apply), when PODIM_FLEET_TEST_PG_URL is set
(a role that owns the store and may create roles: scripts/pg-test-server.sh makes one).
Every run of each mode checks that all 1,000 records are in the store (none lost). Medians of --runs, the two
export modes alternating which goes first.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import uuid
from datetime import datetime
from pathlib import Path

import ansible_collections.podim.fleet as collection
from ansible_collections.podim.fleet.plugins.plugin_utils.store import close_all, open_store
from ansible_collections.podim.fleet.plugins.plugin_utils.store.grants import GrantAdmin
from ansible_collections.podim.fleet.plugins.plugin_utils.store.postgresql import PostgreSQLStore
from ansible_collections.podim.fleet.tests.benchmarks.bench_rls import role_url

COLLECTIONS_PATH = str(Path(list(collection.__path__)[0]).parents[2])
LOOP = "{{ range(per_host) | list }}"
TASKS = {
    'set_fact': {'name': 'measured', 'ansible.builtin.set_fact': {'value': "{{ {'port': 1000 + item} }}"},
                 'loop': LOOP},
    'export': {'name': 'measured', 'podim.fleet.export': {'type': 'web_backend', 'key': 'k{{ item }}',
                                                          'data': {'app': 'bench', 'address': '10.0.0.1',
                                                                   'port': '{{ 1000 + item }}'},
                                                          'namespace': '{{ bench_namespace }}'},
               'loop': LOOP},
    # the same records as the loop's, all of a host's in one task
    'records': {'name': 'measured', 'podim.fleet.export': {'records': '{{ bench_records }}',
                                                           'namespace': '{{ bench_namespace }}'}},
}
EXPORT_MODES = ('export', 'records')


def bench_records(per_host: int) -> list[dict]:
    """What the loop of TASKS['export'] exports, as a list for `records`."""
    return [{'type': 'web_backend', 'key': f'k{i}', 'data': {'app': 'bench', 'address': '10.0.0.1', 'port': 1000 + i}}
            for i in range(per_host)]


def task_seconds(output: str) -> float:
    """The measured task's duration in the json callback's output."""
    for play in json.loads(output)['plays']:
        for task in play['tasks']:
            if task['task']['name'] == 'measured':
                duration = task['task']['duration']
                return (datetime.fromisoformat(duration['end'].replace('Z', '+00:00'))
                        - datetime.fromisoformat(duration['start'].replace('Z', '+00:00'))).total_seconds()
    raise RuntimeError('no task named measured in the output')


def run(work: Path, task: str, url: str, namespace: str, hosts: int, per_host: int) -> float:
    play_vars = {'per_host': per_host, 'bench_namespace': namespace}
    if task == 'records':
        play_vars['bench_records'] = bench_records(per_host)
    play = [{'hosts': 'all', 'gather_facts': False, 'vars': play_vars, 'tasks': [TASKS[task]]}]
    (work / 'pb.yml').write_text(json.dumps(play))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH, PODIM_FLEET_STORE=url, ANSIBLE_FORKS=str(hosts),
               ANSIBLE_STDOUT_CALLBACK='ansible.builtin.json', ANSIBLE_LOCAL_TEMP=str(work / 'tmp'),
               ANSIBLE_NOCOLOR='1')
    proc = subprocess.run([str(Path(sys.executable).parent / 'ansible-playbook'), '-i', 'hosts.yml', 'pb.yml'],
                          cwd=work, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f'ansible-playbook failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}')
    return task_seconds(proc.stdout)


def namespaces(runs: int) -> list[str]:
    """One fresh namespace per run (the first warms up), so that every run writes 1,000 new records."""
    tag = uuid.uuid4().hex[:8]
    return [f'bench-writers-{tag}-{i}' for i in range(runs + 1)]


def bench_store(work: Path, name: str, url: str, check_url: str, hosts: int, per_host: int,
                run_namespaces: list[str]) -> dict:
    writes, runs = hosts * per_host, len(run_namespaces) - 1
    samples: dict[str, list[float]] = {'set_fact': [], 'export': [], 'records': []}
    for i, namespace in enumerate(run_namespaces):
        measured = {'set_fact': run(work, 'set_fact', url, namespace, hosts, per_host)}
        for mode in EXPORT_MODES if i % 2 == 0 else EXPORT_MODES[::-1]:
            # each mode writes 1,000 new records into the emptied namespace
            measured[mode] = run(work, mode, url, namespace, hosts, per_host)
            stored = len(open_store(check_url).query(namespace, ['web_backend']))
            open_store(check_url).purge(namespace, ['nobody'])
            close_all()
            if stored != writes:
                raise RuntimeError(f'{name} ({mode}): {writes - stored} of {writes} writes lost')
        if i:  # the first round warms caches and connections
            for mode, seconds in measured.items():
                samples[mode].append(seconds)
    export_s, set_fact_s = statistics.median(samples['export']), statistics.median(samples['set_fact'])
    records_s = statistics.median(samples['records'])
    return {'store': name, 'writers': hosts, 'writes': writes, 'runs': runs, 'lost': 0,
            'set_fact_task_s': round(set_fact_s, 3), 'export_task_s': round(export_s, 3),
            'writes_per_s': round(writes / export_s), 'ratio': round(export_s / set_fact_s, 2),
            'records_task_s': round(records_s, 3), 'records_writes_per_s': round(writes / records_s),
            'records_speedup': round(export_s / records_s, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--writers', type=int, default=20)
    parser.add_argument('--per-writer', type=int, default=50)
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--markdown', action='store_true')
    parser.add_argument('--quick', action='store_true', default=bool(os.environ.get('PODIM_FLEET_BENCH_QUICK')),
                        help='tiny sizes, one run: proves the benchmark works (the test command uses it)')
    args = parser.parse_args()
    if args.quick:
        args.writers, args.per_writer, args.runs = 4, 5, 1
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        inv = {'all': {'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable},
                       'hosts': {f'w{i:02d}': None for i in range(args.writers)}}}
        (work / 'hosts.yml').write_text(json.dumps(inv))
        sqlite = f'sqlite:///{work}/fleet.sqlite'
        results.append(bench_store(work, 'SQLite (WAL)', sqlite, sqlite, args.writers, args.per_writer,
                                   namespaces(args.runs)))
        print(json.dumps(results[-1]), flush=True)
        admin_url = os.environ.get('PODIM_FLEET_TEST_PG_URL')
        if admin_url:
            results.append(bench_store(work, 'PostgreSQL, owner', admin_url, admin_url, args.writers,
                                       args.per_writer, namespaces(args.runs)))
            print(json.dumps(results[-1]), flush=True)
            role, password, granted = f'podim_bench_{uuid.uuid4().hex[:8]}', uuid.uuid4().hex, namespaces(args.runs)
            admin = PostgreSQLStore(admin_url)
            GrantAdmin(admin).run(role, granted, ['read', 'write'], None, None, 'present', True, password=password)
            admin.close()
            try:
                results.append(bench_store(work, 'PostgreSQL, team role (RLS)', role_url(admin_url, role, password),
                                           admin_url, args.writers, args.per_writer, granted))
                print(json.dumps(results[-1]), flush=True)
            finally:
                admin = PostgreSQLStore(admin_url)
                GrantAdmin(admin).run(role, granted, None, None, None, 'absent', False)
                with admin._transaction() as cur:
                    cur.execute(f'DROP ROLE IF EXISTS "{role}"')
                admin.close()
    if args.markdown:
        print('| store | writers | writes | set_fact loop | export loop | ratio | writes/s (loop) '
              '| export records | writes/s (records) | lost |')
        print('|---|---|---|---|---|---|---|---|---|---|')
        for r in results:
            print(f"| {r['store']} | {r['writers']} | {r['writes']:,} | {r['set_fact_task_s']:.2f} s "
                  f"| {r['export_task_s']:.2f} s | {r['ratio']:.2f} | {r['writes_per_s']:,} "
                  f"| {r['records_task_s']:.2f} s | {r['records_writes_per_s']:,} | {r['lost']} |")


if __name__ == '__main__':
    main()
