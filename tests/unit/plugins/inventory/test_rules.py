# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory plugin podim.fleet.rules, through real `ansible-inventory` runs and in process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
import typing as t
from pathlib import Path

import pytest

from ansible_collections.podim.fleet.plugins.plugin_utils.store import open_store
from ansible_collections.podim.fleet.tests.unit.conftest import collections_path

HOSTS = textwrap.dedent('''
    all:
      children:
        linux:
          hosts:
            node01: {memory_mb: 2048, rack: r1, zone: a}
            node02: {memory_mb: 2048, rack: r1, zone: a}
            node03: {memory_mb: 4096, rack: r2, zone: a}
            node04: {memory_mb: 512, rack: r2, zone: b}
            node05: {memory_mb: 2048, rack: r3, zone: b}
            node06: {memory_mb: "{{ 1024 * 2 }}", rack: r3, zone: b}
        db_servers:
          hosts:
            node01:
''')

RULES = textwrap.dedent('''
    plugin: podim.fleet.rules
    rules:
      - name: dns
        group: dns_servers
        hosts: "linux:!db_servers"
        when: "memory_mb | int >= 1024"
        count: 2
        spread_by: rack
        vars: {bind_role: secondary}
      - name: cache
        group: memcached
        hosts: "linux:!dns_servers"
        count: 1
        per: zone
    available: "podim_available | default(true)"
''')


class Run(t.NamedTuple):
    rc: int
    out: str
    err: str

    def json(self) -> t.Any:
        return plain(json.loads(self.out))


def plain(value: t.Any) -> t.Any:
    """--list writes strings that are data, not templates, as {"__ansible_unsafe": text}: unwrap them."""
    if isinstance(value, dict):
        if set(value) == {'__ansible_unsafe'}:
            return value['__ansible_unsafe']
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


class Inventory:
    """Writes hosts.yml / site.rules.yml / ansible.cfg into a folder and runs ansible-inventory there."""

    def __init__(self, path: Path, store_url: str, namespace: str) -> None:
        self.path = path
        self.store_url = store_url
        self.namespace = namespace

    def env(self, extra: dict | None = None) -> dict:
        env = dict(os.environ, ANSIBLE_CONFIG=str(self.path / 'ansible.cfg'),
                   ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_NOCOLOR='1',
                   PODIM_FLEET_STORE=self.store_url, PODIM_FLEET_NAMESPACE=self.namespace,
                   ANSIBLE_LOCAL_TEMP=str(self.path / 'tmp'))
        env.pop('PODIM_FLEET_RULES_REMEMBER', None)
        env.update(extra or {})
        return env

    def write(self, rules: str = RULES, hosts: str = HOSTS, name: str = 'site.rules.yml') -> None:
        (self.path / 'hosts.yml').write_text(hosts)
        (self.path / name).write_text(rules)
        (self.path / 'ansible.cfg').write_text(
            '[inventory]\nenable_plugins = ansible.builtin.yaml, podim.fleet.rules\nany_unparsed_is_failed = true\n')

    def command(self, *args: str, name: str = 'site.rules.yml') -> list[str]:
        return [str(Path(sys.executable).parent / 'ansible-inventory'), '-i', 'hosts.yml', '-i', name, *args]

    def __call__(self, *args: str, rules: str = RULES, hosts: str = HOSTS, env: dict | None = None,
                 name: str = 'site.rules.yml') -> Run:
        self.write(rules, hosts, name)
        proc = subprocess.run(self.command(*args, name=name), cwd=self.path, env=self.env(env),
                              capture_output=True, text=True, timeout=300, check=False)
        return Run(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def inventory(tmp_path, sqlite_url, namespace):
    return Inventory(tmp_path, sqlite_url, namespace)


def test_graph_list_host_and_change_lines(inventory):
    first = inventory('--list')
    assert first.rc == 0, first.err
    data = first.json()
    dns = data['dns_servers']['hosts']
    assert len(dns) == 2 and 'node01' not in dns and 'node04' not in dns
    assert len({data['_meta']['hostvars'][h]['rack'] for h in dns}) == 2
    assert len(data['memcached']['hosts']) == 2
    assert f'podim.fleet.rules: dns_servers: chose {dns[0]}, {dns[1]} (first decision)' in first.err
    info = data['_meta']['hostvars'][dns[0]]
    assert info['bind_role'] == 'secondary'
    assert info['podim_fleet_rules']['dns_servers']['decision'] == 'chosen'

    graph = inventory('--graph')
    assert graph.rc == 0 and '@dns_servers:' in graph.out and 'first decision' not in graph.err
    host = inventory('--host', dns[1]).json()
    assert host['podim_fleet_rules']['dns_servers']['decision'] == 'kept'
    assert host['podim_fleet_rules']['dns_servers']['why'].startswith('kept: still eligible and available')


def test_failover_through_available(inventory):
    dns = inventory('--list').json()['dns_servers']['hosts']
    hosts = HOSTS.replace(f'{dns[0]}: {{', f'{dns[0]}: {{podim_available: false, ')
    second = inventory('--list', hosts=hosts)
    assert second.rc == 0, second.err
    new = second.json()['dns_servers']['hosts']
    assert dns[0] not in new and dns[1] == new[0]
    assert f'dns_servers: +{new[1]} replaces {dns[0]} (unavailable: available is false)' in second.err
    why = second.json()['_meta']['hostvars'][new[1]]['podim_fleet_rules']['dns_servers']['why']
    assert f'replaces {dns[0]}' in why


def test_unmet_rule_fails_the_run(inventory):
    result = inventory('--graph', rules=RULES.replace('count: 2', 'count: 5'))
    assert result.rc != 0
    assert "rule 'dns' (group dns_servers) asks for exactly 5 hosts, found 4" in result.err
    assert ("4/6 hosts chosen; not chosen: 1 excluded by hosts 'linux:!db_servers' (!db_servers), "
            "1 excluded by when (memory_mb | int >= 1024).") in result.err


def test_verbose_prints_each_rules_decision_on_stderr(inventory):
    dns = inventory('--list').json()['dns_servers']['hosts']
    inventory.store_url += '.other'  # a first decision again, in another store
    result = inventory('--graph', '-v')
    assert result.rc == 0, result.err
    assert result.out.startswith('Using ')  # Ansible's own -v line; ours are on stderr
    assert ("podim.fleet.rules: dns_servers (rule 'dns'): 2/6 hosts chosen; not chosen: 1 excluded by hosts "
            "'linux:!db_servers' (!db_servers), 1 excluded by when (memory_mb | int >= 1024), ") in result.err
    assert f'podim.fleet.rules: dns_servers: {dns[0]} chosen: rank 1 of 4 eligible and available' in result.err
    again = inventory('--graph', '-v')
    assert "dns_servers (rule 'dns'): 2/6 hosts chosen (2 kept); not chosen: " in again.err
    assert f'dns_servers: {dns[0]} kept: still eligible and available; first chosen: rank 1 of 4' in again.err
    quiet = inventory('--list')
    assert 'hosts chosen' not in quiet.err
    assert not any('podim_fleet_rules_not_chosen' in v for v in quiet.json()['_meta']['hostvars'].values())


def test_host_says_why_not(inventory):
    node04 = inventory('--host', 'node04').json()
    assert node04['podim_fleet_rules_not_chosen']['dns_servers'] == {
        'rule': 'dns', 'reason': 'when', 'condition': 'memory_mb | int >= 1024',
        'why': 'when is false: memory_mb | int >= 1024'}
    node01 = inventory('--host', 'node01').json()
    assert node01['podim_fleet_rules_not_chosen']['dns_servers']['reason'] == 'hosts'
    assert 'memcached' in node01['podim_fleet_rules']  # a member of one rule, and why not of the other


def test_why_not_option_and_environment(inventory):
    listed = inventory('--list', env={'PODIM_FLEET_RULES_WHY_NOT': '~node0[45]'}).json()['_meta']['hostvars']
    assert sorted(h for h, v in listed.items() if 'podim_fleet_rules_not_chosen' in v) == ['node04', 'node05']
    listed = inventory('--list', rules=RULES + 'why_not: db_servers\n').json()['_meta']['hostvars']
    assert [h for h, v in listed.items() if 'podim_fleet_rules_not_chosen' in v] == ['node01']


@pytest.mark.parametrize('rules, env, where', [
    (RULES + 'why_not: "~["\n', {}, "site.rules.yml: field 'why_not': host pattern '~[' has a [ or ] without its pair"),
    (RULES, {'PODIM_FLEET_RULES_WHY_NOT': 'web:!'}, "field 'why_not': host pattern has an empty term (check for "
                                                    "doubled : or trailing !/&) (from PODIM_FLEET_RULES_WHY_NOT)"),
    (RULES + 'use_vars_plugins: perhaps\n', {}, "use_vars_plugins"),
])
def test_bad_why_not_and_use_vars_plugins_name_the_field(inventory, rules, env, where):
    result = inventory('--graph', rules=rules, env=env)
    assert result.rc != 0
    assert ' '.join(where.split()) in ' '.join(result.err.split()), result.err


def test_use_vars_plugins_gives_the_rules_group_vars_and_host_vars(inventory, tmp_path):
    (tmp_path / 'group_vars').mkdir()
    (tmp_path / 'group_vars' / 'linux.yml').write_text('memory_mb: 256\n')
    (tmp_path / 'host_vars').mkdir()
    (tmp_path / 'host_vars' / 'node04.yml').write_text('memory_mb: 8192\n')
    (tmp_path / 'host_vars' / 'node05.yml').write_text('memory_mb: 8192\n')
    hosts = HOSTS.replace('{memory_mb: 2048, ', '{').replace('{memory_mb: 4096, ', '{')
    hosts = hosts.replace('{memory_mb: 512, ', '{').replace('{memory_mb: "{{ 1024 * 2 }}", ', '{')
    without = inventory('--graph', hosts=hosts)
    assert without.rc != 0 and "'memory_mb' is undefined" in without.err
    with_them = inventory('--list', hosts=hosts, rules=RULES + 'use_vars_plugins: true\n')
    assert with_them.rc == 0, with_them.err
    # group_vars/linux.yml leaves every host at 256 MB but node04 and node05, which host_vars/ raises
    assert sorted(with_them.json()['dns_servers']['hosts']) == ['node04', 'node05']
    assert "asks for" not in with_them.err


def test_unmet_rule_warns_with_on_unmet_warn(inventory):
    result = inventory('--list', rules=RULES.replace('count: 2', 'count: 5') + 'on_unmet: warn\n')
    assert result.rc == 0, result.err
    assert len(result.json()['dns_servers']['hosts']) == 4
    assert 'creation rule not met (on_unmet: warn)' in result.err


def test_nothing_is_remembered_on_failure(inventory, sqlite_url, namespace):
    inventory('--graph', rules=RULES.replace('count: 2', 'count: 5'))
    if os.path.exists(sqlite_url[len('sqlite:///'):]):
        assert open_store(sqlite_url).load_decisions(namespace) == {}


def test_preview_records_nothing(inventory, sqlite_url, namespace):
    preview = inventory('--list', env={'PODIM_FLEET_RULES_REMEMBER': 'false'})
    assert preview.rc == 0, preview.err
    assert 'podim.fleet.rules (preview, not remembered): dns_servers: chose' in preview.err
    assert not os.path.exists(sqlite_url[len('sqlite:///'):])  # a preview does not even create the store
    inventory('--list')
    again = inventory('--list', rules=RULES + 'remember: false\n')
    assert again.rc == 0 and 'dns_servers' not in again.err
    assert set(open_store(sqlite_url).load_decisions(namespace)) == {'dns', 'cache'}


@pytest.mark.parametrize('rules, message', [
    (RULES.replace('count: 2', 'cout: 2'), "rule 'dns': field 'cout': unknown key 'cout'; did you mean 'count'?"),
    (RULES.replace('count: 2', 'count: two'), "rule 'dns': field 'count': count must be a whole number"),
    (RULES.replace('name: dns\n    group', 'group'), "rules[0]: field 'name': is required"),
    (RULES.replace('name: cache', 'name: dns'), "rules[1]: field 'name': 'dns' is already the name of rules[0]"),
    (RULES.replace('group: memcached', 'group: dns_servers'), "rule 'cache': field 'group': 'dns_servers' is already "
                                                              "filled by rule 'dns'"),
    (RULES.replace('memory_mb | int >= 1024', 'memory_mb | int >='), "rule 'dns': field 'when': invalid Jinja2"),
    (RULES.replace('memory_mb | int >= 1024', 'memory_gb | int >= 1'),
     "rule 'dns': field 'when': failed for host node02: 'memory_gb' is undefined"),
    (RULES + 'rule: []\n', "field 'rule': unknown key 'rule'; did you mean 'rules'?"),
    (RULES.replace('group: dns_servers', 'group: db_servers').replace('"linux:!db_servers"', 'linux'),
     "group 'db_servers' already has hosts"),
])
def test_malformed_files_name_file_rule_and_field(inventory, tmp_path, rules, message):
    result = inventory('--graph', rules=rules)
    assert result.rc != 0
    flat = ' '.join(result.err.split())
    assert str(tmp_path / 'site.rules.yml') in flat
    assert ' '.join(message.replace('"', '').split()) in flat.replace('"', ''), result.err


def test_store_errors_fail_the_source(inventory):
    result = inventory('--graph', env={'PODIM_FLEET_STORE': 'mysql://fleet'})
    assert result.rc != 0
    assert "store_url 'mysql://fleet' is not supported" in ' '.join(result.err.split())


def test_other_file_names_are_not_rules_files(inventory):
    result = inventory('--graph', name='site.yml')
    assert result.rc != 0  # no enabled plugin takes it


def test_jinja_filters_of_ansible_and_constructable_options(inventory):
    rules = RULES.replace('memory_mb | int >= 1024', "memory_mb | int >= 1024 and rack is ansible.builtin.match('r[0-9]')")
    rules += 'compose:\n  role_label: "\'dns\' if \'dns_servers\' in group_names else \'other\'"\n'
    rules += 'keyed_groups:\n  - key: zone\n    prefix: zone\n'
    result = inventory('--list', rules=rules)
    assert result.rc == 0, result.err
    data = result.json()
    assert sorted(data['zone_a']['hosts'] + data['zone_b']['hosts']) == [f'node0{i}' for i in range(1, 7)]
    for host in data['dns_servers']['hosts']:
        assert data['_meta']['hostvars'][host]['role_label'] == 'dns'


def test_playbook_targets_the_synthesized_groups(inventory):
    inventory('--graph')
    (inventory.path / 'pb.yml').write_text(textwrap.dedent('''
        - hosts: dns_servers
          gather_facts: false
          connection: local
          tasks:
            - ansible.builtin.debug:
                msg: "{{ inventory_hostname }} {{ podim_fleet_rules.dns_servers.decision }} {{ bind_role }}"
    '''))
    (inventory.path / 'ansible.cfg').write_text(
        '[defaults]\nstdout_callback = ansible.builtin.json\n'
        '[inventory]\nenable_plugins = ansible.builtin.yaml, podim.fleet.rules\nany_unparsed_is_failed = true\n')
    env = inventory.env({'ANSIBLE_PYTHON_INTERPRETER': sys.executable})
    proc = subprocess.run([str(Path(sys.executable).parent / 'ansible-playbook'), '-i', 'hosts.yml', '-i',
                           'site.rules.yml', 'pb.yml'], cwd=inventory.path, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    play = json.loads(proc.stdout)['plays'][0]
    messages = sorted(result['msg'] for result in play['tasks'][0]['hosts'].values())
    assert len(messages) == 2 and all(m.endswith(' kept secondary') for m in messages)


# -- several controllers sharing one PostgreSQL store ------------------------------------
CONTROLLER = textwrap.dedent('''
    import json, sys, time
    from pathlib import Path
    from ansible_collections.podim.fleet.plugins.plugin_utils.rules.engine import evaluate
    from ansible_collections.podim.fleet.plugins.plugin_utils.rules.spec import parse_spec
    from ansible_collections.podim.fleet.plugins.plugin_utils.rules.view import StaticView
    from ansible_collections.podim.fleet.plugins.plugin_utils.store import open_store
    url, namespace, go = sys.argv[1:4]
    hosts = {f'node{i:03d}': {'rack': f'r{i % 5}', 'memory_mb': 2048} for i in range(200)}
    spec = parse_spec('site.rules.yml', [
        {'name': 'dns', 'group': 'dns_servers', 'count': 3, 'spread_by': 'rack'},
        {'name': 'web', 'group': 'web', 'hosts': 'all:!dns_servers', 'count': {'min': 1, 'max': 20}},
    ])
    store = open_store(url)
    seen = {}
    def decide(previous):
        seen['previous'] = sorted(previous)
        result = evaluate(spec, StaticView(hosts, {}), previous)
        time.sleep(1.0)  # hold the decision open: the other controller is evaluating right now
        seen['result'] = result
        return result.states
    while not Path(go).exists():
        time.sleep(0.005)
    started = time.time()
    store.decide(namespace, decide)
    print(json.dumps({'groups': seen['result'].groups, 'changes': seen['result'].changes,
                      'previous': seen['previous'], 'started': started, 'ended': time.time()}))
''')


def _controllers(url: str, namespace: str, tmp_path: Path, count: int) -> list[dict]:
    go = tmp_path / 'go'
    env = dict(os.environ, PYTHONPATH=collections_path() + os.pathsep + os.environ.get('PYTHONPATH', ''))
    procs = [subprocess.Popen([sys.executable, '-c', CONTROLLER, url, namespace, str(go)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _controller in range(count)]
    time.sleep(2.0)  # every controller is waiting on the go file
    go.write_text('go')
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        outputs.append(json.loads(out))
    return outputs


def test_controllers_sharing_postgresql_reach_one_decision(pg_url, namespace, tmp_path):
    outputs = _controllers(pg_url, namespace, tmp_path, 3)
    # they started together ...
    assert max(o['started'] for o in outputs) - min(o['started'] for o in outputs) < 1.0
    # ... yet decided one after the other: exactly one saw no remembered decision
    assert sorted(len(o['previous']) for o in outputs) == [0, 2, 2]
    assert sum(1 for o in outputs if o['changes']) == 1
    assert all(o['groups'] == outputs[0]['groups'] for o in outputs)
    remembered = open_store(pg_url).load_decisions(namespace)
    assert [m['host'] for m in remembered['dns']['members']] == outputs[0]['groups']['dns_servers']


def test_controllers_sharing_sqlite_reach_one_decision(sqlite_url, namespace, tmp_path):
    open_store(sqlite_url)  # create the schema first
    outputs = _controllers(sqlite_url, namespace, tmp_path, 2)
    assert sorted(len(o['previous']) for o in outputs) == [0, 2]
    assert outputs[0]['groups'] == outputs[1]['groups']


def test_ansible_inventory_processes_sharing_postgresql(pg_url, namespace, inventory):
    """Real ansible-inventory runs at once: one makes the first decision, the others keep it."""
    inventory.write()
    env = inventory.env({'PODIM_FLEET_STORE': pg_url})
    procs = [subprocess.Popen(inventory.command('--list'), cwd=inventory.path, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _run in range(3)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        results.append((plain(json.loads(out)), err))
    assert sum(1 for _data, err in results if 'first decision' in err) == 1
    groups = [data['dns_servers']['hosts'] for data, _err in results]
    assert groups[0] == groups[1] == groups[2]


# -- security: a rules file runs nothing, sets nothing reserved, and every option is checked ----------
def _attack(marker: Path) -> str:
    return f"cycler.__init__.__globals__.os.system('touch {marker}') == 0"


def _refused(result: Run, tmp_path: Path, *where: str) -> str:
    assert result.rc != 0, result.out
    flat = ' '.join(result.err.split())
    assert str(tmp_path / 'site.rules.yml') in flat, result.err
    for text in where:
        assert text in flat, result.err
    return flat


@pytest.mark.parametrize('field, rules', [
    ('when', RULES.replace('"memory_mb | int >= 1024"', '"{attack}"')),
    ('spread_by', RULES.replace('spread_by: rack', 'spread_by: "{attack}"')),
    ('per', RULES.replace('per: zone', 'per: "{attack}"')),
    ('available', RULES.replace('"podim_available | default(true)"', '"{attack}"')),
])
def test_code_execution_in_an_expression_is_refused(inventory, tmp_path, field, rules):
    marker = tmp_path / 'marker'
    result = inventory('--graph', rules=rules.replace('{attack}', _attack(marker)))
    rule = "rule 'cache': " if field == 'per' else '' if field == 'available' else "rule 'dns': "
    _refused(result, tmp_path, f"{rule}field '{field}': attribute '__globals__' is unsafe")
    assert not marker.exists()


@pytest.mark.parametrize('extra, where', [
    ('compose:\n  x: "{attack}"\n', "field 'compose': variable 'x': attribute '__globals__' is unsafe"),
    ('groups:\n  g: "{attack}"\n', "field 'groups': group 'g': attribute '__globals__' is unsafe"),
    ('keyed_groups:\n  - key: "{attack}"\n', "field 'keyed_groups': keyed_groups[0].key: attribute '__globals__'"),
    ('keyed_groups:\n  - key: rack\n    parent_group: "{{{{ {attack} }}}}"\n',
     "keyed_groups[0].parent_group: attribute '__globals__' is unsafe"),
    ('compose:\n  x: "lookup(\'pipe\', \'touch {marker}\')"\n', "field 'compose': variable 'x': lookup() is not available"),
])
@pytest.mark.parametrize('strict', [True, False])
def test_code_execution_in_constructed_options_is_refused(inventory, tmp_path, extra, where, strict):
    marker = tmp_path / 'marker'
    extra = extra.replace('{attack}', _attack(marker).replace('"', '\\"')).replace('{marker}', str(marker))
    extra = extra.replace('{{{{', '{{').replace('}}}}', '}}')
    result = inventory('--graph', rules=RULES + extra + f'strict: {strict}\n')
    _refused(result, tmp_path, where)
    assert not marker.exists()


def test_a_refusal_found_on_a_host_names_file_rule_field_and_host(inventory, tmp_path):
    # the attribute name is data: known only when the expression runs, refused by the sandbox then
    hosts = HOSTS.replace('rack: r2, zone: a}', 'rack: r2, zone: a, attack: __init__}')
    when = '"(rack[attack | default(\'upper\')]) is defined"'
    result = inventory('--graph', hosts=hosts, rules=RULES.replace('"memory_mb | int >= 1024"', when))
    _refused(result, tmp_path, "rule 'dns': field 'when': failed for host node03: SecurityError: access to attribute "
                               "'__init__' of", 'is unsafe')


def test_str_format_in_compose_leaks_nothing(inventory, tmp_path):
    # ansible-core 2.19 and 2.21 render this (their getattr does not sandbox str.format): refused before it
    leak = "'{0.__init__.__globals__[os].environ[HOME]}'.format(cycler)"
    result = inventory('--list', rules=RULES + f'compose:\n  leak: "{leak}"\n')
    _refused(result, tmp_path, "field 'compose': variable 'leak': attribute '__init__' is unsafe")
    assert os.environ['HOME'] not in result.out
    computed = inventory('--list', rules=RULES + 'compose:\n  leak: "(rack ~ \'{0}\').format(cycler)"\n')
    _refused(computed, tmp_path, "variable 'leak': format() of a computed string is refused here")


@pytest.mark.parametrize('expression', [
    'cycler.__init__.__globals__',
    "cycler['__init__']",
    "cycler | attr('__init__')",
    'memory_mb.__class__.__mro__',
    "namespace.__init__.__globals__['os']",
])
def test_ansibles_templar_refuses_the_attacks_too(expression, tmp_path):
    """compose/groups/keyed_groups are rendered by Ansible's templar: it refuses these on its own (2.19 and 2.21)."""
    from ansible.errors import AnsibleError
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar, trust_as_template

    marker = tmp_path / 'marker'
    templar = Templar(loader=DataLoader(), variables={'memory_mb': 2048})
    with pytest.raises(AnsibleError, match='unsafe'):
        templar.evaluate_expression(trust_as_template(f"({expression}).os.system('touch {marker}')"))
    with pytest.raises(AnsibleError, match='unsafe'):
        templar.evaluate_expression(trust_as_template(expression))
    assert not marker.exists()


@pytest.mark.parametrize('var', ['podim_fleet_rules', 'podim_fleet_other', 'inventory_hostname', 'group_names',
                                 'hostvars', 'omit', 'playbook_dir', 'ansible_play_hosts', 'port', 'name'])
def test_rule_vars_must_not_set_reserved_variables(inventory, tmp_path, var):
    result = inventory('--list', rules=RULES.replace('vars: {bind_role: secondary}', f'vars: {{{var}: x}}'))
    _refused(result, tmp_path, f"rule 'dns': field 'vars': variable '{var}' is reserved")


def test_compose_must_not_set_reserved_variables(inventory, tmp_path):
    result = inventory('--list', rules=RULES + 'compose:\n  podim_fleet_rules: "{}"\n')
    _refused(result, tmp_path, "field 'compose': variable 'podim_fleet_rules' is reserved")


@pytest.mark.parametrize('hosts', ['linux:!memcached', 'linux:&memcached', 'memcached', 'linux:!memc*', '~mem.*'])
def test_a_rule_must_not_refer_to_the_group_of_a_later_rule(inventory, tmp_path, hosts):
    result = inventory('--graph', rules=RULES.replace('hosts: "linux:!db_servers"', f'hosts: "{hosts}"'))
    _refused(result, tmp_path, "rule 'dns': field 'hosts':", "group 'memcached', which the later rule 'cache' fills")


def test_a_keyed_group_must_not_add_hosts_to_a_rules_group(inventory, tmp_path):
    result = inventory('--graph', rules=RULES + 'keyed_groups:\n  - key: "\'servers\'"\n    prefix: dns\n')
    _refused(result, tmp_path, "field 'keyed_groups': added", "to group 'dns_servers', which a rule fills")


@pytest.mark.parametrize('rules, env, where', [
    (RULES + 'remember: maybe\n', {}, "field 'remember': must be a boolean (true/false, yes/no, on/off, 1/0), got "
                                      "'maybe'"),
    (RULES, {'PODIM_FLEET_RULES_REMEMBER': 'maybe'}, "field 'remember': must be a boolean (true/false, yes/no, "
                                                     "on/off, 1/0), got 'maybe' (from the environment variable "
                                                     "PODIM_FLEET_RULES_REMEMBER)"),
    (RULES + 'strict: perhaps\n', {}, "field 'strict': must be a boolean"),
    (RULES + 'keyed_groups:\n  - {key: zone, prfix: zone}\n', {}, "unknown key 'prfix'; did you mean 'prefix'?"),
    (RULES + 'probe: {port: 70000}\n', {}, "field 'probe': port must be a TCP port number"),
    (RULES + 'probe: {timeout: 0}\n', {}, "field 'probe': timeout must be"),
    (RULES.replace('count: 2', 'count: 1000000'), {}, "rule 'dns': field 'count': count must be at most 100000"),
    (RULES.replace('group: memcached', 'group: mem-cached'), {}, "rule 'cache': field 'group': 'mem-cached' is not a "
                                                                 'valid group name'),
    (RULES + 'on_unmet: ignore\n', {}, 'on_unmet'),
    (RULES + 'rules_extra: 1\n', {}, "field 'rules_extra': unknown key 'rules_extra'"),
])
def test_bad_options_are_errors_and_nothing_is_remembered(inventory, tmp_path, sqlite_url, rules, env, where):
    result = inventory('--graph', rules=rules, env=env)
    assert result.rc != 0
    assert ' '.join(where.split()) in ' '.join(result.err.split()), result.err
    assert 'preview' not in result.err
    assert not os.path.exists(sqlite_url[len('sqlite:///'):])


# -- change control: max_moves, approve, --check ------------------------------------------
def _fleet_hosts(n: int, small: t.Collection[str] = ()) -> str:
    lines = ['all:', '  children:', '    linux:', '      hosts:']
    for i in range(1, n + 1):
        name = f'node{i:02d}'
        memory = 512 if name in small else 2048 if i % 3 == 0 else 256
        lines.append(f'        {name}: {{memory_mb: {memory}, rack: r{i % 3}}}')
    return '\n'.join(lines) + '\n'


CONTROLLED = textwrap.dedent('''
    plugin: podim.fleet.rules
    rules:
      - name: dns
        group: dns_servers
        hosts: linux
        when: "memory_mb | int >= 1024"
        count: 3
        spread_by: rack
        max_moves: 1
''')


def test_max_moves_converges_over_three_runs(inventory):
    """30 hosts, 10 of them DNS-capable; the three members stop passing when: one change per evaluation."""
    first = inventory('--list', rules=CONTROLLED, hosts=_fleet_hosts(30))
    assert first.rc == 0, first.err
    old = first.json()['dns_servers']['hosts']
    hosts = _fleet_hosts(30, small=old)
    seen = []
    for _run in range(3):
        result = inventory('--list', rules=CONTROLLED, hosts=hosts)
        assert result.rc == 0, result.err
        changed = [line for line in result.err.splitlines() if ' replaces ' in line and 'waiting' not in line]
        assert len(changed) == 1, result.err
        seen.append(changed[0])
        waiting = [line for line in result.err.splitlines() if 'waiting (max_moves: 1)' in line]
        assert len(waiting) == 2 - _run, result.err
        members = result.json()['dns_servers']['hosts']
        assert len(members) == 3 and len(set(members) & set(old)) == 2 - _run
        for host in set(members) & set(old):
            assert 'held by max_moves' in result.json()['_meta']['hostvars'][host]['podim_fleet_rules'][
                'dns_servers']['why']
    assert sorted(line.split(' replaces ')[1].split(' ')[0] for line in seen) == sorted(old)
    last = inventory('--list', rules=CONTROLLED, hosts=hosts)
    assert 'podim.fleet.rules' not in last.err and not set(last.json()['dns_servers']['hosts']) & set(old)


def test_approval_through_the_environment(inventory, sqlite_url, namespace):
    rules = CONTROLLED.replace('max_moves: 1', 'approve: true')
    first = inventory('--list', rules=rules, hosts=_fleet_hosts(30))
    old = first.json()['dns_servers']['hosts']
    hosts = _fleet_hosts(30, small=old[:2])
    proposed = inventory('--list', rules=rules, hosts=hosts)
    assert proposed.rc == 0 and proposed.json()['dns_servers']['hosts'] == old
    lines = [line for line in proposed.err.splitlines() if 'proposed' in line]
    assert len(lines) == 2 and all(' replaces ' in line and '(no longer passes when)' in line for line in lines)
    ident = lines[0].split('proposed ')[1].split(':')[0]
    again = inventory('--list', rules=rules, hosts=hosts)
    assert [line for line in again.err.splitlines() if 'proposed' in line] == lines  # stable ids
    approved = inventory('--list', rules=rules, hosts=hosts,
                         env={'PODIM_FLEET_RULES_APPROVE': f'{ident},00000000ff'})
    assert approved.rc == 0, approved.err
    assert f'approved {ident} by option approve)' in approved.err
    assert 'approval 00000000ff (option approve) matches no current proposal of any rule; ignored' in approved.err
    members = approved.json()['dns_servers']['hosts']
    assert len(set(members) & set(old)) == 2
    assert 'approved' not in open_store(sqlite_url).load_decisions(namespace)['dns']
    bad = inventory('--list', rules=rules, hosts=hosts, env={'PODIM_FLEET_RULES_APPROVE': 'yes'})
    assert bad.rc != 0 and "field 'approve': 'yes' is not a proposal id" in bad.err
    assert '(from the environment variable PODIM_FLEET_RULES_APPROVE)' in ' '.join(bad.err.split())


def test_approval_with_the_module_is_applied_once_and_audited(inventory, run_playbook, local_inventory, sqlite_url,
                                                              namespace):
    """propose (rules) -> approve (podim.fleet.approve) -> apply (rules) -> audit (podim.fleet.history)."""
    rules = CONTROLLED.replace('max_moves: 1', 'approve: true')
    old = inventory('--list', rules=rules, hosts=_fleet_hosts(30)).json()['dns_servers']['hosts']
    hosts = _fleet_hosts(30, small=old[:1])
    proposed = inventory('--list', rules=rules, hosts=hosts)
    (line,) = [line for line in proposed.err.splitlines() if 'proposed' in line]
    ident = line.split('proposed ')[1].split(':')[0]
    playbook = f"""
- hosts: localhost
  gather_facts: false
  tasks:
    - name: approve
      podim.fleet.approve: {{rule: dns, ids: [{ident}]}}
"""
    env = {'PODIM_FLEET_STORE': sqlite_url, 'PODIM_FLEET_NAMESPACE': namespace}
    run = run_playbook(playbook, local_inventory({'localhost': {}}), env)
    assert run.rc == 0 and run.results['localhost']['approve']['changed'], run.out
    applied = inventory('--list', rules=rules, hosts=hosts)
    assert applied.rc == 0 and old[0] not in applied.json()['dns_servers']['hosts'], applied.err
    assert f'approved {ident} by ' in applied.err
    store = open_store(sqlite_url)
    assert 'approved' not in store.load_decisions(namespace)['dns']  # applied once, then forgotten
    left, joined = (store.history(namespace, host=old[0], group='dns_servers', limit=1)[0],
                    store.history(namespace, group='dns_servers', limit=2)[0])
    assert left['kind'] == 'left' and left['why'] == 'no longer passes when' and left['voluntary'] is True
    assert left['proposal'] == ident and '@' in left['approved_by']
    assert joined['kind'] == 'joined' and joined['replaces'] == old[0] and joined['approved_by'] == left['approved_by']
    approval = [e for e in store.history(namespace, limit=None) if e['kind'] == 'approved']
    assert len(approval) == 1 and approval[0]['proposal'] == ident
    again = inventory('--list', rules=rules, hosts=hosts)
    assert again.json()['dns_servers']['hosts'] == applied.json()['dns_servers']['hosts']


@pytest.mark.parametrize('rules, where', [
    (CONTROLLED.replace('max_moves: 1', 'max_moves: -1'), "rule 'dns': field 'max_moves': must be 0 or more"),
    (CONTROLLED.replace('max_moves: 1', 'max_moves: true'), "rule 'dns': field 'max_moves': must be a whole number"),
    (CONTROLLED.replace('max_moves: 1', 'max_moves: "1"'), "rule 'dns': field 'max_moves': must be a whole number"),
    (CONTROLLED.replace('max_moves: 1', 'approve: maybe'), "rule 'dns': field 'approve': must be true or false, got "
                                                           "str 'maybe'"),
])
def test_bad_control_options_name_file_rule_and_field(inventory, tmp_path, rules, where):
    _refused(inventory('--graph', rules=rules, hosts=_fleet_hosts(6)), tmp_path, where)


def _files(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.parent.glob(path.name + '*'))}


def test_check_mode_plans_and_leaves_the_store_byte_identical(inventory, sqlite_url):
    inventory('--list', rules=CONTROLLED, hosts=_fleet_hosts(30))
    store = Path(sqlite_url[len('sqlite:///'):])
    before = _files(store)
    assert store.name in before
    hosts = _fleet_hosts(30, small=[])  # unchanged hosts file, but the rule now wants more memory: changes
    rules = CONTROLLED.replace('>= 1024', '>= 4096').replace('count: 3\n', 'count: {min: 0, max: 3}\n')
    rules = rules.replace('max_moves: 1', 'max_moves: 5')
    (inventory.path / 'pb.yml').write_text('- hosts: all\n  gather_facts: false\n  connection: local\n'
                                           '  tasks:\n    - ansible.builtin.debug: {msg: planned}\n')
    inventory.write(rules, hosts)
    env = inventory.env({'ANSIBLE_PYTHON_INTERPRETER': sys.executable})
    command = [str(Path(sys.executable).parent / 'ansible-playbook'), '-i', 'hosts.yml', '-i', 'site.rules.yml',
               'pb.yml']
    check = subprocess.run(command + ['--check', '--diff'], cwd=inventory.path, env=env, capture_output=True,
                           text=True, timeout=300, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    assert 'podim.fleet.rules (check mode, not remembered): dns_servers: -' in check.stderr, check.stderr
    assert _files(store) == before  # the database, and no -wal left behind
    real = subprocess.run(command, cwd=inventory.path, env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    assert real.returncode == 0, real.stdout + real.stderr
    assert 'podim.fleet.rules: dns_servers: -' in real.stderr
    assert _files(store)[store.name] != before[store.name]  # without --check the decision is remembered


def test_moves_reach_the_store_with_the_decision(inventory, sqlite_url, namespace):
    """The plugin hands (states, moves) to store.decide: the history explains each change with the rule's reason."""
    first = inventory('--list', rules=CONTROLLED, hosts=_fleet_hosts(30))
    old = first.json()['dns_servers']['hosts']
    second = inventory('--list', rules=CONTROLLED, hosts=_fleet_hosts(30, small=old[:1]))
    assert second.rc == 0, second.err
    import sqlite3
    with sqlite3.connect(sqlite_url[len('sqlite:///'):]) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        history = [name for name in tables if 'history' in name]
        if not history:
            pytest.skip('this store has no history table yet')
        text = ' '.join(str(row) for row in conn.execute(f'SELECT * FROM {history[0]}'))
    assert old[0] in text and 'no longer passes when' in text
