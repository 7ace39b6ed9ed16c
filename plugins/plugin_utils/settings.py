# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Store settings, resolved by ansible-core's config manager from the doc fragment.

Lookup and inventory plugins get env/ini resolution from their DOCUMENTATION;
action plugins do not. podim.fleet.export, podim.fleet.purge and
podim.fleet.store_grant therefore resolve the settings of the lookup
podim.fleet.store_settings, whose definitions are the podim.fleet.store doc
fragment: one declaration of sources and defaults, shown with its origin by
`ansible-config dump -t lookup podim.fleet.store_settings`.
"""

from __future__ import annotations

import json
import typing as t

from ansible_collections.podim.fleet.plugins.plugin_utils.typenames import type_name

# the plugin whose definitions (the fragment) hold the settings
PLUGIN_TYPE = 'lookup'
PLUGIN_NAME = 'podim.fleet.store_settings'
NAMES = ('store_url', 'namespace', 'history_days', 'export_policy')


class SettingError(ValueError):
    """A setting with a value that cannot be used; the message names its source."""


def definitions() -> dict[str, dict]:
    """The option definitions of the store settings, from the doc fragment."""
    import yaml
    from ansible_collections.podim.fleet.plugins.doc_fragments.store import ModuleDocFragment
    options: dict[str, dict] = {}
    for text in (ModuleDocFragment.DOCUMENTATION, ModuleDocFragment.EXPORT_POLICY):
        options.update(yaml.load(text, Loader=getattr(yaml, 'CSafeLoader', yaml.SafeLoader))['options'])
    return options


def _config():
    """ansible-core's config manager, knowing the store settings.

    Registering the fragment's definitions directly costs a YAML parse (< 1 ms);
    loading the lookup plugin in every worker would cost tens of ms per task.
    """
    from ansible import constants as C
    if not C.config.get_configuration_definitions(PLUGIN_TYPE, PLUGIN_NAME):
        C.config.initialize_plugin_configuration_definitions(PLUGIN_TYPE, PLUGIN_NAME, definitions())
    return C.config


def definitions_registered() -> None:
    """Register the store settings' definitions now (the main process, before workers fork)."""
    _config()


def describe_origin(name: str, origin: str) -> str:
    """The config manager's origin ('env: X', a file path, 'default') in words."""
    if origin.startswith('env: '):
        return f'environment variable {origin[5:]}'
    if origin in ('default', '') or origin.startswith(('task option', 'Direct')):
        return origin or 'default'
    return f'[podim_fleet] {name} in {origin}'


def resolve(name: str, task_value: t.Any = None) -> tuple[t.Any, str]:
    """(value, where it came from) of one setting: task option, env, ansible.cfg, default."""
    if name not in NAMES:
        raise SettingError(f'unknown setting {name!r}: one of {", ".join(NAMES)}')
    if task_value is not None:
        value, origin = task_value, f'task option {name}'
    else:
        from ansible.errors import AnsibleError
        try:
            value, raw_origin = _config().get_config_value_and_origin(name, plugin_type=PLUGIN_TYPE,
                                                                      plugin_name=PLUGIN_NAME)
        except AnsibleError as exc:
            raise SettingError(f'setting {name}: {exc}') from None
        origin = describe_origin(name, str(raw_origin or 'default'))
        # plain values: those read from env/ini carry ansible-core's trust tags
        if isinstance(value, str):
            value = str(value)
    if name == 'history_days':
        return check_history_days(value, origin), origin
    if name != 'export_policy' and (value is None or not str(value).strip()):
        raise SettingError(f'{name} from {origin} is empty')
    return value, origin


def check_history_days(value: t.Any, origin: str) -> float:
    """A positive, finite number of days."""
    import math
    try:
        days = float(value)
    except (TypeError, ValueError):
        raise SettingError(f'history_days from {origin}: {value!r} is not a number of days') from None
    if isinstance(value, bool) or not math.isfinite(days) or days <= 0:
        raise SettingError(f'history_days from {origin}: {value!r} is not a positive number of days')
    return days


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
                           f'got {type_name(value)}')
    policy: dict[str, list[str]] = {}
    for typ, groups in value.items():
        if isinstance(groups, str):
            groups = [groups]
        if not isinstance(groups, (list, tuple)) or not all(isinstance(g, str) for g in groups):
            raise SettingError(f'export_policy from {origin}: type {typ!r} must map to a list of group names, '
                               f'got {json.dumps(groups, default=str)}')
        policy[str(typ)] = list(groups)
    return policy
