# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: store_settings
short_description: The store settings podim.fleet tasks use, and where each comes from
version_added: 0.3.0
description:
  - Returns, for each setting named (all of them by default), a mapping C({setting, value, origin}).
  - These are the settings that P(podim.fleet.export#module), P(podim.fleet.purge#module) and
    P(podim.fleet.store_grant#module) use when their task does not set them; P(podim.fleet.exported#lookup) and
    P(podim.fleet.rules#inventory) take the same sources.
  - C(ansible-config dump -t lookup podim.fleet.store_settings) shows the same values and origins without running
    a play.
  - A password in O(store_url) is shown as C(***). O(export_policy) is returned parsed, as a mapping.
options:
  _terms:
    description: Names of settings (C(store_url), C(namespace), C(history_days), C(export_policy)); all of them when none is given.
    type: list
    elements: str
    required: false
extends_documentation_fragment:
  - podim.fleet.store
  - podim.fleet.store.export_policy
"""

EXAMPLES = r"""
- name: Show which store and namespace this controller uses, and why
  ansible.builtin.debug:
    msg: "{{ query('podim.fleet.store_settings') }}"

- name: Refuse to run against the production namespace from a laptop
  ansible.builtin.assert:
    that: lookup('podim.fleet.store_settings', 'namespace').value != 'production'
"""

RETURN = r"""
_raw:
  description: One mapping per setting asked for.
  type: list
  elements: dict
  contains:
    setting:
      description: The name of the setting.
      type: str
      sample: namespace
    value:
      description: Its value; C(store_url) with any password as C(***); C(export_policy) as a mapping or null.
      type: raw
      sample: staging
    origin:
      description: Where the value comes from.
      type: str
      sample: environment variable PODIM_FLEET_NAMESPACE
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.podim.fleet.plugins.plugin_utils import settings
from ansible_collections.podim.fleet.plugins.plugin_utils.store.urls import redact


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        if kwargs:
            # it shows what tasks would use; an override here would show something else
            raise AnsibleLookupError(f'podim.fleet.store_settings: takes no options, got {", ".join(sorted(kwargs))}; '
                                     'set the settings in the environment or ansible.cfg')
        names = [str(term) for term in terms] or list(settings.NAMES)
        results = []
        for name in names:
            try:
                value, origin = settings.resolve(name)
                if name == 'export_policy':
                    value = settings.parse_export_policy(value, origin)
            except settings.SettingError as exc:
                raise AnsibleLookupError(f'podim.fleet.store_settings: {exc}') from None
            if name == 'store_url':
                value = redact(value)
            results.append({'setting': name, 'value': value, 'origin': origin})
        return results
