# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""podim.fleet.exported through real ansible-playbook runs on local hosts."""

from __future__ import annotations

from ansible_collections.podim.fleet.plugins.plugin_utils.store import open_store

HOSTS = {'ns1': {}, 'ns2': {}, 'web1': {}, 'web2': {}}
GROUPS = {'dns_servers': ['ns1', 'ns2'], 'web': ['web1', 'web2']}


def seed(url, namespace='default'):
    store = open_store(url)
    for i, host in enumerate(['web2', 'ns2', 'web1', 'ns1', 'gone']):
        store.apply(namespace, host, [
            {'type': 'host_record', 'data': {'name': host, 'address': f'10.0.0.{i + 1}'},
             'tags': ['dns'] if host.startswith('ns') else []},
            {'type': 'dns_server', 'data': {'address': f'10.0.0.{i + 1}'}}])
    store.apply(namespace, 'web1', [{'type': 'template_trap',
                                     'data': {'cmd': "{{ lookup('pipe', 'id') }}"}}])
    return store


def collect(expr):
    return f"""
- hosts: all
  gather_facts: false
  tasks:
    - name: collect
      ansible.builtin.set_fact:
        got: "{{{{ {expr} }}}}"
    - name: show
      ansible.builtin.copy:
        content: "{{{{ got | to_json }}}}"
        dest: "{{{{ playbook_dir }}}}/out-{{{{ inventory_hostname }}}}.json"
        mode: "0644"
"""


def test_sorted_records_and_jmespath(run_playbook, local_inventory, sqlite_url):
    seed(sqlite_url)
    run = run_playbook(collect("query('podim.fleet.exported', 'host_record', 'dns_server')"),
                       local_inventory(HOSTS, GROUPS), {'PODIM_FLEET_STORE': sqlite_url})
    assert run.rc == 0, run.out
    got = run.results['ns1']['collect']['ansible_facts']['got']
    expected = sorted((h, t) for h in ['gone', 'ns1', 'ns2', 'web1', 'web2'] for t in ['dns_server', 'host_record'])
    assert [(r['host'], r['type']) for r in got] == expected
    assert set(got[0]) == {'host', 'type', 'key', 'data', 'tags', 'updated', 'writer'}
    import getpass
    assert {r['writer'] for r in got} == {getpass.getuser()}  # SQLite: the controller's Unix user
    run = run_playbook(collect("query('podim.fleet.exported', 'dns_server', hosts='dns_servers', "
                               "query='[].data.address')"), local_inventory(HOSTS, GROUPS),
                       {'PODIM_FLEET_STORE': sqlite_url})
    assert run.results['web1']['collect']['ansible_facts']['got'] == ['10.0.0.4', '10.0.0.2']


def test_filters(run_playbook, local_inventory, sqlite_url):
    seed(sqlite_url)
    expr = ("query('podim.fleet.exported', 'host_record', hosts='all:!web2', tags=['dns'], exclude_self=true, "
            "query='[].host')")
    run = run_playbook(collect(expr), local_inventory(HOSTS, GROUPS), {'PODIM_FLEET_STORE': sqlite_url})
    assert run.rc == 0, run.out
    assert run.results['ns1']['collect']['ansible_facts']['got'] == ['ns2']
    assert run.results['web1']['collect']['ansible_facts']['got'] == ['ns1', 'ns2']
    # a scalar JMESPath result comes back as a list of one
    run = run_playbook(collect("query('podim.fleet.exported', 'host_record', query='length(@)')"),
                       local_inventory(HOSTS, GROUPS), {'PODIM_FLEET_STORE': sqlite_url})
    assert run.results['ns1']['collect']['ansible_facts']['got'] == [5]


def test_namespace_and_store_url_options(run_playbook, local_inventory, sqlite_url, tmp_path):
    seed(sqlite_url, namespace='staging')
    expr = (f"query('podim.fleet.exported', 'dns_server', namespace='staging', store_url='{sqlite_url}', "
            "query='[].host')")
    run = run_playbook(collect(expr), local_inventory(HOSTS, GROUPS),
                       {'PODIM_FLEET_STORE': f'sqlite:///{tmp_path}/other.sqlite'})
    assert run.rc == 0, run.out
    assert run.results['ns1']['collect']['ansible_facts']['got'] == ['gone', 'ns1', 'ns2', 'web1', 'web2']


def test_collected_data_is_never_templated(run_playbook, local_inventory, sqlite_url, tmp_path):
    seed(sqlite_url)
    run = run_playbook(collect("query('podim.fleet.exported', 'template_trap', query='[0].data.cmd')"),
                       local_inventory(HOSTS, GROUPS), {'PODIM_FLEET_STORE': sqlite_url})
    assert run.rc == 0, run.out
    assert run.results['ns1']['collect']['ansible_facts']['got'] == ["{{ lookup('pipe', 'id') }}"]
    written = (tmp_path / 'out-ns1.json').read_text()
    assert "lookup('pipe', 'id')" in written and 'uid=' not in written


def test_errors_never_an_empty_list(run_playbook, local_inventory, sqlite_url, tmp_path):
    seed(sqlite_url)
    cases = {
        f"query('podim.fleet.exported', 'dns_server', store_url='sqlite:///{tmp_path}/missing.sqlite')":
            'does not exist',
        "query('podim.fleet.exported', 'dns_server', store_url='postgresql://u:pw@127.0.0.1:1/db')":
            'cannot connect to store postgresql://u:***@127.0.0.1:1/db',
        "query('podim.fleet.exported', 'dns_server', store_url='ftp://x')": 'is not supported',
        "query('podim.fleet.exported', 'Bad-Type')": "type 'Bad-Type' is invalid",
        "query('podim.fleet.exported', 'dns_server', query='[?')": 'not valid JMESPath',
        "query('podim.fleet.exported', 'dns_server', hosts='~(')": 'not a valid regular expression',
        "query('podim.fleet.exported', 'dns_server', hosts='nosuchgroup', min_results=1)":
            'found 0 record(s) of type dns_server from hosts matching',
    }
    for expr, expected in cases.items():
        run = run_playbook(collect(expr), local_inventory(HOSTS, GROUPS), {'PODIM_FLEET_STORE': sqlite_url})
        assert run.rc != 0, expr
        message = run.results['ns1']['collect']['msg']
        assert expected in message and 'podim.fleet.exported' in message, (expr, message)
    assert not (tmp_path / 'missing.sqlite').exists()


def test_jmespath_type_error_is_not_invalid_syntax(run_playbook, local_inventory, sqlite_url):
    """A valid query whose function gets the wrong type of value from the records says so."""
    seed(sqlite_url)
    cases = {
        # data.address is a string (the first record is host gone's): abs() wants a number
        "query('podim.fleet.exported', 'dns_server', query='[].data.address | [0] | abs(@)')":
            "query '[].data.address | [0] | abs(@)' failed on the 5 record(s) found: function abs() expects number, "
            'got string "10.0.0.5"',
        # sum() wants an array of numbers: the offending element is named
        "query('podim.fleet.exported', 'dns_server', query='sum([].data.address)')":
            "query 'sum([].data.address)' failed on the 5 record(s) found: function sum() expects array-number, "
            'got an array holding string "10.0.0.5"',
    }
    not_valid = {
        "query('podim.fleet.exported', 'dns_server', query='[?')": "query '[?' is not valid JMESPath",
        "query('podim.fleet.exported', 'dns_server', query='nosuchfunction(@)')":
            "query 'nosuchfunction(@)' is not valid JMESPath: Unknown function: nosuchfunction()",
        "query('podim.fleet.exported', 'dns_server', query='abs(@, @)')": "query 'abs(@, @)' is not valid JMESPath",
    }
    for expr, expected in {**cases, **not_valid}.items():
        run = run_playbook(collect(expr), local_inventory(HOSTS, GROUPS), {'PODIM_FLEET_STORE': sqlite_url})
        assert run.rc != 0, expr
        message = run.results['ns1']['collect']['msg']
        assert f'podim.fleet.exported: {expected}' in message, (expr, message)
        if expr in cases:
            assert 'not valid JMESPath' not in message, message
        assert '_Ansible' not in message, message


def test_options_are_validated(run_playbook, local_inventory, sqlite_url):
    seed(sqlite_url)
    cases = {
        "query('podim.fleet.exported', 'dns_server', min_result=1)": "unknown option 'min_result' (did you mean "
                                                                     "min_results?)",
        "query('podim.fleet.exported', 'dns_server', colour='red')": "unknown option 'colour'",
        "query('podim.fleet.exported', 'dns_server', max_age=-5)": 'option max_age: -5',
        "query('podim.fleet.exported', 'dns_server', max_age=0)": 'option max_age: 0',
        "query('podim.fleet.exported', 'dns_server', max_age='soon')": "option max_age: 'soon' is not a number",
        "query('podim.fleet.exported', 'dns_server', exclude_self='maybe')": "'maybe' is not a boolean",
        "query('podim.fleet.exported', 'dns_server', min_results='lots')": "'lots' is not an integer",
        "query('podim.fleet.exported', 'dns_server', min_results=-1)": 'option min_results: -1 is negative',
        "query('podim.fleet.exported', 'dns_server', min_results=1.5)": 'option min_results: 1.5 is not an integer',
        "query('podim.fleet.exported', 'dns_server', query=['x'])": "option query: ['x'] is not a string",
    }
    for expr, expected in cases.items():
        run = run_playbook(collect(expr), local_inventory(HOSTS, GROUPS), {'PODIM_FLEET_STORE': sqlite_url})
        assert run.rc != 0, expr
        message = run.results['ns1']['collect']['msg']
        assert expected in message and 'podim.fleet.exported' in message, (expr, message)
