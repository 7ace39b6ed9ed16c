# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The store interface shared by the SQLite and PostgreSQL backends.

One store holds two kinds of state of one fleet:

* exported records: one per (namespace, host, type, key), with JSON data,
  tags and exporter metadata;
* creation-rule decisions: one JSON state per (namespace, rule), read and
  written in one locked transaction so that controllers sharing a store
  reach the same decision.

Backends only provide connections, SQL dialect details and locking; the
record logic (validation, comparison, ordering) lives here once.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
import time
import typing as t

from ansible_collections.podim.fleet.plugins.plugin_utils.typenames import type_name

# One record as stored (namespace, host, type, key, data and tags as JSON)
# takes at most this many bytes; MAX_DATA_BYTES is its old name.
MAX_RECORD_BYTES = 64 * 1024
MAX_DATA_BYTES = MAX_RECORD_BYTES
NAME_RE = re.compile(r'^[a-z0-9_]{1,64}$')
KEY_RE = re.compile(r'^[A-Za-z0-9_.:@/-]{1,200}$')
MAX_HOST_CHARS = 255
MAX_TAGS = 64
MAX_TAG_CHARS = 128
_CONTROL_RE = re.compile(r'[\x00-\x1f\x7f]')

# Each entry migrates the schema from version N-1 to N; never edit an entry
# that has shipped, append a new one.  "{json}" is the backend's JSON column
# type, "{ts}" its timestamp type (seconds since the epoch as a float).
MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE IF NOT EXISTS podim_records (
            namespace TEXT NOT NULL,
            host TEXT NOT NULL,
            type TEXT NOT NULL,
            key TEXT NOT NULL,
            data TEXT NOT NULL,
            tags TEXT NOT NULL,
            exporter TEXT NOT NULL,
            updated {ts} NOT NULL,
            seen {ts} NOT NULL,
            PRIMARY KEY (namespace, type, host, key))""",
        """CREATE INDEX IF NOT EXISTS podim_records_by_host
            ON podim_records (namespace, host)""",
        """CREATE TABLE IF NOT EXISTS podim_decisions (
            namespace TEXT NOT NULL,
            rule TEXT NOT NULL,
            state TEXT NOT NULL,
            updated {ts} NOT NULL,
            PRIMARY KEY (namespace, rule))""",
    ],
    [
        # who wrote each record and decision: on PostgreSQL a trigger sets it to the
        # database role whatever the client sends (plugin_utils/store/grants.py)
        "ALTER TABLE podim_records ADD COLUMN writer TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE podim_decisions ADD COLUMN writer TEXT NOT NULL DEFAULT ''",
    ],
    [
        # Every change of a record or of a group's membership, appended in the transaction of the change.
        # subject: 'type/key' of a record or the group; before/after: JSON or NULL; actor: JSON (controller,
        # user, run_id, playbook); detail: JSON of what else the change says (rule, voluntary, approved_by).
        """CREATE TABLE IF NOT EXISTS podim_history (
            id {id},
            namespace TEXT NOT NULL,
            at {ts} NOT NULL,
            kind TEXT NOT NULL,
            host TEXT NOT NULL,
            type TEXT NOT NULL DEFAULT '',
            key TEXT NOT NULL DEFAULT '',
            grp TEXT NOT NULL DEFAULT '',
            before TEXT,
            after TEXT,
            why TEXT NOT NULL DEFAULT '',
            detail TEXT NOT NULL DEFAULT '{{}}',
            actor TEXT NOT NULL DEFAULT '{{}}',
            writer TEXT NOT NULL DEFAULT '')""",
        'CREATE INDEX IF NOT EXISTS podim_history_by_time ON podim_history (namespace, at)',
        'CREATE INDEX IF NOT EXISTS podim_history_by_host ON podim_history (namespace, host, at)',
    ],
]
# kinds of history entries
RECORD_KINDS = ('created', 'changed', 'deleted', 'purged')
MEMBER_KINDS = ('joined', 'left')
DEFAULT_HISTORY_DAYS = 90.0
PURGE_WHY = 'the host is no longer in the inventory'
# The hosts an inventory had at its last scoped purge, remembered beside the rule decisions under this prefix.
PURGE_SCOPE_PREFIX = 'purge:'
SCHEMA_VERSION = len(MIGRATIONS)


class StoreError(Exception):
    """Anything that went wrong in the store, with a message fit for a user."""


class WriteConflict(StoreError):
    """Another writer inserted the same record during this transaction; running it again resolves it."""


# one transaction of apply() and up to two re-runs after a WriteConflict
WRITE_ATTEMPTS = 3


@functools.lru_cache(maxsize=None)  # asked at every write; the effective uid of a worker never changes
def unix_user() -> str:
    """The controller's Unix user: who writes a file store (its trust boundary)."""
    import pwd
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:  # no passwd entry in some containers
        return str(os.geteuid())


class Record(t.NamedTuple):
    namespace: str
    host: str
    type: str
    key: str
    data: dict
    tags: list
    exporter: dict
    updated: float
    seen: float
    # the database role (PostgreSQL) or Unix user (SQLite) that last changed it; '' when written by an older version
    writer: str = ''

    def public(self) -> dict:
        """The shape the lookup returns."""
        return {'host': self.host, 'type': self.type, 'key': self.key,
                'data': self.data, 'tags': self.tags, 'updated': self.updated, 'writer': self.writer}


def canonical_json(value: t.Any) -> str:
    """One spelling per value, so equal data compares equal as text."""
    return json.dumps(value, sort_keys=True, separators=(',', ':'), ensure_ascii=False)


def _show(value: t.Any, limit: int = 60) -> str:
    """A value for an error message: a huge one must not become a huge message."""
    text = repr(value)
    if len(text) <= limit:
        return text
    size = f'{len(value)} characters' if isinstance(value, str) else type_name(value)
    return f'{text[:limit]}... ({size})'


def check_name(what: str, value: t.Any) -> str:
    if not isinstance(value, str) or not NAME_RE.fullmatch(value):
        raise StoreError(f'{what} {_show(value)} is invalid: use 1-64 lowercase letters, digits and _ '
                         '([a-z0-9_]{1,64})')
    return value


def check_key(value: t.Any) -> str:
    if not isinstance(value, str) or not KEY_RE.fullmatch(value):
        raise StoreError(f'key {_show(value)} is invalid: 1-200 characters of letters, digits and _ . : @ / -')
    return value


def check_namespace(value: t.Any) -> str:
    if not isinstance(value, str) or not KEY_RE.fullmatch(value):
        raise StoreError(f'namespace {_show(value)} is invalid: 1-200 characters of letters, digits and _ . : @ / -')
    return value


def check_host(value: t.Any) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_HOST_CHARS or _CONTROL_RE.search(value):
        raise StoreError(f'host {_show(value)} is invalid: a non-empty inventory hostname of at most '
                         f'{MAX_HOST_CHARS} characters, without control characters, is required')
    return value


def _non_finite(value: t.Any, path: str) -> str | None:
    """The path of the first NaN or infinity in value (JSON has neither)."""
    if isinstance(value, float) and not math.isfinite(value):
        return path
    if isinstance(value, dict):
        for key, item in value.items():
            found = _non_finite(item, f'{path}.{key}')
            if found:
                return found
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = _non_finite(item, f'{path}[{index}]')
            if found:
                return found
    return None


def _utf8_size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode('utf-8'))


def encode_data(data: t.Any, limit: int = MAX_RECORD_BYTES) -> str:
    if not isinstance(data, dict):
        raise StoreError(f'data must be a mapping (JSON object), got {type_name(data)}')
    try:
        # allow_nan=False: json.dumps would otherwise write NaN, which no JSON reader accepts
        text = json.dumps(data, sort_keys=True, separators=(',', ':'), ensure_ascii=False, allow_nan=False)
    except ValueError as exc:
        try:
            bad = _non_finite(data, 'data')
        except RecursionError:  # a circular reference is a ValueError of json.dumps too
            bad = None
        if bad:
            raise StoreError(f'{bad} is not a finite number (NaN or infinity cannot be stored as JSON); '
                             'export a number, null or a string instead') from None
        raise StoreError(f'data cannot be stored as JSON: {exc}') from None
    except TypeError as exc:
        raise StoreError(f'data cannot be stored as JSON: {exc}') from None
    except RecursionError:
        raise StoreError('data cannot be stored as JSON: it is nested too deeply') from None
    size = _utf8_size(text)
    if size > limit:
        raise StoreError(f'data is {size} bytes as JSON, over the limit of {limit} bytes for one record; '
                         'export smaller records (several keys) instead')
    return text


def encode_tags(tags: t.Any) -> str:
    if tags is None:
        tags = []
    if not isinstance(tags, (list, tuple)) or not all(isinstance(tag, str) and tag for tag in tags):
        raise StoreError(f'tags must be a list of non-empty strings, got {_show(tags)}')
    unique = sorted(set(tags))
    for tag in unique:
        if len(tag) > MAX_TAG_CHARS or _CONTROL_RE.search(tag):
            raise StoreError(f'tag {_show(tag)} is invalid: at most {MAX_TAG_CHARS} characters, '
                             'without control characters')
    if len(unique) > MAX_TAGS:
        raise StoreError(f'{len(unique)} tags is too many: at most {MAX_TAGS} per record')
    return canonical_json(unique)


def encode_record(namespace: str, host: str, item: t.Any) -> tuple[str, str, str, str]:
    """(type, key, data JSON, tags JSON) of one record to write, or StoreError saying what and where.

    The size limit covers the whole record as stored, not only its data.
    """
    if not isinstance(item, dict):
        raise StoreError(f'a record must be a mapping with type, key, data and tags, got {type_name(item)}')
    try:
        typ = check_name('type', item.get('type'))
        key = check_key(item.get('key', 'default'))
    except StoreError as exc:
        raise StoreError(f'a record of host {_show(host)} in namespace {namespace}: {exc}') from None
    try:
        data = encode_data(item.get('data'))
        tags = encode_tags(item.get('tags'))
    except StoreError as exc:
        raise StoreError(f'record {typ}/{key} of host {_show(host)} in namespace {namespace}: {exc}') from None
    sizes = {'data': _utf8_size(data), 'tags': _utf8_size(tags), 'names': _utf8_size(f'{namespace}{host}{typ}{key}')}
    total = sum(sizes.values())
    if total > MAX_RECORD_BYTES:
        detail = ', '.join(f'{name} {size}' for name, size in sizes.items())
        raise StoreError(f'record {typ}/{key} of host {_show(host)} in namespace {namespace} is {total} bytes '
                         f'({detail}), over the limit of {MAX_RECORD_BYTES} bytes for one record; export smaller '
                         'records (several keys) instead')
    return typ, key, data, tags


class Store:
    """A connection to one store.  Use `open_store()` to get one."""

    url: str
    # paramstyle of the DB-API driver: '?' (sqlite3) or '%s' (psycopg)
    placeholder = '?'
    # the history's growing id column
    id_column = 'INTEGER PRIMARY KEY AUTOINCREMENT'
    # True: the database records the changes of records in the history itself (a trigger)
    records_history_in_database = False

    def _writer(self) -> str:
        """The `writer` the client sends; PostgreSQL replaces it by the database role (a trigger)."""
        return unix_user()

    # -- backend hooks -------------------------------------------------
    def _connect(self) -> None:
        raise NotImplementedError

    def _only_seen_times(self) -> None:
        """The current transaction changes nothing but `seen` times (a backend may commit it more cheaply)."""

    def _transaction(self, lock: str | None = None) -> t.ContextManager[t.Any]:
        """A write transaction; `lock` names an exclusive lock held until commit."""
        raise NotImplementedError

    def _read(self) -> t.ContextManager[t.Any]:
        """A cursor for reads."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # -- schema --------------------------------------------------------
    def _sql(self, text: str) -> str:
        return text.replace('?', self.placeholder) if self.placeholder != '?' else text

    def _migrate(self, cur: t.Any, ts_type: str) -> None:
        """Bring the schema to SCHEMA_VERSION, inside the caller's write transaction."""
        cur.execute('CREATE TABLE IF NOT EXISTS podim_schema (version INTEGER NOT NULL)')
        cur.execute('SELECT version FROM podim_schema')
        row = cur.fetchone()
        if row is None:
            cur.execute('INSERT INTO podim_schema (version) VALUES (0)')
        current = 0 if row is None else row[0]
        if current > SCHEMA_VERSION:
            raise StoreError(f'store {self.url} has schema version {current}, newer than this podim.fleet '
                             f'({SCHEMA_VERSION}): upgrade the collection, do not write with an older one')
        for version in range(current + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[version - 1]:
                cur.execute(statement.format(ts=ts_type, id=self.id_column))
            cur.execute(self._sql('UPDATE podim_schema SET version = ?'), (version,))

    # -- records -------------------------------------------------------
    def apply(self, namespace: str, host: str, upserts: t.Sequence[dict] = (), deletes: t.Sequence[tuple] = (),
              exporter: dict | None = None, check_mode: bool = False) -> list[dict]:
        """Write several records of one host atomically.

        upserts: dicts with type, key, data, tags; deletes: (type, key) pairs.
        Returns one change per record that really changed:
        {type, key, before, after} with before/after None for absent.
        A record whose data and tags are unchanged is not rewritten, only its
        `seen` time moves (max_age counts from it).
        """
        check_namespace(namespace)
        check_host(host)
        rows = [encode_record(namespace, host, item) for item in upserts]
        gone = [(check_name('type', typ), check_key(key)) for typ, key in deletes]
        exporter_text = canonical_json(exporter or {})
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                return self._apply_once(namespace, host, rows, gone, exporter_text, check_mode)
            except WriteConflict:
                if attempt == WRITE_ATTEMPTS:
                    raise
        raise AssertionError('unreachable')

    def _apply_once(self, namespace: str, host: str, rows: list, gone: list, exporter_text: str,
                    check_mode: bool) -> list[dict]:
        """One transaction of apply(); WriteConflict when another writer inserted one of the records first."""
        writer = self._writer()
        now = time.time()
        changes: list[dict] = []
        history: list[tuple] = []
        with self._transaction() as cur:
            for typ, key, data, tags in rows:
                before = self._fetch_one(cur, namespace, host, typ, key)
                after = {'data': json.loads(data), 'tags': json.loads(tags)}
                if before is not None and before == after:
                    if not check_mode:
                        cur.execute(self._sql('UPDATE podim_records SET seen = ? WHERE namespace = ? AND type = ? '
                                              'AND host = ? AND key = ?'), (now, namespace, typ, host, key))
                    continue
                changes.append({'type': typ, 'key': key, 'before': before, 'after': after})
                if check_mode:
                    continue
                history.append(self._record_entry(namespace, now, 'changed' if before else 'created', host, typ, key,
                                                  before, after, '', exporter_text))
                # a plain INSERT or UPDATE, not an upsert: under row-level security an upsert is checked by
                # the insert, update and read policies at once.  A concurrent insert of the same record
                # makes the INSERT fail (WriteConflict), and apply() runs the transaction again.
                if before is not None:
                    cur.execute(self._sql(
                        'UPDATE podim_records SET data = ?, tags = ?, exporter = ?, updated = ?, seen = ?, '
                        'writer = ? WHERE namespace = ? AND type = ? AND host = ? AND key = ?'),
                        (data, tags, exporter_text, now, now, writer, namespace, typ, host, key))
                if before is None or cur.rowcount == 0:
                    cur.execute(self._sql(
                        'INSERT INTO podim_records (namespace, host, type, key, data, tags, exporter, updated, '
                        'seen, writer) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
                        (namespace, host, typ, key, data, tags, exporter_text, now, now, writer))
            if gone and not check_mode:
                self._before_deletes(cur, 'deleted', '', exporter_text)
            for typ, key in gone:
                before = self._fetch_one(cur, namespace, host, typ, key)
                if before is None:
                    continue
                changes.append({'type': typ, 'key': key, 'before': before, 'after': None})
                if not check_mode:
                    cur.execute(self._sql('DELETE FROM podim_records WHERE namespace = ? AND type = ? AND host = ? '
                                          'AND key = ?'), (namespace, typ, host, key))
                    history.append(self._record_entry(namespace, now, 'deleted', host, typ, key, before, None, '',
                                                      exporter_text))
            if not self.records_history_in_database:
                self._append_history(cur, history)
            if not changes:
                self._only_seen_times()
        return changes

    # -- history -------------------------------------------------------
    @staticmethod
    def _record_entry(namespace: str, at: float, kind: str, host: str, typ: str, key: str, before: t.Any,
                      after: t.Any, why: str, actor_text: str) -> tuple:
        return (namespace, at, kind, host, typ, key, '', None if before is None else canonical_json(before),
                None if after is None else canonical_json(after), why, '{}', actor_text)

    def _before_deletes(self, cur: t.Any, kind: str, why: str, actor_text: str) -> None:
        """What the deletions that follow in this transaction are, for a database that records them itself."""

    def _append_history(self, cur: t.Any, rows: t.Sequence[tuple]) -> None:
        """Append history entries, in the caller's transaction: a change and its entry commit together."""
        if not rows:
            return
        writer = self._writer()
        cur.executemany(self._sql(
            'INSERT INTO podim_history (namespace, at, kind, host, type, key, grp, before, after, why, detail, '
            'actor, writer) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'), [(*row, writer) for row in rows])

    def _prune_history(self, cur: t.Any, namespace: str, days: float | None) -> int:
        """Delete entries older than days, except the newest of each record and membership: what still exists
        keeps the entry that says when and why it came to be."""
        if days is None:
            return 0
        if isinstance(days, bool) or not isinstance(days, (int, float)) or not math.isfinite(days) or days <= 0:
            raise StoreError(f'history_days {days!r} is not a positive number of days')
        if not self._may_prune(cur):
            return 0
        cur.execute(self._sql(
            'DELETE FROM podim_history WHERE namespace = ? AND at < ? AND id NOT IN ('
            'SELECT MAX(id) FROM podim_history WHERE namespace = ? GROUP BY host, type, key, grp)'),
            (namespace, time.time() - days * 86400.0, namespace))
        return cur.rowcount

    def _may_prune(self, cur: t.Any) -> bool:
        """Whether this connection prunes (PostgreSQL: only roles that row-level security does not bind)."""
        return True

    def history(self, namespace: str, group: str | None = None, host: str | None = None,
                typ: str | None = None, since: float | None = None, until: float | None = None,
                limit: int | None = 100) -> list[dict]:
        """History entries, newest first (time, then the order they were written)."""
        check_namespace(namespace)
        where, params = ['namespace = ?'], [namespace]
        for column, value in (('grp', group), ('host', host), ('type', typ)):
            if value is not None:
                where.append(f'{column} = ?')
                params.append(value)
        if since is not None:
            where.append('at >= ?')
            params.append(since)
        if until is not None:
            where.append('at <= ?')
            params.append(until)
        sql = ('SELECT id, at, kind, host, type, key, grp, before, after, why, detail, actor, writer '
               f'FROM podim_history WHERE {" AND ".join(where)} ORDER BY at DESC, id DESC')
        if limit is not None:
            sql += f' LIMIT {int(limit)}'
        with self._read() as cur:
            cur.execute(self._sql(sql), tuple(params))
            rows = cur.fetchall()
        out = []
        for ident, at, kind, host_, typ_, key, grp, before, after, why, detail, actor, writer in rows:
            entry = {'id': ident, 'at': at, 'namespace': namespace, 'kind': kind, 'host': host_, 'why': why,
                     'before': None if before is None else json.loads(before),
                     'after': None if after is None else json.loads(after),
                     'actor': json.loads(actor or '{}'), 'writer': writer}
            if grp:
                entry['group'] = grp
            else:
                entry['type'], entry['key'] = typ_, key
            entry.update(json.loads(detail or '{}'))
            out.append(entry)
        return out

    def _fetch_one(self, cur: t.Any, namespace: str, host: str, typ: str, key: str) -> dict | None:
        cur.execute(self._sql('SELECT data, tags FROM podim_records WHERE namespace = ? AND type = ? AND host = ? '
                              'AND key = ?'), (namespace, typ, host, key))
        row = cur.fetchone()
        return None if row is None else {'data': json.loads(row[0]), 'tags': json.loads(row[1])}

    def query(self, namespace: str, types: t.Sequence[str], hosts: t.Collection[str] | None = None,
              tags: t.Sequence[str] | None = None, max_age: float | None = None,
              exclude_hosts: t.Collection[str] = ()) -> list[Record]:
        """Records of the given types, sorted by (host, type, key).

        hosts: only records exported by these hosts (None: any host).
        tags: only records carrying every one of these tags.
        max_age: only records exported (or re-exported) in the last max_age seconds.
        exclude_hosts: leave out the records of these hosts.
        """
        check_namespace(namespace)
        types = sorted({check_name('type', typ) for typ in types})
        if not types or (hosts is not None and not hosts):
            return []
        sql = ('SELECT namespace, host, type, key, data, tags, exporter, updated, seen, writer FROM podim_records '
               f'WHERE namespace = ? AND type IN ({", ".join("?" * len(types))})')
        params: list[t.Any] = [namespace, *types]
        if max_age is not None:
            sql += ' AND seen >= ?'
            params.append(time.time() - float(max_age))
        wanted_hosts = None if hosts is None else set(hosts)
        excluded = set(exclude_hosts)
        if wanted_hosts is not None:
            wanted_hosts -= excluded
            if not wanted_hosts:
                return []
        if wanted_hosts is not None and len(wanted_hosts) <= 500:
            # a short host list goes to the index; a long one is cheaper to filter here
            sql += f' AND host IN ({", ".join("?" * len(wanted_hosts))})'
            params.extend(sorted(wanted_hosts))
        wanted_tags = set(tags or ())
        records = []
        with self._read() as cur:
            cur.execute(self._sql(sql), params)
            for row in cur.fetchall():
                if (wanted_hosts is not None and row[1] not in wanted_hosts) or row[1] in excluded:
                    continue
                row_tags = json.loads(row[5])
                if wanted_tags and not wanted_tags.issubset(row_tags):
                    continue
                records.append(Record(row[0], row[1], row[2], row[3], json.loads(row[4]), row_tags,
                                      json.loads(row[6]), float(row[7]), float(row[8]), row[9]))
        records.sort(key=lambda rec: (rec.host, rec.type, rec.key))
        return records

    def hosts(self, namespace: str) -> list[str]:
        """Every host with at least one record in the namespace, sorted."""
        check_namespace(namespace)
        with self._read() as cur:
            cur.execute(self._sql('SELECT DISTINCT host FROM podim_records WHERE namespace = ?'), (namespace,))
            return sorted(row[0] for row in cur.fetchall())

    def purge(self, namespace: str, keep_hosts: t.Collection[str], types: t.Sequence[str] | None = None,
              check_mode: bool = False, actor: dict | None = None,
              history_days: float | None = DEFAULT_HISTORY_DAYS,
              only_hosts: t.Collection[str] | None = None) -> list[dict]:
        """Delete every record of hosts not in keep_hosts (and, if given, in only_hosts); returns what went (or
        would go)."""
        check_namespace(namespace)
        keep = set(keep_hosts)
        only = None if only_hosts is None else set(only_hosts)
        type_filter = None if types is None else {check_name('type', typ) for typ in types}
        removed = []
        history = []
        actor_text = canonical_json(actor or {})
        now = time.time()
        with self._transaction() as cur:
            cur.execute(self._sql('SELECT host, type, key, data, tags FROM podim_records WHERE namespace = ?'),
                        (namespace,))
            for host, typ, key, data, tags in cur.fetchall():
                if host in keep or (only is not None and host not in only) or (
                        type_filter is not None and typ not in type_filter):
                    continue
                removed.append({'host': host, 'type': typ, 'key': key})
                history.append(self._record_entry(namespace, now, 'purged', host, typ, key,
                                                  {'data': json.loads(data), 'tags': json.loads(tags)}, None,
                                                  PURGE_WHY, actor_text))
            if not check_mode:
                self._before_deletes(cur, 'purged', PURGE_WHY, actor_text)
                for item in removed:
                    cur.execute(self._sql('DELETE FROM podim_records WHERE namespace = ? AND type = ? AND host = ? '
                                          'AND key = ?'), (namespace, item['type'], item['host'], item['key']))
                if not self.records_history_in_database:
                    self._append_history(cur, history)
                self._prune_history(cur, namespace, history_days)
        removed.sort(key=lambda item: (item['host'], item['type'], item['key']))
        return removed

    # -- creation-rule decisions ---------------------------------------
    def purge_departed(self, namespace: str, scope: str, current_hosts: t.Collection[str],
                       types: t.Sequence[str] | None = None, check_mode: bool = False, actor: dict | None = None,
                       history_days: float | None = DEFAULT_HISTORY_DAYS, owner: str | None = None,
                       rebind: bool = False) -> tuple[list[dict], list[str]]:
        """Purge only the hosts that left one inventory: (records removed, hosts departed).

        The scope remembers the hosts of its inventory at each purge (beside the rule decisions); the hosts
        departed are those remembered last time and absent now. Records of hosts this scope never had (another
        inventory's, in a shared namespace) are never touched. The first purge of a scope only remembers.

        OWNER fingerprints the inventory (its sources, as the controller read them): a scope remembered for
        other sources is refused, or with REBIND taken over without purging (after an inventory moved), so a
        run that names another inventory's scope can neither purge that inventory's hosts nor rewrite what
        the scope remembers.
        """
        check_name('purge scope', scope)
        current = sorted(set(current_hosts))
        previous = self.load_decisions(namespace).get(PURGE_SCOPE_PREFIX + scope)
        previous_owner = previous.get('owner') if isinstance(previous, dict) else None
        foreign = owner is not None and previous_owner is not None and previous_owner != owner
        if foreign and not rebind:
            raise StoreError(f'purge scope {scope!r} in namespace {namespace!r} belongs to another inventory (it '
                             'was last purged from other inventory sources); nothing was purged or remembered. '
                             'Give this inventory its own scope, or, if this is the same inventory moved, purge '
                             'once with rebind_scope=true (it then purges nothing and remembers these hosts)')
        before = previous.get('hosts') if isinstance(previous, dict) and not foreign else None
        remembered = {h for h in before if isinstance(h, str)} if isinstance(before, list) else set()
        departed = sorted(remembered - set(current))
        removed = self.purge(namespace, current, types=types, check_mode=check_mode, actor=actor,
                             history_days=history_days, only_hosts=departed) if departed else []
        if not check_mode:
            state = {'hosts': current}
            if owner is not None or previous_owner is not None:
                state['owner'] = owner if owner is not None else previous_owner
            # after the records went: a run killed in between finds the same hosts departed next time
            self.decide(namespace, lambda _previous: {PURGE_SCOPE_PREFIX + scope: state}, actor=actor,
                        history_days=history_days)
        return removed, departed

    def load_decisions(self, namespace: str) -> dict[str, t.Any]:
        """The remembered state of every rule of the namespace: {rule: state}."""
        check_namespace(namespace)
        with self._read() as cur:
            return self._load_decisions(cur, namespace)

    def _load_decisions(self, cur: t.Any, namespace: str) -> dict[str, t.Any]:
        cur.execute(self._sql('SELECT rule, state FROM podim_decisions WHERE namespace = ?'), (namespace,))
        return {rule: json.loads(state) for rule, state in cur.fetchall()}

    def decide(self, namespace: str, decide_fn: t.Callable[[dict[str, t.Any]], t.Any],
               remember: bool = True, actor: dict | None = None,
               history_days: float | None = DEFAULT_HISTORY_DAYS) -> dict[str, t.Any]:
        """Run decide_fn(previous states) -> new states in one locked transaction.

        Controllers sharing the store serialize here: the second one sees the
        first one's decision before making its own.  Only the rules present
        in the returned mapping are written; a rule mapped to None is deleted.
        decide_fn may return (states, moves): moves say why members joined or
        left (see membership_entries); every membership change is recorded in
        the history, explained or not, in the same transaction.
        """
        check_namespace(namespace)
        if not remember:
            return _states_of(decide_fn(self.load_decisions(namespace)))
        with self._transaction(lock=f'podim_decisions:{namespace}') as cur:
            previous = self._load_decisions(cur, namespace)
            returned = decide_fn(previous)
            new = _states_of(returned)
            moves = returned[1] if isinstance(returned, tuple) else []
            now = time.time()
            self._append_history(cur, membership_entries(namespace, now, previous, new, moves,
                                                         canonical_json(actor or {})))
            self._prune_history(cur, namespace, history_days)
            for rule, state in new.items():
                if state is None:
                    cur.execute(self._sql('DELETE FROM podim_decisions WHERE namespace = ? AND rule = ?'),
                                (namespace, rule))
                    continue
                if rule in previous and previous[rule] == state:
                    continue
                cur.execute(self._sql(
                    'INSERT INTO podim_decisions (namespace, rule, state, updated, writer) VALUES (?, ?, ?, ?, ?) '
                    'ON CONFLICT (namespace, rule) DO UPDATE SET state = excluded.state, updated = excluded.updated, '
                    'writer = excluded.writer'),
                    (namespace, rule, canonical_json(state), now, self._writer()))
        return new


def _states_of(returned: t.Any) -> dict[str, t.Any]:
    return returned[0] if isinstance(returned, tuple) else returned


def _members_of(state: t.Any) -> dict[str, str]:
    """{host: group} of a remembered rule state (anything unreadable: no members)."""
    if not isinstance(state, dict) or not isinstance(state.get('members'), list):
        return {}
    group = state.get('group') if isinstance(state.get('group'), str) else ''
    return {item['host']: group for item in state['members']
            if isinstance(item, dict) and isinstance(item.get('host'), str)}


def membership_entries(namespace: str, at: float, previous: t.Mapping[str, t.Any], new: t.Mapping[str, t.Any],
                       moves: t.Sequence[t.Mapping[str, t.Any]], actor_text: str) -> list[tuple]:
    """History rows for every member that joined or left a rule's group between two decisions.

    moves ({rule, host, change, reason, ...}, from the rules engine) explain them; a change without a move
    is recorded all the same, so that no membership changes without its entry. A move of another kind
    (an approval) is recorded as given.
    """
    moves = [m for m in moves if isinstance(m, t.Mapping)]
    explained = {(m.get('rule'), m.get('host'), m.get('change')): m for m in moves if m.get('change') in MEMBER_KINDS}
    rows = []
    for rule in sorted(set(new)):
        before, after = _members_of(previous.get(rule)), _members_of(new[rule])
        if new[rule] is None:
            after = {}
        changed = [(host, 'left', before[host]) for host in sorted(set(before) - set(after))]
        changed += [(host, 'joined', after[host]) for host in sorted(set(after) - set(before))]
        for host, change, group in changed:
            move = explained.pop((rule, host, change), {})
            detail = {'rule': rule}
            detail.update({k: move[k] for k in ('partition', 'voluntary', 'replaces', 'approved_by', 'proposal')
                           if move.get(k) is not None})
            rows.append((namespace, at, change, host, '', '', str(move.get('group') or group), None, None,
                         str(move.get('reason') or ''), canonical_json(detail), actor_text))
    # membership moves left in `explained` were not made (held back, or already so): no change, no entry
    for move in moves:
        rule, host, change = move.get('rule'), move.get('host'), move.get('change')
        if change in MEMBER_KINDS or not isinstance(host, str) or not isinstance(change, str) or not change:
            continue
        detail = {'rule': rule, **{k: v for k, v in move.items()
                                   if k not in ('rule', 'host', 'change', 'group', 'reason') and v is not None}}
        rows.append((namespace, at, change, host, '', '', str(move.get('group') or ''), None, None,
                     str(move.get('reason') or ''), canonical_json(detail), actor_text))
    return rows
