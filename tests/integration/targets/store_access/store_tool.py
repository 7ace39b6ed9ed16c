# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers of runme.sh, with plain psycopg (no podim.fleet code in the way).

    store_tool.py create ADMIN_URL          -> URL of a new, empty database of this run
    store_tool.py url URL ROLE PASSWORD     -> the same database as another role
    store_tool.py dump URL [ROLE...]        -> the whole store as JSON, and whether those roles exist
    store_tool.py drop URL [ROLE...]        -> drop the database, then the roles
"""

from __future__ import annotations

import json
import sys
import urllib.parse
import uuid

import psycopg
from psycopg import sql


def with_path(url: str, database: str) -> str:
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(path=f'/{database}'))


def as_role(url: str, role: str, password: str) -> str:
    parts = urllib.parse.urlsplit(url)
    host = parts.netloc.rsplit('@', 1)[-1]
    return urllib.parse.urlunsplit(parts._replace(netloc=f'{role}:{password}@{host}'))


def create(url: str) -> None:
    name = f'podim_it_{uuid.uuid4().hex[:10]}'
    with psycopg.connect(with_path(url, 'postgres'), autocommit=True) as conn:
        conn.execute(sql.SQL('CREATE DATABASE {}').format(sql.Identifier(name)))
    print(with_path(url, name))


def dump(url: str, roles: list[str]) -> None:
    out = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for table in ('podim_records', 'podim_decisions', 'podim_grants'):
            rows = conn.execute(sql.SQL('SELECT * FROM {} ORDER BY 1, 2, 3').format(sql.Identifier(table))).fetchall()
            out[table] = [list(row) for row in rows]
        out['acl'] = conn.execute("SELECT relname, relacl::text FROM pg_class WHERE relname LIKE 'podim%' "
                                  "ORDER BY 1").fetchall()
        out['roles'] = {role: conn.execute('SELECT count(*) FROM pg_roles WHERE rolname = %s',
                                           (role,)).fetchone()[0] for role in roles}
    print(json.dumps(out, indent=1, sort_keys=True, default=str))


def drop(url: str, roles: list[str]) -> None:
    name = urllib.parse.urlsplit(url).path.lstrip('/')
    with psycopg.connect(with_path(url, 'postgres'), autocommit=True) as conn:
        conn.execute(sql.SQL('DROP DATABASE IF EXISTS {} WITH (FORCE)').format(sql.Identifier(name)))
        for role in roles:
            conn.execute(sql.SQL('DROP ROLE IF EXISTS {}').format(sql.Identifier(role)))


def main() -> None:
    command, url, *rest = sys.argv[1:]
    if command == 'create':
        create(url)
    elif command == 'url':
        print(as_role(url, *rest))
    elif command == 'dump':
        dump(url, rest)
    elif command == 'drop':
        drop(url, rest)
    else:
        raise SystemExit(f'unknown command {command}')


if __name__ == '__main__':
    main()
