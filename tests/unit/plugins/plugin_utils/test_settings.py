# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Settings of the action plugins: task option, then env, then ansible.cfg, then default."""

from __future__ import annotations

import pytest

from ansible_collections.podim.fleet.plugins.plugin_utils import settings


@pytest.fixture
def cfg(tmp_path, monkeypatch):
    for name in settings.ENV.values():
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / 'ansible.cfg'
    monkeypatch.setenv('ANSIBLE_CONFIG', str(path))
    return path


def test_order_of_sources(cfg, monkeypatch):
    assert settings.resolve('namespace') == ('default', 'default')
    cfg.write_text('[podim_fleet]\nnamespace = from-cfg\n')
    assert settings.resolve('namespace') == ('from-cfg', f'[podim_fleet] namespace in {cfg}')
    monkeypatch.setenv('PODIM_FLEET_NAMESPACE', 'from-env')
    assert settings.resolve('namespace')[0] == 'from-env'
    assert settings.resolve('namespace', 'from-task')[0] == 'from-task'


def test_policy_from_cfg_text(cfg):
    cfg.write_text('[podim_fleet]\nexport_policy = {"dns_server": ["dns_servers"], "database": db_servers}\n')
    value, origin = settings.resolve('export_policy')
    assert settings.parse_export_policy(value, origin) == {'dns_server': ['dns_servers'], 'database': ['db_servers']}


@pytest.mark.parametrize('text, match', [
    ('[unclosed', 'not valid YAML'),
    ('- a list', 'must be a mapping'),
    ('{dns_server: {nested: 1}}', 'list of group names'),
])
def test_bad_policy_names_its_source(text, match):
    with pytest.raises(settings.SettingError, match=match) as info:
        settings.parse_export_policy(text, '[podim_fleet] export_policy in /x/ansible.cfg')
    assert '/x/ansible.cfg' in str(info.value)


def test_unreadable_cfg_is_reported(cfg):
    cfg.write_text('[podim_fleet\nnamespace = x\n')
    with pytest.raises(settings.SettingError, match=str(cfg)):
        settings.resolve('namespace')
