# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: history
short_description: What changed in the fleet, when, why and by whom
version_added: 0.3.0
description:
  - Returns entries of the store's history, newest first (time, then the order they were written, so the same
    store always gives the same list).
  - The store appends an entry for every change, in the transaction of the change itself. Records exported with
    P(podim.fleet.export#module) are C(created), C(changed) or C(deleted); P(podim.fleet.purge#module) C(purged) them.
    A host C(joined) or C(left) a group filled by P(podim.fleet.rules#inventory), with the rule's reason.
  - Each entry is a mapping C({id, at, time, namespace, kind, host, group or type and key, before, after, why,
    actor, writer}) plus, for memberships, C(rule) and what the rules engine said about the change (C(voluntary),
    C(replaces), C(approved_by)). C(actor) is who acted (C(controller), C(user), C(run_id), C(playbook)); C(writer)
    is the store's account of the writer (the database role on PostgreSQL).
  - How long entries are kept is O(history_days).
requirements:
  - psycopg >= 3.1 (for a PostgreSQL store)
options:
  _terms:
    description: Not used; give filters as options.
    type: list
    elements: str
    required: false
  group:
    description: Only membership changes of this group.
    type: str
  host:
    description: Only changes of this host (its records, its memberships).
    type: str
  type:
    description: Only changes of records of this type.
    type: str
  since:
    description:
      - Only entries at or after this time, seconds since the epoch or an ISO 8601 date and time
        (C(2026-11-28T09:00:00Z); without a zone, UTC).
    type: str
  until:
    description: Only entries at or before this time, written as for O(since).
    type: str
  limit:
    description: At most this many entries (the newest). V(0) for all.
    type: int
    default: 100
extends_documentation_fragment:
  - podim.fleet.store
"""

EXAMPLES = r"""
- name: When did node07 become a DNS server, and why?
  ansible.builtin.debug:
    msg: "{{ query('podim.fleet.history', host='node07', group='dns_servers', limit=1) }}"

- name: Every change of the last day
  ansible.builtin.debug:
    msg: "{{ query('podim.fleet.history', since=(now(utc=true).timestamp() - 86400) | string, limit=0) }}"
"""

RETURN = r"""
_raw:
  description: History entries, newest first.
  type: list
  elements: dict
  contains:
    id:
      description: The entry's number in the store, growing with each entry.
      type: int
    at:
      description: When, in seconds since the epoch.
      type: float
    time:
      description: When, as ISO 8601 UTC.
      type: str
      sample: "2026-11-28T18:40:02.118Z"
    kind:
      description: C(created), C(changed), C(deleted), C(purged) (records), C(joined), C(left) (groups).
      type: str
    host:
      description: The host whose record or membership changed.
      type: str
    group:
      description: The group (membership changes).
      type: str
    rule:
      description: The rule that fills the group (membership changes).
      type: str
    type:
      description: The record's type (record changes).
      type: str
    key:
      description: The record's key (record changes).
      type: str
    before:
      description: The record (C({data, tags})) before the change, or null.
      type: raw
    after:
      description: The record after the change, or null.
      type: raw
    why:
      description: The reason, when the change has one (the rule's reason, why a record was purged).
      type: str
    actor:
      description: Who acted, C({controller, user, run_id, playbook}).
      type: dict
    writer:
      description: The writer as the store records it (the database role on PostgreSQL).
      type: str
"""

import datetime
import math

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible import constants as C

from ansible_collections.podim.fleet.plugins.plugin_utils.options import OptionError, check_direct_options
from ansible_collections.podim.fleet.plugins.plugin_utils.store import StoreError, open_store


def parse_time(name: str, value) -> float | None:
    """Seconds since the epoch from a number or an ISO 8601 text (UTC when it names no zone)."""
    if value is None or value == '':
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = None
    if seconds is None:
        text = str(value).strip()
        try:
            moment = datetime.datetime.fromisoformat(text[:-1] + '+00:00' if text.endswith('Z') else text)
        except ValueError:
            raise OptionError(f'option {name}: {value!r} is neither seconds since the epoch nor an ISO 8601 time '
                              '(2026-11-28T09:00:00Z)') from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.timezone.utc)
        seconds = moment.timestamp()
    if isinstance(value, bool) or not math.isfinite(seconds):
        raise OptionError(f'option {name}: {value!r} is not a time')
    return seconds


def iso_time(seconds: float) -> str:
    moment = datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)
    return moment.strftime('%Y-%m-%dT%H:%M:%S.') + f'{moment.microsecond // 1000:03d}Z'


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        try:
            if terms:
                raise OptionError(f'takes no terms, got {terms!r}: give filters as options (host=..., group=...)')
            check_direct_options(C.config.get_configuration_definitions('lookup', self._load_name), kwargs)
            self.set_options(var_options=variables, direct=kwargs)
            since = parse_time('since', self.get_option('since'))
            until = parse_time('until', self.get_option('until'))
            limit = self.get_option('limit')
            if limit < 0:
                raise OptionError(f'option limit: {limit!r} is negative (0 means all)')
        except OptionError as exc:
            raise AnsibleLookupError(f'podim.fleet.history: {exc}') from None
        try:
            # a reader never creates a store: a wrong path must not look like an empty history
            store = open_store(self.get_option('store_url'), create=False)
            entries = store.history(self.get_option('namespace'), group=self.get_option('group'),
                                    host=self.get_option('host'), typ=self.get_option('type'), since=since,
                                    until=until, limit=limit or None)
        except StoreError as exc:
            raise AnsibleLookupError(f'podim.fleet.history: {exc}') from None
        for entry in entries:
            entry['time'] = iso_time(entry['at'])
        return entries
