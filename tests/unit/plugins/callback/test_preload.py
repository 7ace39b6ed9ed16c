# -*- coding: utf-8 -*-
# Copyright: (c) 2026, podim.fleet developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The callback podim.fleet.preload: loads the per-host plugins in ansible-playbook's main process, says nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.podim.fleet.plugins.plugin_utils.store import close_all, open_store

# the main process of ansible-playbook: what loading the callback leaves in sys.modules
PROBE = """
import sys
sys.argv[0] = '/usr/bin/ansible-playbook'
from ansible.plugins.loader import init_plugin_loader, callback_loader
init_plugin_loader()
LOOKUP = 'ansible_collections.podim.fleet.plugins.lookup.exported'
before = LOOKUP in sys.modules
callback_loader.get('podim.fleet.preload')
print(before, LOOKUP in sys.modules, 'jmespath' in sys.modules)
"""


def test_loading_the_callback_preloads_the_lookup():
    out = subprocess.run([sys.executable, '-c', PROBE], capture_output=True, text=True, check=True,
                         env={'PYTHONPATH': ':'.join(sys.path)}).stdout.split()
    assert out == ['False', 'True', 'True']


@pytest.fixture
def playbook_run(tmp_path):
    url = f'sqlite:///{tmp_path}/fleet.sqlite'
    open_store(url).apply('default', 'h1', [{'type': 'dns_server', 'data': {'address': '10.0.0.1'}}])
    close_all()
    (tmp_path / 'hosts.yml').write_text(json.dumps({'all': {'hosts': {'h1': None, 'h2': None}, 'vars': {
        'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}}}))
    (tmp_path / 'play.yml').write_text(json.dumps([{'hosts': 'all', 'gather_facts': False, 'tasks': [
        {'ansible.builtin.debug': {'msg': "{{ query('podim.fleet.exported', 'dns_server', query='[].data.address') }}"}}
    ]}]))
    bin_dir = Path(sys.executable).parent

    def run(callbacks: str | None) -> subprocess.CompletedProcess:
        env = dict(os.environ, PODIM_FLEET_STORE=url, ANSIBLE_NOCOLOR='1', ANSIBLE_FORKS='1',  # output in host order
                   ANSIBLE_LOCAL_TEMP=str(tmp_path / 'tmp'),
                   PYTHONPATH=':'.join(sys.path))
        env.pop('ANSIBLE_CALLBACKS_ENABLED', None)
        if callbacks:
            env['ANSIBLE_CALLBACKS_ENABLED'] = callbacks
        return subprocess.run([str(bin_dir / 'ansible-playbook'), '-i', 'hosts.yml', 'play.yml'], cwd=tmp_path,
                              env=env, capture_output=True, text=True, check=False)
    return run


def test_enabled_it_changes_nothing_a_playbook_prints(playbook_run):
    plain, preloaded = playbook_run(None), playbook_run('podim.fleet.preload')
    assert plain.returncode == preloaded.returncode == 0, preloaded.stdout + preloaded.stderr
    assert '"msg": [\n        "10.0.0.1"\n    ]' in preloaded.stdout
    assert preloaded.stdout == plain.stdout
