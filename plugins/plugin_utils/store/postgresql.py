# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The PostgreSQL backend (psycopg 3): one fleet shared by several controllers.

Each controller connects as its own database role; what a role may read and
write is enforced by the database (grants.py: row-level security, triggers,
table privileges).  This module turns the database's refusals into errors
that name the role, the namespace, the type and the host.
"""

from __future__ import annotations

import contextlib
import typing as t

from ansible_collections.podim.fleet.plugins.plugin_utils.store.base import (
    DEFAULT_HISTORY_DAYS, SCHEMA_VERSION, Store, StoreError, WriteConflict,
)
from ansible_collections.podim.fleet.plugins.plugin_utils.store.grants import (
    HINT_PREFIX, PG_SCHEMA_VERSION, AccessDenied, migrate as migrate_access,
)
from ansible_collections.podim.fleet.plugins.plugin_utils.store.urls import redact, scrub

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


GRANT_HINT = "the store's admin grants access with podim.fleet.store_grant (docs/security.md)"


def _refusal(exc: t.Any) -> tuple[str, bool]:
    """(reason, explained) of a refusal: explained when our own checks wrote it (role, namespace, type, host)."""
    diag = exc.diag
    reason = (diag.message_primary or str(exc)).strip()
    return reason, (diag.message_hint or '').startswith(HINT_PREFIX)


class PostgreSQLStore(Store):
    placeholder = '%s'
    id_column = 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY'
    records_history_in_database = True  # grants.py: trigger podim_records_history

    def __init__(self, url: str, migrate: bool = True) -> None:
        """migrate=False leaves an old or missing schema alone (check mode of store_grant): see schema_current."""
        self.url = redact(url)
        self._dsn = url
        self._conn: t.Any = None
        self.schema_current = False
        self._connect(migrate)

    @property
    def role(self) -> str:
        """The role this connection logged in as: session_user, what the grants and `writer` follow."""
        return self._conn.info.user

    def _connect(self, migrate: bool = True) -> None:
        if psycopg is None:
            raise StoreError(f'store {self.url} needs the Python package psycopg (version 3) on the controller: '
                             f'pip install "psycopg[binary]" ({PSYCOPG_IMPORT_ERROR})')
        try:
            # keepalives: a server that vanishes mid-run is an error within a minute, not a hang
            self._conn = psycopg.connect(self._dsn, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S,
                                         application_name='podim.fleet', keepalives=1, keepalives_idle=15,
                                         keepalives_interval=5, keepalives_count=3, tcp_user_timeout=45000)
        except psycopg.Error as exc:
            # libpq may echo parts of the DSN (a bad token, a host list): never its secrets
            text = scrub(str(exc), self._dsn).strip()
            message = text.splitlines()[0] if text else type(exc).__name__
            raise StoreError(f'cannot connect to store {self.url}: {message}') from None
        try:
            self._ensure_schema(migrate)
        except BaseException:
            self.close()  # a refused role must not leave its session open
            raise

    def _ensure_schema(self, migrate: bool = True) -> None:
        with self._read() as cur:
            cur.execute("SELECT to_regclass('podim_schema') IS NOT NULL AND to_regclass('podim_pg_schema') IS NOT NULL")
            if cur.fetchone()[0]:
                try:
                    cur.execute('SELECT (SELECT max(version) FROM podim_schema), '
                                '(SELECT max(version) FROM podim_pg_schema)')
                except psycopg.errors.InsufficientPrivilege as exc:
                    raise AccessDenied(f'store {self.url}: role {self.role!r} has no access to this store '
                                       f'({_refusal(exc)[0]}); {GRANT_HINT}') from None
                if tuple(cur.fetchone()) == (SCHEMA_VERSION, PG_SCHEMA_VERSION):
                    self.schema_current = True
                    return
        if not migrate:
            return
        try:
            # several controllers may create the schema at once: serialize them
            with self._transaction(lock='podim_schema') as cur:
                self._migrate(cur, 'DOUBLE PRECISION')
        except AccessDenied as exc:
            raise AccessDenied(f'store {self.url}: its schema must be created or upgraded (to version '
                               f'{SCHEMA_VERSION}.{PG_SCHEMA_VERSION}) by the owner of its tables, which role '
                               f'{self.role!r} is not: run any podim.fleet task once with the owner\'s store_url '
                               f'({exc.reason})') from None
        self.schema_current = True

    def _migrate(self, cur: t.Any, ts_type: str) -> None:
        # the shared schema first: the access-control layer builds on it (columns, tables)
        super()._migrate(cur, ts_type)
        migrate_access(cur)

    @contextlib.contextmanager
    def _transaction(self, lock: str | None = None) -> t.Iterator[t.Any]:
        try:
            with self._conn.transaction(), self._conn.cursor() as cur:
                if lock is not None:
                    cur.execute('SELECT pg_advisory_xact_lock(%s, hashtext(%s))', (ADVISORY_LOCK_CLASS, lock))
                yield cur
        except psycopg.errors.InsufficientPrivilege as exc:
            reason, explained = _refusal(exc)
            raise AccessDenied(f'store {self.url}: the database refused the write: {reason}; nothing was changed',
                               reason=reason, explained=explained) from None
        except psycopg.errors.UniqueViolation as exc:
            raise WriteConflict(f'store {self.url}: another writer stored the same record at the same time, '
                                f'nothing was changed: {scrub(str(exc), self._dsn)}') from None
        except psycopg.Error as exc:
            raise StoreError(f'store {self.url}: write failed, nothing was changed: '
                             f'{scrub(str(exc), self._dsn)}') from None

    @contextlib.contextmanager
    def _read(self) -> t.Iterator[t.Any]:
        try:
            with self._conn.cursor() as cur:
                yield cur
        except psycopg.errors.InsufficientPrivilege as exc:
            reason, explained = _refusal(exc)
            raise AccessDenied(f'store {self.url}: the database refused the read of role {self.role!r}: {reason}; '
                               f'{GRANT_HINT}', reason=reason, explained=explained) from None
        except psycopg.Error as exc:
            raise StoreError(f'store {self.url}: read failed: {scrub(str(exc), self._dsn)}') from None

    # -- refusals with their context ---------------------------------------
    # The database refuses; these only say what was refused, in the caller's terms.
    def apply(self, namespace: str, host: str, upserts: t.Sequence[dict] = (), deletes: t.Sequence[tuple] = (),
              exporter: dict | None = None, check_mode: bool = False) -> list[dict]:
        try:
            changes = super().apply(namespace, host, upserts=upserts, deletes=deletes, exporter=exporter,
                                    check_mode=check_mode)
            if deletes and not any(change['after'] is None for change in changes):
                # nothing to delete may mean nothing visible: say so rather than "unchanged"
                self.check_readable(namespace)
            return changes
        except AccessDenied as exc:
            if exc.explained:
                raise
            types = sorted({item.get('type') for item in upserts if isinstance(item, dict)} |
                           {item[0] for item in deletes})
            reason = self._explain(('SELECT podim_fleet_write_refusal(%s, %s, %s, true)', (namespace, typ, host))
                                   for typ in types)
            if reason:
                raise AccessDenied(f'store {self.url}: the database refused the write: {reason}; nothing was changed',
                                   reason=reason, explained=True) from None
            raise AccessDenied(f'store {self.url}: the database refused the write: role {self.role!r} may not write '
                               f'records of type {", ".join(map(repr, types))} of host {host!r} in namespace '
                               f'{namespace!r} ({exc.reason}); nothing was changed; {GRANT_HINT}',
                               reason=exc.reason, explained=True) from None

    def decide(self, namespace: str, decide_fn: t.Callable[[dict[str, t.Any]], t.Any],
               remember: bool = True, actor: dict | None = None,
               history_days: float | None = DEFAULT_HISTORY_DAYS) -> dict[str, t.Any]:
        try:
            return super().decide(namespace, decide_fn, remember=remember, actor=actor, history_days=history_days)
        except AccessDenied as exc:
            if exc.explained:
                raise
            reason = self._explain([('SELECT podim_fleet_decide_refusal(%s)', (namespace,))])
            if reason:
                raise AccessDenied(f'store {self.url}: the database refused the write: {reason}; nothing was changed',
                                   reason=reason, explained=True) from None
            raise AccessDenied(f'store {self.url}: the database refused the write: role {self.role!r} may not record '
                               f'rule decisions in namespace {namespace!r} ({exc.reason}); nothing was changed; '
                               f'{GRANT_HINT}', reason=exc.reason, explained=True) from None

    def query(self, namespace: str, types: t.Sequence[str], hosts: t.Collection[str] | None = None,
              tags: t.Sequence[str] | None = None, max_age: float | None = None,
              exclude_hosts: t.Collection[str] = ()) -> list:
        try:
            records = super().query(namespace, types, hosts=hosts, tags=tags, max_age=max_age,
                                    exclude_hosts=exclude_hosts)
        except AccessDenied as exc:
            raise self._read_refused(namespace, exc) from None
        if not records:
            # RLS hides rows silently: an unreadable namespace must not pass for an empty one
            self.check_readable(namespace)
        return records

    def load_decisions(self, namespace: str) -> dict[str, t.Any]:
        try:
            decisions = super().load_decisions(namespace)
        except AccessDenied as exc:
            raise self._read_refused(namespace, exc) from None
        if not decisions:
            self.check_readable(namespace)
        return decisions

    def _explain(self, questions: t.Iterable[t.Any]) -> str | None:
        """The first reason the database's own check functions give for a refusal (RLS says only "violates")."""
        try:
            with self._read() as cur:
                for sql, params in questions:
                    cur.execute(sql, params)
                    reason = cur.fetchone()[0]
                    if reason:
                        return reason
        except StoreError:
            pass  # no better reason than the database's own words
        return None

    def _read_refused(self, namespace: str, exc: AccessDenied) -> AccessDenied:
        return AccessDenied(f'store {self.url}: role {self.role!r} may not read namespace {namespace!r} '
                            f'({exc.reason}); {GRANT_HINT}', reason=exc.reason, explained=True)

    def check_readable(self, namespace: str) -> None:
        """AccessDenied unless this role may read the namespace (the owner may read all)."""
        try:
            with self._read() as cur:
                cur.execute("SELECT NOT row_security_active('podim_records') "
                            "OR %s IN (SELECT podim_fleet_namespaces(NULL))", (namespace,))
                if cur.fetchone()[0]:
                    return
        except AccessDenied as exc:
            raise self._read_refused(namespace, exc) from None
        raise AccessDenied(f'store {self.url}: role {self.role!r} may not read namespace {namespace!r}: it has no '
                           f'grant there; {GRANT_HINT}', reason='no grant', explained=True)

    def _before_deletes(self, cur: t.Any, kind: str, why: str, actor_text: str) -> None:
        cur.execute("SELECT set_config('podim.kind', %s, true), set_config('podim.why', %s, true), "
                    "set_config('podim.actor', %s, true)", (kind, why, actor_text))

    def _may_prune(self, cur: t.Any) -> bool:
        # a role bound by row-level security may append history, never remove it: the owner's runs prune
        cur.execute("SELECT row_security_active('podim_history')")
        return not cur.fetchone()[0]

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
