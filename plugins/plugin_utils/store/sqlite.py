# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The embedded SQLite backend: one file, one controller, zero set-up.

A store is created complete (WAL mode, schema) in a temporary file and
published with one link(2), so concurrent first users never see a half-made
store and never need an exclusive lock to finish one.  An existing file is
used only when it already is a podim.fleet store; anything else is left
exactly as it was.
"""

from __future__ import annotations

import contextlib
import errno
import multiprocessing.util
import os
import random
import sqlite3
import tempfile
import time
import typing as t

from ansible_collections.podim.fleet.plugins.plugin_utils.store.base import SCHEMA_VERSION, Store, StoreError
from ansible_collections.podim.fleet.plugins.plugin_utils.store.urls import redact

BUSY_TIMEOUT_S = 60.0
SQLITE_MAGIC = b'SQLite format 3\x00'
# runs before multiprocessing joins children and before its other finalizers
EXIT_PRIORITY = 10
# how long a write may wait for other processes' checkpoints before it leaves its records in the WAL
CHECKPOINT_TIMEOUT_S = 10.0


class _NotAStore(Exception):
    """The file is a database, but not one of ours."""


def _is_busy(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return 'database is locked' in text or 'database is busy' in text or 'locking protocol' in text


def _close_at_exit(conn: sqlite3.Connection, owner_pid: int) -> None:
    """Close at exit, so that the last process out removes the -wal and -shm files.

    Runs at exit of every process that opened the store (ansible's workers
    included, unless killed: multiprocessing runs finalizers before os._exit).
    Completeness of the file does not depend on it: every write checkpoints.
    """
    if os.getpid() != owner_pid:
        return  # a connection must never be used across a fork
    try:
        # never waits; copies what a checkpoint that gave up (busy) left behind
        conn.execute('PRAGMA wal_checkpoint(PASSIVE)').fetchall()
    except sqlite3.Error:
        pass
    try:
        conn.close()
    except sqlite3.Error:
        pass


class SQLiteStore(Store):
    placeholder = '?'

    def __init__(self, url: str, path: str, create: bool = True) -> None:
        self.url = redact(url)
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._changes = 0  # total_changes at the last checkpoint
        self._writes_prepared = False
        self._seen_only = False  # the current transaction only refreshes seen times
        self._finalizer: multiprocessing.util.Finalize | None = None
        self._connect(create)

    def _not_a_store(self, why: str) -> StoreError:
        return StoreError(f'store {self.url}: {self.path} is not a podim.fleet store ({why}); it was left unchanged. '
                          'Point store_url / PODIM_FLEET_STORE at a store, or at a path that does not exist yet '
                          'to create one there')

    def _connect(self, create: bool = True) -> None:
        if not os.path.lexists(self.path):
            if not create:
                raise StoreError(f'store {self.url} does not exist (no file {self.path}): nothing has been exported '
                                 'into it yet, or store_url / PODIM_FLEET_STORE points to the wrong place')
            self._create()
        elif not os.path.exists(self.path):
            # creating through a dangling link would put the store somewhere nobody asked for
            raise StoreError(f'store {self.url}: {self.path} is a symbolic link to {os.readlink(self.path)}, '
                             'which does not exist; create the store at a real path or fix the link')
        if not os.path.isfile(self.path):
            raise StoreError(f'store {self.url}: {self.path} is not a file')
        self._check_header()
        conn, version = self._open_existing()
        self._conn = conn
        self._writes_prepared = False
        self._finalizer = multiprocessing.util.Finalize(self, _close_at_exit, args=(conn, os.getpid()),
                                                        exitpriority=EXIT_PRIORITY)
        self._ensure_schema(version)

    def _create(self) -> None:
        """Build a complete store next to the path, then publish it atomically."""
        directory = os.path.dirname(self.path) or '.'
        try:
            os.makedirs(directory, mode=0o700, exist_ok=True)
            # mkstemp creates it 0600: the store must not honour a lax umask
            handle, tmp = tempfile.mkstemp(prefix=f'.{os.path.basename(self.path)}.', suffix='.new', dir=directory)
            os.close(handle)
        except OSError as exc:
            raise StoreError(f'store {self.url}: cannot create {self.path}: {exc.strerror}') from None
        try:
            try:
                conn = sqlite3.connect(tmp, isolation_level=None)
                try:
                    mode = conn.execute('PRAGMA journal_mode = WAL').fetchone()[0]
                    if mode.lower() != 'wal':
                        raise StoreError(f'store {self.url}: cannot use WAL mode in {directory} (got {mode})')
                    cur = conn.cursor()
                    cur.execute('BEGIN IMMEDIATE')
                    self._migrate(cur, 'REAL')
                    conn.commit()
                finally:
                    # the only connection: closing checkpoints and removes tmp-wal
                    conn.close()
            except sqlite3.Error as exc:
                raise StoreError(f'store {self.url}: cannot create {self.path}: {exc}') from None
            try:
                os.link(tmp, self.path)
            except FileExistsError:
                pass  # another process published its store first: use that one
            except OSError as exc:
                hint = ' (the file system does not support hard links)' if exc.errno in (
                    errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV) else ''
                raise StoreError(f'store {self.url}: cannot create {self.path}: {exc.strerror}{hint}') from None
            else:
                _fsync_dir(directory)
        finally:
            for leftover in (tmp, tmp + '-wal', tmp + '-shm', tmp + '-journal'):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(leftover)

    def _check_header(self) -> None:
        """Refuse what is not SQLite before SQLite opens it (it would treat an empty file as a new database)."""
        try:
            with open(self.path, 'rb') as handle:
                head = handle.read(100)
        except OSError as exc:
            raise StoreError(f'store {self.url}: cannot read {self.path}: {exc.strerror}') from None
        if not head:
            raise self._not_a_store('it is an empty file')
        if len(head) < 100 or not head.startswith(SQLITE_MAGIC):
            raise self._not_a_store('it is not an SQLite database')

    def _open_existing(self) -> tuple[sqlite3.Connection, int | None]:
        """Connect, retrying SQLITE_BUSY that SQLite reports without its busy handler while others set up."""
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        delay = 0.005
        while True:
            try:
                return self._open_once()
            except _NotAStore as exc:
                raise self._not_a_store(str(exc)) from None
            except sqlite3.Error as exc:
                if not _is_busy(exc) or time.monotonic() >= deadline:
                    raise StoreError(f'store {self.url}: cannot open {self.path}: {exc}') from None
            time.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 0.2)

    def _open_once(self) -> tuple[sqlite3.Connection, int | None]:
        """(the connection, the schema version the store has)."""
        # autocommit mode: transactions are opened explicitly below
        # (the timeout is SQLite's busy timeout)
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        try:
            # reads only until the file is known to be ours: one statement, since every worker opens it again
            try:
                row = conn.execute('SELECT version FROM podim_schema').fetchone()
            except sqlite3.DatabaseError as exc:
                if _is_busy(exc):
                    raise
                if str(exc).startswith(('no such table', 'no such column')):
                    raise _NotAStore('an SQLite database without a podim_schema table') from None
                raise _NotAStore(f'SQLite cannot read it: {exc}') from None
        except BaseException:
            conn.close()
            raise
        return conn, (row[0] if row is not None else None)

    def _prepare_writes(self, conn: sqlite3.Connection) -> None:
        """Before this connection's first write: WAL and its durability setting (a reader, one per worker, needs neither)."""
        # reading the journal mode takes no lock; only a store made by an
        # older release needs the one-time (exclusive) switch to WAL
        mode = conn.execute('PRAGMA journal_mode').fetchone()[0]
        if mode.lower() != 'wal':
            mode = conn.execute('PRAGMA journal_mode = WAL').fetchone()[0]
            if mode.lower() != 'wal':
                raise StoreError(f'store {self.url}: cannot switch {self.path} to WAL mode (got {mode})')
        conn.execute('PRAGMA synchronous = NORMAL')
        self._writes_prepared = True

    def _ensure_schema(self, version: int | None) -> None:
        if version == SCHEMA_VERSION:  # read when the connection was opened
            return
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
        if not self._writes_prepared:
            try:
                self._prepare_writes(conn)
            except sqlite3.Error as exc:
                raise StoreError(f'store {self.url}: cannot prepare {self.path} for writing: {exc}') from None
        cur = conn.cursor()
        try:
            cur.execute('BEGIN IMMEDIATE')
        except sqlite3.OperationalError as exc:
            raise StoreError(f'store {self.url}: cannot start a write transaction: {exc}') from None
        self._seen_only = False
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
        # a transaction that changed nothing (check mode) needs no checkpoint, nor one that only moved `seen`
        # times (an unchanged export): a backup copy that misses those loses nothing a run needs, and the
        # checkpoint (the log copied into the file, with its fsync) is most of such a write's cost
        if conn.total_changes != self._changes and not self._seen_only:
            self._changes = conn.total_changes
            self._checkpoint()

    def _only_seen_times(self) -> None:
        self._seen_only = True

    def _checkpoint(self) -> None:
        """Copy what was just committed from the WAL into the database file.

        ansible-playbook terminates the workers of the last task as soon as it
        has their results (WORKER_SHUTDOWN_POLL_COUNT is 0), often before
        they reach exit handlers: only a checkpoint done before the write
        returns makes a plain copy of the file a complete backup after a run.
        Done only when a checkpoint of ours copied the whole log, which
        includes our commit.  Another process's checkpoint does not count: it
        may have started before our commit.  A checkpoint that gives up loses
        nothing: the records stay in the WAL, durable, for the next one.
        """
        conn = self._require()
        deadline = time.monotonic() + CHECKPOINT_TIMEOUT_S
        delay = 0.001
        try:
            while True:
                # PASSIVE never waits; FULL waits (busy handler) for readers and holds writers off
                for mode in ('PASSIVE', 'FULL'):
                    busy, log, done = conn.execute(f'PRAGMA wal_checkpoint({mode})').fetchone()
                    if not busy and done == log:
                        return
                    if busy:
                        break  # another process is checkpointing: SQLite does not wait for that lock
                if time.monotonic() >= deadline:
                    return
                time.sleep(delay * random.uniform(0.5, 1.5))
                delay = min(delay * 2, 0.05)
        except sqlite3.Error:
            pass

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
        if self._finalizer is not None:
            self._finalizer()  # checkpoints and closes, once
            self._finalizer = None
        self._conn = None


def _fsync_dir(directory: str) -> None:
    """Make the new directory entry durable (best effort: not every file system can)."""
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
