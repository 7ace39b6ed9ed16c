# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: rules
short_description: Creation rules that choose which hosts take a role
version_added: 0.1.0
description:
  - Evaluates creation rules over the inventory built by the sources before it (static files, a cloud or NetBox
    plugin ...), like P(ansible.builtin.constructed#inventory) does, and adds a group per rule with the hosts it chose.
  - "A rule states what the site needs: O(rules[].count) hosts among the O(rules[].hosts) pattern whose
    O(rules[].when) condition holds, on distinct values of O(rules[].spread_by) as far as possible, for every value
    of O(rules[].per). The plugin chooses the hosts."
  - Rules are evaluated in file order and a later rule sees the groups of the earlier ones, so roles are kept apart
    with patterns such as C(web:!dns_servers).
  - First choices use rendezvous (highest random weight) hashing of the rule name and the host name, so they are
    the same on every controller and spread evenly.
  - "Decisions are remembered in the store (O(store_url), O(namespace)): a member stays a member while it is
    eligible and available, adding hosts moves nobody, and a member that leaves, becomes ineligible or unavailable
    has only its slot refilled."
  - Each chosen host gets the variable C(podim_fleet_rules) saying, per group, why it was chosen (see the notes for
    its fields). The hosts named by O(why_not), and the host of C(ansible-inventory --host NAME), get
    C(podim_fleet_rules_not_chosen) saying, for every rule whose group they are not in, why not.
  - "With C(-v), C(ansible-inventory) and C(ansible-playbook) print each rule's decision on stderr: a tally such as
    C(dns_servers (rule 'dns'): 2/6 hosts chosen (2 kept); not chosen: 1 excluded by hosts 'linux:!db_servers'
    (!db_servers), 1 excluded by when (memory_mb | int >= 1024), 2 lower rank), then each member and why
    (the first 10 members; C(-vvv) lists every one). It looks at every host for every rule (about 0.9 s of CPU
    for 50 rules over 10,000 hosts); without C(-v) nothing of it is computed."
  - "Every change against the remembered decision is printed as one line, for example
    C(dns_servers: +node07 replaces node03) followed by the reason in parentheses."
  - A rule that cannot be met fails the inventory source with the rule's name, the count asked, the hosts found and
    the same tally of why the other hosts of the inventory were not chosen.
    Ansible only warns when an inventory source fails, so set C(any_unparsed_is_failed = true) in the
    C([inventory]) section of C(ansible.cfg) to stop the run instead.
  - The file name must end in C(.rules.yml) or C(.rules.yaml).
author:
  - podim.fleet developers (@podim)
requirements:
  - psycopg >= 3.1 (only for a PostgreSQL O(store_url))
  - netaddr >= 0.10 (only for conditions that use filters needing it, such as C(ansible.utils.ipaddr))
  - jmespath >= 1.0 (only for conditions that use C(community.general.json_query))
# not the constructed fragment: its note that groups are not available at this stage is not true here
extends_documentation_fragment:
  - podim.fleet.store
options:
  plugin:
    description: Marks the file as a rules file of this plugin.
    required: true
    type: str
    choices: [podim.fleet.rules]
  rules:
    description:
      - The creation rules, evaluated in this order.
    required: true
    type: list
    elements: dict
    suboptions:
      name:
        description:
          - The rule's stable identity, under which its decision is remembered. Unique in the file (and in the
            O(namespace)). Renaming a rule starts its decision afresh.
        type: str
        required: true
      group:
        description:
          - The group the rule fills. Each group is filled by one rule; it must not already have hosts from an
            earlier inventory source.
        type: str
        required: true
      hosts:
        description:
          - The candidates, as an Ansible host pattern over the inventory so far, including the groups made by
            earlier rules (unions C(a:b), intersections C(a:&b), exclusions C(a:!b), globs, C(~regex), subscripts).
          - A term that names (or whose glob or regex matches) the group of a later rule, or the rule's own group, is
            an error naming both rules and the group.
        type: raw
        default: all
      when:
        description:
          - A Jinja2 condition over each candidate's variables (without C({{ }})), such as
            C(memory_mb | int >= 1024), or a list of conditions that must all hold.
          - Compiled once, not parsed again per host. Ansible's filters and tests are available; C(lookup) is not.
          - An undefined variable is an error naming the rule, the host and the variable; use the C(default) filter
            or C(x is defined and ...) for hosts that may lack it.
          - Evaluated in an immutable Jinja2 sandbox with the rules of Ansible's templating; a private or internal
            attribute (C(__class__), C(_x), C(mro) ...) or a method that changes a list or dict is an error naming
            the file, the rule and the field.
          - Reading C(groups['x']) or C('x' in group_names) for the group of a later rule is an error.
        type: raw
      count:
        description:
          - "How many hosts. A number (exactly that many), or a mapping with C(min) (default 1) and C(max)
            (default every eligible host), for example C({min: 2, max: 3}) or C({min: 1})."
          - The plugin chooses C(max) hosts when there are enough, and fails the rule when fewer than C(min) are
            eligible and available.
        type: raw
        default: 1
      spread_by:
        description:
          - A variable (or expression) whose distinct values the members should cover as far as possible, such as
            C(rack). Two members are on the same rack only when there are more members than racks.
        type: str
      per:
        description:
          - A variable (or expression). O(rules[].count) applies separately for each of its distinct values among
            the eligible hosts ("for every zone").
        type: str
      max_moves:
        description:
          - "At most this many voluntary membership changes per evaluation: a member that no longer matches
            O(rules[].hosts) or O(rules[].when), the count that went down, a O(rules[].per) value that moved. A
            replacement (a member leaves, another takes its slot) counts as one change."
          - The other voluntary changes wait, their members stay for now, one line per waiting change is printed
            and the member's C(podim_fleet_rules) says it is held by max_moves.
          - Failover (a member unavailable or gone from the inventory) and filling slots that are still free are
            never held back. C(0) holds every voluntary change. Default no limit.
        type: int
      approve:
        description:
          - With C(true), voluntary changes (see O(rules[].max_moves)) are only proposed, each with a short stable
            id printed in one line with the change and its reason; the group keeps its members.
          - An approved proposal (the C(podim.fleet.approve) module, or the O(approve) option) is applied at the next
            evaluation that still proposes it, within O(rules[].max_moves); an approval that matches no proposal
            any more expires with a message.
          - Failover is never held back.
        type: bool
        default: false
      vars:
        description:
          - Variables set on the hosts the rule chose.
          - Names must be valid variable names, not start with C(podim_fleet_), and not be one of Ansible's magic or
            reserved variables (C(inventory_hostname), C(group_names), C(groups), C(hostvars), C(omit), play keywords
            ...).
        type: dict
  available:
    description:
      - A Jinja2 condition deciding which hosts may be chosen at all, for example C(podim_available) with the
        C(default) filter (see the examples). A member for which it becomes false is replaced.
    type: raw
  probe:
    description:
      - Probe the hosts a rule keeps or is about to choose with a TCP connection; a host that does not answer is
        unavailable and replaced (failover). Probes run concurrently, and only hosts a decision depends on are probed.
      - The address is the host's C(ansible_host), else its inventory name.
    type: dict
    suboptions:
      port:
        description: The TCP port (1 to 65535). Default the host's C(ansible_port), else 22.
        type: int
      timeout:
        description: Seconds to wait for each connection, above 0 and at most 60.
        type: float
        default: 1.0
  bindings:
    description:
      - Relations between clients and servers, evaluated after the rules (their patterns may name the rules'
        groups). Each client gets the host variable C(podim_fleet_bindings) mapping the binding's name to
        C(servers) (its ordered list, first = preferred) and C(why).
      - The first servers are balanced by rendezvous hashing with bounded loads (no server is the first choice of
        more than ceil(1.25 x clients / servers) clients), and stable (remembered in the store like the rules'
        decisions; a client that joins or leaves changes no other client's list, a server that leaves changes only
        the lists that held it, a server that joins takes at most its fair share).
      - Servers are the hosts of O(bindings[].servers) that are available (O(available) and O(probe), as for the
        rules). A change of a remembered list is printed and recorded in the store's history (kind C(rebound)).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Stable identifier of the binding (the key in C(podim_fleet_bindings)).
        type: str
        required: true
      clients:
        description: Host pattern of the clients.
        type: str
        required: true
      servers:
        description: Host pattern of the servers.
        type: str
        required: true
      count:
        description: Servers per client, 1 to 16.
        type: int
        default: 1
      near:
        description:
          - A host variable (such as C(rack)). A client's servers are those with its value of the variable first,
            balanced among themselves; a client whose value no server has uses every server.
        type: str
      on_unmet:
        description:
          - "When fewer than O(bindings[].count) servers are available, or no host matches O(bindings[].clients):
            C(error) fails the inventory source (nothing is remembered), C(warn) binds what it can and warns.
            Default the file's O(on_unmet)."
        type: str
        choices: [error, warn]
  on_unmet:
    description:
      - What to do when a rule cannot be met. C(error) fails the inventory source (nothing is remembered);
        C(warn) fills what it can, warns, and remembers that.
    type: str
    choices: [error, warn]
    default: error
  remember:
    description:
      - Record the decision in the store. With C(false) the rules are evaluated against the remembered decision
        without recording anything, for previews; the change lines are still printed.
      - A value that is not a boolean (such as C(maybe)), here or in the environment variable, is an error.
    type: bool
    default: true
    env:
      - name: PODIM_FLEET_RULES_REMEMBER
  why_not:
    description:
      - A host pattern over the inventory before the rules (such as C(node04) or C(linux)). Each of its hosts gets
        C(podim_fleet_rules_not_chosen) (see the notes). C(ansible-inventory --host NAME) adds NAME.
      - Each host costs a look at it per rule (its C(when) is evaluated even where the steady state would not).
    type: str
    env:
      - name: PODIM_FLEET_RULES_WHY_NOT
  use_vars_plugins:
    description:
      - Also give the conditions (and O(compose), O(groups), O(keyed_groups)) the variables of the vars plugins, such
        as C(group_vars/) and C(host_vars/) next to the inventory sources read before this file, as
        P(ansible.builtin.constructed#inventory) does with its option of this name.
      - Every vars plugin runs, whatever its stage. Implicit groups such as C(all) get their C(group_vars/) only
        when an earlier inventory source declares them.
    type: bool
    default: false
  strict:
    description:
      - With C(true), an O(compose), O(groups) or O(keyed_groups) entry that fails is an error; else it is skipped.
      - The rules themselves are always strict.
    type: bool
    default: false
  compose:
    description:
      - Create variables from Jinja2 expressions, after the rules (as P(ansible.builtin.constructed#inventory)).
    type: dict
    default: {}
  groups:
    description:
      - Add hosts to groups by Jinja2 conditions, after the rules (as P(ansible.builtin.constructed#inventory)).
    type: dict
    default: {}
  keyed_groups:
    description: Add hosts to groups by the values of a variable, after the rules (as
      P(ansible.builtin.constructed#inventory)).
    type: list
    elements: dict
    default: []
    suboptions:
      parent_group:
        type: str
        description: The parent group of the keyed group.
      prefix:
        type: str
        description: The start of the keyed group's name.
        default: ''
      separator:
        type: str
        description: The separator in the keyed group's name.
        default: "_"
      key:
        type: str
        description: The variable (or expression) whose values name the groups.
      default_value:
        description:
          - The value used when the variable is V(None) or an empty string.
          - Not with O(keyed_groups[].trailing_separator).
        type: str
      trailing_separator:
        description:
          - With V(false), no separator after the prefix when the value is V(None) or an empty string. Not with
            O(keyed_groups[].default_value).
        type: bool
        default: true
  use_extra_vars:
    description: Merge extra vars into the variables of O(compose), O(groups) and O(keyed_groups) (highest precedence);
      not into the rules' conditions.
    type: bool
    default: false
    ini:
      - section: inventory_plugins
        key: use_extra_vars
    env:
      - name: ANSIBLE_INVENTORY_USE_EXTRA_VARS
  leading_separator:
    description:
      - With V(false), a keyed group without a prefix does not start with the separator.
    type: boolean
    default: true
  approve:
    description:
      - Ids of proposed changes (rules with O(rules[].approve)) to apply in this evaluation, as a list or separated
        by commas. Their moves record C(approved_by) as C(option approve). An id that matches no current proposal
        is reported and ignored.
      - Under C(ansible-playbook --check) nothing is remembered, so this shows the outcome without applying it.
    type: list
    elements: str
    env:
      - name: PODIM_FLEET_RULES_APPROVE
notes:
  - Conditions see the variables that the inventory sources before this file set (host and group variables in the
    inventory, with Ansible's precedence), C(inventory_hostname), C(group_names) and C(groups) including the groups of
    earlier rules. Variables from C(group_vars/) and C(host_vars/) directories are loaded only with
    O(use_vars_plugins); facts are not loaded at this stage.
  - "C(podim_fleet_rules), on each member, maps the group to: C(rule) (the rule's name); C(decision) (C(chosen) in the
    evaluation that chose it, C(kept) in the later ones); C(why) (one sentence); C(rank) (its place in the rendezvous
    order among the eligible and available hosts when it was chosen); C(chosen) (a kept member: the C(why) of the
    evaluation that chose it, remembered with the decision; absent for decisions remembered before version 0.2.0);
    C(spread_by) and C(spread_value); C(per) and C(per_value); C(replaces) (the member whose slot it took);
    C(waiting) (a member kept for now: C(status) C(held) or C(proposed), C(proposal), C(reason), C(approved_by))."
  - "C(podim_fleet_rules_not_chosen) maps each group the host is not in to: C(rule); C(reason), one of C(hosts)
    (not matched or excluded by a term of O(rules[].hosts), named in C(term)), C(earlier) (in the group of an earlier
    rule that O(rules[].hosts) excludes, named in C(groups)), C(when) (the first false condition of a list or of a
    top-level C(and), in C(condition)), C(unavailable) (O(available) false or no answer to the O(probe)), C(waiting)
    (it would be chosen, but the change waits for O(rules[].max_moves) or an approval), C(filled) (the count is filled
    by members kept from earlier decisions), C(spread) (an eligible host on a O(rules[].spread_by) value that already
    had a member, with C(rank) and C(spread_value)), C(rank) (a lower rendezvous rank than the hosts chosen, in
    C(rank)); and C(why) (one sentence)."
  - Under C(ansible-playbook --check) nothing is remembered (as with O(remember=false)), so C(--check --diff)
    shows the plan and leaves the store unchanged.
  - The members of a group are listed kept members first, in the order they were chosen, so C(dns_servers[0])
    stays the same host while it lives.
  - Unknown options, unknown keys of a rule, of O(probe), O(rules[].count) and O(keyed_groups), and values of the
    wrong type or range are errors naming the file, the rule and the field.
  - O(compose), O(groups) and O(keyed_groups) are rendered by Ansible's templar after the same sandbox check; there
    C(lookup)/C(query), computed callables and non-constant format strings are refused, O(compose) must not set
    reserved variables, and O(groups)/O(keyed_groups) must not add hosts to a rule's group.
seealso:
  - plugin: podim.fleet.exported
    plugin_type: lookup
"""

EXAMPLES = r"""
# ansible.cfg
#   [inventory]
#   enable_plugins = ansible.builtin.yaml, ansible.builtin.ini, podim.fleet.rules
#   any_unparsed_is_failed = true
#
# ansible-inventory -i hosts.yml -i site.rules.yml --graph

# site.rules.yml
plugin: podim.fleet.rules
rules:
  - name: dns
    group: dns_servers
    hosts: linux  # not "linux:!db_servers": db_servers is filled by a later rule, an error
    when: "memory_mb | int >= 1024"
    count: 2
    spread_by: rack
    vars:
      bind_role: secondary
  - name: db
    group: db_servers
    hosts: "linux:!dns_servers"
    when: "disk_gb | default(0) | int >= 100"
    count: {min: 1, max: 2}
  - name: cache
    group: memcached
    hosts: "web:!dns_servers"
    count: 1
    per: zone
available: "podim_available | default(true)"
probe:
  port: 22
  timeout: 1.0
on_unmet: error

# Why is node04 not a DNS server? (podim_fleet_rules_not_chosen)
#   ansible-inventory -i hosts.yml -i site.rules.yml --host node04
# Each rule's decision, with the reasons of the hosts not chosen:
#   ansible-inventory -i hosts.yml -i site.rules.yml --graph -v

# A preview that records nothing:
#   PODIM_FLEET_RULES_REMEMBER=false ansible-inventory -i hosts.yml -i site.rules.yml --graph
# ansible-playbook --check records nothing either: the plan of a change of the rules
#   ansible-playbook -i hosts.yml -i site.rules.yml site.yml --check --diff

# Change control: at most one voluntary change per run, each proposed for approval
#   rules:
#     - name: dns
#       group: dns_servers
#       when: "memory_mb | int >= 1024"
#       count: 3
#       max_moves: 1
#       approve: true
# Apply a proposal printed as "dns_servers: proposed 3f9a1c2b7d: +node07 replaces node03 (...)":
#   PODIM_FLEET_RULES_APPROVE=3f9a1c2b7d ansible-inventory -i hosts.yml -i site.rules.yml --graph
"""

import gc
import os
import time
import typing as t
from collections.abc import Mapping

from ansible import constants as C
from ansible import context
from ansible.errors import AnsibleError, AnsibleParserError
from ansible.inventory.helpers import get_group_vars
from ansible.plugins.inventory import BaseInventoryPlugin, Constructable
from ansible.plugins.loader import filter_loader, test_loader
from ansible.utils.vars import combine_vars
from ansible.vars.plugins import get_vars_from_inventory_sources
from ansible.vars.reserved import get_reserved_names

from ansible_collections.podim.fleet.plugins.plugin_utils.preload import preload
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.bindings import parse_bindings
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.conditions import ExpressionCompiler
from ansible_collections.podim.fleet.plugins.plugin_utils.patterns import HostPatterns, PatternError
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.engine import Explain, Result, evaluate
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.explain import NOT_CHOSEN_VAR
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.errors import RulesError, UnmetError
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.spec import (
    RESERVED_VARS, RulesSpec, check_constructed, check_top_level, parse_bool, parse_spec,
)
from ansible_collections.podim.fleet.plugins.plugin_utils.rules.view import InventoryView
from ansible_collections.podim.fleet.plugins.plugin_utils.exports import run_metadata
from ansible_collections.podim.fleet.plugins.plugin_utils.store import StoreError, open_store, sqlite_path

FILE_SUFFIXES = ('.rules.yml', '.rules.yaml')
REMEMBER_ENV = 'PODIM_FLEET_RULES_REMEMBER'
APPROVE_ENV = 'PODIM_FLEET_RULES_APPROVE'
WHY_NOT_ENV = 'PODIM_FLEET_RULES_WHY_NOT'


def check_mode() -> bool:
    """ansible-playbook --check: the CLI sets CLIARGS before it loads the inventory (ansible-inventory has no check)."""
    try:
        return bool(context.CLIARGS.get('check'))
    except Exception:  # no CLI (the plugin used as a library): no check mode
        return False


def asked_host() -> str | None:
    """The host of `ansible-inventory --host NAME`: its why-not is computed (the other CLIs have no such option)."""
    try:
        host = context.CLIARGS.get('host')
    except Exception:  # no CLI
        return None
    return host if isinstance(host, str) and host else None


def _reserved_vars() -> frozenset[str]:
    """Names a rule's vars or compose must not set: the engine's list, Ansible's reserved and magic variables."""
    return RESERVED_VARS | frozenset(C.INTERNAL_STATIC_VARS) | frozenset(get_reserved_names())


def _resolver(loader: t.Any) -> t.Callable[[str], t.Callable[..., t.Any] | None]:
    """Name -> the function of Ansible's filter or test plugin (builtin or from a collection)."""

    def resolve(name: str) -> t.Callable[..., t.Any] | None:
        try:
            plugin = loader.get(name)
        except Exception:  # a broken or missing plugin: the compiler reports the name
            return None
        return getattr(plugin, 'j2_function', None) if plugin else None

    return resolve


class InventoryModule(BaseInventoryPlugin, Constructable):
    """Creation rules: choose hosts for groups, remember the decision, explain it."""

    NAME = 'podim.fleet.rules'

    def verify_file(self, path: str) -> bool:
        return super().verify_file(path) and path.endswith(FILE_SUFFIXES)

    def parse(self, inventory: t.Any, loader: t.Any, path: str, cache: bool = True) -> None:
        super().parse(inventory, loader, path, cache=cache)
        self._path = path
        started = time.perf_counter()
        cpu_started = time.process_time()
        config = self._read_config_data(path)
        # The inventory is millions of objects at 50,000 hosts: a full garbage
        # collection, triggered by the allocations of the evaluation, walks all
        # of them (that made the cost grow faster than the inventory). The
        # evaluation makes no reference cycles worth collecting meanwhile.
        collecting = gc.isenabled()
        gc.disable()
        try:
            check_top_level(path, config, self._options)
            # Ansible turns any string it does not know into false: `remember: maybe` would be a silent preview
            if config.get('remember') is not None:
                parse_bool(path, 'remember', config['remember'])
            if config.get('use_vars_plugins') is not None:
                parse_bool(path, 'use_vars_plugins', config['use_vars_plugins'])
            if os.environ.get(REMEMBER_ENV) is not None:
                parse_bool(path, 'remember', os.environ[REMEMBER_ENV], source=f'the environment variable {REMEMBER_ENV}')
            reserved = _reserved_vars()
            # every expression compiles in the sandbox (conditions.py); unsafe ones fail here, before anything runs
            compiler = ExpressionCompiler(filters=_resolver(filter_loader), tests=_resolver(test_loader))
            source = f'the environment variable {APPROVE_ENV}' if 'approve' not in config and os.environ.get(
                APPROVE_ENV) is not None else ''
            spec = parse_spec(path, self.get_option('rules'), available=self.get_option('available'),
                              probe=self.get_option('probe'), on_unmet=self.get_option('on_unmet'), compiler=compiler,
                              reserved=reserved, approve=self.get_option('approve'), approve_source=source)
            spec = spec._replace(bindings=tuple(parse_bindings(path, config.get('bindings'), spec.on_unmet)))
            check_constructed(path, config, {rule.group for rule in spec.rules}, reserved)
            self._check_groups(spec)
            checking = check_mode()
            remember = self.get_option('remember') and not checking
            self._vars_plugins = self._vars_plugin_sources()
            self._vars_memo: dict[str, dict[str, t.Any]] = {}
            result = self._decide(spec, remember, self._explaining(path, config))
        except (RulesError, StoreError) as exc:
            raise AnsibleParserError(str(exc)) from None
        finally:
            if collecting:
                gc.enable()
        self._apply(result)
        prefix = 'podim.fleet.rules' + ('' if remember else ' (check mode, not remembered)' if checking
                                        else ' (preview, not remembered)')
        for line in result.changes + result.notices:
            self.display.display(f'{prefix}: {line}', stderr=True)
        for line in result.summaries:  # -v: on stderr like the change lines, so --list stays valid JSON
            self.display.display(f'{prefix}: {line}', stderr=True)
        for message in result.unmet:
            self.display.warning(f'{path}: creation rule not met (on_unmet: warn): {message}')
        for message in result.warnings:
            self.display.warning(f'{path}: binding not met (on_unmet: warn): {message}')
        stats = ', '.join(f'{key} {value}' for key, value in result.stats.items() if key != 'explain_ms')
        # the time of the rules themselves; what -v, --host and why_not cost on top is shown apart
        explained = result.stats.get('explain_ms', 0) / 1000
        self.display.vv(f'{prefix}: {path}: {len(spec.rules)} rules over {len(self.inventory.hosts)} hosts '
                        f'in {time.perf_counter() - started - explained:.3f} s, '
                        f'cpu {time.process_time() - cpu_started - explained:.3f} s ({stats})'
                        + (f'; explaining the decisions: cpu {explained:.3f} s'
                           if 'explain_ms' in result.stats else ''))
        self._construct(result)
        # this runs in ansible-playbook's main process: load the per-host plugins
        # here once instead of in every forked worker (see plugin_utils/preload.py)
        preload()

    def _read_config_data(self, path: str) -> dict[str, t.Any]:
        """The base class's, without its deep copy of the file's data (slow for tagged values; we never change it)."""
        try:
            config = self.loader.load_from_file(path, cache='none', trusted_as_template=True, unsafe=True)
        except Exception as exc:
            raise AnsibleParserError(f'{path}: {exc}') from exc
        if not config:
            raise AnsibleParserError(f'{path} is empty')
        if not isinstance(config, Mapping):
            raise AnsibleParserError(f'{path}: a rules file is a mapping (plugin, rules ...), got {type(config).__name__}')
        valid_names = getattr(self, '_redirected_names', None) or [self.NAME]
        if config.get('plugin') not in valid_names:
            raise AnsibleParserError(f'Incorrect plugin name in file: {config.get("plugin", "none found")}')
        self.set_options(direct=config, var_options=self._vars)
        return config

    def _explaining(self, path: str, config: Mapping[str, t.Any]) -> Explain:
        """What to explain besides the members: the -v summary, the why-not of the why_not hosts and --host's."""
        verbosity = self.display.verbosity
        pattern = self.get_option('why_not')
        hosts: set[str] = set()
        if pattern:
            source = f' (from {WHY_NOT_ENV})' if 'why_not' not in config else ''
            if not isinstance(pattern, str) or not pattern.strip():
                raise RulesError(f"{path}: field 'why_not': must be a host pattern, got {pattern!r}{source}")
            try:
                groups = {name: [host.name for host in group.get_hosts()]
                          for name, group in self.inventory.groups.items()}
                hosts.update(HostPatterns(groups, list(self.inventory.hosts)).select(pattern))
            except PatternError as exc:
                raise RulesError(f"{path}: field 'why_not': {exc}{source}") from None
        asked = asked_host()
        if asked:
            hosts.add(asked)
        return Explain(summary=verbosity >= 1, hosts=frozenset(hosts),
                       limit=None if verbosity >= 3 else Explain().limit)

    def _vars_plugin_sources(self) -> list[str] | None:
        """The inventory sources whose group_vars/ and host_vars/ (vars plugins) the rules see, as constructed does."""
        if not self.get_option('use_vars_plugins'):
            return None
        sources = getattr(self.inventory, 'processed_sources', None)
        if sources is None:
            raise AnsibleParserError(f'{self._path}: use_vars_plugins needs ansible-core to list the inventory '
                                     'sources read before this one (InventoryData.processed_sources)')
        return list(sources)

    def _check_groups(self, spec: RulesSpec) -> None:
        for rule in spec.rules:
            group = self.inventory.groups.get(rule.group)
            if group is not None and group.get_hosts():
                raise AnsibleParserError(
                    f'{spec.path}: rule {rule.name!r}: field \'group\': group {rule.group!r} already has hosts from an '
                    'earlier inventory source; a rule fills a group of its own (declare it without hosts, or '
                    'rename it)')

    def _view(self, spec: RulesSpec) -> InventoryView:
        def render(host: str, value: t.Any) -> t.Any:
            templar = self.templar.copy_with_new_env(available_variables=self._all_vars(host))
            return templar.template(value)

        full = self._memo_vars if self._merge_hashes() or self._vars_plugins is not None else None
        return InventoryView(self.inventory, render=render, full_vars=full)

    def _memo_vars(self, host: str) -> dict[str, t.Any]:
        """_all_vars, once per host during the evaluation (the inventory does not change meanwhile)."""
        found = self._vars_memo.get(host)
        if found is None:
            found = self._vars_memo[host] = self._all_vars(host)
        return found

    @staticmethod
    def _merge_hashes() -> bool:
        return C.DEFAULT_HASH_BEHAVIOUR == 'merge'

    def _all_vars(self, host: str) -> dict[str, t.Any]:
        """A host's variables with Ansible's precedence; with use_vars_plugins, group_vars/ and host_vars/ too."""
        obj = self.inventory.get_host(host)
        group_vars = get_group_vars(obj.get_groups())
        host_vars = obj.get_vars()
        sources = getattr(self, '_vars_plugins', None)
        if sources is not None:
            # as constructed: the vars plugins' group variables above the inventory's, their host variables above those
            from_groups = get_vars_from_inventory_sources(self.loader, sources, obj.get_groups(), 'all')
            group_vars = combine_vars(group_vars, from_groups)
            host_vars = combine_vars(host_vars, get_vars_from_inventory_sources(self.loader, sources, [obj], 'all'))
        return combine_vars(group_vars, host_vars)

    def _decide(self, spec: RulesSpec, remember: bool, explaining: Explain) -> Result:
        url = self.get_option('store_url')
        namespace = self.get_option('namespace')
        view = self._view(spec)
        outcome: dict[str, Result] = {}

        def decide(previous: dict[str, t.Any]) -> tuple[dict[str, t.Any], list[dict[str, t.Any]]]:
            result = evaluate(spec, view, previous, explaining=explaining)
            if result.unmet and spec.on_unmet == 'error':
                raise UnmetError(spec.path, result.unmet)  # rolls the transaction back: nothing is remembered
            outcome['result'] = result
            # the store records the moves (why each member joined or left) in its history, in this transaction
            return result.states, result.moves

        if not remember and url.startswith('sqlite:') and not os.path.exists(sqlite_path(url)):
            decide({})  # a preview must not create the store
        else:
            store = open_store(url, create=True)
            store.decide(namespace, decide, remember=remember, actor=run_metadata(os.getpid()),
                         history_days=self.get_option('history_days'))
        return outcome['result']

    def _apply(self, result: Result) -> None:
        inventory = self.inventory
        for group, members in result.groups.items():
            inventory.add_group(group)
            for host in members:
                inventory.add_child(group, host)
        hosts = inventory.hosts
        for host, variables in result.hostvars.items():
            obj = hosts[host]
            for name, value in variables.items():
                # Host.set_variable, not the proxy's: the proxy would walk and tag our plain data for nothing
                obj.set_variable(name, value)
        for host, why_not in result.not_chosen.items():
            hosts[host].set_variable(NOT_CHOSEN_VAR, why_not)

    def _construct(self, result: Result) -> None:
        """compose / groups / keyed_groups, as constructed does, when any is set.

        Ansible's templar renders them (its sandbox; check_constructed refused
        what it lets through). A keyed group must not add hosts to a rule's group.
        """
        compose = self.get_option('compose')
        groups = self.get_option('groups')
        keyed = self.get_option('keyed_groups')
        if not (compose or groups or keyed):
            return
        strict = self.get_option('strict')
        try:
            for host in self.inventory.hosts:
                self._set_composite_vars(compose, self._all_vars(host), host, strict=strict)
                hostvars = self._all_vars(host)
                self._add_host_to_composed_groups(groups, hostvars, host, strict=strict, fetch_hostvars=False)
                self._add_host_to_keyed_groups(keyed, hostvars, host, strict=strict, fetch_hostvars=False)
        except AnsibleError:
            raise
        except Exception as exc:
            raise AnsibleParserError(f'{self._path}: compose/groups/keyed_groups failed: {exc}') from exc
        for group, members in result.groups.items():
            added = sorted({host.name for host in self.inventory.groups[group].get_hosts()} - set(members))
            if added:
                raise AnsibleParserError(f"{self._path}: field 'keyed_groups': added {', '.join(added)} to group "
                                         f'{group!r}, which a rule fills; choose a prefix that cannot produce it')
