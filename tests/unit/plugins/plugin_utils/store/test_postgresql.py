# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What only the PostgreSQL backend does, against a real server."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import socket
import subprocess
import urllib.parse
import uuid
from pathlib import Path

import pytest

from ansible_collections.podim.fleet.plugins.plugin_utils.store import StoreError, base, open_store
from ansible_collections.podim.fleet.plugins.plugin_utils.store.grants import PG_SCHEMA_VERSION, AccessDenied
from ansible_collections.podim.fleet.plugins.plugin_utils.store.postgresql import PostgreSQLStore
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


# -- schema upgrade of a store made before access control -------------------

@pytest.fixture
def old_store(pg_url):
    """A database of its own holding a version-1 store (no writer, no grants), as earlier releases made it."""
    psycopg = pytest.importorskip('psycopg')
    name = f'podim_old_{uuid.uuid4().hex[:8]}'
    parts = urllib.parse.urlsplit(pg_url)
    maintenance = urllib.parse.urlunsplit(parts._replace(path='/postgres'))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE {name}')
    url = urllib.parse.urlunsplit(parts._replace(path=f'/{name}'))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute('CREATE TABLE podim_schema (version INTEGER NOT NULL)')
        conn.execute('INSERT INTO podim_schema (version) VALUES (1)')
        for statement in base.MIGRATIONS[0]:
            conn.execute(statement.format(ts='DOUBLE PRECISION'))
        conn.execute("INSERT INTO podim_records VALUES ('default', 'ns1', 'dns_server', 'default', "
                     "'{\"address\":\"10.0.0.1\"}', '[]', '{}', 1, 1)")
        conn.execute("INSERT INTO podim_decisions VALUES ('default', 'dns', '{\"v\":1}', 1)")
    yield url, name
    from ansible_collections.podim.fleet.plugins.plugin_utils.store import close_all
    close_all()
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS {name} WITH (FORCE)')


def test_a_store_of_an_earlier_release_is_upgraded_by_its_owner(old_store):
    psycopg = pytest.importorskip('psycopg')
    url, _name = old_store
    # a role that is not the owner cannot upgrade it, and says who can
    role, password = f'pft_{uuid.uuid4().hex[:8]}_old', uuid.uuid4().hex
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        conn.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON podim_schema, podim_records, podim_decisions TO {role}')
    parts = urllib.parse.urlsplit(url)
    role_url = urllib.parse.urlunsplit(parts._replace(netloc=f'{role}:{password}@{parts.netloc.rsplit("@", 1)[-1]}'))
    try:
        with pytest.raises(AccessDenied, match=f"by the owner of its tables, which role '{role}' is not"):
            PostgreSQLStore(role_url)
        store = open_store(url)
        with store._read() as cur:
            cur.execute('SELECT (SELECT version FROM podim_schema), (SELECT version FROM podim_pg_schema)')
            assert cur.fetchone() == (base.SCHEMA_VERSION, PG_SCHEMA_VERSION)
            cur.execute("SELECT relname FROM pg_class WHERE relrowsecurity AND relname LIKE 'podim%' ORDER BY 1")
            assert [row[0] for row in cur.fetchall()] == ['podim_decisions', 'podim_history', 'podim_records']
        # the single-role setup goes on unchanged: the owner reads and writes everything, without grants
        [old] = store.query('default', ['dns_server'])
        assert old.data == {'address': '10.0.0.1'} and old.writer == ''
        assert store.load_decisions('default') == {'dns': {'v': 1}}
        store.apply('default', 'ns2', [{'type': 'dns_server', 'data': {}}])
        assert [r.writer for r in store.query('default', ['dns_server'])] == ['', store.role]
        # the table privileges it had been given by hand before RLS existed now give it nothing
        with psycopg.connect(role_url, autocommit=True) as conn:
            assert conn.execute('SELECT count(*) FROM podim_records').fetchone()[0] == 0
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("INSERT INTO podim_records VALUES ('default', 'x', 't', 'k', '{}', '[]', '{}', 0, 0, '')")
    finally:
        from ansible_collections.podim.fleet.plugins.plugin_utils.store import close_all
        close_all()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'REVOKE ALL ON podim_schema, podim_records, podim_decisions FROM {role}')
        with psycopg.connect(urllib.parse.urlunsplit(parts._replace(path='/postgres')), autocommit=True) as conn:
            conn.execute(f'DROP ROLE {role}')


# -- TLS ------------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[5]


def _openssl_ca(directory: Path) -> Path:
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
                    '-days', '1', '-keyout', str(directory / 'other.key'), '-out', str(directory / 'other.crt'),
                    '-subj', '/CN=some other CA'], check=True, capture_output=True)
    return directory / 'other.crt'


@pytest.fixture(scope='module')
def tls_server(tmp_path_factory):
    """A server of its own with ssl=on and a certificate for `localhost` from a CA made for this run."""
    if not shutil.which('openssl') or not list(Path('/usr/lib/postgresql').glob('*/bin/initdb')):
        pytest.skip('needs openssl and the PostgreSQL server binaries (scripts/apt-install.sh)')
    state = tmp_path_factory.mktemp('pg-tls')
    env = dict(os.environ, PODIM_FLEET_PG_STATE_DIR=str(state), PODIM_FLEET_PG_SSL='1',
               PODIM_FLEET_PG_PORT=str(56500 + os.getpid() % 300))
    script = str(REPO / 'scripts' / 'pg-test-server.sh')
    started = subprocess.run([script, 'start'], env=env, capture_output=True, text=True, timeout=300, check=False)
    assert started.returncode == 0, started.stderr
    try:
        yield started.stdout.strip(), state / 'ca.crt'
    finally:
        subprocess.run([script, 'stop'], env=env, capture_output=True, timeout=120, check=False)


def _tls_url(url: str, host: str, ca: Path, mode: str = 'verify-full') -> str:
    parts = urllib.parse.urlsplit(url)
    userinfo, hostport = parts.netloc.rsplit('@', 1)
    port = hostport.rsplit(':', 1)[1]
    # hostaddr: where to connect; host: the name the certificate must carry
    query = urllib.parse.urlencode({'sslmode': mode, 'sslrootcert': str(ca), 'hostaddr': '127.0.0.1'})
    return urllib.parse.urlunsplit(parts._replace(netloc=f'{userinfo}@{host}:{port}', query=query))


def test_tls_verify_full_against_the_test_ca(tls_server, namespace):
    url, ca = tls_server
    store = open_store(_tls_url(url, 'localhost', ca))
    with store._read() as cur:
        cur.execute('SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()')
        ssl, version = cur.fetchone()
    assert ssl and version.startswith('TLSv1.')
    assert store.apply(namespace, 'h1', [{'type': 't', 'data': {}}])
    assert [r.host for r in store.query(namespace, ['t'])] == ['h1']


def test_tls_wrong_ca_fails(tls_server, tmp_path):
    url, _ca = tls_server
    with pytest.raises(StoreError, match='certificate verify failed'):
        open_store(_tls_url(url, 'localhost', _openssl_ca(tmp_path)))


def test_tls_wrong_host_name_fails(tls_server):
    url, ca = tls_server
    with pytest.raises(StoreError, match='does not match host name "fleet-db.example"'):
        open_store(_tls_url(url, 'fleet-db.example', ca))
    # verify-ca checks the chain but not the name: only verify-full catches a wrong host
    assert open_store(_tls_url(url, 'fleet-db.example', ca, mode='verify-ca'))


def _same_records_writer(url, namespace, worker, count, barrier):
    store = open_store(url)
    barrier.wait()
    for i in range(count):
        store.apply(namespace, 'shared-host', [{'type': 't', 'key': f'k{i:03d}', 'data': {'by': worker}}])


def test_writers_racing_to_create_the_same_records_all_succeed(namespace, pg_url):
    """Each write is a plain INSERT when the record was absent: the loser of a race retries, nothing fails."""
    open_store(pg_url)
    ctx = multiprocessing.get_context('spawn')
    barrier = ctx.Barrier(6)
    procs = [ctx.Process(target=_same_records_writer, args=(pg_url, namespace, w, 40, barrier)) for w in range(6)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
    assert [proc.exitcode for proc in procs] == [0] * 6
    records = open_store(pg_url).query(namespace, ['t'])
    assert [r.key for r in records] == [f'k{i:03d}' for i in range(40)]
    assert all(r.data['by'] in range(6) for r in records)


def test_an_insert_that_lost_the_race_is_retried_as_an_update(namespace, pg_url, monkeypatch):
    """The record appears between this writer's read and its INSERT (forced here): the transaction runs again."""
    store = open_store(pg_url)
    store.apply(namespace, 'h1', [{'type': 't', 'data': {'v': 1}}])
    real_fetch, calls = PostgreSQLStore._fetch_one, []

    def fetch_missing_once(self, cur, *args):
        calls.append(args)
        return None if len(calls) == 1 else real_fetch(self, cur, *args)

    monkeypatch.setattr(PostgreSQLStore, '_fetch_one', fetch_missing_once)
    changes = store.apply(namespace, 'h1', [{'type': 't', 'data': {'v': 2}}])
    assert len(calls) == 2
    assert changes == [{'type': 't', 'key': 'default', 'before': {'data': {'v': 1}, 'tags': []},
                        'after': {'data': {'v': 2}, 'tags': []}}]
    assert [r.data for r in store.query(namespace, ['t'])] == [{'v': 2}]


def test_a_conflict_that_never_resolves_fails_and_writes_nothing(namespace, pg_url, monkeypatch):
    store = open_store(pg_url)
    store.apply(namespace, 'h1', [{'type': 't', 'data': {'v': 1}}])
    monkeypatch.setattr(PostgreSQLStore, '_fetch_one', lambda self, cur, *args: None)
    with pytest.raises(base.WriteConflict, match='another writer stored the same record'):
        store.apply(namespace, 'h1', [{'type': 'u', 'data': {}}, {'type': 't', 'data': {'v': 2}}])
    assert [(r.type, r.data) for r in store.query(namespace, ['t', 'u'])] == [('t', {'v': 1})]
