# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_defaults for the action group podim.fleet.store set the store once for export, purge and approve."""

from __future__ import annotations

from ansible_collections.podim.fleet.plugins.plugin_utils.store import open_store

PLAYBOOK = """
- hosts: all
  gather_facts: false
  module_defaults:
    group/podim.fleet.store:
      store_url: %s
      namespace: grouped
  tasks:
    - name: export
      podim.fleet.export:
        type: note
        data: {text: hello}
    - name: purge
      podim.fleet.purge:
        keep_hosts: [web1]
"""


def test_one_setting_for_the_group(run_playbook, local_inventory, sqlite_url, tmp_path):
    run = run_playbook(PLAYBOOK % sqlite_url, local_inventory({'web1': {}, 'web2': {}}), {})
    assert run.rc == 0, run.out
    assert run.results['web1']['export']['store_url'] == sqlite_url
    assert run.results['web1']['purge']['removed'] == [{'host': 'web2', 'type': 'note', 'key': 'default'}]
    assert [r.host for r in open_store(sqlite_url).query('grouped', ['note'])] == ['web1']
