# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Settings for action plugins, resolved like documented plugin options.

Lookup and inventory plugins get env/ini resolution from their
DOCUMENTATION; action plugins do not, so podim.fleet.export and
podim.fleet.purge resolve the same settings here, in the same order:
task argument, then environment variable, then ansible.cfg [podim_fleet],
then the default.
"""

from __future__ import annotations

import configparser
import json
import os
import typing as t

from ansible_collections.podim.fleet.plugins.plugin_utils.store import DEFAULT_NAMESPACE, DEFAULT_STORE_URL

SECTION = 'podim_fleet'
ENV = {
    'store_url': 'PODIM_FLEET_STORE',
    'namespace': 'PODIM_FLEET_NAMESPACE',
    'export_policy': 'PODIM_FLEET_EXPORT_POLICY',
}
DEFAULTS: dict[str, t.Any] = {
    'store_url': DEFAULT_STORE_URL,
    'namespace': DEFAULT_NAMESPACE,
    'export_policy': None,
}


class SettingError(ValueError):
    """A setting with a value that cannot be used; the message names its source."""


def _ini_value(key: str) -> tuple[str | None, str | None]:
    """(value, config file) of [podim_fleet] key in the ansible.cfg Ansible uses."""
    from ansible.config.manager import find_ini_config_file
    path = find_ini_config_file()
    if not path or not os.path.isfile(path):
        return None, None
    parser = configparser.ConfigParser(inline_comment_prefixes=(';',), interpolation=None)
    try:
        parser.read(path, encoding='utf-8')
    except configparser.Error as exc:
        raise SettingError(f'cannot read {path}: {exc}') from None
    if parser.has_option(SECTION, key):
        return parser.get(SECTION, key), path
    return None, None


def resolve(name: str, task_value: t.Any = None) -> tuple[t.Any, str]:
    """(value, where it came from) of one setting."""
    if task_value is not None:
        return task_value, f'task option {name}'
    env_name = ENV[name]
    if os.environ.get(env_name):
        return os.environ[env_name], f'environment variable {env_name}'
    value, path = _ini_value(name)
    if value is not None:
        return value, f'[{SECTION}] {name} in {path}'
    return DEFAULTS[name], 'default'


def parse_export_policy(value: t.Any, origin: str) -> dict[str, list[str]] | None:
    """An export policy {type: [groups]} from a mapping or its JSON/YAML text."""
    if value is None or value == '':
        return None
    if isinstance(value, str):
        try:
            from ansible.parsing.yaml.loader import AnsibleLoader
            value = AnsibleLoader(value).get_single_data()
        except Exception as exc:  # any YAML error: report where the text came from
            raise SettingError(f'export_policy from {origin} is not valid YAML/JSON: {exc}') from None
    if not isinstance(value, dict):
        raise SettingError(f'export_policy from {origin} must be a mapping of type -> list of groups, '
                           f'got {type(value).__name__}')
    policy: dict[str, list[str]] = {}
    for typ, groups in value.items():
        if isinstance(groups, str):
            groups = [groups]
        if not isinstance(groups, (list, tuple)) or not all(isinstance(g, str) for g in groups):
            raise SettingError(f'export_policy from {origin}: type {typ!r} must map to a list of group names, '
                               f'got {json.dumps(groups, default=str)}')
        policy[str(typ)] = list(groups)
    return policy
