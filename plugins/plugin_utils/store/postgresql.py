# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The PostgreSQL backend (psycopg 3): one fleet shared by several controllers."""

from __future__ import annotations

import contextlib
import re
import typing as t

from ansible_collections.podim.fleet.plugins.plugin_utils.store.base import SCHEMA_VERSION, Store, StoreError

try:
    import psycopg
except ImportError as _exc:  # reported when a postgresql:// URL is used
    psycopg = None
    PSYCOPG_IMPORT_ERROR: ImportError | None = _exc
else:
    PSYCOPG_IMPORT_ERROR = None

CONNECT_TIMEOUT_S = 10
# a fixed class id for pg_advisory_xact_lock(int, int): our locks never clash with others'
ADVISORY_LOCK_CLASS = 0x50444D  # "PDM"


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r'(://[^:/@]+):[^@/]*@', r'\1:***@', url)


class PostgreSQLStore(Store):
    placeholder = '%s'

    def __init__(self, url: str) -> None:
        self.url = redact(url)
        self._dsn = url
        self._conn: t.Any = None
        self._connect()

    def _connect(self) -> None:
        if psycopg is None:
            raise StoreError(f'store {self.url} needs the Python package psycopg (version 3) on the controller: '
                             f'pip install "psycopg[binary]" ({PSYCOPG_IMPORT_ERROR})')
        try:
            # keepalives: a server that vanishes mid-run is an error within a minute, not a hang
            self._conn = psycopg.connect(self._dsn, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S,
                                         application_name='podim.fleet', keepalives=1, keepalives_idle=15,
                                         keepalives_interval=5, keepalives_count=3, tcp_user_timeout=45000)
        except psycopg.Error as exc:
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StoreError(f'cannot connect to store {self.url}: {message}') from None
        self._ensure_schema()

    def _ensure_schema(self) -> None:
        with self._read() as cur:
            cur.execute("SELECT to_regclass('podim_schema')")
            if cur.fetchone()[0] is not None:
                cur.execute('SELECT version FROM podim_schema')
                row = cur.fetchone()
                if row is not None and row[0] == SCHEMA_VERSION:
                    return
        # several controllers may create the schema at once: serialize them
        with self._transaction(lock='podim_schema') as cur:
            self._migrate(cur, 'DOUBLE PRECISION')

    @contextlib.contextmanager
    def _transaction(self, lock: str | None = None) -> t.Iterator[t.Any]:
        try:
            with self._conn.transaction(), self._conn.cursor() as cur:
                if lock is not None:
                    cur.execute('SELECT pg_advisory_xact_lock(%s, hashtext(%s))', (ADVISORY_LOCK_CLASS, lock))
                yield cur
        except psycopg.Error as exc:
            raise StoreError(f'store {self.url}: write failed, nothing was changed: {exc}') from None

    @contextlib.contextmanager
    def _read(self) -> t.Iterator[t.Any]:
        try:
            with self._conn.cursor() as cur:
                yield cur
        except psycopg.Error as exc:
            raise StoreError(f'store {self.url}: read failed: {exc}') from None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
