# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What only the SQLite backend does: the file, its mode, WAL, schema versions, concurrency."""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
import shutil
import sqlite3
import stat

import pytest

from ansible_collections.podim.fleet.plugins.plugin_utils.store import (
    StoreError, base, close_all, open_store, sqlite_path,
)


def test_created_on_first_use_with_mode_0600_and_wal(tmp_path):
    path = tmp_path / 'deep' / 'dir' / 'fleet.sqlite'
    store = open_store(f'sqlite:///{path}')
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    with sqlite3.connect(path) as conn:
        assert conn.execute('PRAGMA journal_mode').fetchone()[0] == 'wal'
        assert conn.execute('SELECT version FROM podim_schema').fetchone()[0] == base.SCHEMA_VERSION
    store.close()


def test_reader_never_creates_a_store(tmp_path):
    with pytest.raises(StoreError, match='does not exist'):
        open_store(f'sqlite:///{tmp_path}/missing.sqlite', create=False)
    assert not (tmp_path / 'missing.sqlite').exists()


def test_a_reader_opens_with_one_statement_and_a_writer_prepares_on_its_first_write(tmp_path, monkeypatch):
    """Each forked worker opens the store again: a lookup pays only what reading needs."""
    url = f'sqlite:///{tmp_path}/fleet.sqlite'
    open_store(url).apply('default', 'h1', [{'type': 't', 'data': {}}])
    close_all()
    statements = []
    connect = sqlite3.connect

    def traced(*args, **kwargs):
        conn = connect(*args, **kwargs)
        conn.set_trace_callback(statements.append)
        return conn
    monkeypatch.setattr(sqlite3, 'connect', traced)
    store = open_store(url, create=False)
    assert statements == ['SELECT version FROM podim_schema']
    assert [r.host for r in store.query('default', ['t'])] == ['h1']
    assert not any(stmt.startswith('PRAGMA') for stmt in statements)
    store.apply('default', 'h2', [{'type': 't', 'data': {}}])
    assert 'PRAGMA synchronous = NORMAL' in statements
    assert statements.index('PRAGMA synchronous = NORMAL') < statements.index('BEGIN IMMEDIATE')
    close_all()


@pytest.mark.parametrize('url, match', [
    ('sqlite:', 'sqlite:///'),
    ('sqlite:///', 'names no file'),
    ('mysql://x/y', 'not supported'),
    ('just-a-path', 'not supported'),
])
def test_bad_urls(url, match):
    with pytest.raises(StoreError, match=match):
        open_store(url)


def test_url_forms(tmp_path, monkeypatch):
    monkeypatch.setenv('HOME', str(tmp_path))
    assert sqlite_path('sqlite:///~/a.sqlite') == f'{tmp_path}/a.sqlite'
    assert sqlite_path('sqlite:////abs/b.sqlite') == '/abs/b.sqlite'
    monkeypatch.chdir(tmp_path)
    assert sqlite_path('sqlite:///rel/c.sqlite') == f'{tmp_path}/rel/c.sqlite'


def test_newer_schema_is_refused(tmp_path):
    url = f'sqlite:///{tmp_path}/s.sqlite'
    open_store(url).close()
    close_all()
    with sqlite3.connect(tmp_path / 's.sqlite') as conn:
        conn.execute('UPDATE podim_schema SET version = 99')
    with pytest.raises(StoreError, match='newer than this podim.fleet'):
        open_store(url)


def test_schema_migrates_from_version_zero(tmp_path):
    """A store created by an older release (no tables yet) is brought up to date."""
    path = tmp_path / 'old.sqlite'
    with sqlite3.connect(path) as conn:
        conn.execute('CREATE TABLE podim_schema (version INTEGER NOT NULL)')
        conn.execute('INSERT INTO podim_schema VALUES (0)')
    store = open_store(f'sqlite:///{path}')
    store.apply('default', 'h1', [{'type': 't', 'data': {}}])
    assert [r.host for r in store.query('default', ['t'])] == ['h1']


def test_one_store_per_process_and_url(tmp_path):
    url = f'sqlite:///{tmp_path}/s.sqlite'
    assert open_store(url) is open_store(url)


def _writer(url, worker, count):
    store = open_store(url)
    for i in range(count):
        store.apply('default', f'w{worker}-h{i}', [{'type': 't', 'data': {'n': i}}])


def test_concurrent_writers_lose_nothing(tmp_path):
    url = f'sqlite:///{tmp_path}/s.sqlite'
    open_store(url)
    ctx = multiprocessing.get_context('fork')
    procs = [ctx.Process(target=_writer, args=(url, w, 40)) for w in range(8)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    assert len(open_store(url).query('default', ['t'])) == 8 * 40


# -- first use by many processes at once ---------------------------------

def _first_user(url, barrier, worker, errors):
    try:
        barrier.wait(60)
        open_store(url).apply('default', f'h{worker}', [{'type': 't', 'data': {'n': worker}}])
    except Exception as exc:  # reported to the test, which names the round and the error
        errors.put(f'worker {worker}: {exc!r}')


def test_concurrent_first_use_every_writer_succeeds(tmp_path):
    """Many processes create and write one store that does not exist yet: none fails, nothing is lost.

    Before the store was built aside and linked into place, a process now and
    then failed with "database is locked" while another switched the new file
    to WAL or created the schema.
    """
    ctx = multiprocessing.get_context('fork')
    workers, rounds = 24, 30
    for round_ in range(rounds):
        directory = tmp_path / f'round{round_}'
        url = f'sqlite:///{directory}/fleet.sqlite'
        barrier, errors = ctx.Barrier(workers), ctx.Queue()
        procs = [ctx.Process(target=_first_user, args=(url, barrier, w, errors)) for w in range(workers)]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(120)
        failures = []
        while not errors.empty():
            failures.append(errors.get())
        assert not failures, f'round {round_}: {failures}'
        assert [proc.exitcode for proc in procs] == [0] * workers
        assert len(open_store(url, create=False).query('default', ['t'])) == workers
        close_all()
        # no temporary file is left behind, and the last process out removed the WAL
        assert sorted(os.listdir(directory)) == ['fleet.sqlite'], f'round {round_}'


def test_a_new_store_is_complete_in_its_file(tmp_path):
    """The schema is in the database file itself, not only in a -wal, from the moment the file exists."""
    path = tmp_path / 'fleet.sqlite'
    store = open_store(f'sqlite:///{path}')
    copy = tmp_path / 'copy.sqlite'
    shutil.copyfile(path, copy)
    with contextlib.closing(sqlite3.connect(copy)) as conn:
        assert conn.execute('SELECT version FROM podim_schema').fetchone()[0] == base.SCHEMA_VERSION
    store.close()


def test_a_store_of_an_older_release_is_switched_to_wal(tmp_path):
    path = tmp_path / 'old.sqlite'
    with contextlib.closing(sqlite3.connect(path)) as conn:
        with conn:
            conn.execute('CREATE TABLE podim_schema (version INTEGER NOT NULL)')
            conn.execute('INSERT INTO podim_schema VALUES (0)')
    open_store(f'sqlite:///{path}').apply('default', 'h1', [{'type': 't', 'data': {}}])
    close_all()
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute('PRAGMA journal_mode').fetchone()[0] == 'wal'


# -- files that are not stores -------------------------------------------

def _other_sqlite(path, wal):
    with contextlib.closing(sqlite3.connect(path)) as conn:
        if wal:
            conn.execute('PRAGMA journal_mode = WAL')
        with conn:
            conn.execute('CREATE TABLE contacts (name TEXT, phone TEXT)')
            conn.execute("INSERT INTO contacts VALUES ('ada', '555-0100')")


NOT_STORES = {
    'another application database': lambda p: _other_sqlite(p, wal=False),
    'another application database in WAL mode': lambda p: _other_sqlite(p, wal=True),
    'empty file': lambda p: p.write_bytes(b''),
    'text file': lambda p: p.write_text('my precious notes\n' * 100),
    'short file starting like SQLite': lambda p: p.write_bytes(b'SQLite format 3\x00'),
}


def _sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize('create', [True, False], ids=['writer', 'reader'])
@pytest.mark.parametrize('kind', list(NOT_STORES))
def test_a_file_that_is_not_a_store_is_refused_and_left_unchanged(tmp_path, kind, create):
    path = tmp_path / 'data.db'
    NOT_STORES[kind](path)
    before, listing = _sha256(path), sorted(os.listdir(tmp_path))
    url = f'sqlite:///{path}'
    with pytest.raises(StoreError) as info:
        open_store(url, create=create)
    message = str(info.value)
    assert url in message and f'{path} is not a podim.fleet store' in message
    close_all()
    assert _sha256(path) == before
    assert sorted(os.listdir(tmp_path)) == listing  # no -wal, -shm or temporary file left


def test_a_symlink_to_a_store_is_followed(tmp_path):
    target = tmp_path / 'real' / 'fleet.sqlite'
    open_store(f'sqlite:///{target}').apply('default', 'h1', [{'type': 't', 'data': {}}])
    close_all()
    link = tmp_path / 'link.sqlite'
    link.symlink_to(target)
    store = open_store(f'sqlite:///{link}')
    store.apply('default', 'h2', [{'type': 't', 'data': {}}])
    close_all()
    assert link.is_symlink()
    assert [r.host for r in open_store(f'sqlite:///{target}', create=False).query('default', ['t'])] == ['h1', 'h2']


@pytest.mark.parametrize('create', [True, False], ids=['writer', 'reader'])
def test_a_symlink_to_something_else_is_refused(tmp_path, create):
    notes = tmp_path / 'notes.txt'
    notes.write_text('not a store\n')
    link = tmp_path / 'to-notes.sqlite'
    link.symlink_to(notes)
    with pytest.raises(StoreError, match='is not a podim.fleet store'):
        open_store(f'sqlite:///{link}', create=create)
    assert notes.read_text() == 'not a store\n'

    dangling = tmp_path / 'dangling.sqlite'
    dangling.symlink_to(tmp_path / 'nowhere' / 'fleet.sqlite')
    with pytest.raises(StoreError, match='symbolic link to .*nowhere/fleet.sqlite, which does not exist'):
        open_store(f'sqlite:///{dangling}', create=create)
    assert not (tmp_path / 'nowhere').exists()

    to_dir = tmp_path / 'to-dir.sqlite'
    to_dir.symlink_to(tmp_path)
    with pytest.raises(StoreError, match='is not a file'):
        open_store(f'sqlite:///{to_dir}', create=create)


# -- a plain copy of the file is a complete backup once writers are gone --

def _export_and_exit(url, hosts):
    store = open_store(url)
    for host in hosts:
        store.apply('default', host, [{'type': 't', 'data': {'host': host}}])
    # like the workers of a play's last task, which ansible-playbook terminates: no exit handler runs
    os._exit(0)


def test_records_are_in_the_file_once_writers_have_exited(tmp_path):
    path = tmp_path / 'fleet.sqlite'
    url = f'sqlite:///{path}'
    ctx = multiprocessing.get_context('fork')
    procs = [ctx.Process(target=_export_and_exit, args=(url, [f'w{w}-h{i}' for i in range(20)])) for w in range(4)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    assert (tmp_path / 'fleet.sqlite-wal').exists(), 'nobody closed the store'
    copy = tmp_path / 'backup' / 'fleet.sqlite'
    copy.parent.mkdir()
    shutil.copyfile(path, copy)
    assert len(open_store(f'sqlite:///{copy}', create=False).query('default', ['t'])) == 80


def test_close_leaves_a_complete_file(tmp_path):
    path = tmp_path / 'fleet.sqlite'
    store = open_store(f'sqlite:///{path}')
    store.apply('default', 'h1', [{'type': 't', 'data': {}}])
    close_all()
    assert not (tmp_path / 'fleet.sqlite-wal').exists()
    with contextlib.closing(sqlite3.connect(f'file:{path}?immutable=1', uri=True)) as conn:
        assert conn.execute('SELECT host FROM podim_records').fetchall() == [('h1',)]


def _reexport_and_exit(url, data):
    open_store(url).apply('default', 'h1', [{'type': 't', 'data': data}])
    os._exit(0)


def test_an_unchanged_export_is_not_checkpointed_a_changed_one_is(tmp_path):
    """Refreshing `seen` (every unchanged export, every run) skips the checkpoint; a real change never does."""
    path = tmp_path / 'fleet.sqlite'
    url = f'sqlite:///{path}'
    open_store(url).apply('default', 'h1', [{'type': 't', 'data': {'v': 1}}])
    close_all()
    ctx = multiprocessing.get_context('fork')

    def in_the_file() -> tuple:
        with contextlib.closing(sqlite3.connect(f'file:{path}?immutable=1', uri=True)) as conn:
            return conn.execute('SELECT data, seen FROM podim_records').fetchone()
    data, seen = in_the_file()
    for new_data, changed in (({'v': 1}, False), ({'v': 2}, True)):
        proc = ctx.Process(target=_reexport_and_exit, args=(url, new_data))
        proc.start()
        proc.join(60)
        assert proc.exitcode == 0
        if changed:
            assert in_the_file()[0] == '{"v":2}'
        else:
            assert in_the_file() == (data, seen)  # still only in the log, which SQLite reads
            assert open_store(url, create=False).query('default', ['t'])[0].data == {'v': 1}
            close_all()
