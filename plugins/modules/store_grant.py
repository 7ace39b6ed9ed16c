#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# The work is done by the action plugin of the same name on the controller;
# this file carries its documentation.

from __future__ import annotations

DOCUMENTATION = r"""
module: store_grant
short_description: Grant or revoke what a controller's database role may do in a shared PostgreSQL store
version_added: 0.1.0
description:
  - On a PostgreSQL store shared by several controllers (teams, CI runners, AWX), each controller connects as its
    own database role. This module says what that role may do; PostgreSQL enforces it with table privileges,
    row-level security and triggers, whatever the client does. See C(docs/security.md) in the collection.
  - V(read) lets the role read the records and rule decisions of a namespace. Any grant in a namespace includes
    reading it.
  - V(write) (or V(export)) lets the role export, change and remove records of the listed O(types) in a namespace.
    A grant of one type wins over a grant of every type, so C(types=all) plus a narrower grant of one type limits
    that type only.
  - With O(placement_group), the role may export those types only for hosts that are current members of that
    group according to the rule decisions recorded in the namespace (P(podim.fleet.rules#inventory) with
    C(remember)). After a failover the replacement may export them and the old member may not; the role may still
    remove the old member's records.
  - V(decide) lets the role record creation-rule decisions in a namespace. It is the strongest privilege, as who decides
    placement also decides who may export placement-tied types.
  - Grants take effect at the next statement of every controller; nothing is cached on the clients.
  - The role's privileges on the store's tables are kept to exactly what its grants need; a role left without grants
    loses them.
  - Runs on the controller, once per task whatever the number of hosts. The store's tables must be owned by the
    role of O(store_url) (the admin); creating roles also needs C(CREATEROLE).
requirements:
  - psycopg >= 3.1
options:
  role:
    description:
      - The database role a controller logs in as (C(session_user)). Grants follow the login role, not the roles it
        is a member of.
    type: str
    required: true
  namespaces:
    description:
      - The namespaces the grant is about.
    type: list
    elements: str
    required: true
    aliases: [namespace]
  privileges:
    description:
      - What the role may do in O(namespaces). V(export) is another name for V(write).
      - Required with O(state=present). With O(state=absent), every privilege when not set.
    type: list
    elements: str
    choices: [read, write, export, decide]
  types:
    description:
      - The record types a V(write) grant covers; V(all) (the default) means every type.
      - With O(state=absent), V(all) removes the write grants of every type.
    type: list
    elements: str
    default: [all]
  placement_group:
    description:
      - Limits the V(write) grants of O(types) to hosts that are current members of this group in the rule decisions
        of the namespace.
    type: str
  state:
    description:
      - V(present) adds the grants (or changes their O(placement_group)); other grants of the role stay.
      - V(absent) removes the role's grants that match O(namespaces), O(privileges) and O(types).
    type: str
    choices: [present, absent]
    default: present
  create_role:
    description:
      - Create O(role) (C(LOGIN)) when it does not exist. Roles are never dropped by this module.
    type: bool
    default: false
  role_password:
    description:
      - The password of a role this module creates. Sent to the server as a SCRAM-SHA-256 verifier, never in clear
        text. Not changed on an existing role.
    type: str
  store_url:
    description:
      - The PostgreSQL store, as the role that owns its tables (the admin).
        C(postgresql://user@host:port/database), with the password in C(~/.pgpass) or O(store_url) itself.
      - When not set, the environment variable E(PODIM_FLEET_STORE), then C(store_url) in the C([podim_fleet])
        section of C(ansible.cfg).
    type: str
extends_documentation_fragment:
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
    details: Nothing is written, not even the store's schema.
  diff_mode:
    support: full
    details: The diff shows the role's grants and table privileges before and after.
  platform:
    platforms: all
    details: Runs on the controller; PostgreSQL stores only.
seealso:
  - module: podim.fleet.export
  - plugin: podim.fleet.exported
    plugin_type: lookup
author:
  - podim.fleet developers (@podim)
"""

EXAMPLES = r"""
- name: Staging's controller reads and writes the staging namespace only
  podim.fleet.store_grant:
    store_url: postgresql://fleet_admin@db.example.com/fleet
    role: ctl_staging
    create_role: true
    role_password: "{{ vault_ctl_staging_password }}"
    namespaces: [staging]
    privileges: [read, write, decide]

- name: Production's controller may export every type, but dns_server only for current DNS servers
  podim.fleet.store_grant:
    store_url: postgresql://fleet_admin@db.example.com/fleet
    role: ctl_production
    namespaces: [production]
    privileges: [read, write, decide]

- name: The placement-tied grant of dns_server
  podim.fleet.store_grant:
    store_url: postgresql://fleet_admin@db.example.com/fleet
    role: ctl_production
    namespaces: [production]
    privileges: [write]
    types: [dns_server]
    placement_group: dns_servers

- name: A CI runner that only reads production
  podim.fleet.store_grant:
    store_url: postgresql://fleet_admin@db.example.com/fleet
    role: ci_runner
    namespaces: [production]
    privileges: [read]

- name: Revoke everything the CI runner holds in production
  podim.fleet.store_grant:
    store_url: postgresql://fleet_admin@db.example.com/fleet
    role: ci_runner
    namespaces: [production]
    state: absent
"""

RETURN = r"""
role:
  description: The role.
  returned: always
  type: str
  sample: ctl_production
role_created:
  description: Whether the role was (or, in check mode, would be) created.
  returned: always
  type: bool
  sample: false
grants:
  description: Every grant of the role after the task, in every namespace.
  returned: always
  type: list
  elements: dict
  contains:
    namespace:
      description: The namespace.
      type: str
      sample: production
    privilege:
      description: V(read), V(write) or V(decide).
      type: str
      sample: write
    types:
      description: The record type of a write grant, V(all) for every type.
      type: str
      sample: dns_server
    placement_group:
      description: The group whose current members alone may export the type; null when any host may.
      type: str
      sample: dns_servers
table_privileges:
  description: The privileges the role holds on each of the store's tables after the task.
  returned: always
  type: dict
  sample: {"podim_records": ["DELETE", "INSERT", "SELECT", "UPDATE"], "podim_decisions": ["SELECT"]}
store_url:
  description: The store, without its password.
  returned: always
  type: str
  sample: postgresql://fleet_admin@db.example.com/fleet
"""
