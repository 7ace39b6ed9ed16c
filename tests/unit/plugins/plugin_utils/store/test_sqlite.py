# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What only the SQLite backend does: the file, its mode, WAL, schema versions, concurrency."""

from __future__ import annotations

import multiprocessing
import os
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


def test_not_a_database_is_an_error_and_left_alone(tmp_path):
    path = tmp_path / 'notes.txt'
    path.write_text('my precious notes\n' * 100)
    with pytest.raises(StoreError, match='not a usable SQLite database'):
        open_store(f'sqlite:///{path}')
    assert path.read_text() == 'my precious notes\n' * 100


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
