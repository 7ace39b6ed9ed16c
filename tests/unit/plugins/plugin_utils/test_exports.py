# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Export policy and value schema."""

from __future__ import annotations

import pytest

from ansible_collections.podim.fleet.plugins.plugin_utils.exports import (
    ExportError, check_policy, exporter_metadata, normalize_data,
)


def test_addresses_are_normalized_wherever_they_are():
    data = normalize_data({'address': ' 10.0.0.1 ', 'db': {'listen_address': '2001:DB8:0:0::1'},
                           'peers': [{'address': '192.168.1.1'}], 'backup_address': ['10.1.1.1', '10.1.1.2'],
                           'name': 'x'})
    assert data == {'address': '10.0.0.1', 'db': {'listen_address': '2001:db8::1'},
                    'peers': [{'address': '192.168.1.1'}], 'backup_address': ['10.1.1.1', '10.1.1.2'], 'name': 'x'}


@pytest.mark.parametrize('data, match', [
    ({'address': 'ns1.example.com'}, r'data.address is not a valid IP address'),
    ({'address': '10.0.0.256'}, 'not a valid IP address'),
    ({'address': '10.0.0.01'}, 'not a valid IP address'),  # leading zeros are ambiguous (octal)
    ({'address': ''}, 'must be an IP address'),
    ({'x': {'mgmt_address': 12}}, r'data.x.mgmt_address must be an IP address'),
    ({'backup_address': ['10.0.0.1', 'nope']}, r'backup_address\[1\]'),
])
def test_bad_addresses_fail_naming_the_field(data, match):
    with pytest.raises(ExportError, match=match):
        normalize_data(data)


def test_schema_declares_and_converts():
    data = normalize_data({'net': '10.0.0.7/24', 'port': '53', 'dns': {'addr': '10.0.0.2'}, 'on': True},
                          {'net': 'network', 'port': 'port', 'dns.addr': 'address', 'on': 'boolean'})
    assert data == {'net': '10.0.0.0/24', 'port': 53, 'dns': {'addr': '10.0.0.2'}, 'on': True}


@pytest.mark.parametrize('data, schema, match', [
    ({'port': 70000}, {'port': 'port'}, 'port number'),
    ({'port': True}, {'port': 'port'}, 'port number'),
    ({'n': 'x'}, {'n': 'integer'}, 'an integer'),
    ({'s': 1}, {'s': 'string'}, 'a string'),
    ({}, {'port': 'port'}, 'no such field'),
    ({'x': 1}, {'x': 'colour'}, 'unknown kind'),
    ({'net': '10.0.0.0/33'}, {'net': 'network'}, 'valid IP network'),
])
def test_schema_errors(data, schema, match):
    with pytest.raises(ExportError, match=match):
        normalize_data(data, schema)


def test_policy_allows_members_and_unlisted_types():
    policy = {'dns_server': ['dns_servers', 'ns']}
    check_policy(policy, 'dns_server', 'h1', ['web', 'ns'], 'test')
    check_policy(policy, 'host_record', 'h1', [], 'test')
    check_policy(None, 'dns_server', 'h1', [], 'test')


def test_policy_refuses_others_with_a_clear_message():
    with pytest.raises(ExportError) as info:
        check_policy({'dns_server': ['dns_servers']}, 'dns_server', 'web7', ['web'], 'ansible.cfg')
    message = str(info.value)
    for part in ('web7', 'dns_server', 'dns_servers', 'ansible.cfg', 'Nothing was written'):
        assert part in message


def test_exporter_metadata_names_controller_and_run(monkeypatch):
    meta = exporter_metadata()
    assert meta['controller'] and meta['user'] and meta['run_id'].startswith(meta['controller'])
    monkeypatch.setenv('PODIM_FLEET_RUN_ID', 'ci-42')
    assert exporter_metadata()['run_id'] == 'ci-42'
