# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Error messages name types as users write them (int, list, dict), never ansible-core's tagged classes.

ansible-core 2.19 hands plugins tagged values (`_AnsibleTaggedInt`, ...): the
runs below fail on such values in real ansible-playbook runs and read the
messages the user sees.
"""

from __future__ import annotations

import pytest

from ansible_collections.podim.fleet.plugins.plugin_utils.typenames import plain_type_names, type_name

HOSTS = {'h1': {'number': 5}}


def task(name: str, body: str) -> str:
    return f"""
- hosts: all
  gather_facts: false
  tasks:
    - name: {name}
{body}
"""


CASES = {
    # the action plugins' argument validation (ansible-core's message, cleaned)
    'export data not a mapping': (
        '      podim.fleet.export: {type: custom, data: "{{ number }}"}',
        "argument 'data' is of type int and we were unable to convert to dict: int cannot be converted to a dict"),
    'export tags not a list': (
        '      podim.fleet.export: {type: custom, data: {a: 1}, tags: {a: 1}}',
        "argument 'tags' is of type dict and we were unable to convert to list: dict cannot be converted to a list"),
    'purge keep_hosts not a list': (
        '      podim.fleet.purge: {keep_hosts: {a: 1}}',
        "argument 'keep_hosts' is of type dict and we were unable to convert to list: dict cannot be converted to a "
        'list'),
    'approve ids not a list': (
        '      podim.fleet.approve: {rule: r, ids: {a: 1}}',
        "argument 'ids' is of type dict and we were unable to convert to list: dict cannot be converted to a list"),
    # the collection's own messages
    'schema field of the wrong type': (
        '      podim.fleet.export: {type: host_record, data: {name: "{{ number }}", address: 10.0.0.1}}',
        "record of type 'host_record' refused by its schema: data.name must be a string, got int 5."),
}


@pytest.mark.parametrize('name', list(CASES))
def test_task_errors_show_plain_type_names(run_playbook, local_inventory, sqlite_url, name):
    body, expected = CASES[name]
    run = run_playbook(task(name, body), local_inventory(HOSTS), {'PODIM_FLEET_STORE': sqlite_url})
    assert run.rc != 0, run.out
    message = run.results['h1'][name]['msg']
    assert expected in message, message
    assert '_Ansible' not in run.out and "<class '" not in run.out, run.out


def test_export_policy_of_the_wrong_type_names_a_plain_type(run_playbook, local_inventory, sqlite_url):
    # the policy text is parsed with Ansible's YAML loader, whose values are tagged
    name = 'export under a policy that is a list'
    run = run_playbook(task(name, '      podim.fleet.export: {type: custom, data: {a: 1}}'), local_inventory(HOSTS),
                       {'PODIM_FLEET_STORE': sqlite_url, 'PODIM_FLEET_EXPORT_POLICY': '[dns_server, database]'})
    assert run.rc != 0, run.out
    message = run.results['h1'][name]['msg']
    assert message == ('podim.fleet.export (h1): export_policy from environment variable PODIM_FLEET_EXPORT_POLICY '
                       'must be a mapping of type -> list of groups, got list'), message


def test_type_name_is_the_plain_name():
    from ansible.parsing.yaml.loader import AnsibleLoader
    loaded = AnsibleLoader('{a: [1, x, 1.5]}').get_single_data()  # tagged, as ansible-core hands values over
    assert type(loaded).__name__ != 'dict'  # the trap: the class is not dict itself
    assert [type_name(value) for value in (loaded, loaded['a'], *loaded['a'])] == ['dict', 'list', 'int', 'str',
                                                                                   'float']
    assert [type_name(value) for value in (None, True, b'x', (1,))] == ['None', 'bool', 'bytes', 'tuple']


def test_plain_type_names_in_ansible_core_messages():
    assert plain_type_names("<class 'ansible.module_utils._internal._datatag._AnsibleTaggedInt'> cannot be "
                            'converted to a dict') == 'int cannot be converted to a dict'
    assert plain_type_names("<class 'dict'> cannot be converted to a list") == 'dict cannot be converted to a list'
    assert plain_type_names('got _AnsibleTaggedDateTime and _AnsibleLazyTemplateList') == 'got datetime and list'
    assert plain_type_names('a value of type str') == 'a value of type str'
