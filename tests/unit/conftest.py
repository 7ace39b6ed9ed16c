# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures shared by the unit tests: stores on both backends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import typing as t
import uuid
from pathlib import Path

import pytest

from ansible_collections.podim.fleet.plugins.plugin_utils.store import close_all, open_store

PG_URL_ENV = 'PODIM_FLEET_TEST_PG_URL'


def require_pg_url() -> str:
    url = os.environ.get(PG_URL_ENV)
    if not url:
        pytest.skip(f'{PG_URL_ENV} is not set: start a server with scripts/pg-test-server.sh (make test does)')
    return url


@pytest.fixture(autouse=True)
def _close_stores():
    yield
    close_all()


@pytest.fixture
def sqlite_url(tmp_path):
    return f'sqlite:///{tmp_path}/store.sqlite'


@pytest.fixture(params=['sqlite', 'postgresql'])
def store_url(request, tmp_path):
    """A store URL of each backend; tests isolate themselves by namespace."""
    if request.param == 'sqlite':
        return f'sqlite:///{tmp_path}/store.sqlite'
    return require_pg_url()


@pytest.fixture
def pg_url():
    """The URL of the real PostgreSQL server the test command started."""
    return require_pg_url()


@pytest.fixture
def namespace():
    """A namespace no other test uses, so tests can share one PostgreSQL database."""
    return f'test-{uuid.uuid4().hex[:12]}'


@pytest.fixture
def store(store_url):
    return open_store(store_url)


def collections_path() -> str:
    """The folder holding ansible_collections/ from which these tests import the collection."""
    import ansible_collections.podim.fleet as collection
    return str(Path(list(collection.__path__)[0]).parents[2])


class PlaybookRun(t.NamedTuple):
    rc: int
    out: str
    results: dict  # host -> {task name: result}, from the json callback


@pytest.fixture
def run_playbook(tmp_path):
    """Run a real ansible-playbook against local hosts; returns rc, output and per-task results."""

    def run(playbook: str, inventory: str, env: dict | None = None, args: t.Sequence[str] = (),
            cfg: str = '', inventory_file: str = 'inventory.yml') -> PlaybookRun:
        (tmp_path / 'pb.yml').write_text(playbook)
        (tmp_path / inventory_file).write_text(inventory)
        (tmp_path / 'ansible.cfg').write_text('[defaults]\nstdout_callback = ansible.builtin.json\n'
                                              'host_key_checking = false\n' + cfg)
        full_env = dict(os.environ, ANSIBLE_CONFIG=str(tmp_path / 'ansible.cfg'),
                        ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_NOCOLOR='1',
                        ANSIBLE_LOCAL_TEMP=str(tmp_path / 'tmp'), **(env or {}))
        for name in ('PODIM_FLEET_STORE', 'PODIM_FLEET_NAMESPACE', 'PODIM_FLEET_EXPORT_POLICY'):
            if name not in (env or {}):
                full_env.pop(name, None)
        proc = subprocess.run([str(Path(sys.executable).parent / 'ansible-playbook'), '-i', inventory_file,
                               'pb.yml', *args], cwd=tmp_path, env=full_env, capture_output=True, text=True,
                              timeout=300, check=False)
        results: dict = {}
        try:
            doc = json.loads(proc.stdout)
        except ValueError:
            doc = {'plays': []}
        for play in doc.get('plays', []):
            for task in play.get('tasks', []):
                for host, result in task.get('hosts', {}).items():
                    results.setdefault(host, {})[task['task']['name']] = result
        return PlaybookRun(proc.returncode, proc.stdout + proc.stderr, results)

    return run


def _local_inventory(hosts: t.Mapping[str, t.Mapping[str, t.Any]], groups: t.Mapping[str, t.Sequence[str]] = ()):
    """A YAML inventory of local hosts (no network), as text."""
    base = {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}
    doc = {'all': {'vars': base, 'hosts': {h: dict(v) for h, v in hosts.items()},
                   'children': {g: {'hosts': {h: None for h in members}} for g, members in dict(groups).items()}}}
    return json.dumps(doc)


@pytest.fixture
def local_inventory():
    """_local_inventory(hosts, groups) -> inventory text."""
    return _local_inventory
