# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The schemas of the record types the roles exchange: every attack of issue 9 is refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ansible_collections.podim.fleet.plugins.plugin_utils.schemas import (
    SCHEMAS, RecordError, markdown_table, validate,
)

GOOD = {
    'host_record': {'name': 'web1', 'address': '10.0.0.1', 'address6': 'fd10:77:4::1', 'fqdn': 'web1.site.test'},
    'dns_server': {'address': '10.0.0.2', 'address6': '2001:db8::2', 'port': 53, 'zone': 'site.test'},
    'database_request': {'engine': 'postgresql', 'name': 'demo', 'user': 'demo', 'client_address': '10.0.0.3'},
    'database': {'engine': 'mariadb', 'address': '10.0.0.4', 'port': 3306, 'name': 'wordpress'},
    'web_backend': {'app': 'rails', 'address': '10.0.0.5', 'port': 80, 'health_path': '/health'},
}


def test_every_type_has_a_good_example():
    assert set(GOOD) == set(SCHEMAS)


@pytest.mark.parametrize('typ', sorted(GOOD))
def test_good_records_pass_unchanged(typ):
    assert validate(typ, GOOD[typ]) == GOOD[typ]


def test_roles_use_only_known_types():
    """Every type a role exports or collects has a schema (grep the roles, so a new type cannot slip in)."""
    roles = Path(__file__).parents[4] / 'roles'
    used = set()
    for path in roles.rglob('*.yml'):
        text = path.read_text()
        used |= set(re.findall(r"podim\.fleet\.exported', '([a-z0-9_]+)'", text))
        used |= set(re.findall(r'podim\.fleet\.export:\s*\n\s*type:\s*([a-z0-9_]+)', text))
    assert used and used <= set(SCHEMAS), used - set(SCHEMAS)


ATTACKS = {
    # (type, field, value, words of the message)
    'newline after a name': ('database_request', 'name', 'demo\n', 'does not match'),
    'newline in a health path': ('web_backend', 'health_path', '/health\n    server evil 1.2.3.4:80', 'does not match'),
    'newline after a host name': ('host_record', 'name', 'web1\n', 'does not match'),
    'newline after a zone': ('dns_server', 'zone', 'site.test\n', 'does not match'),
    'space injects lookup options': ('database_request', 'user', 'demo seed=1', 'does not match'),
    'space in a search domain': ('dns_server', 'zone', 'site.test evil.test', 'does not match'),
    'path traversal': ('database_request', 'name', '../../etc', 'does not match'),
    'slash': ('database_request', 'user', 'a/b', 'does not match'),
    'grant on every database': ('database', 'name', '*', 'does not match'),
    'sql wildcard': ('database_request', 'name', 'word%', 'does not match'),
    'quote': ('database_request', 'user', "x'; DROP", 'does not match'),
    'superuser': ('database_request', 'user', 'postgres', 'reserved'),
    'root': ('database_request', 'user', 'root', 'reserved'),
    'grant tables': ('database_request', 'name', 'mysql', 'reserved'),
    'template database': ('database_request', 'name', 'template1', 'reserved'),
    'pg_hba keyword all': ('database_request', 'name', 'all', 'reserved'),
    'pg_hba keyword replication': ('database_request', 'user', 'replication', 'reserved'),
    'pg_hba keyword sameuser': ('database_request', 'user', 'sameuser', 'reserved'),
    'system schema': ('database', 'name', 'information_schema', 'reserved'),
    'performance schema': ('database_request', 'name', 'performance_schema', 'reserved'),
    'sys': ('database_request', 'name', 'sys', 'reserved'),
    'pg_ prefix': ('database_request', 'user', 'pg_monitor', 'reserved'),
    'upper case dodges the list': ('database_request', 'name', 'MYSQL', 'does not match'),
    'overlong database name': ('database_request', 'name', 'a' * 64, 'longer than 63'),
    'overlong user': ('database_request', 'user', 'u' * 33, 'longer than 32'),
    'overlong health path': ('web_backend', 'health_path', '/' + 'a' * 201, 'longer than 201'),
    'health path without slash': ('web_backend', 'health_path', 'health', 'does not match'),
    'health path query': ('web_backend', 'health_path', '/h?x=1', 'does not match'),
    'number for a name': ('database_request', 'name', 5, 'must be a string'),
    'list for a name': ('host_record', 'name', ['web1'], 'must be a string'),
    'string port': ('web_backend', 'port', '80', 'port number'),
    'boolean port': ('database', 'port', True, 'port number'),
    'port zero': ('dns_server', 'port', 0, 'port number'),
    'port too big': ('dns_server', 'port', 65536, 'port number'),
    'not an address': ('dns_server', 'address', 'ns1', 'IP address'),
    'address with a newline': ('host_record', 'address', '10.0.0.1\n', 'IP address'),
    'address not canonical': ('web_backend', 'address', '2001:DB8::0:1', 'canonical'),
    'address6 not canonical': ('host_record', 'address6', 'FD10:77:4:0::1', 'canonical'),
    'address6 with a newline': ('dns_server', 'address6', '2001:db8::2\n', 'IP address'),
    'address6 not an address': ('host_record', 'address6', 'web1', 'IP address'),
    'IPv6 in a host address': ('host_record', 'address', 'fd10:77:4::1', 'must be an IPv4 address, got the IPv6'),
    'IPv6 in a server address': ('dns_server', 'address', '2001:db8::2', 'must be an IPv4 address, got the IPv6'),
    'IPv4 in a host address6': ('host_record', 'address6', '10.0.0.1', 'must be an IPv6 address, got the IPv4'),
    'IPv4 in a server address6': ('dns_server', 'address6', '10.0.0.2', 'must be an IPv6 address, got the IPv4'),
    'IPv4-mapped in address6': ('host_record', 'address6', '::ffff:10.0.0.1', 'got the IPv4-mapped IPv6'),
    'IPv4-mapped in address': ('dns_server', 'address', '::ffff:10.0.0.2', 'got the IPv4-mapped IPv6'),
    'link-local with a zone in address6': ('host_record', 'address6', 'fe80::1%eth0', 'IP address'),
    'network in address6': ('host_record', 'address6', 'fd10:77:4::/64', 'IP address'),
    'unknown engine': ('database_request', 'engine', 'oracle', 'one of mariadb, postgresql'),
    'fqdn with underscore': ('host_record', 'fqdn', 'web_1.site.test', 'does not match'),
    'app with a space': ('web_backend', 'app', 'rails x', 'does not match'),
}


@pytest.mark.parametrize('name', sorted(ATTACKS))
def test_attacks_are_refused_naming_the_field(name):
    typ, field, value, words = ATTACKS[name]
    data = dict(GOOD[typ], **{field: value})
    with pytest.raises(RecordError) as caught:
        validate(typ, data)
    assert caught.value.type == typ and caught.value.field == field
    assert str(caught.value).startswith(f'data.{field} ') and words in str(caught.value), str(caught.value)


@pytest.mark.parametrize('typ', sorted(GOOD))
def test_required_and_unknown_fields(typ):
    required = [f for f, rule in SCHEMAS[typ].items() if rule.get('required')]
    for field in required:
        data = {k: v for k, v in GOOD[typ].items() if k != field}
        with pytest.raises(RecordError, match=f'data.{field} is required'):
            validate(typ, data)
    with pytest.raises(RecordError, match='data.extra is not a field of type'):
        validate(typ, dict(GOOD[typ], extra='x'))
    with pytest.raises(RecordError, match='data must be a mapping'):
        validate(typ, ['x'])


def test_coerce_at_export_only():
    data = {'address': ' 10.0.0.2', 'address6': ' 2001:DB8::0:1 ', 'port': '53'}
    assert validate('dns_server', data, coerce=True) == {'address': '10.0.0.2', 'address6': '2001:db8::1', 'port': 53}
    with pytest.raises(RecordError):
        validate('dns_server', data)
    # coercion never moves an address to the other family's field
    with pytest.raises(RecordError, match='data.address6 must be an IPv6 address'):
        validate('host_record', {'name': 'web1', 'address': '10.0.0.1', 'address6': ' 10.0.0.1 '}, coerce=True)
    # coercion never makes an attack pass
    with pytest.raises(RecordError, match='reserved'):
        validate('database_request', dict(GOOD['database_request'], user='postgres'), coerce=True)


@pytest.mark.parametrize('typ', ['host_record', 'dns_server'])
def test_address6_is_optional(typ):
    data = {k: v for k, v in GOOD[typ].items() if k != 'address6'}
    assert validate(typ, data) == data
    assert validate(typ, dict(data, address6=None)) == data  # a null field is left out, as any optional one


@pytest.mark.parametrize('value', ['::1', 'fe80::1', '2001:db8::', 'fd00::10.0.0.1'])
def test_every_ipv6_address_that_is_not_ipv4_mapped_fits_address6(value):
    canonical = validate('host_record', dict(GOOD['host_record'], address6=value), coerce=True)['address6']
    assert validate('host_record', dict(GOOD['host_record'], address6=canonical))['address6'] == canonical


def test_other_address_fields_take_both_families():
    for value in ('10.0.0.5', '2001:db8::5'):
        assert validate('web_backend', dict(GOOD['web_backend'], address=value))['address'] == value
        assert validate('database_request', dict(GOOD['database_request'], client_address=value))


def test_unknown_types_are_not_checked():
    assert validate('my_type', {'anything': 'goes\n'}) == {'anything': 'goes\n'}


def test_patterns_are_full_matches():
    for typ, fields in SCHEMAS.items():
        for field, rule in fields.items():
            if 'pattern' in rule:
                assert rule['pattern'].startswith('\\A') and rule['pattern'].endswith('\\Z'), (typ, field)
                assert '$' not in rule['pattern'], (typ, field)


def test_docs_table_matches_the_schemas():
    docs = (Path(__file__).parents[4] / 'docs' / 'exported-facts.md').read_text()
    assert markdown_table() in docs, 'regenerate the table in docs/exported-facts.md from schemas.markdown_table()'
