# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: exported
short_description: Collect facts other hosts exported with podim.fleet.export
version_added: 0.1.0
description:
  - Returns the records of the given types from the podim.fleet store, sorted by (host, type, key), so the
    same store always renders the same file.
  - Each record is a mapping C({host, type, key, data, tags, updated, writer}); C(writer) is who wrote it, as the
    store records it (the database role on PostgreSQL).
  - Collected data is data, never template; strings that look like Jinja2 come back literally.
  - A store that does not exist, a bad O(store_url) or an unreachable database is an error, never an empty list.
requirements:
  - jmespath >= 1.0 (for O(query))
  - netaddr >= 0.10 (checks the addresses in records of the known types)
  - psycopg >= 3.1 (for a PostgreSQL store)
options:
  _terms:
    description: One or more record types to collect, for example C(dns_server).
    required: true
    type: list
    elements: str
  hosts:
    description:
      - An Ansible host pattern evaluated against the current inventory (C(dns_servers), C(web:!staging),
        C(~db\d+)); only records exported by matching hosts are returned.
      - Hosts that left the inventory, or a group, are not matched, which keeps stale records out.
    type: str
  tags:
    description: Only records carrying all of these tags.
    type: list
    elements: str
    default: []
  max_age:
    description: Only records exported (or re-exported unchanged) in the last O(max_age) seconds.
    type: float
  exclude_self:
    description: Leave out the records of the host the task runs for (C(inventory_hostname)).
    type: bool
    default: false
  query:
    description:
      - A JMESPath expression applied to the sorted list of records, for example C([].data.address).
      - A result that is not a list is returned as a list of one element.
    type: str
  min_results:
    description:
      - Fail unless at least this many records are found (before O(query) is applied). Use it where an
        empty result would write a broken file, for example C(/etc/resolv.conf) with no nameserver.
    type: int
    default: 0
  invalid:
    description:
      - What to do with a record of a known type (C(host_record), C(dns_server), C(database_request), C(database),
        C(web_backend)) that does not satisfy the type's schema (see the collection's docs/exported-facts.md). Records
        are checked as they are read from the store, whoever wrote them.
      - V(fail) fails the lookup with the exporting host, the type and the field named.
      - V(skip) leaves such records out with a warning naming them; O(min_results) counts only valid records. Use it
        where one bad host must not stop the rest of the site (resolvers, DNS servers).
    type: str
    choices: [fail, skip]
    default: fail
extends_documentation_fragment:
  - podim.fleet.store
seealso:
  - module: podim.fleet.export
author:
  - podim.fleet developers (@podim)
"""

EXAMPLES = r"""
- name: Write resolv.conf from the addresses the DNS servers exported
  ansible.builtin.template:
    src: resolv.conf.j2
    dest: /etc/resolv.conf
    mode: "0644"
  vars:
    nameservers: "{{ query('podim.fleet.exported', 'dns_server', hosts='dns_servers', query='[].data.address', min_results=1) }}"

- name: Every web backend but this host's own, exported in the last hour
  ansible.builtin.debug:
    msg: "{{ query('podim.fleet.exported', 'web_backend', exclude_self=true, max_age=3600) }}"

- name: Records of several types from the staging namespace of a shared PostgreSQL store (password in ~/.pgpass)
  ansible.builtin.debug:
    msg: >-
      {{ query('podim.fleet.exported', 'database', 'database_request', namespace='staging',
               store_url='postgresql://fleet@db.example.com/fleet') }}
"""

RETURN = r"""
_list:
  description:
    - The records, sorted by host, type and key; or what O(query) made of that list.
  type: list
  elements: dict
  contains:
    host:
      description: The inventory name of the exporting host.
      type: str
    type:
      description: The record type.
      type: str
    key:
      description: The record key.
      type: str
    data:
      description: The exported data.
      type: dict
    tags:
      description: The record's tags, sorted.
      type: list
      elements: str
    updated:
      description: When the data last changed, in seconds since the epoch.
      type: float
    writer:
      description:
        - Who last changed the record, as the store itself records it. On PostgreSQL the database role that wrote
          it, set by the database whatever the client sends; on SQLite the controller's Unix user.
        - Empty for records written by an earlier version of the collection, before writers were recorded.
      type: str
"""

import json
import math

from ansible import constants as C
from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display

from ansible_collections.podim.fleet.plugins.plugin_utils import plan
from ansible_collections.podim.fleet.plugins.plugin_utils.options import OptionError, check_direct_options
from ansible_collections.podim.fleet.plugins.plugin_utils.patterns import HostPatterns, PatternError
from ansible_collections.podim.fleet.plugins.plugin_utils.schemas import RecordError, validate
from ansible_collections.podim.fleet.plugins.plugin_utils.store import StoreError, open_store, redact, store_missing
from ansible_collections.podim.fleet.plugins.plugin_utils.typenames import plain_type_names

# JMESPath's names of types; its type errors sometimes give Python's (the elements of an array)
_JMESPATH_TYPES = {'str': 'string', 'bool': 'boolean', 'int': 'number', 'float': 'number', 'list': 'array',
                   'tuple': 'array', 'dict': 'object', 'NoneType': 'null'}


def _type_error(exc) -> str:
    """A JMESPath type error in JMESPath's own words, without Python's (or ansible-core's) type names."""
    actual = plain_type_names(str(exc.actual_type))
    element = actual in _JMESPATH_TYPES  # a Python name: the wrong element of an array (array-number, array-string)
    actual = _JMESPATH_TYPES.get(actual, actual)
    expected = ' or '.join(str(name) for name in exc.expected_types)
    value = json.dumps(exc.current_value, default=str, ensure_ascii=False)
    if len(value) > 80:
        value = value[:77] + '...'
    got = f'an array holding {actual} {value}' if element else f'{actual} {value}'
    return f'function {exc.function_name}() expects {expected}, got {got}'


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        variables = variables or {}
        try:
            # Ansible drops unknown keyword arguments silently: min_result=1 would disable the guard
            check_direct_options(C.config.get_configuration_definitions('lookup', self._load_name), kwargs)
            self.set_options(var_options=variables, direct=kwargs)
            self._check_values()
        except OptionError as exc:
            raise AnsibleLookupError(f'podim.fleet.exported: {exc}') from None
        try:
            records = self._collect(terms, variables)
        except (StoreError, PatternError) as exc:
            raise AnsibleLookupError(f'podim.fleet.exported: {exc}') from None
        expression = self.get_option('query')
        if not expression:
            return records
        import jmespath  # only paid for by callers who query
        try:
            found = jmespath.search(expression, records)
        except jmespath.exceptions.JMESPathTypeError as exc:
            # valid JMESPath: one of its functions got a value of another type from these records
            raise AnsibleLookupError(f'podim.fleet.exported: query {expression!r} failed on the {len(records)} '
                                     f'record(s) found: {_type_error(exc)}') from None
        except jmespath.exceptions.JMESPathError as exc:
            raise AnsibleLookupError(f'podim.fleet.exported: query {expression!r} is not valid JMESPath: {exc}') from None
        if found is None:
            return []
        return found if isinstance(found, list) else [found]

    def _check_values(self):
        max_age = self.get_option('max_age')
        if max_age is not None and not (math.isfinite(max_age) and max_age > 0):
            raise OptionError(f'option max_age: {max_age!r} is not a positive number of seconds')
        if self.get_option('min_results') < 0:
            raise OptionError(f'option min_results: {self.get_option("min_results")!r} is negative')
        if self.get_option('invalid') not in ('fail', 'skip'):
            raise OptionError(f'option invalid: {self.get_option("invalid")!r} is not one of fail, skip')
        tags = self.get_option('tags')
        if not all(isinstance(tag, str) and tag for tag in tags):
            raise OptionError(f'option tags: {tags!r} is not a list of non-empty strings')

    def _collect(self, terms, variables):
        types = [str(term) for term in terms]
        if not types:
            raise AnsibleLookupError('podim.fleet.exported: name at least one record type, for example '
                                     "query('podim.fleet.exported', 'dns_server')")
        hosts = None
        pattern = self.get_option('hosts')
        if pattern:
            groups = variables.get('groups')
            if not groups:
                raise AnsibleLookupError(f'podim.fleet.exported: hosts={pattern!r} needs the inventory, but no '
                                         "'groups' variable is available here")
            hosts = set(HostPatterns(groups).select(pattern))
        excluded = [variables.get('inventory_hostname')] if self.get_option('exclude_self') else []
        check_mode = bool(variables.get('ansible_check_mode'))
        if check_mode and plan.exists() and store_missing(self.get_option('store_url')):
            records = []  # the plan of a first run: its store does not exist yet, the exports above are the fleet
        else:
            # a reader never creates a store: a wrong path must not look like an empty fleet
            store = open_store(self.get_option('store_url'), create=False)
            records = store.query(self.get_option('namespace'), types, hosts=hosts, tags=self.get_option('tags'),
                                  max_age=self.get_option('max_age'), exclude_hosts=excluded)
        if check_mode:
            # a --check run: what podim.fleet.export would have written earlier in this run counts
            records = plan.overlay(records, self.get_option('namespace'), set(types), hosts=hosts,
                                   tags=self.get_option('tags'), exclude_hosts=excluded)
        records = self._valid(records)
        needed = self.get_option('min_results')
        if len(records) < needed:
            where = f' from hosts matching {pattern!r}' if pattern else ''
            raise AnsibleLookupError(f'podim.fleet.exported: found {len(records)} record(s) of type '
                                     f'{", ".join(types)}{where} in namespace {self.get_option("namespace")!r} of '
                                     f'{redact(self.get_option("store_url"))}, at least {needed} required; export them first '
                                     '(podim.fleet.export) or check hosts, tags and max_age')
        return [record.public() for record in records]

    def _valid(self, records):
        """Records of known types must satisfy their schema however they reached the store."""
        kept = []
        for record in records:
            try:
                validate(record.type, record.data)
            except RecordError as exc:
                what = (f'record of host {record.host!r}, type {record.type!r}, key {record.key!r} '
                        f'refused by its schema: {exc}')
                if self.get_option('invalid') == 'fail':
                    raise AnsibleLookupError(f'podim.fleet.exported: {what} (invalid=skip leaves such records '
                                             'out with a warning)') from None
                Display().warning(f'podim.fleet.exported: left out {what}')
                continue
            kept.append(record)
        return kept
