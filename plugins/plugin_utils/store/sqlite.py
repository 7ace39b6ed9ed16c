# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The embedded SQLite backend: one file, one controller, zero set-up."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import typing as t

from ansible_collections.podim.fleet.plugins.plugin_utils.store.base import SCHEMA_VERSION, Store, StoreError

BUSY_TIMEOUT_S = 60.0


class SQLiteStore(Store):
    placeholder = '?'

    def __init__(self, url: str, path: str, create: bool = True) -> None:
        self.url = url
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._connect(create)

    def _connect(self, create: bool = True) -> None:
        exists = os.path.exists(self.path)
        if not exists and not create:
            raise StoreError(f'store {self.url} does not exist (no file {self.path}): nothing has been exported '
                             'into it yet, or store_url / PODIM_FLEET_STORE points to the wrong place')
        if exists and not os.path.isfile(self.path):
            raise StoreError(f'store {self.url}: {self.path} is not a file')
        if not exists:
            directory = os.path.dirname(self.path) or '.'
            try:
                os.makedirs(directory, mode=0o700, exist_ok=True)
                # create it 0600 ourselves: sqlite3 would honour the umask
                os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
            except OSError as exc:
                raise StoreError(f'store {self.url}: cannot create {self.path}: {exc.strerror}') from None
        try:
            # autocommit mode: transactions are opened explicitly below
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
            conn.execute(f'PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}')
            mode = conn.execute('PRAGMA journal_mode = WAL').fetchone()[0]
            conn.execute('PRAGMA synchronous = NORMAL')
        except sqlite3.DatabaseError as exc:
            raise StoreError(f'store {self.url}: {self.path} is not a usable SQLite database: {exc}') from None
        if mode.lower() != 'wal':
            raise StoreError(f'store {self.url}: cannot switch {self.path} to WAL mode (got {mode})')
        self._conn = conn
        self._ensure_schema()

    def _ensure_schema(self) -> None:
        conn = self._require()
        try:
            row = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'podim_schema'").fetchone()
            if row is not None:
                current = conn.execute('SELECT version FROM podim_schema').fetchone()
                if current is not None and current[0] == SCHEMA_VERSION:
                    return
        except sqlite3.DatabaseError as exc:
            raise StoreError(f'store {self.url}: {self.path} is not a usable SQLite database: {exc}') from None
        with self._transaction() as cur:
            self._migrate(cur, 'REAL')

    def _require(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f'store {self.url} is closed')
        return self._conn

    @contextlib.contextmanager
    def _transaction(self, lock: str | None = None) -> t.Iterator[sqlite3.Cursor]:
        # BEGIN IMMEDIATE takes SQLite's single write lock up front, which
        # also serializes decisions (the named lock is implied).
        conn = self._require()
        cur = conn.cursor()
        try:
            cur.execute('BEGIN IMMEDIATE')
        except sqlite3.OperationalError as exc:
            raise StoreError(f'store {self.url}: cannot start a write transaction: {exc}') from None
        try:
            yield cur
        except BaseException:
            conn.rollback()
            raise
        else:
            try:
                conn.commit()
            except sqlite3.DatabaseError as exc:
                conn.rollback()
                raise StoreError(f'store {self.url}: commit failed: {exc}') from None
        finally:
            cur.close()

    @contextlib.contextmanager
    def _read(self) -> t.Iterator[sqlite3.Cursor]:
        cur = self._require().cursor()
        try:
            yield cur
        except sqlite3.DatabaseError as exc:
            raise StoreError(f'store {self.url}: read failed: {exc}') from None
        finally:
            cur.close()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
