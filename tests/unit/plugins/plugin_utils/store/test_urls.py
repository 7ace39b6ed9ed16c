# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""No secret of a store URL reaches any output: redact() over every URL form libpq accepts, real
connection errors from a real server, real ansible-playbook runs; and password files instead of URLs."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import urllib.parse
import uuid
from pathlib import Path

import pytest

from ansible_collections.podim.fleet.plugins.plugin_utils.store import StoreError, open_store
from ansible_collections.podim.fleet.plugins.plugin_utils.store.urls import redact, scrub, secrets
from ansible_collections.podim.fleet.tests.unit.conftest import collections_path

# pieces of at least 4 characters, so a leaked fragment is recognisable
PW = 'Alpha7/Bravo8@Charlie9?Delta0'


def leaked(text: str, secret: str) -> list[str]:
    """The forms and fragments of secret found in text."""
    forms = {secret, urllib.parse.quote(secret, safe=''), urllib.parse.quote(secret)}
    forms.update(piece for piece in re.split(r'[^A-Za-z0-9%]+', secret) if len(piece) >= 4)
    return sorted(form for form in forms if form in text)


@pytest.mark.parametrize('url, shown', [
    ('postgresql://fleet:s3cretpw@db.example.com:5432/fleet', 'postgresql://fleet:***@db.example.com:5432/fleet'),
    ('postgres://fleet:s3cretpw@db/fleet?sslmode=require', 'postgres://fleet:***@db/fleet?sslmode=require'),
    ('postgresql://db.example.com/fleet', 'postgresql://db.example.com/fleet'),
    ('postgresql://fleet@db/fleet', 'postgresql://fleet@db/fleet'),
    ('postgresql://:s3cretpw@db/fleet', 'postgresql://:***@db/fleet'),
    # password in the query, any case, percent-encoded name
    ('postgresql://db/fleet?user=fleet&password=s3cretpw', 'postgresql://db/fleet?user=fleet&password=***'),
    ('postgresql://db/fleet?PASSWORD=s3cretpw&connect_timeout=5',
     'postgresql://db/fleet?PASSWORD=***&connect_timeout=5'),
    ('postgresql://db/fleet?pass%77ord=s3cretpw', 'postgresql://db/fleet?pass%77ord=***'),
    ('postgresql://db/fleet?user=fleet&sslpassword=k3ypass&sslkey=/etc/fleet.key',
     'postgresql://db/fleet?user=fleet&sslpassword=***&sslkey=/etc/fleet.key'),
    ('postgresql://db/fleet?user=fleet&passfile=/home/ops/.pgpass',
     'postgresql://db/fleet?user=fleet&passfile=/home/ops/.pgpass'),
    ('postgresql:///fleet?service=fleet', 'postgresql:///fleet?service=fleet'),
    # percent-encoded and raw special characters in the password
    ('postgresql://fleet:s3c%40ret%2Fpw@db/fleet', 'postgresql://fleet:***@db/fleet'),
    ('postgresql://fleet:s3c@ret@db/fleet', 'postgresql://fleet:***@db/fleet'),
    ('postgresql://fleet:s3c/ret@db/fleet', 'postgresql://fleet:***@db/fleet'),
    ('postgresql://fleet:s3c?ret@db/fleet', 'postgresql://fleet:***@db/fleet'),
    ('postgresql://fleet:s3c/r?et@db/fleet', 'postgresql://fleet:***'),
    ('postgresql://fleet:s3c:ret@db/fleet', 'postgresql://fleet:***@db/fleet'),
    ('postgresql://me@corp:s3cretpw@db/fleet', 'postgresql://me@corp:***@db/fleet'),
    # several hosts, IPv6
    ('postgresql://fleet:s3cretpw@db1:5432,db2:5433/fleet?target_session_attrs=read-write',
     'postgresql://fleet:***@db1:5432,db2:5433/fleet?target_session_attrs=read-write'),
    ('postgresql://fleet:s3cretpw@[2001:db8::1]:5432/fleet', 'postgresql://fleet:***@[2001:db8::1]:5432/fleet'),
    ('postgresql://[::1]:5432/fleet', 'postgresql://[::1]:5432/fleet'),
    # libpq conninfo strings
    ('host=db port=5432 dbname=fleet user=fleet password=s3cretpw', 'host=db port=5432 dbname=fleet user=fleet password=***'),
    ("host=db password = 's3c ret\\'pw' dbname=fleet", 'host=db password = *** dbname=fleet'),
    ("host=db password='s3cret unterminated", 'host=db password=***'),
    ('host=db s3cretpw', 'host=db ***'),
    # a password that is also the database name
    ('postgresql://fleet:fleetdb1@db/fleetdb1', 'postgresql://fleet:***@db/***'),
    ('sqlite:////var/lib/fleet.sqlite', 'sqlite:////var/lib/fleet.sqlite'),
    ('sqlite:///~/a:b@c.sqlite', 'sqlite:///~/a:b@c.sqlite'),
])
def test_redact(url, shown):
    assert redact(url) == shown
    for secret in secrets(url, pieces=False):
        assert secret not in redact(url)


def test_ambiguous_at_sign_masks_more_not_less():
    url = 'postgresql://db.example.com:5432/fleet?user=me@example.com&password=s3cretpw'
    assert 's3cretpw' not in redact(url)
    assert redact(url).startswith('postgresql://db.example.com:')


def test_not_a_string():
    assert redact(None) == '***'


SPECIALS = '@/?:#&=%+ \'"\\,;!$*()[]{}|~^`<>'


@pytest.mark.parametrize('seed', range(300))
def test_random_passwords_never_show(seed):
    rng = random.Random(seed)
    secret = ''.join(rng.choice('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789' + SPECIALS)
                     for _char in range(rng.randint(8, 24)))
    quoted = urllib.parse.quote(secret, safe='')
    conninfo = "'" + secret.replace('\\', '\\\\').replace("'", "\\'") + "'"
    forms = [
        f'postgresql://fleet:{quoted}@db:5432/fleet',
        f'postgresql://db:5432/fleet?user=fleet&password={quoted}',
        f'postgresql://db/fleet?sslpassword={quoted}&user=fleet',
        f'host=db user=fleet password={conninfo} dbname=fleet',
    ]
    if not set(secret) & set('&#'):
        # raw in the userinfo: invalid for libpq, written anyway
        forms.append(f'postgresql://fleet:{secret}@db:5432/fleet')
    for url in forms:
        shown = redact(url)
        assert secret not in shown and quoted not in shown, (url, shown)
        assert secret not in scrub(f'error near "{secret}" in {url}', url)


def test_scrub_removes_echoed_pieces():
    url = f'postgresql://fleet:{PW}@db/fleet'
    # what libpq says when it reads the first '/' as the end of the host
    message = 'invalid integer value "Alpha7" for connection option "port"; host "Bravo8@Charlie9?Delta0"'
    assert leaked(scrub(message, url), PW) == []
    assert leaked(scrub(f'could not connect to {url}', url), PW) == []
    plain = 'postgresql://fleet:s3cretpw@db/fleet'
    assert scrub(f'could not connect to {plain}', plain) == 'could not connect to postgresql://fleet:***@db/fleet'


# -- real connections to the test server ---------------------------------

def _parts(pg_url):
    parsed = urllib.parse.urlsplit(pg_url)
    return parsed.hostname, parsed.port, parsed.path.lstrip('/'), urllib.parse.unquote(parsed.username), \
        urllib.parse.unquote(parsed.password)


def _wrong_urls(pg_url):
    host, port, db, user, _password = _parts(pg_url)
    quoted = urllib.parse.quote(PW, safe='')
    return {
        'userinfo': f'postgresql://{user}:{quoted}@{host}:{port}/{db}',
        'userinfo raw': f'postgresql://{user}:{PW}@{host}:{port}/{db}',
        'userinfo raw slash first': f'postgresql://{user}:Alpha7/Bravo8x@{host}:{port}/{db}',
        'bad percent-encoding': f'postgresql://{user}:Alpha7%zzBravo8@{host}:{port}/{db}',
        'query': f'postgresql://{host}:{port}/{db}?user={user}&password={quoted}',
        'query sslpassword': f'postgresql://{host}:{port}/{db}?user={user}&password={quoted}&sslpassword={quoted}',
        'query encoded name': f'postgresql://{host}:{port}/{db}?user={user}&pass%77ord={quoted}',
        'several hosts': f'postgresql://{user}:{quoted}@{host}:{port},{host}:{port}/{db}',
        'unknown parameter': f'postgresql://{user}:{quoted}@{host}:{port}/{db}?bogus=1',
        'conninfo': f"host={host} port={port} dbname={db} user={user} password='{PW}'",
        'unsupported scheme': f'mysql://{user}:{quoted}@{host}:{port}/{db}',
    }


@pytest.mark.parametrize('form', list(_wrong_urls('postgresql://u:p@h:1/d')))
def test_failed_connections_never_show_the_password(pg_url, form):
    url = _wrong_urls(pg_url)[form]
    with pytest.raises(StoreError) as info:
        open_store(url)
    message = str(info.value)
    assert leaked(message, PW) == [], message
    assert leaked(message, 'Alpha7%zzBravo8') == [], message


def test_the_real_password_is_not_shown_on_success(pg_url, namespace):
    host, port, db, user, password = _parts(pg_url)
    for url in (pg_url, f'postgresql://{host}:{port}/{db}?user={user}&password={password}'):
        store = open_store(url)
        store.apply(namespace, 'h1', [{'type': 't', 'data': {}}])
        assert password not in store.url and '***' in store.url


# -- password files instead of URLs --------------------------------------

@pytest.fixture
def passfile(pg_url, tmp_path, monkeypatch):
    host, port, db, user, password = _parts(pg_url)
    path = tmp_path / 'pgpass'
    path.write_text(f'{host}:{port}:{db}:{user}:{password}\n')
    path.chmod(0o600)  # libpq ignores a passfile others can read
    monkeypatch.delenv('PGPASSWORD', raising=False)
    return path


def test_a_url_without_password_and_pgpassfile(pg_url, passfile, namespace, monkeypatch):
    host, port, db, user, _password = _parts(pg_url)
    monkeypatch.setenv('PGPASSFILE', str(passfile))
    store = open_store(f'postgresql://{user}@{host}:{port}/{db}')
    store.apply(namespace, 'h1', [{'type': 't', 'data': {'ok': True}}])
    assert [r.data for r in store.query(namespace, ['t'])] == [{'ok': True}]


def test_a_url_naming_its_passfile(pg_url, passfile, namespace):
    host, port, db, user, _password = _parts(pg_url)
    url = f'postgresql://{user}@{host}:{port}/{db}?passfile={passfile}'
    store = open_store(url)
    store.apply(namespace, 'h1', [{'type': 't', 'data': {}}])
    assert store.url == url  # nothing secret in it


def test_a_service_with_a_passfile(pg_url, passfile, tmp_path, namespace, monkeypatch):
    host, port, db, user, _password = _parts(pg_url)
    services = tmp_path / 'pg_service.conf'
    services.write_text(f'[fleet]\nhost={host}\nport={port}\ndbname={db}\nuser={user}\npassfile={passfile}\n')
    monkeypatch.setenv('PGSERVICEFILE', str(services))
    store = open_store('postgresql://?service=fleet')
    store.apply(namespace, 'h1', [{'type': 't', 'data': {}}])
    assert [r.host for r in store.query(namespace, ['t'])] == ['h1']


def test_without_the_passfile_the_same_url_fails(pg_url, monkeypatch, tmp_path):
    """The passfile tests above prove something: the URL alone has no password."""
    host, port, db, user, _password = _parts(pg_url)
    monkeypatch.delenv('PGPASSWORD', raising=False)
    monkeypatch.setenv('PGPASSFILE', str(tmp_path / 'none'))
    with pytest.raises(StoreError, match='password'):
        open_store(f'postgresql://{user}@{host}:{port}/{db}')


# -- real ansible-playbook runs ------------------------------------------

# loops run over indexes: Ansible itself shows a loop item, and the URLs are the operator's input
PLAYBOOK = """
- hosts: all
  gather_facts: false
  tasks:
    - name: export with a good URL
      podim.fleet.export:
        type: t
        data: {n: 1}
        store_url: "{{ good_urls[item] }}"
      loop: "{{ range(good_urls | length) | list }}"
    - name: export with a wrong password
      podim.fleet.export:
        type: t
        data: {n: 1}
        store_url: "{{ bad_urls[item] }}"
      loop: "{{ range(bad_urls | length) | list }}"
      ignore_errors: true
    - name: collect with a wrong password
      ansible.builtin.set_fact:
        found: "{{ query('podim.fleet.exported', 't', store_url=bad_urls[item]) }}"
      loop: "{{ range(bad_urls | length) | list }}"
      ignore_errors: true
    - name: purge with a wrong password
      podim.fleet.purge:
        store_url: "{{ bad_urls[item] }}"
      loop: "{{ range(bad_urls | length) | list }}"
      ignore_errors: true
      run_once: true
    - name: collect with the store from the environment
      ansible.builtin.set_fact:
        found: "{{ query('podim.fleet.exported', 't') }}"
      ignore_errors: true
"""


def _results(out):
    """h1's task results from the json callback's document (verbose runs print more around it)."""
    doc = json.loads(out[out.index('{\n    "custom_stats"'):out.rindex('\n}\n') + 2])
    return {task['task']['name']: task['hosts']['h1'] for play in doc['plays'] for task in play['tasks']
            if 'h1' in task['hosts']}


@pytest.mark.parametrize('verbosity', ['', '-vvvv'])
def test_no_secret_in_playbook_output(pg_url, run_playbook, local_inventory, verbosity):
    host, port, db, user, password = _parts(pg_url)
    good = [pg_url, f'postgresql://{host}:{port}/{db}?user={user}&password={password}']
    bad = [url for form, url in _wrong_urls(pg_url).items() if form != 'conninfo']
    namespace = f'test-{uuid.uuid4().hex[:12]}'
    extra = json.dumps({'good_urls': good, 'bad_urls': bad})
    run = run_playbook(PLAYBOOK, local_inventory({'h1': {}, 'h2': {}}),
                       env={'PODIM_FLEET_NAMESPACE': namespace, 'PODIM_FLEET_STORE': bad[0]},
                       args=['-e', extra] + ([verbosity] if verbosity else []))
    # the extra vars themselves are the operator's input; everything else is output
    output = run.out.replace(extra, '')
    results = _results(run.out)
    exported = results['export with a good URL']['results']
    assert [r['store_url'] for r in exported] == [redact(url) for url in good]
    failures = [r.get('msg', '') for r in results['export with a wrong password']['results']]
    assert len(failures) == len(bad) and all(msg.startswith('podim.fleet.export (h1): ') for msg in failures)
    assert 'cannot connect to store' in json.dumps(results['collect with a wrong password'])
    assert password not in output and leaked(output, PW) == [] and leaked(output, 'Alpha7%zzBravo8') == []


RULES = """
plugin: podim.fleet.rules
rules:
  - name: dns
    group: dns_servers
    hosts: all
    count: 1
"""


@pytest.mark.parametrize('verbosity', ['', '-vvvv'])
def test_no_secret_in_rules_inventory_errors(pg_url, tmp_path, verbosity):
    """The rules inventory plugin fails the source with the store's error: never with its password."""
    (tmp_path / 'hosts.yml').write_text('all:\n  hosts:\n    node01:\n    node02:\n')
    (tmp_path / 'site.rules.yml').write_text(RULES)
    (tmp_path / 'ansible.cfg').write_text('[inventory]\nenable_plugins = ansible.builtin.yaml, podim.fleet.rules\n'
                                          'any_unparsed_is_failed = true\n')
    for form, url in _wrong_urls(pg_url).items():
        env = dict(os.environ, ANSIBLE_CONFIG=str(tmp_path / 'ansible.cfg'), ANSIBLE_COLLECTIONS_PATH=collections_path(),
                   ANSIBLE_LOCAL_TEMP=str(tmp_path / 'tmp'), PODIM_FLEET_STORE=url, ANSIBLE_NOCOLOR='1')
        proc = subprocess.run([str(Path(sys.executable).parent / 'ansible-inventory'), '-i', 'hosts.yml', '-i',
                               'site.rules.yml', '--graph', *([verbosity] if verbosity else [])], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=120, check=False)
        output = proc.stdout + proc.stderr
        assert proc.returncode != 0 and ('store' in output), (form, output[-2000:])
        assert leaked(output, PW) == [] and leaked(output, 'Alpha7%zzBravo8') == [], (form, output)
