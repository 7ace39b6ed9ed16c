# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""podim.fleet.export with `records` (many records in one task and one transaction), through real ansible-playbook
runs on local hosts."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from ansible_collections.podim.fleet.plugins.action.export import ARGUMENT_SPEC
from ansible_collections.podim.fleet.plugins.plugin_utils.store import close_all, open_store

HOSTS = {'ns1': {'ip': '10.0.0.1'}, 'web1': {'ip': '10.0.0.3'}}
GROUPS = {'dns_servers': ['ns1'], 'web': ['web1']}
POLICY_CFG = '[podim_fleet]\nexport_policy = {"dns_server": ["dns_servers"]}\n'

RECORDS = [
    {'type': 'web_backend', 'key': 'shop', 'data': {'app': 'shop', 'address': '10.0.0.3', 'port': '8080'}},
    {'type': 'web_backend', 'key': 'blog', 'data': {'app': 'blog', 'address': '10.0.0.3', 'port': 8081},
     'tags': ['prod', 'blog', 'prod']},
    {'type': 'metrics', 'data': {'listen_address': '2001:DB8::0:1', 'interval': '15'}, 'schema': {'interval': 'integer'}},
]
STORED = [
    ('web_backend', 'shop', {'app': 'shop', 'address': '10.0.0.3', 'port': 8080}, []),
    ('web_backend', 'blog', {'app': 'blog', 'address': '10.0.0.3', 'port': 8081}, ['blog', 'prod']),
    ('metrics', 'default', {'listen_address': '2001:db8::1', 'interval': 15}, []),
]


def _play(records, hosts: str = 'web1', extra: str = '', name: str = 'export') -> str:
    # records as JSON (valid YAML): the values reach the action as they are
    return f"""
- hosts: {hosts}
  gather_facts: false
  tasks:
    - name: {name}
      podim.fleet.export:
        records: {json.dumps(records)}
{extra}"""


def _stored(url: str, namespace: str = 'default') -> list:
    records = open_store(url).query(namespace, ['web_backend', 'metrics', 'dns_server', 'database_request', 'blob'])
    close_all()
    return sorted((r.host, r.type, r.key, r.data, r.tags) for r in records)


def test_many_records_in_one_task_and_one_transaction(run_playbook, local_inventory, sqlite_url):
    env = {'PODIM_FLEET_STORE': sqlite_url}
    run = run_playbook(_play(RECORDS), local_inventory(HOSTS, GROUPS), env)
    assert run.rc == 0, run.out
    result = run.results['web1']['export']
    assert result['changed'] and result['record'] is None
    # as stored (normalized), in the order given
    assert [(r['type'], r['key'], r['data'], r['tags']) for r in result['records']] == STORED
    assert all(r['namespace'] == 'default' and r['host'] == 'web1' for r in result['records'])
    assert _stored(sqlite_url) == sorted(('web1', *x) for x in STORED)
    # one transaction: one time for all of them
    assert len({r.updated for r in open_store(sqlite_url).query('default', ['web_backend', 'metrics'])}) == 1


def test_a_second_identical_task_changes_nothing(run_playbook, local_inventory, sqlite_url):
    env = {'PODIM_FLEET_STORE': sqlite_url}
    assert run_playbook(_play(RECORDS), local_inventory(HOSTS, GROUPS), env).rc == 0
    again = run_playbook(_play(RECORDS), local_inventory(HOSTS, GROUPS), env, args=['--diff'])
    assert again.rc == 0, again.out
    assert not again.results['web1']['export']['changed'] and 'diff' not in again.results['web1']['export']
    assert len(again.results['web1']['export']['records']) == 3
    # one record changes: one diff, with its headers
    changed = [dict(RECORDS[0]), *RECORDS[1:]]
    changed[0] = dict(changed[0], data=dict(changed[0]['data'], port=9090))
    third = run_playbook(_play(changed), local_inventory(HOSTS, GROUPS), env, args=['--diff'])
    result = third.results['web1']['export']
    assert result['changed'] and len(result['diff']) == 1, third.out
    assert result['diff'][0]['before_header'] == result['diff'][0]['after_header'] == 'default/web1/web_backend/shop'
    assert json.loads(result['diff'][0]['before'])['data']['port'] == 8080
    assert json.loads(result['diff'][0]['after'])['data']['port'] == 9090


def test_diff_is_a_list_one_per_changed_record(run_playbook, local_inventory, sqlite_url):
    run = run_playbook(_play(RECORDS), local_inventory(HOSTS, GROUPS), {'PODIM_FLEET_STORE': sqlite_url},
                       args=['--diff'])
    assert run.rc == 0, run.out
    diffs = run.results['web1']['export']['diff']
    assert [d['after_header'] for d in diffs] == ['default/web1/web_backend/shop', 'default/web1/web_backend/blog',
                                                  'default/web1/metrics/default']
    assert all(d['before'] == '' for d in diffs)
    assert json.loads(diffs[2]['after']) == {'data': STORED[2][2], 'tags': []}


def test_diff_through_the_default_callback(run_playbook, local_inventory, sqlite_url):
    """ansible-core's own callback shows each diff of the list."""
    run = run_playbook(_play(RECORDS[:2]), local_inventory(HOSTS, GROUPS),
                       {'PODIM_FLEET_STORE': sqlite_url, 'ANSIBLE_STDOUT_CALLBACK': 'ansible.builtin.default'},
                       args=['--diff'])
    assert run.rc == 0, run.out
    assert '+++ after: default/web1/web_backend/shop' in run.out and '+++ after: default/web1/web_backend/blog' \
        in run.out, run.out


CHECK_THEN_COLLECT = """
- hosts: web1
  gather_facts: false
  tasks:
    - name: export
      podim.fleet.export:
        records: {records}
        state: {state}
    - name: collect
      ansible.builtin.set_fact:
        found: "{{{{ query('podim.fleet.exported', 'web_backend', 'metrics', query='[].[type, key, data]') }}}}"
"""


def test_check_mode_writes_nothing_and_the_lookup_sees_the_records(run_playbook, local_inventory, sqlite_url):
    env = {'PODIM_FLEET_STORE': sqlite_url}
    playbook = CHECK_THEN_COLLECT.format(records=json.dumps(RECORDS), state='present')
    # against a store that does not exist yet: nothing is created
    first = run_playbook(playbook, local_inventory(HOSTS, GROUPS), env, args=['--check', '--diff'])
    assert first.rc == 0, first.out
    assert first.results['web1']['export']['changed'] and len(first.results['web1']['export']['diff']) == 3
    assert sorted(map(tuple, first.results['web1']['collect']['ansible_facts']['found'])) == \
        sorted((t, k, d) for t, k, d, _tags in STORED)
    assert not Path(sqlite_url[len('sqlite:///'):]).exists()
    # against an existing store: a record of another host is there, nothing of web1's is written
    open_store(sqlite_url).apply('default', 'ns1', [{'type': 'metrics', 'data': {'interval': 1}}])
    close_all()
    second = run_playbook(playbook, local_inventory(HOSTS, GROUPS), env, args=['--check'])
    assert second.rc == 0, second.out
    assert len(second.results['web1']['collect']['ansible_facts']['found']) == 4
    assert _stored(sqlite_url) == [('ns1', 'metrics', 'default', {'interval': 1}, [])]
    # and a --check withdrawal of them all hides them from the lookup of that run
    run_playbook(_play(RECORDS), local_inventory(HOSTS, GROUPS), env)
    absent = CHECK_THEN_COLLECT.format(records=json.dumps(RECORDS), state='absent')
    third = run_playbook(absent, local_inventory(HOSTS, GROUPS), env, args=['--check'])
    assert third.rc == 0 and third.results['web1']['export']['changed'], third.out
    assert third.results['web1']['collect']['ansible_facts']['found'] == [['metrics', 'default', {'interval': 1}]]
    assert len(_stored(sqlite_url)) == 4


def test_state_absent_removes_the_listed_records(run_playbook, local_inventory, sqlite_url):
    env = {'PODIM_FLEET_STORE': sqlite_url}
    assert run_playbook(_play(RECORDS), local_inventory(HOSTS, GROUPS), env).rc == 0
    # data, tags and schema of the items do not matter (not even bad ones)
    gone = [{'type': 'web_backend', 'key': 'shop', 'data': {'address': 'not-an-ip'}},
            {'type': 'metrics', 'schema': {'x': 'colour'}, 'tags': ['x']},
            {'type': 'web_backend', 'key': 'never-exported'}]
    run = run_playbook(_play(gone, extra='        state: absent\n'), local_inventory(HOSTS, GROUPS), env,
                       args=['--diff'])
    assert run.rc == 0, run.out
    result = run.results['web1']['export']
    assert result['changed'] and result['records'] == [] and result['record'] is None
    assert [d['before_header'] for d in result['diff']] == [
        'default/web1/web_backend/shop', 'default/web1/metrics/default']
    assert _stored(sqlite_url) == [('web1', *STORED[1])]
    again = run_playbook(_play(gone, extra='        state: absent\n'), local_inventory(HOSTS, GROUPS), env)
    assert again.rc == 0 and not again.results['web1']['export']['changed'], again.out


def test_an_empty_list_writes_nothing_and_changes_nothing(run_playbook, local_inventory, sqlite_url):
    run = run_playbook(_play([]), local_inventory(HOSTS, GROUPS), {'PODIM_FLEET_STORE': sqlite_url})
    assert run.rc == 0, run.out
    assert not run.results['web1']['export']['changed'] and run.results['web1']['export']['records'] == []


GOOD = {'type': 'web_backend', 'key': 'shop', 'data': {'app': 'shop', 'address': '10.0.0.3', 'port': 8080}}
# name -> (the records, words of the message); the first record of each is good, and none may be written
REFUSED = {
    'bad type name': ([GOOD, {'type': 'DNS-Server'}],
                      "records[1] (type 'DNS-Server', key 'default'): type 'DNS-Server' is invalid"),
    'bad key': ([GOOD, {'type': 'blob', 'key': 'a b'}], "records[1] (type 'blob', key 'a b'): key 'a b' is invalid"),
    'policy': ([GOOD, {'type': 'dns_server', 'data': {'address': '10.0.0.3'}}],
               ("records[1] (type 'dns_server', key 'default'): export policy ([podim_fleet] export_policy",
                "does not allow host web1 to export type 'dns_server'")),
    'schema of a known type': ([GOOD, {'type': 'database_request', 'key': 'db', 'data': {
        'engine': 'postgresql', 'name': 'demo', 'user': 'postgres', 'client_address': '10.0.0.3'}}],
        "records[1] (type 'database_request', key 'db'): record of type 'database_request' refused by its schema: "
        "data.user 'postgres' is a reserved name"),
    'declared schema': ([GOOD, {'type': 'blob', 'data': {'n': 'x'}, 'schema': {'n': 'integer'}}],
                        "records[1] (type 'blob', key 'default'): data.n must be an integer"),
    'bad address': ([GOOD, {'type': 'blob', 'data': {'address': 'ns1'}}],
                    "records[1] (type 'blob', key 'default'): data.address is not a valid IP address"),
    'duplicate': ([GOOD, {'type': 'blob'}, dict(GOOD, data={})],
                  "records[2] (type 'web_backend', key 'shop'): the same type and key as records[0]"),
    'too large': ([GOOD, {'type': 'blob', 'key': 'big', 'data': {'x': 'y' * 70000}}],
                  ("records[1] (type 'blob', key 'big'): record blob/big of host 'web1' in namespace default: data is",
                   'over the limit of 65536 bytes for one record; export smaller records (several keys) instead. '
                   'Nothing was written.')),
    'not a mapping': ([GOOD, 'blob'], 'records[1]: must be a mapping with type, key, data, tags, schema, got str'),
    'unknown option': ([GOOD, {'type': 'blob', 'colour': 'red'}],
                       "records[1] (type 'blob', key 'default'): unsupported option colour."),
    'missing type': ([GOOD, {'key': 'k'}],
                     "records[1] (type None, key 'k'): missing required arguments: type"),
    'data not a mapping': ([GOOD, {'type': 'blob', 'data': [1, 2]}],
                           "records[1] (type 'blob', key 'default'): argument 'data' is of type list"),
    'bad tags': ([GOOD, {'type': 'blob', 'tags': ['x' * 200]}],
                 "records[1] (type 'blob', key 'default'): record blob/default of host 'web1' in namespace default: "
                 "tag 'xxx"),
}


def test_one_refused_record_fails_the_task_naming_it_and_nothing_is_written(run_playbook, local_inventory,
                                                                            sqlite_url):
    env = {'PODIM_FLEET_STORE': sqlite_url}
    # the store exists and holds a record of web1 that a written task would change
    old = dict(GOOD, data={'app': 'old', 'address': '10.0.0.9', 'port': 80})
    open_store(sqlite_url).apply('default', 'web1', [old])
    close_all()
    before = _stored(sqlite_url)
    tasks = ''.join(f"""
    - name: {name}
      podim.fleet.export:
        records: {json.dumps(records)}
      ignore_errors: true
""" for name, (records, _words) in REFUSED.items())
    run = run_playbook(f'- hosts: web1\n  gather_facts: false\n  tasks:{tasks}', local_inventory(HOSTS, GROUPS),
                       env, cfg=POLICY_CFG)
    for name, (_records, words) in REFUSED.items():
        result = run.results['web1'][name]
        assert result.get('failed'), (name, result)
        assert result['msg'].startswith('podim.fleet.export (web1): '), (name, result['msg'])
        assert all(part in result['msg'] for part in ((words,) if isinstance(words, str) else words)), \
            (name, result['msg'])
        assert result['msg'].endswith('Nothing was written.'), (name, result['msg'])
        assert result['msg'].count('Nothing was written.') == 1, (name, result['msg'])
    assert _stored(sqlite_url) == before


def test_at_most_1000_records_per_task(run_playbook, local_inventory, sqlite_url):
    env = {'PODIM_FLEET_STORE': sqlite_url}
    many = [{'type': 'blob', 'key': f'k{i}', 'data': {'i': i}} for i in range(1001)]
    run = run_playbook(_play(many), local_inventory(HOSTS, GROUPS), env)
    assert run.rc != 0
    message = run.results['web1']['export']['msg']
    assert 'records holds 1001 records, more than 1000 for one task' in message and 'Nothing was written.' in message
    assert not Path(sqlite_url[len('sqlite:///'):]).exists() or _stored(sqlite_url) == []
    run = run_playbook(_play(many[:1000]), local_inventory(HOSTS, GROUPS), env)
    assert run.rc == 0, run.out[-2000:]
    assert len(run.results['web1']['export']['records']) == 1000
    assert len(open_store(sqlite_url).query('default', ['blob'])) == 1000


def test_records_and_the_single_form_are_mutually_exclusive(run_playbook, local_inventory, sqlite_url):
    env = {'PODIM_FLEET_STORE': sqlite_url}
    cases = {
        'with type': ('records: [{type: blob}]\n        type: blob', 'parameters are mutually exclusive: records|type'),
        'with key': ('records: [{type: blob}]\n        key: k', 'parameters are mutually exclusive: records|key'),
        'with data': ('records: [{type: blob}]\n        data: {}', 'parameters are mutually exclusive: records|data'),
        'with tags': ('records: [{type: blob}]\n        tags: [x]', 'parameters are mutually exclusive: records|tags'),
        'with schema': ('records: [{type: blob}]\n        schema: {}',
                        'parameters are mutually exclusive: records|schema'),
        'neither': ('data: {x: 1}', 'one of the following is required: type, records'),
        'records null': ('records: null', 'one of the following is required: type, records'),
        'not a list': ('records: 12', 'records[0]: must be a mapping'),
    }
    tasks = ''.join(f'\n    - name: {name}\n      ignore_errors: true\n      podim.fleet.export:\n        {args}\n'
                    for name, (args, _words) in cases.items())
    run = run_playbook(f'- hosts: web1\n  gather_facts: false\n  tasks:{tasks}', local_inventory(HOSTS, GROUPS), env)
    for name, (_args, words) in cases.items():
        result = run.results['web1'][name]
        assert result.get('failed') and words in result['msg'], (name, result)
    assert not Path(sqlite_url[len('sqlite:///'):]).exists() or _stored(sqlite_url) == []


def test_policy_applies_to_each_record_by_its_type(run_playbook, local_inventory, sqlite_url):
    env = {'PODIM_FLEET_STORE': sqlite_url}
    mixed = [GOOD, {'type': 'dns_server', 'data': {'address': '{{ ip }}'}}]
    # ns1 may export dns_server (configured policy), web_backend is not in the policy: both written
    run = run_playbook(_play(mixed, hosts='all'), local_inventory(HOSTS, GROUPS), env, cfg=POLICY_CFG)
    assert not run.results['ns1']['export'].get('failed'), run.out
    assert 'records[1] (type' in run.results['web1']['export']['msg']
    assert [record[:2] for record in _stored(sqlite_url)] == [('ns1', 'dns_server'), ('ns1', 'web_backend')]
    # web1 alone with the type it may export
    run = run_playbook(_play([GOOD]), local_inventory(HOSTS, GROUPS), env, cfg=POLICY_CFG)
    assert run.rc == 0, run.out
    # a task-level policy narrows per type too: web_backend only from web now, so ns1 is refused at records[0]
    narrowed = _play(mixed, hosts='all', extra='        export_policy: {web_backend: [web]}\n')
    run = run_playbook(narrowed, local_inventory(HOSTS, GROUPS), env, cfg=POLICY_CFG)
    message = run.results['ns1']['export']['msg']
    assert "records[0] (type 'web_backend', key 'shop'): export policy (task option export_policy) does not allow " \
           "host ns1" in message, message
    # ... and withdrawing needs no right (as with the single form)
    run = run_playbook(_play(mixed, hosts='web1', extra='        state: absent\n'), local_inventory(HOSTS, GROUPS),
                       env, cfg=POLICY_CFG)
    assert run.rc == 0, run.out
    assert [record[:2] for record in _stored(sqlite_url)] == [('ns1', 'dns_server'), ('ns1', 'web_backend')]


def test_both_backends_write_all_or_nothing(run_playbook, local_inventory, store_url, namespace):
    env = {'PODIM_FLEET_STORE': store_url, 'PODIM_FLEET_NAMESPACE': namespace}
    refused = run_playbook(_play([*RECORDS, {'type': 'blob', 'data': {'address': 'x'}}]),
                           local_inventory(HOSTS, GROUPS), env)
    assert refused.rc != 0 and "records[3] (type 'blob', key 'default')" in refused.results['web1']['export']['msg']
    assert open_store(store_url, create=False).query(namespace, ['web_backend', 'metrics']) == [] \
        if store_url.startswith('postgresql') else not Path(store_url[len('sqlite:///'):]).exists()
    run = run_playbook(_play(RECORDS), local_inventory(HOSTS, GROUPS), env)
    assert run.rc == 0, run.out
    assert _stored(store_url, namespace) == sorted(('web1', *x) for x in STORED)
    again = run_playbook(_play(RECORDS), local_inventory(HOSTS, GROUPS), env)
    assert again.rc == 0 and not again.results['web1']['export']['changed'], again.out
    gone = run_playbook(_play(RECORDS, extra='        state: absent\n'), local_inventory(HOSTS, GROUPS), env)
    assert gone.rc == 0 and gone.results['web1']['export']['changed'], gone.out
    assert _stored(store_url, namespace) == []


def _doc_options(options: dict) -> dict:
    out = {}
    for name, doc in options.items():
        spec = {key: doc[key] for key in ('type', 'elements', 'default', 'choices') if key in doc}
        if doc.get('required'):
            spec['required'] = True
        if 'suboptions' in doc:
            spec['options'] = _doc_options(doc['suboptions'])
        out[name] = spec
    return out


def test_the_documented_options_are_the_action_s():
    from ansible_collections.podim.fleet.plugins.modules import export
    documented = _doc_options(yaml.safe_load(export.DOCUMENTATION)['options'])
    # store_url and namespace come from the doc fragment podim.fleet.store
    assert documented == {name: spec for name, spec in ARGUMENT_SPEC.items() if name not in ('store_url', 'namespace')}
