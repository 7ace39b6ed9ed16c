#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# The work is done by the action plugin of the same name on the controller;
# this file carries its documentation.

from __future__ import annotations

DOCUMENTATION = r"""
module: approve
short_description: Approve membership changes that a creation rule proposed
version_added: 0.3.0
description:
  - A rule of P(podim.fleet.rules#inventory) with C(approve=true) does not apply its voluntary membership changes
    (a member that no longer matches, a count that went down); it proposes each with a short id, printed when the
    inventory is evaluated. This module records the approval of those ids in the rule's remembered decision.
  - The next evaluation applies exactly the approved proposals it still makes, records in the history who approved
    them, and forgets the approval. An approval that matches no proposal any more expires with a message.
  - Recording an approval is a change of the rule decisions, serialized with rule evaluations; on PostgreSQL it
    needs the C(decide) grant in the namespace. It is itself recorded in the history (P(podim.fleet.history#lookup)).
  - Runs once per task on the controller, whatever the number of hosts in the play. Idempotent.
requirements:
  - psycopg >= 3.1 (for a PostgreSQL store)
options:
  rule:
    description: The name of the rule that proposed the changes.
    type: str
    required: true
  ids:
    description: The proposal ids to approve (or whose approval to withdraw), as printed by the rules plugin.
    type: list
    elements: str
    required: true
  state:
    description: V(present) approves, V(absent) withdraws an approval not applied yet.
    type: str
    choices: [present, absent]
    default: present
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
    support: full
  platform:
    platforms: all
    details: Runs on the controller.
seealso:
  - plugin: podim.fleet.rules
    plugin_type: inventory
  - plugin: podim.fleet.history
    plugin_type: lookup
author:
  - podim.fleet developers (@podim)
"""

EXAMPLES = r"""
- name: Approve the move the dns rule proposed
  podim.fleet.approve:
    rule: dns
    ids: [3f9a0c2b1d]

- name: Withdraw it before the next evaluation
  podim.fleet.approve:
    rule: dns
    ids: [3f9a0c2b1d]
    state: absent
"""

RETURN = r"""
ids:
  description: The ids whose approval this task added (or withdrew); empty when nothing changed.
  returned: always
  type: list
  elements: str
  sample: [3f9a0c2b1d]
approved:
  description: Every approval of the rule waiting for the next evaluation.
  returned: always
  type: list
  elements: str
  sample: [3f9a0c2b1d]
store_url:
  description: The store, without its password.
  returned: always
  type: str
  sample: sqlite:///~/.ansible/podim_fleet.sqlite
"""
