# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Export policy and value schema."""

from __future__ import annotations

import pytest

from ansible_collections.podim.fleet.plugins.plugin_utils.exports import (
    MAX_RECORDS, ExportError, check_policy, check_records, exporter_metadata, normalize_data,
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


# -- the records of one task (option records) -----------------------------------------------------------------------

POLICIES = (({'dns_server': ['dns_servers']}, 'ansible.cfg'), (None, 'task option export_policy'))


def _check(items, present=True, groups=('web',), policies=POLICIES):
    return check_records(items, present, 'default', 'web1', groups, policies)


def test_records_are_checked_completed_and_normalized_in_order():
    checked = _check([{'type': 'web_backend', 'key': 'a', 'data': {'app': 'a', 'address': '10.0.0.1', 'port': '80'}},
                      {'type': 'blob', 'data': {'peer_address': '2001:DB8::0:1', 'n': '7'}, 'schema': {'n': 'integer'},
                       'tags': 'b,a'},
                      {'type': 'blob', 'key': 5}])
    assert checked == [
        {'type': 'web_backend', 'key': 'a', 'data': {'app': 'a', 'address': '10.0.0.1', 'port': 80}, 'tags': []},
        {'type': 'blob', 'key': 'default', 'data': {'peer_address': '2001:db8::1', 'n': 7}, 'tags': ['b', 'a']},
        {'type': 'blob', 'key': '5', 'data': {}, 'tags': []},
    ]


def test_absent_records_need_only_type_and_key():
    assert _check([{'type': 'dns_server', 'data': {'address': 'nope'}, 'schema': {'x': 'colour'}},
                   {'type': 'blob', 'key': 'k'}], present=False) == [{'type': 'dns_server', 'key': 'default'},
                                                                     {'type': 'blob', 'key': 'k'}]
    with pytest.raises(ExportError, match=r"records\[1\] \(type 'blob', key 'k'\): the same type and key as records\[0\]"):
        _check([{'type': 'blob', 'key': 'k'}, {'type': 'blob', 'key': 'k'}], present=False)
    with pytest.raises(ExportError, match=r"records\[0\] \(type 'Bad', key 'default'\): type 'Bad' is invalid"):
        _check([{'type': 'Bad'}], present=False)


def test_policy_is_applied_per_record_type():
    allowed = _check([{'type': 'dns_server', 'data': {'address': '10.0.0.1'}}, {'type': 'blob'}],
                     groups=['dns_servers'])
    assert [r['type'] for r in allowed] == ['dns_server', 'blob']
    with pytest.raises(ExportError) as info:
        _check([{'type': 'blob'}, {'type': 'dns_server', 'data': {'address': '10.0.0.1'}}])
    message = str(info.value)
    assert message.startswith("records[1] (type 'dns_server', key 'default'): export policy (ansible.cfg) does not "
                              'allow host web1')
    assert message.endswith('web1 is in web. Nothing was written.') and message.count('Nothing was written') == 1
    narrowed = POLICIES[:1] + (({'blob': ['db']}, 'task option export_policy'),)
    with pytest.raises(ExportError, match=r"records\[0\] .*task option export_policy"):
        _check([{'type': 'blob'}], policies=narrowed)


@pytest.mark.parametrize('items, match', [
    ('web', r'^records must be a list of mappings, got str\. Nothing was written\.$'),
    ([{'type': 'blob'}, None], r'^records\[1\]: must be a mapping with type, key, data, tags, schema, got None'),
    ([{'type': 'blob', 'colour': 1}], r"^records\[0\] \(type 'blob', key 'default'\): unsupported option colour\."),
    ([{'key': 'x'}], r"^records\[0\] \(type None, key 'x'\): missing required arguments: type\."),
    ([{'type': 'blob', 'data': 'x=1'}], None),  # key=value text is a mapping to ansible-core too, as for data
    ([{'type': 'blob', 'data': {'v': float('nan')}}], r"records\[0\] .*data\.v is not a finite number"),
    ([{'type': 'blob', 'data': {'x': 'y' * 70000}}], r'over the limit of 65536 bytes'),
    ([{'type': 'blob', 'tags': [f't{i}' for i in range(65)]}], r'65 tags is too many'),
    ([{'type': 'blob', 'key': 'bad key'}], r"key 'bad key' is invalid"),
    ([{'type': 'x' * 500}], r"^records\[0\] \(type 'x{39}\.\.\., key 'default'\): type 'x"),
])
def test_each_refusal_names_the_record(items, match):
    if match is None:
        assert _check(items)[0]['data'] == {'x': '1'}
        return
    with pytest.raises(ExportError, match=match) as info:
        _check(items)
    assert str(info.value).endswith(' Nothing was written.')


def test_at_most_max_records():
    assert MAX_RECORDS == 1000
    assert len(_check([{'type': 'blob', 'key': f'k{i}'} for i in range(MAX_RECORDS)])) == MAX_RECORDS
    with pytest.raises(ExportError, match=r'^records holds 1001 records, more than 1000 for one task'):
        _check([{'type': 'blob', 'key': f'k{i}'} for i in range(MAX_RECORDS + 1)])
