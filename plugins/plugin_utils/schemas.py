# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Schemas of the record types the roles export and collect, and their validator.

An exported record is input from another host, possibly a compromised one: its
values reach SQL, configuration files, controller paths and lookup terms. Each
known type lists every field it may carry; a record of a known type with a
missing, unknown or malformed field is refused at export
(podim.fleet.export) and again at collection (podim.fleet.exported), which
reads records straight from the store. Types not listed here are not checked.

Patterns are full matches (re.fullmatch of \\A...\\Z): `$` would accept a
trailing newline, which is a new line in a configuration file.
"""

from __future__ import annotations

import re
import typing as t

from ansible_collections.podim.fleet.plugins.plugin_utils.addresses import canonical_address
from ansible_collections.podim.fleet.plugins.plugin_utils.typenames import type_name

# Lowercase SQL identifier: no quoting needed in PostgreSQL or MariaDB, no
# space, '/', '.', '*' or '%' (a lookup option, a path, a wildcard grant).
_SQL_IDENTIFIER = r'\A[a-z][a-z0-9_]*\Z'
# Names the database servers give a meaning of their own (superusers, system
# schemas, template databases, pg_hba.conf keywords, pseudo-roles).
_SQL_RESERVED = (
    'postgres', 'template0', 'template1', 'all', 'sameuser', 'samerole', 'samegroup', 'replication',
    'public', 'none', 'current_user', 'session_user', 'current_role', 'system_user',
    'mysql', 'sys', 'information_schema', 'performance_schema', 'root',
)
_SQL_RESERVED_PREFIXES = ('pg_',)
# One DNS name: labels of letters, digits, '-' (and '_' in host names), an optional final dot.
_HOST_LABEL = r'[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?'
_DNS_LABEL = r'[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?'

# type -> field -> rule. kind: address (an IP address in netaddr's canonical
# form; with version 4 or 6 only an address of that family, never an
# IPv4-mapped IPv6 address), port (1-65535), string (with pattern and
# max_length), choice.
SCHEMAS: dict[str, dict[str, dict[str, t.Any]]] = {
    'host_record': {
        'name': {'kind': 'string', 'required': True, 'max_length': 253,
                 'pattern': rf'\A(?:{_HOST_LABEL}\.)*{_HOST_LABEL}\.?\Z',
                 'description': "the host's name (inventory name)"},
        'address': {'kind': 'address', 'version': 4, 'required': True,
                    'description': 'the IPv4 address the name resolves to (A record)'},
        'address6': {'kind': 'address', 'version': 6,
                     'description': 'the IPv6 address the name resolves to (AAAA record)'},
        'fqdn': {'kind': 'string', 'max_length': 253, 'pattern': rf'\A(?:{_DNS_LABEL}\.)+{_DNS_LABEL}\.?\Z',
                 'description': 'fully qualified name'},
    },
    'dns_server': {
        'address': {'kind': 'address', 'version': 4, 'required': True,
                    'description': 'where the server answers (IPv4)'},
        'address6': {'kind': 'address', 'version': 6, 'description': 'where the server answers over IPv6'},
        'port': {'kind': 'port', 'description': 'its port'},
        'zone': {'kind': 'string', 'max_length': 253, 'pattern': rf'\A(?:{_DNS_LABEL}\.)*{_DNS_LABEL}\.?\Z',
                 'description': 'the zone it serves (a search domain of the resolvers)'},
    },
    'database_request': {
        'engine': {'kind': 'choice', 'required': True, 'choices': ('mariadb', 'postgresql'),
                   'description': 'database engine'},
        'name': {'kind': 'string', 'required': True, 'max_length': 63, 'pattern': _SQL_IDENTIFIER,
                 'reserved': _SQL_RESERVED, 'reserved_prefixes': _SQL_RESERVED_PREFIXES,
                 'description': 'database name'},
        'user': {'kind': 'string', 'required': True, 'max_length': 32, 'pattern': _SQL_IDENTIFIER,
                 'reserved': _SQL_RESERVED, 'reserved_prefixes': _SQL_RESERVED_PREFIXES,
                 'description': 'database user'},
        'client_address': {'kind': 'address', 'required': True, 'description': 'address the user connects from'},
    },
    'database': {
        'engine': {'kind': 'choice', 'required': True, 'choices': ('mariadb', 'postgresql'),
                   'description': 'database engine'},
        'address': {'kind': 'address', 'required': True, 'description': 'where the server listens'},
        'port': {'kind': 'port', 'required': True, 'description': 'its port'},
        'name': {'kind': 'string', 'required': True, 'max_length': 63, 'pattern': _SQL_IDENTIFIER,
                 'reserved': _SQL_RESERVED, 'reserved_prefixes': _SQL_RESERVED_PREFIXES,
                 'description': 'database name'},
    },
    'web_backend': {
        'app': {'kind': 'string', 'required': True, 'max_length': 63, 'pattern': r'\A[a-z][a-z0-9_-]*\Z',
                'description': 'application (a load balancer frontend)'},
        'address': {'kind': 'address', 'required': True, 'description': 'where the backend listens'},
        'port': {'kind': 'port', 'required': True, 'description': 'its port'},
        'health_path': {'kind': 'string', 'max_length': 201, 'pattern': r'\A/[A-Za-z0-9._~/-]{0,200}\Z',
                        'description': 'path of the HTTP health check'},
    },
}


class RecordError(ValueError):
    """A record that does not satisfy the schema of its type."""

    def __init__(self, typ: str, field: str, problem: str):
        self.type, self.field, self.problem = typ, field, problem
        super().__init__(f'data.{field} {problem}' if field else problem)


def _show(value: t.Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else f'{text[:limit]}... ({type_name(value)})'


def _address_family(canonical: str) -> str:
    """'IPv4', 'IPv6' or 'IPv4-mapped IPv6' (::ffff:a.b.c.d, neither) for an address in netaddr's canonical form."""
    if ':' not in canonical:
        return 'IPv4'  # netaddr writes every IPv6 address with ':', no IPv4 address with one
    import netaddr  # already loaded: canonical_address needed it for this IPv6 address
    return 'IPv4-mapped IPv6' if netaddr.IPAddress(canonical).is_ipv4_mapped() else 'IPv6'


def _check_field(typ: str, field: str, rule: dict, value: t.Any, coerce: bool) -> t.Any:
    kind = rule['kind']

    def refuse(problem: str) -> t.NoReturn:
        raise RecordError(typ, field, problem)

    if kind == 'address':
        canonical = canonical_address(value.strip() if coerce and isinstance(value, str) else value) \
            if isinstance(value, str) else None
        if canonical is None:
            refuse(f'must be an IP address, got {_show(value)}')
        version = rule.get('version')
        family = _address_family(canonical) if version is not None else None
        if family is not None and family != f'IPv{version}':
            refuse(f'must be an IPv{version} address, got the {family} address {_show(value)}')
        if canonical != value and not coerce:
            refuse(f'must be an IP address in canonical form ({canonical!r}), got {_show(value)}')
        return canonical
    if kind == 'port':
        if coerce and isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
            refuse(f'must be a port number (1-65535), got {_show(value)}')
        return value
    if kind == 'choice':
        if not isinstance(value, str) or value not in rule['choices']:
            refuse(f'must be one of {", ".join(rule["choices"])}, got {_show(value)}')
        return value
    if not isinstance(value, str):
        refuse(f'must be a string, got {type_name(value)} {_show(value)}')
    if len(value) > rule['max_length']:
        refuse(f'is longer than {rule["max_length"]} characters ({len(value)})')
    if not re.fullmatch(rule['pattern'], value):
        refuse(f'{_show(value)} does not match {rule["pattern"]}')
    lowered = value.lower()
    if lowered in rule.get('reserved', ()) or lowered.startswith(tuple(rule.get('reserved_prefixes', ()))):
        refuse(f'{_show(value)} is a reserved name')
    return value


def validate(typ: str, data: t.Any, coerce: bool = False) -> t.Any:
    """Check data of a known type against its schema; return it (normalized when coerce).

    coerce (at export): strip addresses to netaddr's canonical form, accept a
    port given as digits. Without it (at collection) a value must already be
    what an export would have stored. Unknown types are returned as they are.
    """
    schema = SCHEMAS.get(typ)
    if schema is None:
        return data
    if not isinstance(data, dict):
        raise RecordError(typ, '', f'data must be a mapping, got {type_name(data)}')
    unknown = sorted(str(key) for key in data if key not in schema)
    if unknown:
        raise RecordError(typ, unknown[0], f'is not a field of type {typ!r} (fields: {", ".join(schema)})')
    out = {}
    for field, rule in schema.items():
        if field not in data or data[field] is None:
            if rule.get('required'):
                raise RecordError(typ, field, 'is required')
            continue
        out[field] = _check_field(typ, field, rule, data[field], coerce)
    return out


def describe(rule: dict) -> str:
    """One line of documentation of a field rule (used by the docs table and its test)."""
    kind = rule['kind']
    if kind == 'address':
        text = {4: 'IPv4 address', 6: 'IPv6 address, not IPv4-mapped'}.get(rule.get('version'), 'IP address')
    elif kind == 'port':
        text = 'port 1-65535'
    elif kind == 'choice':
        text = 'one of ' + ', '.join(f'`{c}`' for c in rule['choices'])
    else:
        text = f'`{rule["pattern"]}`, at most {rule["max_length"]}'
    if rule.get('reserved'):
        text += '; reserved names refused'
    return text


def markdown_table() -> str:
    """The table of docs/exported-facts.md, from the schemas (a test checks they agree)."""
    lines = ['| type | field | required | value |', '|---|---|---|---|']
    for typ, fields in SCHEMAS.items():
        for field, rule in fields.items():
            value = describe(rule).replace('|', '\\|')
            lines.append(f'| `{typ}` | `{field}` | {"yes" if rule.get("required") else "no"} | {value} |')
    return '\n'.join(lines)
