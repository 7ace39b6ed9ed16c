# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The podim.fleet store: exported records and creation-rule decisions.

    store = open_store('sqlite:///var/lib/fleet.sqlite')
    store.apply('default', 'web1', upserts=[{'type': 'web_backend', 'data': {...}}])
    store.query('default', ['web_backend'])
"""

from __future__ import annotations

import os
import urllib.parse

from ansible_collections.podim.fleet.plugins.plugin_utils.store.base import (  # noqa: F401 (re-exported)
    MAX_DATA_BYTES, MAX_RECORD_BYTES, Record, Store, StoreError, canonical_json,
)
from ansible_collections.podim.fleet.plugins.plugin_utils.store.urls import redact, scrub  # noqa: F401 (re-exported)


# One open store per (process, url, create): ansible forks workers, and a
# connection must never cross a fork.
_OPEN: dict[tuple[int, str, bool], Store] = {}


def sqlite_path(url: str) -> str:
    """The file path of a sqlite:///path URL (~ expanded)."""
    rest = url[len('sqlite://'):]
    if not rest.startswith('/'):
        raise StoreError(f'store_url {redact(url)!r} is invalid: write sqlite:///relative/path or '
                         'sqlite:////absolute/path (or sqlite:///~/path)')
    path = urllib.parse.unquote(rest[1:])
    if not path:
        raise StoreError(f'store_url {redact(url)!r} names no file: write sqlite:///path/to/file.sqlite')
    return os.path.abspath(os.path.expanduser(path))


def store_missing(url: str) -> bool:
    """Whether url names a SQLite store that does not exist yet (a PostgreSQL store always exists)."""
    url = (url or '').strip()
    return url.lower().startswith('sqlite:') and not os.path.exists(sqlite_path(url))


def store_scheme(url: str) -> str:
    """The scheme of a store URL, lowercased: 'sqlite', 'postgresql', 'postgres', or '' without one."""
    url = url.strip()
    return url.split(':', 1)[0].lower() if ':' in url else ''


POSTGRESQL_SCHEMES = ('postgresql', 'postgres')


def open_store(url: str, create: bool = True) -> Store:
    """Open (or reuse in this process) the store at url.

    create=False makes a missing SQLite file an error instead of creating it:
    readers must not mistake a wrong path for an empty fleet.
    """
    if not isinstance(url, str) or not url.strip():
        raise StoreError('store_url is empty: set it, PODIM_FLEET_STORE or [podim_fleet] store_url in ansible.cfg')
    url = url.strip()
    cache_key = (os.getpid(), url, create)
    store = _OPEN.get(cache_key)
    if store is not None:
        return store
    scheme = store_scheme(url)
    if scheme == 'sqlite':
        from ansible_collections.podim.fleet.plugins.plugin_utils.store.sqlite import SQLiteStore
        store = SQLiteStore(url, sqlite_path(url), create=create)
    elif scheme in POSTGRESQL_SCHEMES:
        from ansible_collections.podim.fleet.plugins.plugin_utils.store.postgresql import PostgreSQLStore
        try:
            store = PostgreSQLStore(url)
        except StoreError as exc:
            raise StoreError(scrub(str(exc), url)) from None
    else:
        # the URL may carry a password even when it is not a supported one
        raise StoreError(f'store_url {redact(url)!r} is not supported: use sqlite:///path/to/file.sqlite or '
                         'postgresql://user@host:port/database (password in ~/.pgpass)')
    _OPEN[cache_key] = store
    return store


def close_all() -> None:
    """Close every store this process opened (tests, long-lived callers)."""
    for key in list(_OPEN):
        store = _OPEN.pop(key)
        if key[0] == os.getpid():
            store.close()
