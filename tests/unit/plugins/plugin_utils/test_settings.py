# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Store settings: one declaration (the doc fragment), resolved by ansible-core's config manager.

ansible-core reads ansible.cfg once per process, so each case runs real
commands (ansible-config, ansible) in a fresh process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.podim.fleet.plugins.plugin_utils import settings
from ansible_collections.podim.fleet.plugins.plugin_utils.store.urls import redact

from ansible_collections.podim.fleet.tests.unit.conftest import collections_path

BIN = Path(sys.executable).parent


def _env(tmp_path, cfg_text: str | None, extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(('PODIM_FLEET_', 'ANSIBLE_'))}
    env.update(ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_NOCOLOR='1',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'tmp'), **(extra or {}))
    if cfg_text is not None:
        (tmp_path / 'ansible.cfg').write_text(cfg_text)
        env['ANSIBLE_CONFIG'] = str(tmp_path / 'ansible.cfg')
    else:
        env['ANSIBLE_CONFIG'] = str(tmp_path / 'absent.cfg')
    return env


def dump(tmp_path, cfg_text=None, extra=None) -> dict:
    """{setting: (value, origin)} as `ansible-config dump` shows them."""
    proc = subprocess.run([str(BIN / 'ansible-config'), 'dump', '-t', 'lookup', '--format', 'json',
                           'podim.fleet.store_settings'], cwd=tmp_path, env=_env(tmp_path, cfg_text, extra),
                          capture_output=True, text=True, check=True)
    doc = json.loads(proc.stdout)
    entries = next(iter(doc[0].values()))
    return {e['name']: (e['value'], e['origin']) for e in entries if not e['name'].startswith('_')}


def shown(tmp_path, cfg_text=None, extra=None, expr="query('podim.fleet.store_settings')"):
    """What the lookup returns in a real ad-hoc task, or the error it gives."""
    proc = subprocess.run([str(BIN / 'ansible'), 'localhost', '-m', 'ansible.builtin.debug',
                           '-a', f'msg={{{{ {expr} }}}}'],
                          cwd=tmp_path, env=_env(tmp_path, cfg_text, dict(extra or {}, ANSIBLE_STDOUT_CALLBACK='json',
                                                                          ANSIBLE_LOAD_CALLBACK_PLUGINS='1')),
                          capture_output=True, text=True, check=False)
    result = json.loads(proc.stdout)['plays'][0]['tasks'][0]['hosts']['localhost']
    return result


def test_every_setting_is_in_ansible_config_dump_with_its_origin(tmp_path):
    defaults = dump(tmp_path)
    assert defaults == {'store_url': ('sqlite:///~/.ansible/podim_fleet.sqlite', 'default'),
                        'namespace': ('default', 'default'), 'history_days': (90.0, 'default'),
                        'export_policy': (None, 'default')}
    cfg = '[podim_fleet]\nnamespace = from-cfg ; an inline comment\nexport_policy = {"dns_server": ["dns_servers"]}\n'
    from_cfg = dump(tmp_path, cfg)
    assert from_cfg['namespace'] == ('from-cfg', str(tmp_path / 'ansible.cfg'))
    assert from_cfg['export_policy'] == ('{"dns_server": ["dns_servers"]}', str(tmp_path / 'ansible.cfg'))
    from_env = dump(tmp_path, cfg, {'PODIM_FLEET_NAMESPACE': 'from-env', 'PODIM_FLEET_STORE': 'sqlite:///x.sqlite'})
    assert from_env['namespace'] == ('from-env', 'env: PODIM_FLEET_NAMESPACE')
    assert from_env['store_url'] == ('sqlite:///x.sqlite', 'env: PODIM_FLEET_STORE')


def test_the_lookup_shows_what_tasks_use_and_hides_the_password(tmp_path):
    url = 'postgresql://fleet:s3cr%2Ft@db.example.com/fleet?password=other'
    result = shown(tmp_path, '[podim_fleet]\nexport_policy = {dns_server: dns_servers}\n',
                   {'PODIM_FLEET_STORE': url, 'PODIM_FLEET_NAMESPACE': 'staging'})
    assert result['msg'] == [
        {'setting': 'store_url', 'value': redact(url), 'origin': 'environment variable PODIM_FLEET_STORE'},
        {'setting': 'namespace', 'value': 'staging', 'origin': 'environment variable PODIM_FLEET_NAMESPACE'},
        {'setting': 'history_days', 'value': 90.0, 'origin': 'default'},
        {'setting': 'export_policy', 'value': {'dns_server': ['dns_servers']},
         'origin': f'[podim_fleet] export_policy in {tmp_path / "ansible.cfg"}'},
    ]
    assert 's3cr' not in json.dumps(result) and 'other' not in json.dumps(result)


@pytest.mark.parametrize('expr, match', [
    ("lookup('podim.fleet.store_settings', 'namepsace')", "unknown setting 'namepsace'"),
    ("lookup('podim.fleet.store_settings', namespace='x')", 'takes no options'),
])
def test_the_lookup_refuses_what_it_does_not_know(tmp_path, expr, match):
    result = shown(tmp_path, expr=expr)
    assert result.get('failed') and match in result['msg']


def test_empty_settings_and_bad_policies_name_their_source(tmp_path):
    result = shown(tmp_path, extra={'PODIM_FLEET_STORE': ' '})
    assert result.get('failed') and 'store_url from environment variable PODIM_FLEET_STORE is empty' in result['msg']
    result = shown(tmp_path, '[podim_fleet]\nexport_policy = [unclosed\n')
    assert result.get('failed') and 'not valid YAML' in result['msg'] and str(tmp_path / 'ansible.cfg') in result['msg']
    result = shown(tmp_path, extra={'PODIM_FLEET_HISTORY_DAYS': '-3'})
    assert result.get('failed') and 'history_days from environment variable PODIM_FLEET_HISTORY_DAYS' in result['msg']
    result = shown(tmp_path, '[podim_fleet]\nexport_policy = [unclosed\n')
    assert result.get('failed') and 'not valid YAML' in result['msg'] and str(tmp_path / 'ansible.cfg') in result['msg']


def test_task_option_wins_without_asking_the_config_manager():
    assert settings.resolve('namespace', 'from-task') == ('from-task', 'task option namespace')
    with pytest.raises(settings.SettingError, match='namespace from task option namespace is empty'):
        settings.resolve('namespace', '')


def test_origins_in_words():
    assert settings.describe_origin('namespace', 'env: PODIM_FLEET_NAMESPACE') == \
        'environment variable PODIM_FLEET_NAMESPACE'
    assert settings.describe_origin('namespace', '/etc/ansible/ansible.cfg') == \
        '[podim_fleet] namespace in /etc/ansible/ansible.cfg'
    assert settings.describe_origin('namespace', 'default') == 'default'


@pytest.mark.parametrize('text, match', [
    ('[unclosed', 'not valid YAML'),
    ('- a list', 'must be a mapping'),
    ('{dns_server: {nested: 1}}', 'list of group names'),
])
def test_bad_policy_names_its_source(text, match):
    with pytest.raises(settings.SettingError, match=match) as info:
        settings.parse_export_policy(text, '[podim_fleet] export_policy in /x/ansible.cfg')
    assert '/x/ansible.cfg' in str(info.value)


def test_the_fragment_is_the_only_declaration(tmp_path):
    """What the action plugins resolve is exactly what ansible-doc documents for the lookup."""
    proc = subprocess.run([str(BIN / 'ansible-doc'), '-t', 'lookup', '--json', 'podim.fleet.store_settings'],
                          cwd=tmp_path, env=_env(tmp_path, None), capture_output=True, text=True, check=True)
    documented = json.loads(proc.stdout)['podim.fleet.store_settings']['doc']['options']
    assert set(documented) - {'_terms'} == set(settings.definitions()) == set(settings.NAMES)
    for name, spec in settings.definitions().items():
        for key in ('type', 'default', 'env', 'ini'):
            assert documented[name].get(key) == spec.get(key), (name, key)
