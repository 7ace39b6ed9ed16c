#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# The work is done by the action plugin of the same name on the controller;
# this file carries its documentation.

from __future__ import annotations

DOCUMENTATION = r"""
module: purge
short_description: Remove the exported records of hosts that are no longer in the inventory
version_added: 0.1.0
description:
  - Deletes, in one transaction, every record of the namespace whose exporting host is not in O(keep_hosts)
    (by default every host of the current inventory), so stale exports of removed hosts do not linger.
  - Runs once per task on the controller, whatever the number of hosts in the play.
  - Refuses to run with an empty list of hosts to keep.
  - In a namespace that several inventories share, give each its own O(scope); the purge then removes only the
    records of hosts that left I(that) inventory, never the hosts of another.
requirements:
  - psycopg >= 3.1 (for a PostgreSQL store)
options:
  keep_hosts:
    description:
      - The hosts whose records stay. Default is C(groups['all']), the whole current inventory.
    type: list
    elements: str
  types:
    description:
      - Only purge records of these types. Default is every type.
    type: list
    elements: str
  scope:
    description:
      - Name of the inventory for a scoped purge (1-64 of C(a-z), C(0-9), C(_)). The store remembers the hosts of
        O(keep_hosts) under this name (beside the rule decisions, so a PostgreSQL role needs a C(decide) grant);
        the next purge of the same scope removes the records of the hosts remembered then and absent now
        (departed), and only those. The first purge of a scope removes nothing.
      - Without it, every record of a host not in O(keep_hosts) goes, whoever exported it.
      - A scope belongs to the inventory sources it was first purged from (the controller's C(-i) or configured
        inventory, fingerprinted; never a variable). A purge that names a scope last used from other sources fails
        and changes nothing, so a play cannot use another inventory's scope to remove that inventory's records or
        to rewrite what it remembers.
    type: str
  rebind_scope:
    description:
      - Take over a scope that was last purged from other inventory sources, after the inventory moved or was
        renamed. That purge removes nothing and remembers the current hosts; the next one purges as usual.
    type: bool
    default: false
extends_documentation_fragment:
  - podim.fleet.store.module
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: full
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: all
    details: Runs on the controller.
seealso:
  - module: podim.fleet.export
  - plugin: podim.fleet.exported
    plugin_type: lookup
author:
  - podim.fleet developers (@podim)
"""

EXAMPLES = r"""
- name: Forget the exports of hosts removed from the inventory
  podim.fleet.purge:

- name: Forget the hosts that left this inventory, in a namespace other inventories share
  podim.fleet.purge:
    scope: web_site

- name: Only purge web backends, keeping the hosts of two groups
  podim.fleet.purge:
    keep_hosts: "{{ groups['wordpress'] + groups['rails'] }}"
    types: [web_backend]
"""

RETURN = r"""
removed:
  description: The records removed (or that would be removed in check mode), sorted.
  returned: always
  type: list
  elements: dict
  sample: [{"host": "old-web3", "type": "web_backend", "key": "default"}]
departed:
  description: With O(scope), the hosts remembered at the scope's last purge that are no longer kept, sorted.
  returned: when O(scope) is set
  type: list
  elements: str
  sample: [old-web3]
store_url:
  description: The store purged, without its password.
  returned: always
  type: str
  sample: sqlite:///~/.ansible/podim_fleet.sqlite
"""
