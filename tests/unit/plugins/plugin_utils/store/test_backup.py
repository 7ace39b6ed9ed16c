# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Backups: a plain copy of a SQLite store after a real ansible-playbook run is complete, and the commands
of docs/exported-facts.md "Backup and restore" work as written, on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import subprocess
import urllib.parse
import uuid
from pathlib import Path

import pytest

from ansible_collections.podim.fleet.plugins.plugin_utils.store import close_all, open_store

DOC = Path(__file__).parents[5] / 'docs' / 'exported-facts.md'
# the example names the documented commands use, replaced by the test's own
DOC_STORE = '~/.ansible/podim_fleet.sqlite'
DOC_BACKUP = '/var/backups/podim_fleet.sqlite'
DOC_PG_SOURCE = 'postgresql://fleet@db.example.com/fleet'
DOC_PG_TARGET = 'postgresql://fleet@db2.example.com/fleet'

EXPORT_PLAYBOOK = """
- hosts: all
  gather_facts: false
  tasks:
    - name: export
      podim.fleet.export:
        type: backup_probe
        key: "{{ item }}"
        data: {name: "{{ inventory_hostname }}", n: "{{ item }}"}
      loop: [a, b, c]
"""


def doc_commands(backend: str) -> list[str]:
    """The shell blocks of the "Backup and restore" section for one backend, in order."""
    text = DOC.read_text(encoding='utf-8')
    section = text.split('\n## Backup and restore\n', 1)[1].split('\n## ', 1)[0]
    part = section.split(f'\n### {backend}\n', 1)[1].split('\n### ', 1)[0]
    return re.findall(r'```sh\n(.*?)```', part, re.S)


def run_doc(block: str, replace: dict[str, str], env: dict[str, str] | None = None) -> None:
    for doc_name, real in replace.items():
        block = block.replace(doc_name, real)
    proc = subprocess.run(['bash', '-euo', 'pipefail', '-c', block], env=dict(os.environ, **(env or {})),
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, f'{block}\n{proc.stdout}{proc.stderr}'


def records(url: str, namespace: str) -> list[tuple]:
    found = open_store(url, create=False).query(namespace, ['backup_probe', 't'])
    close_all()
    return [tuple(rec) for rec in found]


# -- SQLite --------------------------------------------------------------

def test_plain_copy_after_a_playbook_run_is_complete(tmp_path, run_playbook, local_inventory):
    """ansible's workers exit without closing the store: their records must still be in the file itself."""
    store = tmp_path / 'store' / 'fleet.sqlite'
    hosts = {f'web{i}': {} for i in range(8)}
    run = run_playbook(EXPORT_PLAYBOOK, local_inventory(hosts),
                       env={'PODIM_FLEET_STORE': f'sqlite:///{store}', 'ANSIBLE_FORKS': '5'})
    assert run.rc == 0, run.out[-3000:]
    backup = tmp_path / 'backup' / 'fleet.sqlite'
    backup.parent.mkdir()
    shutil.copyfile(store, backup)  # the file alone, as a naive backup would
    found = records(f'sqlite:///{backup}', 'default')
    assert sorted((rec[1], rec[3]) for rec in found) == sorted((h, k) for h in hosts for k in 'abc')
    assert found == records(f'sqlite:///{store}', 'default')


def _sqlite_store(tmp_path, namespace):
    home = tmp_path / 'home'
    store = home / '.ansible' / 'podim_fleet.sqlite'
    url = f'sqlite:///{store}'
    writer = open_store(url)
    for i in range(30):
        writer.apply(namespace, f'h{i}', [{'type': 't', 'data': {'n': i}, 'tags': ['prod']}])
    return home, store, url


@pytest.mark.parametrize('how', ['plain copy', 'online', 'sqlite3 shell'])
def test_documented_sqlite_backup_and_restore(tmp_path, namespace, how):
    backup_block = {'plain copy': 0, 'online': 1, 'sqlite3 shell': 2}[how]
    blocks = doc_commands('SQLite')
    assert len(blocks) == 4, 'plain copy, online backup, sqlite3 shell, restore'
    assert 'cp ' in blocks[0] and 'backup(' in blocks[1] and '.backup' in blocks[2] and 'install' in blocks[3]
    if how == 'sqlite3 shell' and not shutil.which('sqlite3'):
        pytest.skip('the sqlite3 shell is not installed (Debian package sqlite3)')
    home, store, url = _sqlite_store(tmp_path, namespace)
    if how == 'plain copy':
        close_all()  # "once no run is going"
    # else: the writer is still open, its records partly in the log, as during a run
    expected = [tuple(r) for r in open_store(url).query(namespace, ['t'])]
    backup = tmp_path / 'backups' / 'podim_fleet.sqlite'
    backup.parent.mkdir()
    replace = {DOC_BACKUP: str(backup)}
    run_doc(blocks[backup_block], replace, env={'HOME': str(home)})
    close_all()

    # the fleet changes after the backup; restoring brings back the backed-up state
    open_store(url).apply(namespace, 'late', [{'type': 't', 'data': {}}])
    open_store(url).purge(namespace, ['h0'])
    close_all()
    run_doc(blocks[3], replace, env={'HOME': str(home)})
    assert records(url, namespace) == expected
    assert oct(store.stat().st_mode & 0o777) == '0o600'


# -- PostgreSQL ----------------------------------------------------------

def _pg_bin() -> str:
    found = sorted(glob.glob('/usr/lib/postgresql/*/bin/pg_dump'), key=lambda p: int(p.split('/')[4]))
    if not found:
        pytest.skip('no PostgreSQL client binaries under /usr/lib/postgresql')
    return os.path.dirname(found[-1])


@pytest.fixture
def empty_database(pg_url):
    """A new, empty database on the test server, dropped afterwards."""
    import psycopg
    name = f'podim_restore_{uuid.uuid4().hex[:10]}'
    with contextlib.closing(psycopg.connect(pg_url, autocommit=True)) as conn:
        conn.execute(f'CREATE DATABASE {name}')
    yield name
    close_all()
    with contextlib.closing(psycopg.connect(pg_url, autocommit=True)) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS {name} WITH (FORCE)')


def test_documented_postgresql_backup_and_restore(pg_url, namespace, empty_database, tmp_path):
    blocks = doc_commands('PostgreSQL')
    assert len(blocks) == 2 and 'pg_dump' in blocks[0] and 'pg_restore' in blocks[1]
    parsed = urllib.parse.urlsplit(pg_url)
    user, password = urllib.parse.unquote(parsed.username), urllib.parse.unquote(parsed.password)
    host, port, db = parsed.hostname, parsed.port, parsed.path.lstrip('/')
    # the documented way: no password in the URL, a password file instead
    passfile = tmp_path / 'pgpass'
    passfile.write_text(f'{host}:{port}:*:{user}:{password}\n')
    passfile.chmod(0o600)
    env = {'PGPASSFILE': str(passfile), 'PATH': f'{_pg_bin()}:{os.environ["PATH"]}'}
    source = f'postgresql://{user}@{host}:{port}/{db}'
    target = f'postgresql://{user}@{host}:{port}/{empty_database}'

    writer = open_store(pg_url)
    for i in range(30):
        writer.apply(namespace, f'h{i}', [{'type': 't', 'data': {'n': i, 'text': 'ünïcödé'}, 'tags': ['prod']}])
    writer.decide(namespace, lambda previous: {'dns': {'members': ['h1', 'h2']}})
    expected = records(pg_url, namespace)
    decisions = open_store(pg_url).load_decisions(namespace)

    os.chdir(tmp_path)  # the dump file is written where the commands run
    replace = {DOC_PG_SOURCE: source, DOC_PG_TARGET: target}
    run_doc(blocks[0], replace, env)
    run_doc(blocks[1], replace, env)
    restored_url = f'postgresql://{user}:{urllib.parse.quote(password, safe="")}@{host}:{port}/{empty_database}'
    assert records(restored_url, namespace) == expected
    assert open_store(restored_url).load_decisions(namespace) == decisions
