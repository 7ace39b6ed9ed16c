# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cost of the PostgreSQL store's access control (run: python tests/benchmarks/bench_rls.py).

Needs PODIM_FLEET_TEST_PG_URL: a role that owns the store's tables and may
create roles (scripts/pg-test-server.sh makes one).  The same work runs as
the owner (row-level security does not apply to it) and as a team role that
holds grants (policies, trigger checks), alternating, on the same data:

1. filtered read: store.query of one type for 50 hosts out of 100,000
   records (what the lookup does);
2. 20 concurrent exporters: 20 processes, each writing 50 records of its own
   hosts, one transaction per record, timed whole (process start-up
   included, as bench_exported.py does) and from the first write to the last
   (start-up and connections excluded: the stricter figure); as the
   owner, as a role with a write grant, and as a role whose grant is tied to
   placement (every write looks the host up in a decision of 1,000 members);
3. one exporter: the same write (one transaction of store.apply) in the
   three modes, alternating write by write on open connections, so that
   the machine's load slows each alike (the figure a busy machine disturbs
   least).
Medians over --runs; the ratio is role / owner.  --markdown prints the
tables for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import time
import urllib.parse
import uuid

from ansible_collections.podim.fleet.plugins.plugin_utils.store import close_all, open_store
from ansible_collections.podim.fleet.plugins.plugin_utils.store.grants import GrantAdmin
from ansible_collections.podim.fleet.plugins.plugin_utils.store.postgresql import PostgreSQLStore


def role_url(admin_url: str, role: str, password: str) -> str:
    parts = urllib.parse.urlsplit(admin_url)
    return urllib.parse.urlunsplit(parts._replace(netloc=f'{role}:{password}@{parts.netloc.rsplit("@", 1)[-1]}'))


def fill(admin: PostgreSQLStore, namespace: str, hosts: int, types: int) -> None:
    """hosts x types records, written in bulk by the owner (the read is measured, not this)."""
    rows = [(namespace, f'host{h:05d}', f'type{t:03d}', json.dumps({'address': f'10.0.{h // 250}.{h % 250 + 1}'}))
            for h in range(hosts) for t in range(types)]
    with admin._transaction() as cur:
        cur.executemany("INSERT INTO podim_records (namespace, host, type, key, data, tags, exporter, updated, seen, "
                        "writer) VALUES (%s, %s, %s, 'default', %s, '[]', '{}', 0, 0, '')", rows)
        cur.execute('ANALYZE podim_records')


def bench_read(urls: dict[str, str], namespace: str, runs: int, hosts: int, samples: int) -> dict:
    """Reads alternate one by one between the modes, so that a busy machine slows both alike."""
    stores = {mode: PostgreSQLStore(url) for mode, url in urls.items()}
    wanted = {f'host{h:05d}' for h in range(0, hosts, max(1, hosts // 50))}
    modes = list(stores)
    per_run: dict[str, list[float]] = {mode: [] for mode in modes}
    pair_ratios: list[float] = []
    for run in range(runs + 1):
        times: dict[str, list[float]] = {mode: [] for mode in modes}
        for sample in range(samples):
            for mode in (modes if sample % 2 == 0 else modes[::-1]):
                start = time.perf_counter()
                found = stores[mode].query(namespace, ['type007'], hosts=wanted)
                times[mode].append(time.perf_counter() - start)
                assert len(found) == len(wanted), (mode, len(found))
        if run:  # run 0 warms both connections' caches
            for mode in modes:
                per_run[mode].append(statistics.median(times[mode]))
            pair_ratios.extend(role / owner for owner, role in zip(times['owner'], times['role']))
    for store in stores.values():
        store.close()
    out = {'records': None, 'returned': len(wanted), 'runs': runs, 'samples_per_run': samples}
    for mode, values in per_run.items():
        out[f'{mode}_median_ms'] = statistics.median(values) * 1000
    out['ratio'] = out['role_median_ms'] / out['owner_median_ms']
    out['paired_ratio_median'] = statistics.median(pair_ratios)
    return out


def bench_serial_writes(urls: dict[str, str], namespaces: dict[str, str], runs: int, samples: int,
                        per_writer: int) -> dict:
    """One exporter's write (store.apply of a new record: one transaction), alternating write by write
    between the modes on open connections, so that the machine's load slows each alike; the paired
    figure is the median of the ratios of neighbouring writes."""
    stores = {mode: PostgreSQLStore(url) for mode, url in urls.items()}
    modes = list(stores)
    per_run: dict[str, list[float]] = {mode: [] for mode in modes}
    pairs: dict[str, list[float]] = {mode: [] for mode in modes if mode != 'owner'}
    for run in range(runs + 1):
        times: dict[str, list[float]] = {mode: [] for mode in modes}
        for sample in range(samples):
            for mode in (modes if sample % 2 == 0 else modes[::-1]):
                host = f'w{sample % 20:02d}-h{(run * samples + sample) // 20 % per_writer:04d}'  # members of `web`
                start = time.perf_counter()
                stores[mode].apply(namespaces[mode], host, [{'type': 'web_backend', 'key': f'r{run}-{sample}',
                                                             'data': {'address': '10.0.0.1', 'port': 80}}])
                times[mode].append(time.perf_counter() - start)
        if run:  # run 0 warms the connections (the policy functions are compiled once per session)
            for mode in modes:
                per_run[mode].append(statistics.median(times[mode]))
            for mode in pairs:
                pairs[mode].extend(t / o for o, t in zip(times['owner'], times[mode]))
    for store in stores.values():
        store.close()
    out: dict = {'runs': runs, 'samples_per_run': samples}
    for mode in modes:
        out[f'{mode}_median_ms'] = statistics.median(per_run[mode]) * 1000
    for mode in pairs:
        out[f'{mode}_ratio'] = out[f'{mode}_median_ms'] / out['owner_median_ms']
        out[f'{mode}_paired_ratio_median'] = statistics.median(pairs[mode])
    return out


def _exporter(url: str, namespace: str, worker: int, count: int, barrier, spans) -> None:
    store = open_store(url)
    barrier.wait()  # connected: start writing together
    start = time.monotonic()
    for i in range(count):
        store.apply(namespace, f'w{worker:02d}-h{i:04d}', [{'type': 'web_backend',
                                                           'data': {'address': '10.0.0.1', 'port': 80 + i}}])
    spans.put((start, time.monotonic()))


def one_concurrent(url: str, admin: PostgreSQLStore, namespace: str, writers: int,
                   per_writer: int) -> tuple[float, float]:
    """(whole, writes): seconds from starting the processes to their end (as bench_exported.py measures),
    and from the first write to the last (start-up and connections excluded)."""
    with admin._transaction() as cur:
        cur.execute('DELETE FROM podim_records WHERE namespace = %s', (namespace,))
    ctx = multiprocessing.get_context('spawn')
    barrier, spans = ctx.Barrier(writers), ctx.Queue()
    procs = [ctx.Process(target=_exporter, args=(url, namespace, w, per_writer, barrier, spans))
             for w in range(writers)]
    begin = time.perf_counter()
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    whole = time.perf_counter() - begin
    times = [spans.get(timeout=5) for _ok in range(sum(1 for proc in procs if proc.exitcode == 0))]
    elapsed = max(end for _start, end in times) - min(start for start, _end in times) if times else 0.0
    failed = sum(1 for proc in procs if proc.exitcode != 0)
    stored = len(admin.query(namespace, ['web_backend']))
    if failed or stored != writers * per_writer:
        raise SystemExit(f'concurrent exporters: {failed} writers failed, {stored} of {writers * per_writer} stored')
    return whole, elapsed


def bench_concurrent(urls: dict[str, str], admin: PostgreSQLStore, namespaces: dict[str, str], runs: int,
                     writers: int, per_writer: int) -> dict:
    whole: dict[str, list[float]] = {mode: [] for mode in urls}
    writing: dict[str, list[float]] = {mode: [] for mode in urls}
    for run in range(runs):
        order = list(urls) if run % 2 == 0 else list(reversed(list(urls)))
        for mode in order:
            total, elapsed = one_concurrent(urls[mode], admin, namespaces[mode], writers, per_writer)
            whole[mode].append(total)
            writing[mode].append(elapsed)
    writes = writers * per_writer
    out: dict = {'writers': writers, 'writes': writes, 'runs': runs}
    for mode in urls:
        out[f'{mode}_whole_median_s'] = statistics.median(whole[mode])
        out[f'{mode}_median_s'] = statistics.median(writing[mode])
        out[f'{mode}_writes_per_s'] = writes / statistics.median(writing[mode])
    for mode in urls:
        if mode != 'owner':
            out[f'{mode}_whole_ratio'] = out[f'{mode}_whole_median_s'] / out['owner_whole_median_s']
            out[f'{mode}_ratio'] = out[f'{mode}_median_s'] / out['owner_median_s']
    return out


def markdown(results: dict) -> str:
    read, conc = results['read'], results['concurrent']
    lines = [
        '| filtered read (one type, %d hosts, of %s records) | owner (no RLS) | granted role (RLS) | ratio |' % (
            read['returned'], f'{read["records"]:,}'),
        '|---|---|---|---|',
        f'| median of {read["runs"]} runs x {read["samples_per_run"]} reads | {read["owner_median_ms"]:.3f} ms | '
        f'{read["role_median_ms"]:.3f} ms | {read["ratio"]:.3f} (median of paired reads: '
        f'{read["paired_ratio_median"]:.3f}) |',
        '',
    ]
    names = {'owner': 'owner (no RLS)', 'role': 'granted role (RLS)', 'placement': 'role, placement-tied grant'}
    serial = results['serial']
    lines += [f'| one exporter, {serial["runs"]} runs x {serial["samples_per_run"]} writes alternating | median '
              '| ratio | median of paired writes |', '|---|---|---|---|']
    for mode in ('owner', 'role', 'placement'):
        ratio = '1' if mode == 'owner' else f'{serial[f"{mode}_ratio"]:.3f}'
        paired = '1' if mode == 'owner' else f'{serial[f"{mode}_paired_ratio_median"]:.3f}'
        lines.append(f'| {names[mode]} | {serial[f"{mode}_median_ms"]:.3f} ms | {ratio} | {paired} |')
    lines.append('')
    lines += [
        f'| {conc["writers"]} concurrent exporters, {conc["writes"]:,} writes | whole (start-up included) | ratio '
        '| first to last write | writes/s | ratio |',
        '|---|---|---|---|---|---|',
    ]
    for mode in ('owner', 'role', 'placement'):
        whole = '1' if mode == 'owner' else f'{conc[f"{mode}_whole_ratio"]:.3f}'
        ratio = '1' if mode == 'owner' else f'{conc[f"{mode}_ratio"]:.3f}'
        lines.append(f'| {names[mode]} | {conc[f"{mode}_whole_median_s"]:.2f} s | {whole} | '
                     f'{conc[f"{mode}_median_s"]:.2f} s | {conc[f"{mode}_writes_per_s"]:.0f} | {ratio} |')
    return '\n'.join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=5)
    parser.add_argument('--markdown', action='store_true')
    parser.add_argument('--quick', action='store_true', default=bool(os.environ.get('PODIM_FLEET_BENCH_QUICK')),
                        help='tiny sizes, one run: proves the benchmark works (the test command uses it)')
    args = parser.parse_args()
    url = os.environ.get('PODIM_FLEET_TEST_PG_URL')
    if not url:
        print('bench_rls: PODIM_FLEET_TEST_PG_URL is not set: nothing to measure (scripts/with-pg.sh sets it)')
        return
    hosts, types, samples, per_writer = (1000, 100, 200, 50) if not args.quick else (100, 10, 5, 5)
    runs = 1 if args.quick else args.runs
    tag = uuid.uuid4().hex[:8]
    role, password = f'podim_bench_{tag}', uuid.uuid4().hex
    ns = {'read': f'bench-rls-{tag}', 'owner': f'bench-rls-{tag}-owner', 'role': f'bench-rls-{tag}-role',
          'placement': f'bench-rls-{tag}-placement'}
    admin = PostgreSQLStore(url)
    grants = GrantAdmin(admin)
    results: dict = {}
    try:
        grants.run(role, [ns['read'], ns['role'], ns['placement']], ['read', 'write'], None, None, 'present',
                   True, password=password)
        # placement: web_backend only for members of `web`, a decision of 1,000 hosts (the exporters' among them)
        grants.run(role, [ns['placement']], ['write'], ['web_backend'], 'web', 'present', False)
        members = [{'host': f'w{w:02d}-h{i:04d}'} for w in range(20) for i in range(per_writer)]
        members += [{'host': f'other{i:04d}'} for i in range(max(0, 1000 - len(members)))]
        admin.decide(ns['placement'], lambda previous: {'web': {'v': 1, 'group': 'web', 'members': members}})
        fill(admin, ns['read'], hosts, types)
        team = role_url(url, role, password)
        results['read'] = bench_read({'owner': url, 'role': team}, ns['read'], runs, hosts, samples)
        results['read']['records'] = hosts * types
        results['serial'] = bench_serial_writes({'owner': url, 'role': team, 'placement': team}, ns, runs, samples,
                                                per_writer)
        results['concurrent'] = bench_concurrent({'owner': url, 'role': team, 'placement': team}, admin, ns, runs,
                                                 20, per_writer)
    finally:
        close_all()
        with admin._transaction() as cur:
            for namespace in ns.values():
                cur.execute('DELETE FROM podim_records WHERE namespace = %s', (namespace,))
                cur.execute('DELETE FROM podim_decisions WHERE namespace = %s', (namespace,))
        grants.run(role, list(ns.values()), None, None, None, 'absent', False)
        with admin._transaction() as cur:
            cur.execute(f'DROP ROLE IF EXISTS "{role}"')
        admin.close()
    print(json.dumps(results, indent=2))
    if args.markdown:
        print(markdown(results))
    slow = [name for name, value in (('read', results['read']['ratio']),
                                     ('concurrent (whole)', results['concurrent']['role_whole_ratio']),
                                     ('concurrent (writes)', results['concurrent']['role_ratio']),
                                     ('one exporter (paired writes)',
                                      results['serial']['role_paired_ratio_median'])) if value > 1.10]
    if slow and not args.quick:
        print(f'bench_rls: over the 10 % goal: {", ".join(slow)}', file=sys.stderr)


if __name__ == '__main__':
    main()
