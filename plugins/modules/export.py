#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# The work is done by the action plugin of the same name on the controller;
# this file carries its documentation.

from __future__ import annotations

DOCUMENTATION = r"""
module: export
short_description: Export data about the current host for other hosts to collect
version_added: 0.1.0
description:
  - Writes one record about the current host (C(inventory_hostname)) into the podim.fleet store,
    one record per (namespace, host, O(type), O(key)).
  - With O(records), writes many records of the current host in one task and one transaction, all of them or,
    when one is refused, none.
  - Other hosts collect the records with the lookup P(podim.fleet.exported#lookup), for example every
    host reads the addresses the DNS servers exported to write C(/etc/resolv.conf).
  - Runs on the controller; nothing is sent to the target.
  - Reports C(changed) only when the stored data or tags really change, so plays stay idempotent.
    Re-exporting unchanged data refreshes the record's last-seen time (see O(podim.fleet.exported#lookup:max_age)).
  - Values under keys named C(address) or ending in C(_address), and fields declared in O(schema), are
    validated and normalized (addresses with netaddr) before they are stored.
  - Only hosts allowed by the export policy may export a type. The policy comes from
    C([podim_fleet] export_policy) in C(ansible.cfg) or the environment variable E(PODIM_FLEET_EXPORT_POLICY)
    (a YAML or JSON mapping of each type to a list of groups); O(export_policy) can narrow it for one task, never widen it.
    P(podim.fleet.store_settings#lookup) shows the policy in effect and where it comes from.
  - The data of one record may take at most 64 KiB as JSON.
  - One task writes at most 1,000 records (O(records)).
requirements:
  - netaddr >= 0.10 (checks and normalizes the addresses in O(data))
  - psycopg >= 3.1 (for a PostgreSQL store)
options:
  type:
    description:
      - What the record is about, for example C(dns_server), C(host_record), C(database).
      - Lowercase letters, digits and underscores only.
      - Required unless O(records) is given; mutually exclusive with O(records).
    type: str
  key:
    description:
      - Tells apart several records of one type exported by the same host (for example one per database).
      - Mutually exclusive with O(records).
    type: str
    default: default
  data:
    description:
      - The data to export, a mapping that can be stored as JSON.
      - Mutually exclusive with O(records).
    type: dict
    default: {}
  tags:
    description:
      - Labels to select records by in P(podim.fleet.exported#lookup) (option O(podim.fleet.exported#lookup:tags)).
      - Mutually exclusive with O(records).
    type: list
    elements: str
    default: []
  records:
    description:
      - Many records of the current host, written in one task and one transaction instead of a C(loop) of
        single-record tasks (one Ansible task execution per record).
      - Each record takes the options of the single form, with the same meaning and the same checks
        (type name, export policy, schema, size). The records are checked before any is written; one that is
        refused (or a type and key listed twice) fails the task, naming its index, type and key, and nothing
        is written.
      - At most 1,000 records per task; split more over several tasks.
      - With O(state=absent), removes each listed record; only its O(records[].type) and O(records[].key) matter.
      - Mutually exclusive with O(type), O(key), O(data), O(tags) and O(schema).
    type: list
    elements: dict
    suboptions:
      type:
        description:
          - What the record is about, as O(type).
        type: str
        required: true
      key:
        description:
          - Tells apart several records of one type, as O(key).
        type: str
        default: default
      data:
        description:
          - The data to export, as O(data).
        type: dict
        default: {}
      tags:
        description:
          - Labels to select records by, as O(tags).
        type: list
        elements: str
        default: []
      schema:
        description:
          - Declares the kind of data fields, as O(schema).
        type: dict
        default: {}
  state:
    description:
      - V(present) writes the record (or the O(records)), V(absent) removes it (or them).
    type: str
    choices: [present, absent]
    default: present
  schema:
    description:
      - Declares the kind of data fields, as a mapping of a dotted path in O(data) such as C(db.port) to one of
        V(address), V(network), V(port), V(integer), V(string), V(boolean).
      - A declared field must be present and valid; it is normalized (addresses and networks to their
        canonical form, ports and integers to numbers).
      - Mutually exclusive with O(records).
    type: dict
    default: {}
  export_policy:
    description:
      - A mapping of each type to a list of groups, applied in addition to the configured policy; the host
        must be a member of one of the groups listed for O(type) (for each record's type with O(records)).
    type: dict
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
    support: none
  check_mode:
    support: full
  diff_mode:
    support: full
    details: The diff shows the record's data and tags before and after; with O(records), one diff per changed record.
  platform:
    platforms: all
    details: Runs on the controller.
seealso:
  - plugin: podim.fleet.exported
    plugin_type: lookup
  - module: podim.fleet.purge
author:
  - podim.fleet developers (@podim)
"""

EXAMPLES = r"""
- name: Publish this host as a DNS server (only members of dns_servers may)
  podim.fleet.export:
    type: dns_server
    data:
      address: "{{ ansible_default_ipv4.address }}"
      port: 53
    export_policy:
      dns_server: [dns_servers]

- name: One record per database, told apart by key
  podim.fleet.export:
    type: database
    key: "{{ item.name }}"
    data:
      engine: mariadb
      address: "{{ ansible_default_ipv4.address }}"
      port: 3306
      name: "{{ item.name }}"
    schema:
      port: port
    tags: [production]
  loop: "{{ databases }}"

- name: Stop exporting
  podim.fleet.export:
    type: web_backend
    state: absent

- name: Several records of this host in one task and one transaction (faster than a loop)
  podim.fleet.export:
    records:
      - type: web_backend
        key: shop
        data: {app: shop, address: "{{ ansible_default_ipv4.address }}", port: 8080}
      - type: web_backend
        key: blog
        data: {app: blog, address: "{{ ansible_default_ipv4.address }}", port: 8081}
        tags: [production]

- name: Withdraw two of them
  podim.fleet.export:
    records:
      - {type: web_backend, key: shop}
      - {type: web_backend, key: blog}
    state: absent
"""

RETURN = r"""
record:
  description: The record as stored (after normalization); null with O(state=absent) or O(records).
  returned: always
  type: dict
  contains:
    namespace:
      description: The namespace written to.
      type: str
      sample: default
    host:
      description: The exporting host.
      type: str
      sample: ns1
    type:
      description: The record type.
      type: str
      sample: dns_server
    key:
      description: The record key.
      type: str
      sample: default
    data:
      description: The stored data.
      type: dict
      sample: {"address": "10.77.0.11", "port": 53}
    tags:
      description: The stored tags, sorted.
      type: list
      elements: str
      sample: [prod]
records:
  description:
    - The records as stored (after normalization), in the order of O(records); empty with O(state=absent).
    - Each has the keys of RV(record).
  returned: when O(records) is given
  type: list
  elements: dict
  sample: [{"namespace": "default", "host": "web1", "type": "web_backend", "key": "shop",
            "data": {"app": "shop", "address": "10.77.0.21", "port": 8080}, "tags": []}]
store_url:
  description: The store written to, without its password.
  returned: always
  type: str
  sample: sqlite:///~/.ansible/podim_fleet.sqlite
"""
