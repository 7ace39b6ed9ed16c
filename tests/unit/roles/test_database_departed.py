# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Departed clients of the database servers, with a real ansible-playbook on the local host (no database server).

MariaDB: roles/mariadb/tasks/accounts.yml against a stand-in of community.mysql's mysql_user and mysql_query (a
JSON file of accounts, in the playbook's own collections/ folder): the role lists the accounts it created, drops
those no request names any more and nothing else (root, debian-sys-maint, accounts made by hand, accounts that
existed before), changes nothing on a second run or in check mode, and refuses a list it did not write.
PostgreSQL: roles/postgresql/tasks/hba.yml with the real community.postgresql.postgresql_pg_hba on a pg_hba.conf
file. The same against real servers: extensions/molecule/site/depart.yml."""

from __future__ import annotations

import json
import os
import pwd
from pathlib import Path

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[3] / 'roles'

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason='the roles give their state files to root (run as root)')

# community.mysql stand-ins: the "server" is a JSON file, {"accounts": [[user, host, priv], ...]}, named by
# login_unix_socket
FAKE_QUERY = '''
import json
from ansible.module_utils.basic import AnsibleModule
module = AnsibleModule(dict(query=dict(type='raw', required=True), login_unix_socket=dict(type='str')),
                       supports_check_mode=False)
assert module.params['query'] == 'SELECT User AS user, Host AS host FROM mysql.user', module.params['query']
with open(module.params['login_unix_socket']) as f:
    accounts = json.load(f)['accounts']
module.exit_json(changed=True, query_result=[[{'user': u, 'host': h} for u, h, _p in accounts]])
'''

FAKE_USER = '''
import json
from ansible.module_utils.basic import AnsibleModule
module = AnsibleModule(dict(name=dict(type='str', required=True), host=dict(type='str', required=True),
                            password=dict(type='str', no_log=True), priv=dict(type='str'),
                            state=dict(type='str', default='present'), login_unix_socket=dict(type='str')),
                       supports_check_mode=True)
p = module.params
path = p['login_unix_socket']
with open(path) as f:
    db = json.load(f)
others = [a for a in db['accounts'] if (a[0], a[1].lower()) != (p['name'], p['host'].lower())]
if p['state'] == 'present':
    assert p['password'], 'no password'
    new = others + [[p['name'], p['host'], p['priv']]]
else:
    new = others
changed = sorted(map(tuple, new)) != sorted(map(tuple, db['accounts']))
if changed and not module.check_mode:
    with open(path, 'w') as f:
        json.dump({'accounts': new}, f)
module.exit_json(changed=changed)
'''

MARIADB = """
- hosts: db1
  gather_facts: false
  tasks:
    - name: accounts
      ansible.builtin.include_tasks: {tasks}
"""

SYSTEM = [['root', 'localhost', '*.*:ALL'], ['mariadb.sys', 'localhost', ''], ['debian-sys-maint', 'localhost', '*.*:ALL'],
          ['root', '%', '*.*:ALL']]


def request(name, user, address):
    return {'engine': 'mariadb', 'name': name, 'user': user, 'client_address': address}


def mariadb_vars(tmp_path, accounts, **extra):
    main = yaml.safe_load((ROLES / 'mariadb/tasks/main.yml').read_text())
    facts = next(t for t in main if t['name'] == "Add the operator's databases before the requests")['ansible.builtin.set_fact']
    # the requests the store answered (here: one per account); none at all means nothing is dropped
    return {'__mariadb_accounts': accounts, 'database_client_requests': accounts, '__mariadb_reserved': facts['__mariadb_reserved'],
            '__mariadb_socket': str(tmp_path / 'server.json'), '__mariadb_state_file': str(tmp_path / 'state/mariadb.json'),
            'mariadb_password_length': 12, 'mariadb_remove_departed': True,
            'database_client_password_path': f'{tmp_path}/secrets/database/%(engine)s/%(name)s/%(user)s', **extra}


@pytest.fixture
def mariadb(run_playbook, local_inventory, tmp_path):
    modules = tmp_path / 'collections/ansible_collections/community/mysql/plugins/modules'
    modules.mkdir(parents=True)
    (modules / 'mysql_query.py').write_text(FAKE_QUERY)
    (modules / 'mysql_user.py').write_text(FAKE_USER)

    def server(accounts=None):
        path = tmp_path / 'server.json'
        if accounts is not None:
            path.write_text(json.dumps({'accounts': accounts}))
        return sorted(tuple(a) for a in json.loads(path.read_text())['accounts'])

    def run(accounts, *args, ok=True, **extra):
        variables = mariadb_vars(tmp_path, accounts, **extra)
        playbook = MARIADB.format(tasks=ROLES / 'mariadb/tasks/accounts.yml')
        result = run_playbook(playbook, local_inventory({'db1': {}}), {}, ['-e', json.dumps(variables), *args])
        assert (result.rc == 0) == ok, result.out
        return result

    run.server = server
    run.state = tmp_path / 'state/mariadb.json'
    return run


def changed(result, host):
    return sorted(name for name, task in result.results[host].items() if task.get('changed'))


def recorded(path: Path) -> list[str]:
    return json.loads(path.read_text())['accounts']


def test_mariadb_drops_only_what_it_created(mariadb):
    by_hand = [['wordpress', '10.0.0.9', 'wordpress.*:ALL'], ['wordpress', '10.0.0.7', 'wordpress.*:SELECT']]
    mariadb.server(SYSTEM + by_hand)
    wanted = [request('wordpress', 'wordpress', '10.0.0.5'), request('wordpress', 'wordpress', '10.0.0.7'),
              {**request('wordpress', 'wordpress', '127.0.0.1'), 'host': 'localhost'},
              request('demo', 'demo', '10.0.0.6')]

    first = mariadb(wanted)
    assert ('wordpress', '10.0.0.5', 'wordpress.*:ALL') in mariadb.server()
    # wordpress@10.0.0.7 existed: the role uses it (its grant and password) but did not create it
    assert ('wordpress', '10.0.0.7', 'wordpress.*:ALL') in mariadb.server()
    assert recorded(mariadb.state) == ['demo@10.0.0.6', 'wordpress@10.0.0.5', 'wordpress@localhost']
    st = mariadb.state.stat()
    assert (oct(st.st_mode & 0o7777), st.st_uid, st.st_gid) == ('0o600', 0, 0)
    assert oct(mariadb.state.parent.stat().st_mode & 0o7777) == '0o700'
    assert 'Record the accounts this role created' in changed(first, 'db1')

    again = mariadb(wanted)
    assert changed(again, 'db1') == []

    # wordpress@10.0.0.5 and 10.0.0.7 leave, no request names demo any more
    before = mariadb.server()
    gone = mariadb([wanted[2]])
    assert set(before) - set(mariadb.server()) == {('wordpress', '10.0.0.5', 'wordpress.*:ALL'),
                                                   ('demo', '10.0.0.6', 'demo.*:ALL')}
    assert {('wordpress', '10.0.0.7', 'wordpress.*:ALL'), ('wordpress', '10.0.0.9', 'wordpress.*:ALL'),
            *map(tuple, SYSTEM)} <= set(mariadb.server())
    assert recorded(mariadb.state) == ['wordpress@localhost']
    drops = gone.results['db1']['Drop the accounts this role created for clients that no longer request them']
    assert [item['item'] for item in drops['results']] == ['demo@10.0.0.6', 'wordpress@10.0.0.5']
    assert changed(mariadb([wanted[2]]), 'db1') == []

    # the store answers no request at all (a wrong store or namespace, or the last client gone): an empty answer
    # drops nothing; requests that only name the operator's databases do not count as the store's answer
    for variables in ({}, {'database_client_requests': []}):
        mariadb([], **variables)
        assert set(before) - set(mariadb.server()) == {('wordpress', '10.0.0.5', 'wordpress.*:ALL'),
                                                       ('demo', '10.0.0.6', 'demo.*:ALL')}
        assert recorded(mariadb.state) == ['wordpress@localhost']


def test_mariadb_check_mode_and_keeping_departed(mariadb):
    mariadb.server(SYSTEM)
    wanted = [request('wordpress', 'wordpress', '10.0.0.5'), request('wordpress', 'wordpress', '10.0.0.6')]
    mariadb(wanted)
    after_first = mariadb.server()
    state = mariadb.state.read_text()

    preview = mariadb(wanted[:1], '--check')
    assert mariadb.server() == after_first and mariadb.state.read_text() == state
    assert 'Drop the accounts this role created for clients that no longer request them' in changed(preview, 'db1')

    # kept, and still listed: a later run drops it
    mariadb(wanted[:1], mariadb_remove_departed=False)
    assert mariadb.server() == after_first and recorded(mariadb.state) == ['wordpress@10.0.0.5', 'wordpress@10.0.0.6']
    mariadb(wanted[:1])
    assert set(after_first) - set(mariadb.server()) == {('wordpress', '10.0.0.6', 'wordpress.*:ALL')}

    # an account the role listed that someone dropped by hand leaves the list; requested again, it is the role's
    mariadb.server([a for a in mariadb.server() if a[1] != '10.0.0.5'])
    mariadb([])
    assert recorded(mariadb.state) == []
    mariadb(wanted[:1])
    assert recorded(mariadb.state) == ['wordpress@10.0.0.5']


def test_mariadb_a_fresh_check_run_creates_nothing(mariadb):
    mariadb.server(SYSTEM)
    mariadb([request('wordpress', 'wordpress', '10.0.0.5')], '--check')
    assert mariadb.server() == sorted(map(tuple, SYSTEM))
    assert not mariadb.state.parent.exists()


def test_mariadb_does_not_list_host_patterns(mariadb):
    """An operator's item with a host pattern is created (as before) but never listed, so never dropped."""
    mariadb.server(SYSTEM)
    mariadb([request('wordpress', 'wordpress', '10.0.0.%'), request('wordpress', 'wordpress', '10.0.0.5')])
    assert recorded(mariadb.state) == ['wordpress@10.0.0.5']
    mariadb([])
    assert ('wordpress', '10.0.0.%', 'wordpress.*:ALL') in mariadb.server()


BAD_ENTRIES = ['root@localhost', 'debian-sys-maint@localhost', 'mariadb.sys@localhost', 'wordpress@%',
               'wordpress@10.0.0.%', 'mysql@localhost', 'Wordpress@10.0.0.5', 'wordpress@10.0.0.5 ', "x@' OR 1=1",
               ['wordpress', '10.0.0.5']]

# host: (the file's content, its mode, how it is made); one host per case, all in one run
REFUSED_LISTS = {
    'entries': ({'accounts': [*BAD_ENTRIES, 'wordpress@10.0.0.5']}, 0o600, None),
    'a-string': ({'accounts': 'root@localhost'}, 0o600, None),
    'not-a-mapping': ([['root@localhost']], 0o600, None),
    'group-writable': ({'accounts': ['wordpress@10.0.0.5']}, 0o620, None),
    'not-root': ({'accounts': ['wordpress@10.0.0.5']}, 0o600, 'nobody'),
    'symlink': ({'accounts': ['wordpress@10.0.0.5']}, 0o600, 'symlink'),
}


def test_mariadb_refuses_a_list_it_did_not_write(mariadb, run_playbook, local_inventory, tmp_path):
    """Another owner, a mode others can write, a link, an entry the role never writes: nothing is dropped."""
    hosts = {}
    for host, (content, mode, how) in REFUSED_LISTS.items():
        state = tmp_path / host / 'state/mariadb.json'
        state.parent.mkdir(parents=True, mode=0o700)
        target = tmp_path / host / 'elsewhere.json' if how == 'symlink' else state
        target.write_text(json.dumps(content))
        target.chmod(mode)
        if how == 'nobody':
            nobody = pwd.getpwnam('nobody')
            os.chown(target, nobody.pw_uid, nobody.pw_gid)
        if how == 'symlink':
            state.symlink_to(target)
        (tmp_path / host / 'server.json').write_text(json.dumps({'accounts': SYSTEM + [['wordpress', '10.0.0.5', 'x']]}))
        hosts[host] = {'__mariadb_state_file': str(state), '__mariadb_socket': str(tmp_path / host / 'server.json')}
    variables = mariadb_vars(tmp_path, [])
    del variables['__mariadb_state_file'], variables['__mariadb_socket']
    playbook = MARIADB.replace('hosts: db1', 'hosts: all').format(tasks=ROLES / 'mariadb/tasks/accounts.yml')
    result = run_playbook(playbook, local_inventory(hosts), {}, ['-e', json.dumps(variables)])
    assert result.rc != 0, result.out

    for host, (content, _mode, _how) in REFUSED_LISTS.items():
        message = result.results[host]['Check the list of the accounts this role created']['msg']
        state = hosts[host]['__mariadb_state_file']
        assert message.startswith(f'podim.fleet.mariadb: {state} is not the list this role writes'), message
        assert 'Nothing was dropped.' in message, message
        if host == 'entries':
            assert f": refused {', '.join(map(str, BAD_ENTRIES))}." in message, message
        assert 'Drop the accounts this role created for clients that no longer request them' not in result.results[host]
        assert json.loads((tmp_path / host / 'server.json').read_text())['accounts'] == SYSTEM + [['wordpress', '10.0.0.5', 'x']]


POSTGRESQL = """
- hosts: pg1
  gather_facts: false
  tasks:
    - name: hba
      ansible.builtin.include_tasks: {tasks}
  handlers:
    - name: Reload postgresql
      ansible.builtin.debug:
        msg: reload
"""

DEBIAN_HBA = """\
local   all             postgres                                peer
local   all             all                                     peer
host    all             all             127.0.0.1/32            scram-sha-256
host    all             all             ::1/128                 scram-sha-256
local   replication     all                                     peer
host    replication     all             127.0.0.1/32            scram-sha-256
"""


def pg_request(name, user, address):
    return {'engine': 'postgresql', 'name': name, 'user': user, 'client_address': address}


@pytest.fixture
def postgresql(run_playbook, local_inventory, tmp_path):
    try:
        pwd.getpwnam('postgres')
    except KeyError:
        pytest.skip('the role gives pg_hba.conf to the user postgres, which this host lacks')
    hba = tmp_path / 'pg_hba.conf'
    main = yaml.safe_load((ROLES / 'postgresql/tasks/main.yml').read_text())
    facts = next(t for t in main if t['name'] == "Add the operator's databases before the requests")['ansible.builtin.set_fact']

    def run(remote, *args, ok=True, **extra):
        variables = {'__postgresql_remote': remote, 'database_client_requests': remote,
                     '__postgresql_reserved': facts['__postgresql_reserved'],
                     '__postgresql_conf_dir': str(tmp_path), '__postgresql_state_file': str(tmp_path / 'state/postgresql.json'),
                     'postgresql_tls': True, 'postgresql_auth_method': 'scram-sha-256', 'postgresql_remove_departed': True,
                     **extra}
        playbook = POSTGRESQL.format(tasks=ROLES / 'postgresql/tasks/hba.yml')
        result = run_playbook(playbook, local_inventory({'pg1': {}}), {}, ['-e', json.dumps(variables), *args])
        assert (result.rc == 0) == ok, result.out
        return result

    run.hba = hba
    run.state = tmp_path / 'state/postgresql.json'
    return run


def rules(path: Path) -> set[str]:
    return {' '.join(line.split()) for line in path.read_text().splitlines() if line.strip() and not line.startswith('#')}


def recorded_entries(path: Path) -> list[str]:
    return json.loads(path.read_text())['entries']


def test_postgresql_removes_only_what_it_added(postgresql):
    by_hand = ['hostssl wordpress wp 10.0.0.9/32 scram-sha-256', 'hostssl demo demo 10.0.0.7/32 scram-sha-256',
               'hostssl all demo 10.0.0.6/32 scram-sha-256']
    postgresql.hba.write_text(DEBIAN_HBA + '\n'.join(by_hand) + '\n')
    wanted = [pg_request('demo', 'demo', '10.0.0.6'), pg_request('demo', 'demo', '10.0.0.7'),
              pg_request('demo', 'demo', 'fd00:1::6'), pg_request('shop', 'shop', '10.0.0.8')]

    first = postgresql(wanted)
    assert recorded_entries(postgresql.state) == ['hostssl demo demo 10.0.0.6/32', 'hostssl demo demo fd00:1::6/128',
                                                  'hostssl shop shop 10.0.0.8/32']
    assert {'hostssl demo demo 10.0.0.6/32 scram-sha-256', 'hostssl demo demo fd00:1::6/128 scram-sha-256',
            'hostssl shop shop 10.0.0.8/32 scram-sha-256'} <= rules(postgresql.hba)
    st = postgresql.state.stat()
    assert (oct(st.st_mode & 0o7777), st.st_uid, st.st_gid) == ('0o600', 0, 0)
    assert first.results['pg1']['Reload postgresql']
    assert changed(postgresql(wanted), 'pg1') == []

    # 10.0.0.6 and fd00:1::6 leave, no request names shop any more
    before = rules(postgresql.hba)
    gone = postgresql(wanted[1:2])
    assert before - rules(postgresql.hba) == {'hostssl demo demo 10.0.0.6/32 scram-sha-256',
                                              'hostssl demo demo fd00:1::6/128 scram-sha-256',
                                              'hostssl shop shop 10.0.0.8/32 scram-sha-256'}
    assert recorded_entries(postgresql.state) == []
    assert gone.results['pg1']['Reload postgresql']
    assert changed(postgresql(wanted[1:2]), 'pg1') == []

    # 10.0.0.7 leaves too: its entry was there before the role, it stays
    postgresql([])
    assert set(by_hand) | {' '.join(line.split()) for line in DEBIAN_HBA.splitlines()} == rules(postgresql.hba)
    assert recorded_entries(postgresql.state) == []


def test_postgresql_check_mode_tls_switch_and_keeping_departed(postgresql):
    postgresql.hba.write_text(DEBIAN_HBA)
    wanted = [pg_request('demo', 'demo', '10.0.0.6'), pg_request('demo', 'demo', '10.0.0.7')]
    postgresql(wanted)
    hba, state = postgresql.hba.read_text(), postgresql.state.read_text()

    preview = postgresql(wanted[:1], '--check')
    assert (postgresql.hba.read_text(), postgresql.state.read_text()) == (hba, state)
    assert 'Remove the entries this role added for clients that no longer request them' in changed(preview, 'pg1')

    postgresql(wanted[:1], postgresql_remove_departed=False)
    assert postgresql.hba.read_text() == hba
    assert recorded_entries(postgresql.state) == ['hostssl demo demo 10.0.0.6/32', 'hostssl demo demo 10.0.0.7/32']

    # without TLS the entries are `host`: the role's hostssl entries go, the host ones are listed
    postgresql(wanted[:1], postgresql_tls=False)
    assert recorded_entries(postgresql.state) == ['host demo demo 10.0.0.6/32']
    assert rules(postgresql.hba) - {' '.join(line.split()) for line in DEBIAN_HBA.splitlines()} == {
        'host demo demo 10.0.0.6/32 scram-sha-256'}


@pytest.mark.parametrize('content, refused', [
    ({'entries': ['host all all 0.0.0.0/0', 'hostssl replication demo 10.0.0.6/32', 'hostssl demo postgres 10.0.0.6/32',
                  'hostssl pg_x demo 10.0.0.6/32', 'local demo demo', 'hostssl demo demo 10.0.0.0/24',
                  'hostssl demo demo 10.0.0.6/32 trust', 'hostssl demo,shop demo 10.0.0.6/32', 'hostssl demo demo 10.0.0.6/32']},
     ['host all all 0.0.0.0/0', 'hostssl replication demo 10.0.0.6/32', 'hostssl demo postgres 10.0.0.6/32',
      'hostssl pg_x demo 10.0.0.6/32', 'local demo demo', 'hostssl demo demo 10.0.0.0/24',
      'hostssl demo demo 10.0.0.6/32 trust', 'hostssl demo,shop demo 10.0.0.6/32']),
    ({'entries': {'a': 1}}, []),
], ids=['entries', 'a mapping'])
def test_postgresql_refuses_a_list_it_did_not_write(postgresql, content, refused):
    postgresql.hba.write_text(DEBIAN_HBA + 'hostssl demo demo 10.0.0.6/32 scram-sha-256\n')
    hba = postgresql.hba.read_text()
    postgresql.state.parent.mkdir(mode=0o700)
    postgresql.state.write_text(json.dumps(content))
    postgresql.state.chmod(0o600)
    result = postgresql([], ok=False)
    message = result.results['pg1']['Check the list of the pg_hba.conf entries this role added']['msg']
    assert message.startswith(f'podim.fleet.postgresql: {postgresql.state} is not the list this role writes'), message
    assert 'Nothing was removed.' in message, message
    if refused:
        assert f": refused {', '.join(refused)}." in message, message
    assert postgresql.hba.read_text() == hba
